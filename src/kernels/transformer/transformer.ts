/**
 * Transformer building blocks for the forward pass: rmsnorm, embed, argmax, stepAdvance and ropeKv (RoPE +
 * KV-cache append over a fused QKV projection), plus rope and kvWrite (ropeKv's halves, used by the tests
 * as building blocks) (shaders/<name>.wgsl), each a factory `create<X>(device, cfg)` whose `bind(args, res)`
 * creates uniforms and bind groups once and returns an Op that only sets pipeline/bind group and
 * dispatches. CPU references are in transformer.ref.ts; checkTransformerKernels() is the run-time check.
 *
 * Shared conventions: `state` is array<u32> [pos, generated-token counter]. A batch of `rows` rows is a
 * prefill of sequence 0 (posStep 1: row t at position state[0] + t) or one decode step of `rows`
 * sequences (posStep 0: row b is sequence b at position state[0]).
 */
import argmaxWgsl from '../../../shaders/transformer/argmax.wgsl?raw';
import embedWgsl from '../../../shaders/transformer/embed.wgsl?raw';
import kvWriteWgsl from '../../../shaders/transformer/kv_write.wgsl?raw';
import rmsnormWgsl from '../../../shaders/transformer/rmsnorm.wgsl?raw';
import ropeWgsl from '../../../shaders/transformer/rope.wgsl?raw';
import ropeKvWgsl from '../../../shaders/transformer/rope_kv.wgsl?raw';
import stepAdvanceWgsl from '../../../shaders/transformer/step_advance.wgsl?raw';
import { Resources, createBuffer, createUniform, readBuffer } from '../../gpu/buffers';
import { errorMessage, withErrorScopes } from '../../gpu/errors';
import { getPipeline } from '../../gpu/wgsl';
import type { Op } from '../../core/work';
import type { QTensor, WeightFormat } from '../../core/tensor';
import { WEIGHT_FORMATS } from '../../core/tensor';
import type { Verification } from '../../schema/result';
import { fillConst, fillHash } from '../../core/fill';
import { relativeL2 } from '../matmul/matmul.ref';
import { hashValue } from '../../core/numeric';
import {
  argmaxRef,
  embedRef,
  maxAbsNormalised,
  packWeights,
  rmsnormRef,
  ropeInvFreq,
  ropeKvRef,
} from './transformer.ref';
import { runOnce } from '../../core/work';

/** A kernel whose pipeline is built; `bind` makes the per-call bind groups and uniforms once. */
export interface Kernel<A> {
  bind(args: A, res: Resources): Op;
}

/** A whole buffer, or a range of one (offset a multiple of minStorageBufferOffsetAlignment). */
export type BufferArg = GPUBuffer | GPUBufferBinding;

/** Row posStep: 1 for a prefill chunk of sequence 0, 0 for a decode step over sequences 0..rows-1. */
export type PosStep = 0 | 1;

/** Threads per workgroup of the element-wise kernels (rope, kvWrite). */
const ELEMENTWISE_WG = 256;
/** Threads per workgroup of the row reductions (rmsnorm, argmax): one workgroup per row. */
const ROW_WG = 256;
/** Columns per workgroup of embed (grid y = token rows). */
const EMBED_WG = 64;
/** Largest rotated head: the rope uniform holds headDim / 2 <= 256 frequencies. */
const MAX_ROPE_HEAD_DIM = 512;

/** Bind group entry for a whole buffer or a range of one. */
export function bufferEntry(binding: number, arg: BufferArg): GPUBindGroupEntry {
  return { binding, resource: 'buffer' in arg ? arg : { buffer: arg } };
}

function bindGroup(device: GPUDevice, pipeline: GPUComputePipeline, label: string, buffers: BufferArg[]): GPUBindGroup {
  return device.createBindGroup({
    label: `${label}.bind`,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((b, i) => bufferEntry(i, b)),
  });
}

function u32Words(...words: number[]): ArrayBuffer {
  return new Uint32Array(words).buffer;
}

/** A 1-D grid of `threads` threads as (x, y) workgroups within the per-dimension limit (kernels fold y). */
function grid(device: GPUDevice, threads: number, wg: number): [number, number] {
  const groups = Math.ceil(threads / wg);
  const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
  return [x, Math.ceil(groups / x)];
}

/** Throws unless rows is a positive integer (and, when rows index a grid dimension, within its limit). */
export function assertRows(device: GPUDevice, label: string, rows: number, perDimension = true): void {
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`${label}: rows must be a positive integer, got ${rows}`);
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (perDimension && rows > max) throw new Error(`${label}: ${rows} rows exceed ${max} workgroups per dimension`);
}

function op(label: string, pipeline: GPUComputePipeline, group: GPUBindGroup, x: number, y = 1, z = 1): Op {
  return {
    label,
    encode(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(x, y, z);
    },
  };
}

// ---------------------------------------------------------------------------------------------- rmsnorm

export interface RmsNormConfig {
  dim: number;
  eps: number;
}

export interface RmsNormArgs {
  /** f32 [rows, dim]. */
  x: BufferArg;
  /** f32 [dim]. */
  w: BufferArg;
  /** f32 [rows, dim]; may be the same buffer as x (normalises in place). */
  y: BufferArg;
  rows: number;
}

function sameBinding(a: BufferArg, b: BufferArg): boolean {
  const buf = (x: BufferArg) => ('buffer' in x ? x.buffer : x);
  const off = (x: BufferArg) => ('buffer' in x ? (x.offset ?? 0) : 0);
  return buf(a) === buf(b) && off(a) === off(b);
}

/**
 * y[t,:] = x[t,:] * w / sqrt(mean(x[t,:]^2) + eps); one workgroup of 256 threads per row. Passing the
 * same buffer as x and y normalises in place (a separate entry point that binds it once).
 */
export async function createRmsNorm(device: GPUDevice, cfg: RmsNormConfig): Promise<Kernel<RmsNormArgs>> {
  const label = 'rmsnorm';
  const constants = { WG: ROW_WG };
  const pipeline = await getPipeline(device, { label, code: rmsnormWgsl, constants });
  const inPlace = await getPipeline(device, { label: `${label}.in_place`, code: rmsnormWgsl, entryPoint: 'main_in_place', constants });
  return {
    bind(args, res) {
      assertRows(device, label, args.rows);
      const words = new ArrayBuffer(16);
      new Uint32Array(words, 0, 2).set([cfg.dim, args.rows]);
      new Float32Array(words, 8, 1).set([cfg.eps]);
      const params = createUniform(device, res, `${label}.params`, words);
      if (sameBinding(args.x, args.y)) {
        const group = device.createBindGroup({
          label: `${label}.in_place.bind`,
          layout: inPlace.getBindGroupLayout(0),
          entries: [bufferEntry(1, args.w), bufferEntry(2, args.y), bufferEntry(3, params)],
        });
        return op(label, inPlace, group, args.rows);
      }
      return op(label, pipeline, bindGroup(device, pipeline, label, [args.x, args.w, args.y, params]), args.rows);
    },
  };
}

// ------------------------------------------------------------------------------------------------- rope

export interface RopeConfig {
  heads: number;
  headDim: number;
  theta: number;
}

export interface RopeArgs {
  /** f32 [rows, heads * headDim], rotated in place. */
  x: BufferArg;
  state: BufferArg;
  rows: number;
  posStep: PosStep;
}

/** Rotate-half RoPE in place at position state[0] + t * posStep; one thread per rotated pair. */
export async function createRope(device: GPUDevice, cfg: RopeConfig): Promise<Kernel<RopeArgs>> {
  const label = 'rope';
  const { heads, headDim, theta } = cfg;
  if (headDim % 2 !== 0 || headDim > MAX_ROPE_HEAD_DIM) {
    throw new Error(`${label}: headDim ${headDim} must be even and <= ${MAX_ROPE_HEAD_DIM}`);
  }
  const pipeline = await getPipeline(device, { label, code: ropeWgsl, constants: { WG: ELEMENTWISE_WG } });
  const invFreq = ropeInvFreq(headDim, theta);
  return {
    bind(args, res) {
      assertRows(device, label, args.rows, false);
      const words = new ArrayBuffer(16 + (MAX_ROPE_HEAD_DIM / 2) * 4);
      new Uint32Array(words, 0, 4).set([args.rows, heads, headDim, args.posStep]);
      new Float32Array(words, 16, invFreq.length).set(invFreq);
      const params = createUniform(device, res, `${label}.params`, words);
      const [x, y] = grid(device, (args.rows * heads * headDim) / 2, ELEMENTWISE_WG);
      return op(label, pipeline, bindGroup(device, pipeline, label, [args.x, args.state, params]), x, y);
    },
  };
}

// ---------------------------------------------------------------------------------------------- kvWrite

export interface KvWriteConfig {
  kvHeads: number;
  headDim: number;
  /** Positions per sequence in the cache. */
  ctxCap: number;
}

export interface KvWriteArgs {
  /** f32 [rows, kvHeads * headDim] (after RoPE for k). */
  k: BufferArg;
  v: BufferArg;
  /** f32 [seqCap][kvHeads][ctxCap][headDim], one pair per layer. */
  kCache: BufferArg;
  vCache: BufferArg;
  state: BufferArg;
  rows: number;
  posStep: PosStep;
}

/** cache[seq(t)][h][pos(t)][:] = row t of head h, for K and V; rows past ctxCap are dropped. */
export async function createKvWrite(device: GPUDevice, cfg: KvWriteConfig): Promise<Kernel<KvWriteArgs>> {
  const label = 'kv_write';
  const pipeline = await getPipeline(device, { label, code: kvWriteWgsl, constants: { WG: ELEMENTWISE_WG } });
  return {
    bind(args, res) {
      assertRows(device, label, args.rows, false);
      const params = createUniform(
        device,
        res,
        `${label}.params`,
        u32Words(args.rows, cfg.kvHeads, cfg.headDim, cfg.ctxCap, args.posStep, 0, 0, 0),
      );
      const [x, y] = grid(device, args.rows * cfg.kvHeads * cfg.headDim, ELEMENTWISE_WG);
      const group = bindGroup(device, pipeline, label, [args.k, args.v, args.kCache, args.vCache, args.state, params]);
      return op(label, pipeline, group, x, y);
    },
  };
}

// ------------------------------------------------------------------------------------------------ ropeKv

export interface RopeKvConfig {
  heads: number;
  kvHeads: number;
  headDim: number;
  theta: number;
  /** Positions per sequence in the cache. */
  ctxCap: number;
}

export interface RopeKvArgs {
  /** f32 [rows, (heads + 2 * kvHeads) * headDim]: q, k, v heads of each row (the fused QKV projection). */
  qkv: BufferArg;
  /** f32 [rows, heads * headDim], written: rotated q. */
  q: BufferArg;
  /** f32 [seqCap][kvHeads][ctxCap][headDim], one pair per layer: rotated k and v appended. */
  kCache: BufferArg;
  vCache: BufferArg;
  state: BufferArg;
  rows: number;
  posStep: PosStep;
}

/**
 * rope + kvWrite in one dispatch: q heads of qkv are rotated into q; k heads rotated and v heads copied
 * into cache[seq(t)][h][pos(t)][:] (rows past ctxCap dropped). One thread per rotated q/k pair.
 */
export async function createRopeKv(device: GPUDevice, cfg: RopeKvConfig): Promise<Kernel<RopeKvArgs>> {
  const label = 'rope_kv';
  const { heads, kvHeads, headDim, theta, ctxCap } = cfg;
  if (headDim % 2 !== 0 || headDim > MAX_ROPE_HEAD_DIM) {
    throw new Error(`${label}: headDim ${headDim} must be even and <= ${MAX_ROPE_HEAD_DIM}`);
  }
  if (!(Number.isInteger(heads) && heads > 0 && Number.isInteger(kvHeads) && kvHeads > 0)) {
    throw new Error(`${label}: heads ${heads} and kvHeads ${kvHeads} must be positive integers`);
  }
  if (!(Number.isInteger(ctxCap) && ctxCap > 0)) throw new Error(`${label}: ctxCap ${ctxCap} must be a positive integer`);
  const pipeline = await getPipeline(device, { label, code: ropeKvWgsl, constants: { WG: ELEMENTWISE_WG } });
  const invFreq = ropeInvFreq(headDim, theta);
  return {
    bind(args, res) {
      assertRows(device, label, args.rows, false);
      const words = new ArrayBuffer(32 + (MAX_ROPE_HEAD_DIM / 2) * 4);
      new Uint32Array(words, 0, 8).set([args.rows, heads, kvHeads, headDim, ctxCap, args.posStep, 0, 0]);
      new Float32Array(words, 32, invFreq.length).set(invFreq);
      const params = createUniform(device, res, `${label}.params`, words);
      const [x, y] = grid(device, (args.rows * (heads + kvHeads) * headDim) / 2, ELEMENTWISE_WG);
      const group = bindGroup(device, pipeline, label, [args.qkv, args.q, args.kCache, args.vCache, args.state, params]);
      return op(label, pipeline, group, x, y);
    },
  };
}

// ------------------------------------------------------------------------------------------------ embed

export interface EmbedConfig {
  hidden: number;
  vocab: number;
}

export interface EmbedArgs {
  /** array<u32> [rows] token ids; ids >= vocab are clamped to vocab - 1. */
  tokens: BufferArg;
  /** [vocab, hidden] in any WeightFormat, possibly split into row parts. */
  table: QTensor;
  /** f32 [rows, hidden]. */
  x: BufferArg;
  rows: number;
}

/**
 * x[t,:] = dequantised table row tokens[t]. One dispatch per table part (each writes the rows whose
 * token that part holds), grid (hidden / 64, rows). The pipeline is chosen by the table's format at
 * bind time, so one factory serves every format.
 */
export async function createEmbed(device: GPUDevice, cfg: EmbedConfig): Promise<Kernel<EmbedArgs>> {
  const label = 'embed';
  const pipelines = new Map<WeightFormat, GPUComputePipeline>();
  for (const format of WEIGHT_FORMATS) {
    pipelines.set(
      format,
      await getPipeline(device, {
        label: `${label}.${format}`,
        code: embedWgsl,
        entryPoint: `embed_${format}`,
        constants: { WG: EMBED_WG },
      }),
    );
  }
  return {
    bind(args, res) {
      const { table, rows } = args;
      assertRows(device, label, rows);
      if (table.rows !== cfg.vocab || table.cols !== cfg.hidden) {
        throw new Error(`${label}: table ${table.label} is ${table.rows}x${table.cols}, expected ${cfg.vocab}x${cfg.hidden}`);
      }
      const pipeline = pipelines.get(table.format);
      if (!pipeline) throw new Error(`${label}: unknown weight format ${table.format}`);
      const quantised = table.format === 'q8_0' || table.format === 'q4_0';
      const groups = table.parts.map((part, p) => {
        const params = createUniform(
          device,
          res,
          `${label}.part${p}.params`,
          u32Words(rows, cfg.hidden, part.rowStart, part.rows, cfg.vocab, 0, 0, 0),
        );
        const buffers: BufferArg[] = [args.tokens, part.data, args.x, params];
        if (quantised) {
          if (!part.scales) throw new Error(`${label}: ${table.label} part ${p} (${table.format}) has no scales`);
          buffers.push(part.scales);
        }
        return bindGroup(device, pipeline, `${label}.part${p}`, buffers);
      });
      const gx = Math.ceil(cfg.hidden / EMBED_WG);
      return {
        label,
        encode(pass) {
          pass.setPipeline(pipeline);
          for (const g of groups) {
            pass.setBindGroup(0, g);
            pass.dispatchWorkgroups(gx, rows);
          }
        },
      };
    },
  };
}

// ----------------------------------------------------------------------------------------------- argmax

export interface ArgmaxConfig {
  vocab: number;
}

export interface ArgmaxArgs {
  /** f32 [rows, vocab]. */
  logits: BufferArg;
  /** array<u32> [rows], written: the next input tokens. */
  cur: BufferArg;
  /** array<u32>, written at state[1] * rows + r (indices past its end are skipped). */
  log: BufferArg;
  state: BufferArg;
  rows: number;
}

/** Greedy argmax per row (ties to the lowest index, NaN never wins); one workgroup of 256 per row. */
export async function createArgmax(device: GPUDevice, cfg: ArgmaxConfig): Promise<Kernel<ArgmaxArgs>> {
  const label = 'argmax';
  const pipeline = await getPipeline(device, { label, code: argmaxWgsl, constants: { WG: ROW_WG } });
  return {
    bind(args, res) {
      assertRows(device, label, args.rows);
      const params = createUniform(device, res, `${label}.params`, u32Words(args.rows, cfg.vocab, 0, 0));
      const group = bindGroup(device, pipeline, label, [args.logits, args.cur, args.log, args.state, params]);
      return op(label, pipeline, group, args.rows);
    },
  };
}

// ------------------------------------------------------------------------------------------ stepAdvance

export interface StepAdvanceArgs {
  state: BufferArg;
  /** Added to state[0]: 1 after a decode step, the chunk length after a prefill chunk. */
  posDelta: number;
}

/** state[0] += posDelta, state[1] += 1, on the GPU (one thread). */
export async function createStepAdvance(device: GPUDevice, _cfg: Record<string, never> = {}): Promise<Kernel<StepAdvanceArgs>> {
  const label = 'step_advance';
  const pipeline = await getPipeline(device, { label, code: stepAdvanceWgsl });
  return {
    bind(args, res) {
      const params = createUniform(device, res, `${label}.params`, u32Words(args.posDelta, 0, 0, 0));
      return op(label, pipeline, bindGroup(device, pipeline, label, [args.state, params]), 1);
    },
  };
}

// ------------------------------------------------------------------------------------------- self check

/**
 * rmsnorm: relative L2 error allowed against float64. It is a handful of f32 operations
 * per output (rmsnorm's sum of squares over a few hundred terms adds ~1e-7); 1e-5 leaves a wide margin
 * while a wrong row, weight or eps is off by > 1e-3.
 */
export const TRANSFORMER_REL_L2_THRESHOLD = 1e-5;
/**
 * rope (and ropeKv): WGSL only promises sin/cos to 2^-11 absolute on [-pi, pi] (real GPUs do ~1e-6), so the bound is
 * the spec's worst case; a wrong position or pairing gives errors of order 1.
 */
export const ROPE_REL_L2_THRESHOLD = 2e-3;
/**
 * kvWrite, embed, argmax and stepAdvance move or select values exactly. The bound (max |error| over the
 * largest |value|) only admits a flushed f16 subnormal in embed; anything misplaced is off by order 1.
 */
export const EXACT_THRESHOLD = 1e-6;

export interface CheckOptions {
  /** Replaces each op before it runs (tests pass a no-op to show that a skipped dispatch fails). */
  tamper?: (op: Op) => Op;
}

/** What each self-check step gets: its device, resources to free, and a runner that applies CheckOptions. */
export interface CheckCtx {
  device: GPUDevice;
  res: Resources;
  timeoutMs: number;
  run(...ops: Op[]): void;
}

/** Result of one kernel's check before it becomes a Verification. */
export interface Outcome {
  method: string;
  error: number;
  threshold: number;
  checked: number;
  /** Outputs still holding the NaN poison (or otherwise non-finite). */
  unwritten: number;
}

function countNonFinite(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i] as number)) n++;
  return n;
}

/** Passed when every output was written and the error is within the threshold. */
export function toVerification(o: Outcome): Verification {
  const ok = o.unwritten === 0 && Number.isFinite(o.error) && o.error <= o.threshold;
  return {
    state: ok ? 'passed' : 'failed',
    method: o.method,
    error: Number.isFinite(o.error) ? o.error : -1,
    threshold: o.threshold,
    checked: o.checked,
    ...(o.unwritten ? { detail: `${o.unwritten} outputs not written (poison NaN survived)` } : {}),
  };
}

/** Runs each named check in its own resources and error scopes; a throw becomes a failed Verification. */
export async function runChecks(
  device: GPUDevice,
  timeoutMs: number,
  opts: CheckOptions,
  checks: Array<[string, (ctx: CheckCtx) => Promise<Outcome>]>,
): Promise<Verification[]> {
  const out: Verification[] = [];
  for (const [name, check] of checks) {
    const res = new Resources();
    try {
      const outcome = await withErrorScopes(device, `check.${name}`, () =>
        check({
          device,
          res,
          timeoutMs,
          run: (...ops) => {
            for (const o of ops) runOnce(device, opts.tamper ? opts.tamper(o) : o);
          },
        }),
      );
      out.push(toVerification(outcome));
    } catch (e) {
      out.push({ state: 'failed', method: `${name}: check did not run`, error: -1, threshold: 0, checked: 0, detail: errorMessage(e) });
    } finally {
      res.destroyAll();
    }
  }
  return out;
}

async function readF32(ctx: CheckCtx, buf: GPUBuffer, count: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ctx.device, buf, ctx.timeoutMs, 0, count * 4));
}

async function readU32(ctx: CheckCtx, buf: GPUBuffer, count: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(ctx.device, buf, ctx.timeoutMs, 0, count * 4));
}

/** A buffer holding `count` fill_hash values (seed, scale) and their CPU twin. */
export async function hashed(
  ctx: CheckCtx,
  label: string,
  count: number,
  seed: number,
  scale = 1,
): Promise<{ buf: GPUBuffer; values: Float32Array }> {
  const buf = createBuffer(ctx.device, ctx.res, label, count * 4);
  await fillHash(ctx.device, ctx.res, buf, count, seed, scale);
  return { buf, values: Float32Array.from({ length: count }, (_, i) => hashValue(seed, i, scale)) };
}

/** A buffer of `count` f32 NaN: outputs a kernel fails to write stay NaN and fail the check. */
export async function poisoned(ctx: CheckCtx, label: string, count: number): Promise<GPUBuffer> {
  const buf = createBuffer(ctx.device, ctx.res, label, count * 4);
  await fillConst(ctx.device, ctx.res, buf, count, NaN);
  return buf;
}

/** A buffer holding `values` as u32 (states, token ids). */
export function u32Buffer(ctx: CheckCtx, label: string, values: ArrayLike<number>): GPUBuffer {
  const buf = createBuffer(ctx.device, ctx.res, label, values.length * 4);
  ctx.device.queue.writeBuffer(buf, 0, Uint32Array.from(values));
  return buf;
}

/** A buffer holding `values` as f32 (inputs with planted values, caches with poisoned tails). */
export function f32Buffer(ctx: CheckCtx, label: string, values: ArrayLike<number>): GPUBuffer {
  const buf = createBuffer(ctx.device, ctx.res, label, values.length * 4);
  ctx.device.queue.writeBuffer(buf, 0, Float32Array.from(values));
  return buf;
}

/** Uploads a packed [rows, cols] matrix as a QTensor split into parts of at most `partRows` rows. */
export function uploadTable(
  ctx: { device: GPUDevice; res: Resources },
  label: string,
  format: WeightFormat,
  rows: number,
  cols: number,
  partRows: number,
  seed: number,
): { table: QTensor; values: Float64Array } {
  const parts: QTensor['parts'] = [];
  const values = new Float64Array(rows * cols);
  for (let r0 = 0, p = 0; r0 < rows; r0 += partRows, p++) {
    const n = Math.min(partRows, rows - r0);
    const packed = packWeights(format, n, cols, seed + p);
    values.set(packed.values, r0 * cols);
    const data = createBuffer(ctx.device, ctx.res, `${label}.part${p}.data`, packed.data.byteLength);
    ctx.device.queue.writeBuffer(data, 0, packed.data);
    let scales: GPUBuffer | null = null;
    if (packed.scales) {
      scales = createBuffer(ctx.device, ctx.res, `${label}.part${p}.scales`, packed.scales.byteLength);
      ctx.device.queue.writeBuffer(scales, 0, packed.scales);
    }
    parts.push({ rowStart: r0, rows: n, data, scales });
  }
  return { table: { label, format, rows, cols, parts }, values };
}

/** Shapes the self check runs: small, odd, not multiples of any workgroup or tile. */
const CHECK = {
  rmsnorm: { rows: 5, dim: 333, eps: 1e-5 },
  embed: { rows: 6, hidden: 96, vocab: 37, partRows: 16 },
  argmax: { rows: 3, vocab: 1031 },
  stepAdvance: { pos: 41, counter: 7, posDelta: 3 },
  // GQA (3 q heads per kv head); a prefill at 11 and a decode of 3 sequences at 27 in a 29-position cache.
  ropeKv: { heads: 6, kvHeads: 2, headDim: 16, theta: 10000, ctxCap: 29, seqCap: 3, prefill: { rows: 5, pos0: 11 }, decode: { rows: 3, pos0: 27 } },
} as const;

async function checkRmsnorm(ctx: CheckCtx): Promise<Outcome> {
  const { rows, dim, eps } = CHECK.rmsnorm;
  const x = await hashed(ctx, 'check.rmsnorm.x', rows * dim, 11);
  const w = await hashed(ctx, 'check.rmsnorm.w', dim, 12);
  const y = await poisoned(ctx, 'check.rmsnorm.y', rows * dim);
  const kernel = await createRmsNorm(ctx.device, { dim, eps });
  ctx.run(kernel.bind({ x: x.buf, w: w.buf, y, rows }, ctx.res));
  const got = await readF32(ctx, y, rows * dim);
  return {
    method: `rmsnorm ${rows}x${dim}: relative L2 error vs float64 CPU reference, all outputs`,
    error: relativeL2(got, rmsnormRef(x.values, w.values, rows, dim, eps)),
    threshold: TRANSFORMER_REL_L2_THRESHOLD,
    checked: got.length,
    unwritten: countNonFinite(got),
  };
}

async function checkEmbed(ctx: CheckCtx): Promise<Outcome> {
  const { rows, hidden, vocab, partRows } = CHECK.embed;
  // Rows from every part, the last row, and one out-of-range id (clamps to vocab - 1).
  const tokens = [0, vocab - 1, 17, partRows, vocab + 5, 3].slice(0, rows);
  const tokenBuf = u32Buffer(ctx, 'check.embed.tokens', tokens);
  const kernel = await createEmbed(ctx.device, { hidden, vocab });
  let error = 0;
  let unwritten = 0;
  for (const format of WEIGHT_FORMATS) {
    const { table, values } = uploadTable(ctx, `check.embed.${format}`, format, vocab, hidden, partRows, 51);
    const x = await poisoned(ctx, `check.embed.${format}.x`, rows * hidden);
    ctx.run(kernel.bind({ tokens: tokenBuf, table, x, rows }, ctx.res));
    const got = await readF32(ctx, x, rows * hidden);
    error = Math.max(error, maxAbsNormalised(got, embedRef(tokens, values, vocab, hidden)));
    unwritten += countNonFinite(got);
  }
  return {
    method: `embed ${rows} tokens (one out of range) from a ${vocab}x${hidden} table in ${Math.ceil(vocab / partRows)} parts, formats ${WEIGHT_FORMATS.join('/')}: max abs error over max |value|, all outputs`,
    error,
    threshold: EXACT_THRESHOLD,
    checked: rows * hidden * WEIGHT_FORMATS.length,
    unwritten,
  };
}

async function checkArgmax(ctx: CheckCtx): Promise<Outcome> {
  const { rows, vocab } = CHECK.argmax;
  const logits = Float32Array.from({ length: rows * vocab }, (_, i) => hashValue(61, i));
  // Row 0: a tie for the maximum (lowest index must win); row 1: NaN ahead of the maximum.
  logits[700] = 2;
  logits[300] = 2;
  logits[vocab + 5] = NaN;
  logits[vocab + 900] = 1.5;
  const counter = 2;
  const logitBuf = f32Buffer(ctx, 'check.argmax.logits', logits);
  const cur = u32Buffer(ctx, 'check.argmax.cur', new Array<number>(rows).fill(0xffffffff));
  const log = u32Buffer(ctx, 'check.argmax.log', new Array<number>(rows * (counter + 1)).fill(0xffffffff));
  const state = u32Buffer(ctx, 'check.argmax.state', [0, counter]);
  const kernel = await createArgmax(ctx.device, { vocab });
  ctx.run(kernel.bind({ logits: logitBuf, cur, log, state, rows }, ctx.res));
  const got = await readU32(ctx, cur, rows);
  const logged = (await readU32(ctx, log, rows * (counter + 1))).subarray(counter * rows);
  const ref = argmaxRef(logits, rows, vocab);
  let wrong = 0;
  for (let r = 0; r < rows; r++) if (got[r] !== ref[r] || logged[r] !== ref[r]) wrong++;
  return {
    method: `argmax ${rows}x${vocab} with a tie and a NaN: fraction of rows whose index (cur and log) differs from the CPU reference`,
    error: wrong / rows,
    threshold: 0,
    checked: rows,
    unwritten: 0,
  };
}

async function checkStepAdvance(ctx: CheckCtx): Promise<Outcome> {
  const { pos, counter, posDelta } = CHECK.stepAdvance;
  const state = u32Buffer(ctx, 'check.step_advance.state', [pos, counter]);
  const kernel = await createStepAdvance(ctx.device);
  const step = kernel.bind({ state, posDelta }, ctx.res);
  ctx.run(step, step);
  const got = await readU32(ctx, state, 2);
  const want = [pos + 2 * posDelta, counter + 2];
  const wrong = Number(got[0] !== want[0]) + Number(got[1] !== want[1]);
  return {
    method: `stepAdvance twice from [${pos}, ${counter}] by ${posDelta}: fraction of state words differing from [${want.join(', ')}]`,
    error: wrong / 2,
    threshold: 0,
    checked: 2,
    unwritten: 0,
  };
}

async function checkRopeKv(ctx: CheckCtx): Promise<Outcome> {
  const { heads, kvHeads, headDim, theta, ctxCap, seqCap } = CHECK.ropeKv;
  const nq = heads * headDim;
  const cacheLen = seqCap * kvHeads * ctxCap * headDim;
  const kernel = await createRopeKv(ctx.device, { heads, kvHeads, headDim, theta, ctxCap });
  let error = 0;
  let unwritten = 0;
  let checked = 0;
  for (const [posStep, { rows, pos0 }] of [
    [1, CHECK.ropeKv.prefill],
    [0, CHECK.ropeKv.decode],
  ] as const) {
    const shape = { rows, heads, kvHeads, headDim, theta, ctxCap };
    const qkv = await hashed(ctx, `check.rope_kv.${posStep}.qkv`, rows * (heads + 2 * kvHeads) * headDim, 71 + posStep);
    const q = await poisoned(ctx, `check.rope_kv.${posStep}.q`, rows * nq);
    // Untouched cache rows hold random values that must survive; the rows to be written hold NaN.
    const before = { k: new Float32Array(cacheLen), v: new Float32Array(cacheLen) };
    for (let i = 0; i < cacheLen; i++) {
      const pos = Math.floor(i / headDim) % ctxCap;
      const seq = Math.floor(i / (kvHeads * ctxCap * headDim));
      const target = posStep === 1 ? seq === 0 && pos >= pos0 && pos < pos0 + rows : seq < rows && pos === pos0;
      before.k[i] = target ? NaN : hashValue(73, i);
      before.v[i] = target ? NaN : hashValue(74, i);
    }
    const kCache = f32Buffer(ctx, `check.rope_kv.${posStep}.kCache`, before.k);
    const vCache = f32Buffer(ctx, `check.rope_kv.${posStep}.vCache`, before.v);
    const state = u32Buffer(ctx, `check.rope_kv.${posStep}.state`, [pos0, 0]);
    ctx.run(kernel.bind({ qkv: qkv.buf, q, kCache, vCache, state, rows, posStep }, ctx.res));
    const got = { q: await readF32(ctx, q, rows * nq), k: await readF32(ctx, kCache, cacheLen), v: await readF32(ctx, vCache, cacheLen) };
    const ref = ropeKvRef(qkv.values, before, shape, pos0, posStep);
    error = Math.max(error, relativeL2(got.q, ref.q), relativeL2(got.k, ref.k), maxAbsNormalised(got.v, ref.v));
    unwritten += countNonFinite(got.q) + countNonFinite(got.k) + countNonFinite(got.v);
    checked += got.q.length + 2 * cacheLen;
  }
  const { prefill, decode } = CHECK.ropeKv;
  return {
    method:
      `ropeKv ${heads} q / ${kvHeads} kv heads x ${headDim}, prefill of ${prefill.rows} rows at ${prefill.pos0} and decode of ` +
      `${decode.rows} sequences at ${decode.pos0} into a ${ctxCap}-position cache: worst of relative L2 error (q, K cache) and ` +
      `max abs error over max |value| (V cache) vs float64 CPU reference, all of q and both caches`,
    error,
    threshold: ROPE_REL_L2_THRESHOLD,
    checked,
    unwritten,
  };
}

/**
 * Run-time self check of every kernel of this file the model runs, on small odd shapes with random
 * (never zero) inputs and NaN-poisoned outputs: one Verification per kernel, in the order rmsnorm, embed,
 * argmax, stepAdvance, ropeKv. rope and kvWrite (ropeKv's halves, kept as building blocks for tests) are
 * not in the model, so they are checked by the test suite only, not in every run.
 */
export function checkTransformerKernels(device: GPUDevice, timeoutMs: number, opts: CheckOptions = {}): Promise<Verification[]> {
  return runChecks(device, timeoutMs, opts, [
    ['rmsnorm', checkRmsnorm],
    ['embed', checkEmbed],
    ['argmax', checkArgmax],
    ['step_advance', checkStepAdvance],
    ['rope_kv', checkRopeKv],
  ]);
}
