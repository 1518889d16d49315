/**
 * Attention against the float64 CPU reference (attention.ref.ts): the run-time self-check of both kernels
 * on small GQA shapes, and the fixture that checks each decode tile an autotuner times at a real shape.
 * Caches hold NaN past the attended positions, so reading beyond them poisons the output.
 */
import { type Resources, createBuffer } from '../../gpu/buffers';
import { fillHash, fillHashF16 } from '../../core/fill';
import { type KvType, kvElementBytes, kvRound } from '../../core/kv';
import { hashValue, relativeL2 } from '../../core/numeric';
import { type CheckContext, hashed, kvBuffer, poison, readF32, u32Buffer } from '../../core/operands';
import { type Check, type CheckCase, type CheckOptions, checked, countNonFinite, verifyCases } from '../../core/verify';
import type { GpuWork } from '../../core/work';
import type { Verification } from '../../schema/result';
import { cacheIndex } from '../transformer/transformer.ref';
import { createAttentionDecode, createAttentionPrefill } from './attention';
import { type AttentionShape, attentionRef } from './attention.ref';
import { type DecodeTile, decodeTileId } from './tiles';

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
 * and NaN past it, so reading beyond the attended range poisons the output. The values are ones a
 * `kvType` cache holds exactly (f16-rounded for f16), so the reference reads what the kernel reads.
 */
export function attentionCaches(
  shape: AttentionShape,
  seqs: number,
  lastPos: number,
  seed: number,
  kvType: KvType = 'f32',
): { k: Float32Array<ArrayBuffer>; v: Float32Array<ArrayBuffer> } {
  const n = seqs * shape.kvHeads * shape.ctxCap * shape.headDim;
  const k = new Float32Array(n).fill(NaN);
  const v = new Float32Array(n).fill(NaN);
  for (let s = 0; s < seqs; s++) {
    for (let h = 0; h < shape.kvHeads; h++) {
      for (let p = 0; p <= lastPos; p++) {
        for (let d = 0; d < shape.headDim; d++) {
          const i = cacheIndex(shape, s, h, p, d);
          k[i] = kvRound(kvType, hashValue(seed, i));
          v[i] = kvRound(kvType, hashValue(seed + 1, i));
        }
      }
    }
  }
  return { k, v };
}

/** A relative L2 check of `out` (`n` outputs) against `reference()` (computed once, on first use). */
function outputCheck(ctx: CheckContext, method: string, out: GPUBuffer, n: number, reference: () => Float64Array): Check {
  let ref: Float64Array | undefined;
  return {
    method,
    threshold: ATTENTION_REL_L2_THRESHOLD,
    poison: () => poison(ctx, out, n),
    async compare() {
      const got = await readF32(ctx, out, n);
      ref ??= reference();
      return { error: relativeL2(got, ref), checked: n, unwritten: countNonFinite(got) };
    },
  };
}

async function modeCase(ctx: CheckContext, mode: 'prefill' | 'decode', kvType: KvType): Promise<{ work: GpuWork; check: Check }> {
  const { rows, pos0, ...shape } = CHECK[mode];
  const prefill = mode === 'prefill';
  const seqs = prefill ? 1 : rows;
  const lastPos = prefill ? pos0 + rows - 1 : pos0;
  const n = rows * shape.heads * shape.headDim;
  const q = await hashed(ctx, `check.attention_${mode}.q`, n, 71, 2);
  const caches = attentionCaches(shape, seqs, lastPos, 73, kvType);
  const kCache = kvBuffer(ctx, `check.attention_${mode}.kCache`, kvType, caches.k);
  const vCache = kvBuffer(ctx, `check.attention_${mode}.vCache`, kvType, caches.v);
  const out = createBuffer(ctx.device, ctx.res, `check.attention_${mode}.out`, n * 4);
  const state = u32Buffer(ctx, `check.attention_${mode}.state`, [pos0, 0]);
  const kernel = prefill ? await createAttentionPrefill(ctx.device, { ...shape, kvType }) : await createAttentionDecode(ctx.device, { ...shape, kvType });
  const work = kernel.bind({ q: q.buf, kCache, vCache, out, state, rows }, ctx.res);
  const what = prefill ? `prefill of ${rows} queries at positions ${pos0}..${lastPos}` : `decode of ${rows} sequences at position ${pos0}`;
  const method = `attention ${what}, ${shape.heads} heads / ${shape.kvHeads} kv heads x ${shape.headDim}, ${kvType} cache: relative L2 error vs float64 CPU reference, all outputs`;
  return { work, check: outputCheck(ctx, method, out, n, () => attentionRef(shape, q.values, caches.k, caches.v, rows, pos0, mode)) };
}

/**
 * Run-time self check of attentionPrefill and attentionDecode on small GQA shapes with random inputs,
 * caches (of `opts.kvType`, default f32) poisoned with NaN past the attended positions, and NaN-poisoned
 * outputs. `opts.tamper` replaces each kernel's unit (named by its label).
 */
export function checkAttention(device: GPUDevice, timeoutMs: number, opts: CheckOptions & { kvType?: KvType } = {}): Promise<Verification[]> {
  const kvType = opts.kvType ?? 'f32';
  const cases: CheckCase[] = (['prefill', 'decode'] as const).map((mode) => ({
    name: `attention_${mode}`,
    build: (res: Resources) => modeCase({ device, res, timeoutMs }, mode, kvType),
  }));
  return verifyCases(device, cases, opts);
}

/**
 * Operands for tuning decode attention at a real shape: `rows` sequences at position `pos` with random
 * caches of `kvType` (timed), and a check set of min(rows, 2) sequences at the same position whose caches hold NaN
 * past it and whose outputs start as NaN, compared with the float64 reference. Each tile is bound to
 * both: what is timed is what was checked, at the same head geometry and context length. The returned
 * builder gives the timed unit with its check() attached.
 */
export async function decodeAttentionFixture(
  device: GPUDevice,
  res: Resources,
  shape: Omit<AttentionShape, 'ctxCap'>,
  rows: number,
  pos: number,
  timeoutMs: number,
  kvType: KvType = 'f32',
): Promise<(tile: DecodeTile) => Promise<GpuWork & Required<Pick<GpuWork, 'check'>>>> {
  // Three positions of NaN past the attended ones: reading beyond pos poisons the output.
  const full: AttentionShape = { ...shape, ctxCap: pos + 4 };
  const ctx: CheckContext = { device, res, timeoutMs };
  const n = (r: number) => r * shape.heads * shape.headDim;
  const cacheLen = (r: number) => r * shape.kvHeads * full.ctxCap * shape.headDim;
  const cacheBytes = kvElementBytes(kvType) * cacheLen(rows);
  const timed = {
    q: (await hashed(ctx, 'tune.attention_decode.q', n(rows), 91, 2)).buf,
    kCache: createBuffer(device, res, 'tune.attention_decode.kCache', cacheBytes),
    vCache: createBuffer(device, res, 'tune.attention_decode.vCache', cacheBytes),
    out: createBuffer(device, res, 'tune.attention_decode.out', 4 * n(rows)),
    state: u32Buffer(ctx, 'tune.attention_decode.state', [pos, 0]),
  };
  const fill = kvType === 'f16' ? fillHashF16 : fillHash;
  await fill(device, res, timed.kCache, cacheLen(rows), 93);
  await fill(device, res, timed.vCache, cacheLen(rows), 94);
  const checkRows = Math.min(rows, 2);
  const q = await hashed(ctx, 'tune.attention_decode.check.q', n(checkRows), 95, 2);
  const caches = attentionCaches(full, checkRows, pos, 97, kvType);
  const operands = {
    q: q.buf,
    kCache: kvBuffer(ctx, 'tune.attention_decode.check.kCache', kvType, caches.k),
    vCache: kvBuffer(ctx, 'tune.attention_decode.check.vCache', kvType, caches.v),
    out: createBuffer(device, res, 'tune.attention_decode.check.out', 4 * n(checkRows)),
    state: timed.state,
  };
  let ref: Float64Array | undefined;
  const reference = () => (ref ??= attentionRef(full, q.values, caches.k, caches.v, checkRows, pos, 'decode'));
  return async (tile: DecodeTile) => {
    const kernel = await createAttentionDecode(device, { ...full, tile, kvType });
    const method = `decode attention of ${checkRows} sequences at position ${pos}, ${shape.heads} heads / ${shape.kvHeads} kv heads x ${shape.headDim}, ${kvType} cache, tile ${decodeTileId(tile)}: relative L2 error vs float64 CPU reference, all outputs`;
    const check = outputCheck(ctx, method, operands.out, n(checkRows), reference);
    return checked(device, kernel.bind({ ...timed, rows }, res), check, kernel.bind({ ...operands, rows: checkRows }, res));
  };
}
