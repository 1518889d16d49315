/**
 * Bytes our kernels read and write, counted from their access patterns (shaders/*.wgsl), so a result can
 * say how close a decode step comes to reading only what it needs (decodeBytesPerToken in accounting.ts).
 *
 * Definition (TRAFFIC_METHOD carries it into every result): for each dispatch of an op, the unique bytes
 * of each storage binding the shader reads. Bytes re-read by other workgroups of the same dispatch count
 * once, because caches serve them: x re-read by every row group of a linear, a KV head shared by the
 * query heads of a GQA group, the state word read by every thread. Bytes read again by another dispatch
 * count again: a weight split into row parts is one dispatch per part, and each part reads x (and the
 * norm weights) again. Values are counted at the size they are stored in, even where a shader loads the
 * whole u32 word around them (an f16 scale is 2 bytes). Uniform parameters (a few dozen bytes) are left
 * out. Where what is read depends on data (embedding rows, the token log), one row per token is counted.
 * It is an analytic count, not a hardware counter: what the access patterns touch, not what the memory
 * system moved.
 *
 * `pos` is always the position of the first row: state[0] at the start of the op, i.e. the positions a
 * sequence already holds in its cache. Per-token costs are linear in pos, so a fractional pos (the mean
 * over a generation) gives the exact mean.
 */
import type { Traffic } from '../core/work';
import { type KvType, kvElementBytes } from '../core/kv';
import type { LinearConfig } from '../kernels/linear/config';
import { decodeBytesPerToken } from './accounting';
import type { Formats } from './formats/mix';
import { type TensorSpec, modelPlan, singleFormat } from './plan';
import { dataBytes, rowsPerPart, scaleBytes, tensorBytes } from '../core/tensor';
import type { Arch } from './types';
import type { WeightFormat } from '../core/tensor';

const F32 = 4;
/** state[] words are u32. */
const U32 = 4;

/**
 * The target: a decode step reads at most this multiple of what it needs. The slack covers activations
 * (x, the fused qkv, logits), which decodeBytesPerToken leaves out; reading any weight or cache row
 * twice, or more of the cache than the attended positions, shows up above it.
 */
export const TRAFFIC_RATIO_TARGET = 1.05;

/** The definition above, in words, for the result's `method` field. */
export const TRAFFIC_METHOD =
  'analytic count from the kernels\' access patterns (src/model/traffic.ts), summed over the built ops of one decode step: ' +
  'per dispatch, the unique bytes of each storage binding the shader reads (bytes re-read by other workgroups of the same ' +
  'dispatch, e.g. x per row group or a KV head shared by a GQA group, count once; each dispatch of a split weight counts its ' +
  'own), values at their stored size, uniforms left out, one embedding row per token; not a hardware counter. ' +
  'needed = decodeBytesPerToken: weights once per step, looked-up embedding rows, KV positions attended and the KV write';

export function sumTraffic(items: readonly Traffic[]): Traffic {
  let read = 0;
  let written = 0;
  for (const t of items) {
    read += t.read;
    written += t.written;
  }
  return { read, written };
}

function assertPos(pos: number): void {
  if (!Number.isFinite(pos) || pos < 0) throw new RangeError(`pos must be a finite number >= 0, got ${pos}`);
}

/** What a linear's traffic depends on: the config it was created with. */
export type LinearShape = Pick<LinearConfig, 'format' | 'K' | 'N' | 'bias' | 'residual' | 'norm' | 'swiglu'>;

/**
 * linear.wgsl over `rows` tokens, one dispatch per weight part (`partRows`: rows of W in each part). Each
 * dispatch reads its part's weight data and scales whole, x whole (tokens are clamped, never past `rows`),
 * the norm weights whole, the bias and (residual) y only at its part's rows; it writes its part's outputs
 * (half as many with the SwiGLU epilogue).
 */
export function linearTraffic(cfg: LinearShape, partRows: readonly number[], rows: number): Traffic {
  const { format, K } = cfg;
  return sumTraffic(
    partRows.map((n) => ({
      read:
        dataBytes(format, n * K) +
        scaleBytes(format, n * K) +
        rows * K * F32 +
        (cfg.norm ? K * F32 : 0) +
        (cfg.bias ? n * F32 : 0) +
        (cfg.residual ? rows * n * F32 : 0),
      written: rows * (cfg.swiglu ? n / 2 : n) * F32,
    })),
  );
}

/**
 * embed.wgsl: one dispatch per table part, each reading every token id; across the parts, each token's row
 * is read once in the table's format (data and scales), and x is written.
 */
export function embedTraffic(format: WeightFormat, hidden: number, parts: number, rows: number): Traffic {
  return { read: parts * rows * U32 + tensorBytes(format, rows, hidden), written: rows * hidden * F32 };
}

/** What the attention and ropeKv kernels' traffic depends on. */
export interface AttentionTrafficShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Positions per sequence in the cache: the shaders clamp to it. */
  ctxCap: number;
  /** The cache's element type (default f32): 2 or 4 bytes per cached value. */
  kvType?: KvType;
}

/** Bytes of one cached K or V value. */
function kvBytes(s: AttentionTrafficShape): number {
  return kvElementBytes(s.kvType ?? 'f32');
}

/**
 * rope_kv.wgsl: rows of the fused qkv (q heads always; k and v heads only for rows whose position is
 * inside the cache, the others return early), state[0]; writes rotated q, and k and v into the caches
 * (at the cache's element size).
 * posStep 1 (prefill): row t at pos + t; 0 (decode): every row at pos. With `qkNorm` (rope_kv_norm.wgsl)
 * also the q heads' norm weights, and the k heads' when any k head is inside the cache.
 */
export function ropeKvTraffic(s: AttentionTrafficShape, rows: number, posStep: 0 | 1, pos: number, qkNorm = false): Traffic {
  assertPos(pos);
  const nq = s.heads * s.headDim;
  const nkv = s.kvHeads * s.headDim;
  const inCache = posStep === 1 ? Math.min(rows, Math.max(0, Math.ceil(s.ctxCap - pos))) : pos < s.ctxCap ? rows : 0;
  const norms = qkNorm ? (inCache > 0 ? 2 : 1) * s.headDim * F32 : 0;
  return {
    read: rows * nq * F32 + inCache * 2 * nkv * F32 + U32 + norms,
    written: rows * nq * F32 + inCache * 2 * nkv * kvBytes(s),
  };
}

/**
 * attention_decode.wgsl: each sequence reads its q row and, per kv head, K and V (at the cache's element
 * size) at positions 0 ..= min(pos, ctxCap - 1) (the new token, written by ropeKv, included; shared by the GQA group).
 */
export function attentionDecodeTraffic(s: AttentionTrafficShape, rows: number, pos: number): Traffic {
  assertPos(pos);
  const positions = Math.min(pos, s.ctxCap - 1) + 1;
  const q = rows * s.heads * s.headDim * F32;
  return { read: q + 2 * rows * s.kvHeads * positions * s.headDim * kvBytes(s) + U32, written: q };
}

/**
 * attention_prefill.wgsl (sequence 0): q of every row and, per kv head, K and V up to the last query's
 * position min(pos + rows - 1, ctxCap - 1); each query tile reads a prefix of them, so the union is the
 * last tile's.
 */
export function attentionPrefillTraffic(s: AttentionTrafficShape, rows: number, pos: number): Traffic {
  assertPos(pos);
  const positions = Math.min(pos + rows - 1, s.ctxCap - 1) + 1;
  const q = rows * s.heads * s.headDim * F32;
  return { read: q + 2 * s.kvHeads * positions * s.headDim * kvBytes(s) + U32, written: q };
}

/** rmsnorm.wgsl: x (read twice per row by the same threads: once) and the weights; writes y. */
export function rmsNormTraffic(dim: number, rows: number): Traffic {
  return { read: rows * dim * F32 + dim * F32, written: rows * dim * F32 };
}

/** argmax.wgsl: the logits and state[1]; writes cur and one token-log entry per row. */
export function argmaxTraffic(vocab: number, rows: number): Traffic {
  return { read: rows * vocab * F32 + U32, written: 2 * rows * U32 };
}

/** step_advance.wgsl: reads and writes state[0] and state[1]. */
export function stepAdvanceTraffic(): Traffic {
  return { read: 2 * U32, written: 2 * U32 };
}

/** A buffer-to-buffer copy (prefill's last residual row for the output head). */
export function copyTraffic(bytes: number): Traffic {
  return { read: bytes, written: bytes };
}

/**
 * Arithmetic of the same kernels, counted as accounting.ts counts a token (2 per multiply-add of a
 * matmul, 4 * headDim per attended position and head; norms, RoPE, softmax and SiLU are O(hidden) and
 * left out): what GpuWork.cost reports as flops next to the traffic above.
 */
export function linearFlops(K: number, N: number, rows: number): number {
  return 2 * rows * N * K;
}

/** attention_decode.wgsl: each sequence's query heads over positions 0 ..= min(pos, ctxCap - 1). */
export function attentionDecodeFlops(s: AttentionTrafficShape, rows: number, pos: number): number {
  assertPos(pos);
  return 4 * rows * s.heads * s.headDim * (Math.min(pos, s.ctxCap - 1) + 1);
}

/** attention_prefill.wgsl (sequence 0): query t attends to positions 0 ..= min(pos + t, ctxCap - 1). */
export function attentionPrefillFlops(s: AttentionTrafficShape, rows: number, pos: number): number {
  assertPos(pos);
  let positions = 0;
  for (let t = 0; t < rows; t++) positions += Math.min(pos + t, s.ctxCap - 1) + 1;
  return 4 * s.heads * s.headDim * positions;
}

/** Rows of each part allocTensor splits a [rows, cols] matrix (or a segment of `rows` rows) into under `maxBindingBytes` (one part without a limit). */
export function partRows(format: WeightFormat, rows: number, cols: number, maxBindingBytes = Infinity, rowMultiple = 1): number[] {
  if (maxBindingBytes === Infinity) return [rows];
  const step = rowsPerPart(format, cols, maxBindingBytes, rowMultiple);
  const out: number[] = [];
  for (let r0 = 0; r0 < rows; r0 += step) out.push(Math.min(step, rows - r0));
  return out;
}

/** One decode step's traffic and how it compares with what the step needs (whole batch). */
export interface DecodeTraffic extends Traffic {
  /** decodeBytesPerToken(arch, format, pos, batch).total. */
  needed: number;
  /** read / needed. */
  ratio: number;
}

/**
 * One decode step of `batch` sequences at position `pos`, composed from the same per-kernel functions
 * in the same order as GpuModel's build() (embedding, per layer qkv, ropeKv, attention, o, gate/up, down,
 * then final norm, lm_head, argmax, step advance), so presets can be checked without a GPU; the GPU tests
 * hold it equal to forwardTraffic of the built ops. Each matrix counts per format segment (a mix's q/k and
 * v are two dispatches), split under `maxBindingBytes` as allocTensor splits them (not at all without it);
 * the cache is taken to hold the step (ctxCap > pos) in `kvType` (default f32).
 */
export function decodeTraffic(arch: Arch, format: Formats, batch: number, pos: number, maxBindingBytes?: number, kvType: KvType = 'f32'): DecodeTraffic {
  assertPos(pos);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be an integer >= 1, got ${batch}`);
  const plan = modelPlan(arch, format);
  const H = arch.hidden;
  const shape: AttentionTrafficShape = { heads: arch.heads, kvHeads: arch.kvHeads, headDim: arch.headDim, ctxCap: pos + 1, kvType };
  const norm = { eps: arch.normEps };
  // A linear of `t`'s shape and modes, every format segment of it.
  const linear = (t: TensorSpec, modes: Omit<LinearShape, 'format' | 'K' | 'N'>, rowMultiple = 1): Traffic =>
    sumTraffic(t.segments.map((s) => linearTraffic({ ...modes, format: s.format, K: t.cols, N: t.rows }, partRows(s.format, s.rows, t.cols, maxBindingBytes, rowMultiple), batch)));
  const embedFormat = singleFormat(plan.embedding);
  const ops: Traffic[] = [embedTraffic(embedFormat, H, partRows(embedFormat, arch.vocab, H, maxBindingBytes).length, batch)];
  for (const lp of plan.layers) {
    ops.push(
      linear(lp.qkv, { bias: arch.qkvBias, residual: false, norm }),
      ropeKvTraffic(shape, batch, 0, pos),
      attentionDecodeTraffic(shape, batch, pos),
      linear(lp.o, { bias: false, residual: true }),
      linear(lp.gateUp, { bias: false, residual: false, norm, swiglu: true }, 2),
      linear(lp.down, { bias: false, residual: true }),
    );
  }
  ops.push(
    rmsNormTraffic(H, batch),
    linear(plan.lmHead ?? plan.embedding, { bias: false, residual: false }),
    argmaxTraffic(arch.vocab, batch),
    stepAdvanceTraffic(),
  );
  const { read, written } = sumTraffic(ops);
  const needed = decodeBytesPerToken(arch, format, pos, batch, undefined, kvType).total;
  return { read, written, needed, ratio: read / needed };
}
