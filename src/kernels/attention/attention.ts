/**
 * Causal GQA attention over the KV cache: attentionPrefill (flash-attention tiles, one sequence) and
 * attentionDecode (one query row per sequence), shaders/attention_{prefill,decode}.wgsl. CPU reference
 * in attention.ref.ts; checkAttention() is the run-time check.
 *
 * Both read q already rotated, caches [seqCap][kvHeads][ctxCap][headDim] (f32) that already hold every
 * attended position, and `state` (array<u32>, state[0] = position of the first query row).
 */
import decodeWgsl from '../../../shaders/attention/decode.wgsl?raw';
import prefillWgsl from '../../../shaders/attention/prefill.wgsl?raw';
import { createBuffer, createUniform, readBuffer } from '../../gpu/buffers';
import type { Op } from '../../core/work';
import { fillConst, fillHash } from '../../core/fill';
import { runOnce } from '../../core/work';
import { getPipeline } from '../../gpu/wgsl';
import type { Verification } from '../../schema/result';
import { type AttentionShape, attentionRef } from './attention.ref';
import { relativeL2 } from '../matmul/matmul.ref';
import { hashValue } from '../../core/numeric';
import {
  type BufferArg,
  type CheckCtx,
  type CheckOptions,
  type Kernel,
  type Outcome,
  assertRows,
  bufferEntry,
  f32Buffer,
  hashed,
  poisoned,
  runChecks,
  toVerification,
  u32Buffer,
} from '../transformer/transformer';
import { cacheIndex } from '../transformer/transformer.ref';

/**
 * Workgroup memory the default tiles stay within: the WebGPU minimum every device grants, so the same
 * tiles (and the same work per workgroup) run everywhere and figures stay comparable across devices.
 */
export const PORTABLE_WORKGROUP_BYTES = 16384;

export interface AttentionConfig extends AttentionShape {}

/** Prefill tiling: BQ queries x BK keys per step, WG threads. */
export interface PrefillTile {
  bq: number;
  bk: number;
  wg: number;
}

/** Register arrays in attention_prefill.wgsl (MAX_SPT, MAX_OPT). */
const PREFILL_MAX_SCORES_PER_THREAD = 16;
const PREFILL_MAX_OUTPUTS_PER_THREAD = 32;
const PREFILL_WG = 64;

function prefillBytes(hd: number, t: PrefillTile): number {
  return 4 * (t.bq * (hd + 1) + t.bk * (hd + 1) + t.bq * t.bk + 3 * t.bq);
}

/** Why `tile` cannot run head dimension `hd` (null when it can). */
function prefillTileProblem(hd: number, t: PrefillTile, maxBytes: number): string | null {
  if (t.wg % t.bq !== 0) return `wg ${t.wg} is not a multiple of bq ${t.bq}`;
  const tpq = t.wg / t.bq;
  if (t.bk % tpq !== 0) return `bk ${t.bk} is not a multiple of wg/bq = ${tpq}`;
  if (t.bk / tpq > PREFILL_MAX_SCORES_PER_THREAD) return `bk/(wg/bq) = ${t.bk / tpq} scores per thread > ${PREFILL_MAX_SCORES_PER_THREAD}`;
  if ((t.bq * hd) % t.wg !== 0) return `bq*headDim = ${t.bq * hd} is not a multiple of wg ${t.wg}`;
  if ((t.bq * hd) / t.wg > PREFILL_MAX_OUTPUTS_PER_THREAD) {
    return `bq*headDim/wg = ${(t.bq * hd) / t.wg} outputs per thread > ${PREFILL_MAX_OUTPUTS_PER_THREAD}`;
  }
  if (prefillBytes(hd, t) > maxBytes) return `${prefillBytes(hd, t)} bytes of workgroup memory > ${maxBytes}`;
  return null;
}

/**
 * Default prefill tile for a head dimension: 64 threads, 16 queries (8 for very wide heads) and the
 * most keys per step that fit `maxBytes` of workgroup memory. Within PORTABLE_WORKGROUP_BYTES:
 * headDim 128 -> 16x8, 96 -> 16x16, 64 -> 16x32, 16 -> 16x64. Null when nothing fits.
 */
export function defaultPrefillTile(headDim: number, maxBytes = PORTABLE_WORKGROUP_BYTES): PrefillTile | null {
  for (const bq of [16, 8]) {
    for (const bk of [64, 32, 16, 8]) {
      const t = { bq, bk, wg: PREFILL_WG };
      if (!prefillTileProblem(headDim, t, maxBytes)) return t;
    }
  }
  return null;
}

function assertShape(label: string, cfg: AttentionShape): void {
  const { heads, kvHeads, headDim, ctxCap } = cfg;
  if (!(heads > 0 && kvHeads > 0 && heads % kvHeads === 0)) {
    throw new Error(`${label}: heads ${heads} must be a positive multiple of kvHeads ${kvHeads}`);
  }
  if (!(headDim > 0 && headDim % 4 === 0)) throw new Error(`${label}: headDim ${headDim} must be a positive multiple of 4`);
  if (!(ctxCap > 0)) throw new Error(`${label}: ctxCap must be positive`);
}

export interface AttentionPrefillArgs {
  /** f32 [rows, heads * headDim], already rotated. */
  q: BufferArg;
  kCache: BufferArg;
  vCache: BufferArg;
  /** f32 [rows, heads * headDim]. */
  out: BufferArg;
  state: BufferArg;
  rows: number;
}

function attentionBind(
  device: GPUDevice,
  label: string,
  pipeline: GPUComputePipeline,
  cfg: AttentionShape,
  groupsX: (rows: number) => number,
): Kernel<AttentionPrefillArgs> {
  return {
    bind(args, res) {
      assertRows(device, label, args.rows, false);
      const gx = groupsX(args.rows);
      if (gx > device.limits.maxComputeWorkgroupsPerDimension) throw new Error(`${label}: ${args.rows} rows need too many workgroups`);
      const params = createUniform(
        device,
        res,
        `${label}.params`,
        new Uint32Array([args.rows, cfg.heads, cfg.kvHeads, cfg.ctxCap]).buffer,
      );
      const group = device.createBindGroup({
        label: `${label}.bind`,
        layout: pipeline.getBindGroupLayout(0),
        entries: [args.q, args.kCache, args.vCache, args.out, args.state, params].map((b, i) => bufferEntry(i, b)),
      });
      return {
        label,
        encode(pass) {
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, group);
          pass.dispatchWorkgroups(gx, cfg.heads);
        },
      };
    },
  };
}

/**
 * Causal flash attention for a prefill chunk of sequence 0: query t (position state[0] + t) attends to
 * cache positions 0 ..= state[0] + t. Grid (ceil(rows / bq), heads); see the shader for the tile steps.
 */
export async function createAttentionPrefill(
  device: GPUDevice,
  cfg: AttentionConfig & { tile?: PrefillTile },
): Promise<Kernel<AttentionPrefillArgs>> {
  const label = 'attention_prefill';
  assertShape(label, cfg);
  const maxBytes = device.limits.maxComputeWorkgroupStorageSize;
  // Heads too wide for the portable budget (headDim 256) take what this device grants.
  const tile = cfg.tile ?? defaultPrefillTile(cfg.headDim) ?? defaultPrefillTile(cfg.headDim, maxBytes);
  if (!tile) throw new Error(`${label}: no tile fits headDim ${cfg.headDim} in ${maxBytes} bytes of workgroup memory`);
  const problem = prefillTileProblem(cfg.headDim, tile, maxBytes);
  if (problem) throw new Error(`${label}: tile ${tile.bq}x${tile.bk}/${tile.wg} cannot run headDim ${cfg.headDim}: ${problem}`);
  const pipeline = await getPipeline(device, {
    label,
    code: prefillWgsl,
    constants: { HD: cfg.headDim, BQ: tile.bq, BK: tile.bk, WG: tile.wg },
  });
  return attentionBind(device, label, pipeline, cfg, (rows) => Math.ceil(rows / tile.bq));
}

/** Decode tiling: `rowGroups` groups of headDim/4 threads, `keysPerGroup` keys each per step. */
export interface DecodeTile {
  rowGroups: number;
  keysPerGroup: number;
}

/** Target threads per decode workgroup. */
const DECODE_THREADS = 128;

/** Default decode tile: as many row groups as fit 128 threads (headDim 128 -> 4, 64 -> 8), 8 keys each. */
export function defaultDecodeTile(headDim: number): DecodeTile {
  return { rowGroups: Math.max(1, Math.floor(DECODE_THREADS / (headDim / 4))), keysPerGroup: 8 };
}

export type AttentionDecodeArgs = AttentionPrefillArgs;

/** Stable name of a decode tile, e.g. "r4.k8". */
export function decodeTileId(t: DecodeTile): string {
  return `r${t.rowGroups}.k${t.keysPerGroup}`;
}

/** Why `tile` cannot run head dimension `headDim` on `device` (null when it can): threads and workgroup memory. */
export function decodeTileProblem(device: GPUDevice, headDim: number, tile: DecodeTile): string | null {
  const s4 = headDim / 4;
  const wg = s4 * tile.rowGroups;
  const bk = tile.rowGroups * tile.keysPerGroup;
  const bytes = 4 * (bk * (s4 + 1) + bk + 4 * wg + 2 * tile.rowGroups);
  if (!(tile.rowGroups >= 1 && tile.keysPerGroup >= 1)) return 'row groups and keys per group must be positive';
  if (wg > device.limits.maxComputeInvocationsPerWorkgroup || wg > device.limits.maxComputeWorkgroupSizeX) {
    return `${wg} threads exceed this device's workgroup limits`;
  }
  if (bytes > device.limits.maxComputeWorkgroupStorageSize) return `${bytes} B of workgroup memory > ${device.limits.maxComputeWorkgroupStorageSize}`;
  return null;
}

/**
 * Decode tiles an autotuner times, default first. The row groups of a workgroup split the keys of one
 * (sequence, head) and merge their online softmaxes at the end (a split-K inside one dispatch): more
 * groups suit long contexts, where few heads must still keep the GPU busy; more keys per group mean
 * fewer merges and barriers per key.
 */
export function decodeTiles(device: GPUDevice, headDim: number): DecodeTile[] {
  const d = defaultDecodeTile(headDim);
  const all = [
    d,
    { rowGroups: d.rowGroups * 2, keysPerGroup: 8 },
    { rowGroups: d.rowGroups, keysPerGroup: 4 },
    { rowGroups: d.rowGroups, keysPerGroup: 16 },
    { rowGroups: d.rowGroups * 2, keysPerGroup: 4 },
    { rowGroups: Math.max(1, d.rowGroups / 2), keysPerGroup: 16 },
  ];
  const seen = new Set<string>();
  return all.filter((t) => {
    const id = decodeTileId(t);
    if (seen.has(id) || decodeTileProblem(device, headDim, t)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Decode attention: row b (sequence b, one query per head) attends to cache positions 0 ..= state[0]
 * of sequence b. Grid (rows, heads); a workgroup of (headDim / 4) * rowGroups threads per (b, head).
 */
export async function createAttentionDecode(
  device: GPUDevice,
  cfg: AttentionConfig & { tile?: DecodeTile },
): Promise<Kernel<AttentionDecodeArgs>> {
  const label = 'attention_decode';
  assertShape(label, cfg);
  const tile = cfg.tile ?? defaultDecodeTile(cfg.headDim);
  const problem = decodeTileProblem(device, cfg.headDim, tile);
  if (problem) throw new Error(`${label}: tile ${decodeTileId(tile)} cannot run headDim ${cfg.headDim}: ${problem}`);
  const pipeline = await getPipeline(device, {
    label,
    code: decodeWgsl,
    constants: { HD: cfg.headDim, R: tile.rowGroups, KPS: tile.keysPerGroup },
  });
  return attentionBind(device, label, pipeline, cfg, (rows) => rows);
}

// ------------------------------------------------------------------------------------------- self check

/**
 * Relative L2 error allowed against float64. Scores are f32 dot products over headDim (~1e-7 relative),
 * exp() is good to a few ulp, and the online-softmax rescaling adds a few roundings per tile, so errors
 * stay near 1e-6; a dropped key tile, a wrong head or an off-by-one mask is > 1e-2.
 */
export const ATTENTION_REL_L2_THRESHOLD = 1e-4;

/** Shapes the self check runs: GQA, odd row counts, two or three key tiles, a partial last tile. */
const CHECK = {
  prefill: { heads: 6, kvHeads: 2, headDim: 64, ctxCap: 48, rows: 27, pos0: 21 },
  decode: { heads: 4, kvHeads: 2, headDim: 64, ctxCap: 80, rows: 3, pos0: 70 },
} as const;

/**
 * Caches for `seqs` sequences holding random values at positions 0..lastPos (different per sequence)
 * and NaN past it, so reading beyond the attended range poisons the output.
 */
export function attentionCaches(
  shape: AttentionShape,
  seqs: number,
  lastPos: number,
  seed: number,
): { k: Float32Array<ArrayBuffer>; v: Float32Array<ArrayBuffer> } {
  const n = seqs * shape.kvHeads * shape.ctxCap * shape.headDim;
  const k = new Float32Array(n).fill(NaN);
  const v = new Float32Array(n).fill(NaN);
  for (let s = 0; s < seqs; s++) {
    for (let h = 0; h < shape.kvHeads; h++) {
      for (let p = 0; p <= lastPos; p++) {
        for (let d = 0; d < shape.headDim; d++) {
          const i = cacheIndex(shape, s, h, p, d);
          k[i] = hashValue(seed, i);
          v[i] = hashValue(seed + 1, i);
        }
      }
    }
  }
  return { k, v };
}

async function checkAttentionMode(ctx: CheckCtx, mode: 'prefill' | 'decode'): Promise<Outcome> {
  const { rows, pos0, ...shape } = CHECK[mode];
  const prefill = mode === 'prefill';
  const seqs = prefill ? 1 : rows;
  const lastPos = prefill ? pos0 + rows - 1 : pos0;
  const n = rows * shape.heads * shape.headDim;
  const q = await hashed(ctx, `check.attention_${mode}.q`, n, 71, 2);
  const caches = attentionCaches(shape, seqs, lastPos, 73);
  const kCache = f32Buffer(ctx, `check.attention_${mode}.kCache`, caches.k);
  const vCache = f32Buffer(ctx, `check.attention_${mode}.vCache`, caches.v);
  const out = await poisoned(ctx, `check.attention_${mode}.out`, n);
  const state = u32Buffer(ctx, `check.attention_${mode}.state`, [pos0, 0]);
  const kernel = prefill ? await createAttentionPrefill(ctx.device, shape) : await createAttentionDecode(ctx.device, shape);
  ctx.run(kernel.bind({ q: q.buf, kCache, vCache, out, state, rows }, ctx.res));
  const got = new Float32Array(await readBuffer(ctx.device, out, ctx.timeoutMs, 0, n * 4));
  let unwritten = 0;
  for (const g of got) if (!Number.isFinite(g)) unwritten++;
  const ref = attentionRef(shape, q.values, caches.k, caches.v, rows, pos0, mode);
  const what = prefill
    ? `prefill of ${rows} queries at positions ${pos0}..${lastPos}`
    : `decode of ${rows} sequences at position ${pos0}`;
  return {
    method: `attention ${what}, ${shape.heads} heads / ${shape.kvHeads} kv heads x ${shape.headDim}: relative L2 error vs float64 CPU reference, all outputs`,
    error: relativeL2(got, ref),
    threshold: ATTENTION_REL_L2_THRESHOLD,
    checked: n,
    unwritten,
  };
}

/**
 * Run-time self check of attentionPrefill and attentionDecode on small GQA shapes with random inputs,
 * caches poisoned with NaN past the attended positions, and NaN-poisoned outputs.
 */
export function checkAttention(device: GPUDevice, timeoutMs: number, opts: CheckOptions = {}): Promise<Verification[]> {
  return runChecks(device, timeoutMs, opts, [
    ['attention_prefill', (ctx) => checkAttentionMode(ctx, 'prefill')],
    ['attention_decode', (ctx) => checkAttentionMode(ctx, 'decode')],
  ]);
}

// ------------------------------------------------------------------------------------------ tuning

/**
 * Operands for tuning decode attention at a real shape: `rows` sequences at position `pos` with random
 * caches (timed), and a check set of min(rows, 2) sequences at the same position whose caches hold NaN
 * past it and whose outputs start as NaN, compared with the float64 reference. Each tile is bound to
 * both: what is timed is what was checked, at the same head geometry and context length.
 */
export async function decodeAttentionFixture(
  device: GPUDevice,
  res: import('../../gpu/buffers').Resources,
  shape: Omit<AttentionShape, 'ctxCap'>,
  rows: number,
  pos: number,
  timeoutMs: number,
): Promise<(tile: DecodeTile) => Promise<{ work: Op; verify(): Promise<Verification> }>> {
  // Three positions of NaN past the attended ones: reading beyond pos poisons the output.
  const full: AttentionShape = { ...shape, ctxCap: pos + 4 };
  const ctx: CheckCtx = { device, res, timeoutMs, run: (...ops) => ops.forEach((o) => runOnce(device, o)) };
  const n = (r: number) => r * shape.heads * shape.headDim;
  const cacheLen = (r: number) => r * shape.kvHeads * full.ctxCap * shape.headDim;
  const timed = {
    q: (await hashed(ctx, 'tune.attention_decode.q', n(rows), 91, 2)).buf,
    kCache: createBuffer(device, res, 'tune.attention_decode.kCache', 4 * cacheLen(rows)),
    vCache: createBuffer(device, res, 'tune.attention_decode.vCache', 4 * cacheLen(rows)),
    out: createBuffer(device, res, 'tune.attention_decode.out', 4 * n(rows)),
    state: u32Buffer(ctx, 'tune.attention_decode.state', [pos, 0]),
  };
  await fillHash(device, res, timed.kCache, cacheLen(rows), 93);
  await fillHash(device, res, timed.vCache, cacheLen(rows), 94);
  const checkRows = Math.min(rows, 2);
  const q = await hashed(ctx, 'tune.attention_decode.check.q', n(checkRows), 95, 2);
  const caches = attentionCaches(full, checkRows, pos, 97);
  const check = {
    q: q.buf,
    kCache: f32Buffer(ctx, 'tune.attention_decode.check.kCache', caches.k),
    vCache: f32Buffer(ctx, 'tune.attention_decode.check.vCache', caches.v),
    out: createBuffer(device, res, 'tune.attention_decode.check.out', 4 * n(checkRows)),
    state: timed.state,
  };
  let ref: Float64Array | undefined;
  return async (tile: DecodeTile) => {
    const kernel = await createAttentionDecode(device, { ...full, tile });
    const work = kernel.bind({ ...timed, rows }, res);
    const checkOp = kernel.bind({ ...check, rows: checkRows }, res);
    return {
      work,
      async verify() {
        await fillConst(device, res, check.out, n(checkRows), NaN);
        runOnce(device, checkOp);
        const got = new Float32Array(await readBuffer(device, check.out, timeoutMs, 0, n(checkRows) * 4));
        let unwritten = 0;
        for (const g of got) if (!Number.isFinite(g)) unwritten++;
        ref ??= attentionRef(full, q.values, caches.k, caches.v, checkRows, pos, 'decode');
        return toVerification({
          method: `decode attention of ${checkRows} sequences at position ${pos}, ${shape.heads} heads / ${shape.kvHeads} kv heads x ${shape.headDim}, tile ${decodeTileId(tile)}: relative L2 error vs float64 CPU reference, all outputs`,
          error: relativeL2(got, ref),
          threshold: ATTENTION_REL_L2_THRESHOLD,
          checked: got.length,
          unwritten,
        });
      },
    };
  };
}
