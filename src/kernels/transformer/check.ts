/**
 * Run-time self-check of the transformer kernels the model runs (rmsnorm, embed, argmax, stepAdvance,
 * ropeKv and its per-head-norm variant) against their CPU references (transformer.ref.ts), on small odd shapes with random (never
 * zero) inputs and poisoned outputs, through the one verification path (core/verify.ts). rope and
 * kvWrite (ropeKv's halves) are not in the model: the test suite checks them, not every run.
 */
import { type Resources, createBuffer } from '../../gpu/buffers';
import { hashValue, maxAbsNormalised, relativeL2 } from '../../core/numeric';
import { type CheckContext, f32Buffer, hashed, kvBuffer, poison, readF32, readKv, readU32, u32Buffer, writeKv, writeU32 } from '../../core/operands';
import { type KvType, kvRound } from '../../core/kv';
import { type QTensor, WEIGHT_FORMATS, type WeightFormat } from '../../core/tensor';
import { type CheckCase, type CheckOptions, countNonFinite, verifyCases } from '../../core/verify';
import { type GpuWork, sequence } from '../../core/work';
import type { Verification } from '../../schema/result';
import { createArgmax } from './argmax';
import { createEmbed } from './embed';
import { createRmsNorm } from './rmsnorm';
import { createRopeKv } from './rope';
import { createStepAdvance } from './step';
import { argmaxRef, embedRef, packWeights, rmsnormRef, ropeKvRef } from './transformer.ref';

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
  embed: { rows: 6, hidden: 768, vocab: 37, partRows: 16 },
  argmax: { rows: 3, vocab: 1031 },
  stepAdvance: { pos: 41, counter: 7, posDelta: 3 },
  // GQA (3 q heads per kv head); a prefill at 11 and a decode of 3 sequences at 27 in a 29-position cache.
  ropeKv: { heads: 6, kvHeads: 2, headDim: 16, theta: 10000, ctxCap: 29, seqCap: 3, prefill: { rows: 5, pos0: 11 }, decode: { rows: 3, pos0: 27 } },
} as const;

type Built = Awaited<ReturnType<CheckCase['build']>>;

async function rmsnormCase(ctx: CheckContext): Promise<Built> {
  const { rows, dim, eps } = CHECK.rmsnorm;
  const x = await hashed(ctx, 'check.rmsnorm.x', rows * dim, 11);
  const w = await hashed(ctx, 'check.rmsnorm.w', dim, 12);
  const y = createBuffer(ctx.device, ctx.res, 'check.rmsnorm.y', rows * dim * 4);
  const kernel = await createRmsNorm(ctx.device, { dim, eps });
  const work = kernel.bind({ x: x.buf, w: w.buf, y, rows }, ctx.res);
  const check = {
    method: `rmsnorm ${rows}x${dim}: relative L2 error vs float64 CPU reference, all outputs`,
    threshold: TRANSFORMER_REL_L2_THRESHOLD,
    poison: () => poison(ctx, y, rows * dim),
    async compare() {
      const got = await readF32(ctx, y, rows * dim);
      return { error: relativeL2(got, rmsnormRef(x.values, w.values, rows, dim, eps)), checked: got.length, unwritten: countNonFinite(got) };
    },
  };
  return { work, check };
}

async function embedCase(ctx: CheckContext): Promise<Built> {
  const { rows, hidden, vocab, partRows } = CHECK.embed;
  // Rows from every part, the last row, and one out-of-range id (clamps to vocab - 1).
  const tokens = [0, vocab - 1, 17, partRows, vocab + 5, 3].slice(0, rows);
  const tokenBuf = u32Buffer(ctx, 'check.embed.tokens', tokens);
  const kernel = await createEmbed(ctx.device, { hidden, vocab });
  // Every format at once: one table and output per format, one unit running them all.
  const perFormat = WEIGHT_FORMATS.map((format) => {
    const { table, values } = uploadTable(ctx, `check.embed.${format}`, format, vocab, hidden, partRows, 51);
    const x = createBuffer(ctx.device, ctx.res, `check.embed.${format}.x`, rows * hidden * 4);
    return { x, ref: embedRef(tokens, values, vocab, hidden), work: kernel.bind({ tokens: tokenBuf, table, x, rows }, ctx.res) };
  });
  const check = {
    method: `embed ${rows} tokens (one out of range) from a ${vocab}x${hidden} table in ${Math.ceil(vocab / partRows)} parts, formats ${WEIGHT_FORMATS.join('/')}: max abs error over max |value|, all outputs`,
    threshold: EXACT_THRESHOLD,
    poison: async () => {
      for (const f of perFormat) await poison(ctx, f.x, rows * hidden);
    },
    async compare() {
      let error = 0;
      let unwritten = 0;
      for (const f of perFormat) {
        const got = await readF32(ctx, f.x, rows * hidden);
        error = Math.max(error, maxAbsNormalised(got, f.ref));
        unwritten += countNonFinite(got);
      }
      return { error, checked: rows * hidden * WEIGHT_FORMATS.length, unwritten };
    },
  };
  return { work: sequence('embed', perFormat.map((f) => f.work)), check };
}

async function argmaxCase(ctx: CheckContext): Promise<Built> {
  const { rows, vocab } = CHECK.argmax;
  const logits = Float32Array.from({ length: rows * vocab }, (_, i) => hashValue(61, i));
  // Row 0: a tie for the maximum (lowest index must win); row 1: NaN ahead of the maximum.
  logits[700] = 2;
  logits[300] = 2;
  logits[vocab + 5] = NaN;
  logits[vocab + 900] = 1.5;
  const counter = 2;
  const none = (n: number) => new Array<number>(n).fill(0xffffffff);
  const cur = u32Buffer(ctx, 'check.argmax.cur', none(rows));
  const log = u32Buffer(ctx, 'check.argmax.log', none(rows * (counter + 1)));
  const state = u32Buffer(ctx, 'check.argmax.state', [0, counter]);
  const kernel = await createArgmax(ctx.device, { vocab });
  const work = kernel.bind({ logits: f32Buffer(ctx, 'check.argmax.logits', logits), cur, log, state, rows }, ctx.res);
  const ref = argmaxRef(logits, rows, vocab);
  const check = {
    method: `argmax ${rows}x${vocab} with a tie and a NaN: fraction of rows whose index (cur and log) differs from the CPU reference`,
    threshold: 0,
    poison: async () => {
      writeU32(ctx, cur, none(rows));
      writeU32(ctx, log, none(rows * (counter + 1)));
    },
    async compare() {
      const got = await readU32(ctx, cur, rows);
      const logged = (await readU32(ctx, log, rows * (counter + 1))).subarray(counter * rows);
      let wrong = 0;
      for (let r = 0; r < rows; r++) if (got[r] !== ref[r] || logged[r] !== ref[r]) wrong++;
      return { error: wrong / rows, checked: rows, unwritten: 0 };
    },
  };
  return { work, check };
}

async function stepAdvanceCase(ctx: CheckContext): Promise<Built> {
  const { pos, counter, posDelta } = CHECK.stepAdvance;
  const state = u32Buffer(ctx, 'check.step_advance.state', [pos, counter]);
  const kernel = await createStepAdvance(ctx.device);
  const step = kernel.bind({ state, posDelta }, ctx.res);
  const want = [pos + 2 * posDelta, counter + 2];
  const check = {
    method: `stepAdvance twice from [${pos}, ${counter}] by ${posDelta}: fraction of state words differing from [${want.join(', ')}]`,
    threshold: 0,
    poison: async () => writeU32(ctx, state, [pos, counter]),
    async compare() {
      const got = await readU32(ctx, state, 2);
      const wrong = Number(got[0] !== want[0]) + Number(got[1] !== want[1]);
      return { error: wrong / 2, checked: 2, unwritten: 0 };
    },
  };
  return { work: sequence('step_advance', [step, step]), check };
}

/**
 * The caches before a ropeKv run: random rows that must survive (values a `kvType` cache holds), NaN
 * where the rows are to be written.
 */
function ropeKvCachesBefore(posStep: 0 | 1, rows: number, pos0: number, kvType: KvType): { k: Float32Array; v: Float32Array } {
  const { kvHeads, headDim, ctxCap, seqCap } = CHECK.ropeKv;
  const cacheLen = seqCap * kvHeads * ctxCap * headDim;
  const before = { k: new Float32Array(cacheLen), v: new Float32Array(cacheLen) };
  for (let i = 0; i < cacheLen; i++) {
    const pos = Math.floor(i / headDim) % ctxCap;
    const seq = Math.floor(i / (kvHeads * ctxCap * headDim));
    const target = posStep === 1 ? seq === 0 && pos >= pos0 && pos < pos0 + rows : seq < rows && pos === pos0;
    before.k[i] = target ? NaN : kvRound(kvType, hashValue(73, i));
    before.v[i] = target ? NaN : kvRound(kvType, hashValue(74, i));
  }
  return before;
}

/** One mode of the ropeKv check: its outputs, the caches as they start, and the reference. */
interface RopeKvMode {
  rows: number;
  q: GPUBuffer;
  kCache: GPUBuffer;
  vCache: GPUBuffer;
  before: { k: Float32Array; v: Float32Array };
  ref: { q: Float64Array; k: Float64Array; v: Float64Array };
  work: GpuWork;
}

/**
 * The norm variant's extras: per-head q/k norm weights (random signs and sizes) and frequencies that are
 * not theta^(-2i/headDim) (linear scaling by 4 and a factor per pair, as rope_freqs gives).
 */
function ropeKvNormExtras(headDim: number, theta: number): { w: Float32Array; eps: number; invFreq: Float32Array } {
  const w = Float32Array.from({ length: 2 * headDim }, (_, i) => hashValue(75, i, 2));
  const invFreq = Float32Array.from({ length: headDim / 2 }, (_, i) => theta ** ((-2 * i) / headDim) / 4 / (1 + Math.abs(hashValue(76, i, 3))));
  return { w, eps: 1e-6, invFreq };
}

async function ropeKvCase(ctx: CheckContext, withNorm: boolean, kvType: KvType): Promise<Built> {
  const { heads, kvHeads, headDim, theta, ctxCap, prefill, decode } = CHECK.ropeKv;
  const nq = heads * headDim;
  const extras = withNorm ? ropeKvNormExtras(headDim, theta) : null;
  const kernel = await createRopeKv(ctx.device, { heads, kvHeads, headDim, theta, ctxCap, kvType, ...(extras ? { invFreq: extras.invFreq, qkNorm: { eps: extras.eps } } : {}) });
  const normBuf = extras ? f32Buffer(ctx, 'check.rope_kv_norm.w', extras.w) : null;
  const tag = withNorm ? 'rope_kv_norm' : 'rope_kv';
  // A prefill (posStep 1) and a decode step (posStep 0), each on its own operands, in one unit.
  const modes: RopeKvMode[] = [];
  for (const [posStep, { rows, pos0 }] of [[1, prefill], [0, decode]] as const) {
    // Norm: inputs 8x larger than unit, so a skipped norm is far off.
    const qkv = await hashed(ctx, `check.${tag}.${posStep}.qkv`, rows * (heads + 2 * kvHeads) * headDim, 71 + posStep, withNorm ? 8 : 1);
    const q = createBuffer(ctx.device, ctx.res, `check.${tag}.${posStep}.q`, rows * nq * 4);
    const before = ropeKvCachesBefore(posStep, rows, pos0, kvType);
    const kCache = kvBuffer(ctx, `check.${tag}.${posStep}.kCache`, kvType, before.k);
    const vCache = kvBuffer(ctx, `check.${tag}.${posStep}.vCache`, kvType, before.v);
    const state = u32Buffer(ctx, `check.${tag}.${posStep}.state`, [pos0, 0]);
    const work = kernel.bind({ qkv: qkv.buf, q, kCache, vCache, state, rows, posStep, ...(normBuf ? { qkNorm: normBuf } : {}) }, ctx.res);
    const shape = { rows, heads, kvHeads, headDim, theta, ctxCap, ...(extras ? { invFreq: extras.invFreq } : {}) };
    const ref = ropeKvRef(qkv.values, before, shape, pos0, posStep, extras ? { w: extras.w, eps: extras.eps } : undefined, kvType);
    modes.push({ rows, q, kCache, vCache, before, ref, work });
  }
  const check = {
    method:
      `${withNorm ? 'ropeKvNorm (per-head q/k RMSNorm, scaled frequencies)' : 'ropeKv'} ${heads} q / ${kvHeads} kv heads x ${headDim}, prefill of ${prefill.rows} rows at ${prefill.pos0} and decode of ` +
      `${decode.rows} sequences at ${decode.pos0} into a ${ctxCap}-position ${kvType} cache: worst of relative L2 error (q, K cache) and ` +
      `max abs error over max |value| (V cache) vs float64 CPU reference${kvType === 'f16' ? ' (K and V rounded to f16 as stored)' : ''}, all of q and both caches`,
    threshold: ROPE_REL_L2_THRESHOLD,
    poison: async () => {
      for (const m of modes) {
        await poison(ctx, m.q, m.rows * nq);
        writeKv(ctx, m.kCache, kvType, m.before.k);
        writeKv(ctx, m.vCache, kvType, m.before.v);
      }
    },
    async compare() {
      let error = 0;
      let unwritten = 0;
      let checked = 0;
      for (const m of modes) {
        const cacheLen = m.before.k.length;
        const got = { q: await readF32(ctx, m.q, m.rows * nq), k: await readKv(ctx, m.kCache, kvType, cacheLen), v: await readKv(ctx, m.vCache, kvType, cacheLen) };
        error = Math.max(error, relativeL2(got.q, m.ref.q), relativeL2(got.k, m.ref.k), maxAbsNormalised(got.v, m.ref.v));
        unwritten += countNonFinite(got.q) + countNonFinite(got.k) + countNonFinite(got.v);
        checked += got.q.length + 2 * cacheLen;
      }
      return { error, checked, unwritten };
    },
  };
  return { work: sequence(tag, modes.map((m) => m.work)), check };
}

/**
 * Run-time self check of every transformer kernel the model runs, on small odd shapes with random
 * (never zero) inputs and poisoned outputs: one Verification per kernel, in the order rmsnorm, embed,
 * argmax, stepAdvance, ropeKv, ropeKvNorm (qwen3's per-head q/k norm), the cache writers with
 * `opts.kvType`'s cache (default f32). `opts.tamper` replaces each kernel's unit (named by its label).
 */
export function checkTransformerKernels(device: GPUDevice, timeoutMs: number, opts: CheckOptions & { kvType?: KvType } = {}): Promise<Verification[]> {
  const at = (res: Resources): CheckContext => ({ device, res, timeoutMs });
  const kvType = opts.kvType ?? 'f32';
  const cases: CheckCase[] = [
    { name: 'rmsnorm', build: (res) => rmsnormCase(at(res)) },
    { name: 'embed', build: (res) => embedCase(at(res)) },
    { name: 'argmax', build: (res) => argmaxCase(at(res)) },
    { name: 'step_advance', build: (res) => stepAdvanceCase(at(res)) },
    { name: 'rope_kv', build: (res) => ropeKvCase(at(res), false, kvType) },
    { name: 'rope_kv_norm', build: (res) => ropeKvCase(at(res), true, kvType) },
  ];
  return verifyCases(device, cases, opts);
}
