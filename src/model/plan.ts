/**
 * The synthetic model: which tensors exist, their shapes, seeds and amplitudes. The GPU builder and the
 * float64 CPU reference both read this plan, so they work on bit-identical weights.
 *
 * Projections that read the same input are stored fused, as the fused kernels read them: q, k and v as
 * one [nq + 2 nkv, hidden] matrix (one QKV dispatch), gate and up as one [2 ffn, hidden] matrix with
 * interleaved rows (one gate/up dispatch with the SwiGLU epilogue). Same fan-in, so one amplitude fits
 * each; the reference slices them back (qkvSlices, gateUpRow). Totals are unchanged: the same weights,
 * in fewer tensors.
 *
 * Formats are per tensor (formats/mix.ts): a plain model format gives every matrix that format; a mix
 * (q4_k_m) gives each the recipe's. A fused matrix whose parts differ keeps one row segment per format:
 * q and k, then v in a Q4_K_M layer that gives attn_v more bits (two dispatches instead of one).
 */
import type { WeightFormat } from '../core/tensor';
import { ampLog2For } from '../kernels/weights/weights';
import { type Formats, type MatrixKind, matrixFormat } from './formats/mix';
import type { Arch } from './types';

/** Rows [rowStart, rowStart + rows) of a matrix, stored in `format`. */
export interface FormatSegment {
  rowStart: number;
  rows: number;
  format: WeightFormat;
}

export interface TensorSpec {
  name: string;
  rows: number;
  cols: number;
  seed: number;
  /** Weights are uniform-ish in [-2^ampLog2, 2^ampLog2): a power of two keeps every value exact. */
  ampLog2: number;
  /** Consecutive row ranges covering [0, rows) and their formats: one unless a fused matrix mixes formats. */
  segments: readonly FormatSegment[];
}

export interface LayerPlan {
  /** [nq + 2 nkv, hidden]: rows [0, nq) are q, [nq, nq + nkv) k, the rest v (qkvSlices). */
  qkv: TensorSpec;
  o: TensorSpec;
  /** [2 ffn, hidden]: row 2i is gate_i, row 2i + 1 is up_i (gateUpRow). */
  gateUp: TensorSpec;
  down: TensorSpec;
  /** Seeds of the f32 vectors (norm weights, biases) filled with hashValue(seed, i) * scale. */
  attnNormSeed: number;
  ffnNormSeed: number;
  /** One bias of nq + 2 nkv values, sliced like qkv (qkvBias archs only). */
  qkvBiasSeed: number;
}

/** Row ranges [start, end) of q, k and v in the fused qkv tensor (and its bias). */
export function qkvSlices(arch: Arch): Record<'q' | 'k' | 'v', { start: number; end: number }> {
  const nq = arch.heads * arch.headDim;
  const nkv = arch.kvHeads * arch.headDim;
  return { q: { start: 0, end: nq }, k: { start: nq, end: nq + nkv }, v: { start: nq + nkv, end: nq + 2 * nkv } };
}

/** Row of the fused gate/up tensor holding gate_i (or up_i). */
export function gateUpRow(which: 'gate' | 'up', i: number): number {
  return 2 * i + (which === 'up' ? 1 : 0);
}

export interface ModelPlan {
  arch: Arch;
  format: Formats;
  embedding: TensorSpec;
  /** Null when tied: the embedding matrix doubles as the output head. */
  lmHead: TensorSpec | null;
  finalNormSeed: number;
  layers: LayerPlan[];
}

/** Norm weights are hashValue(seed, i) * NORM_SCALE: random signs and sizes, so a skipped norm shows. */
export const NORM_SCALE = 1;
/** Biases are hashValue(seed, i) * BIAS_SCALE. */
export const BIAS_SCALE = 0.125;

/** Segments of a matrix stacked from parts of `rows` rows in `formats`, equal neighbours merged. */
function stacked(parts: ReadonlyArray<{ rows: number; format: WeightFormat }>): FormatSegment[] {
  const out: FormatSegment[] = [];
  let rowStart = 0;
  for (const { rows, format } of parts) {
    const last = out[out.length - 1];
    if (last && last.format === format) last.rows += rows;
    else out.push({ rowStart, rows, format });
    rowStart += rows;
  }
  return out;
}

/** The plan of `arch` with its weights in `format` (per tensor for a mix). */
export function modelPlan(arch: Arch, format: Formats): ModelPlan {
  const { hidden: H, ffn: F, heads, kvHeads, headDim } = arch;
  const nq = heads * headDim;
  const nkv = kvHeads * headDim;
  const fmt = (kind: MatrixKind, layer: number | null) => matrixFormat(arch, format, kind, layer);
  const t = (name: string, rows: number, cols: number, seed: number, segments: FormatSegment[]): TensorSpec => ({
    name,
    rows,
    cols,
    seed,
    ampLog2: ampLog2For(cols),
    segments,
  });
  const one = (rows: number, f: WeightFormat): FormatSegment[] => [{ rowStart: 0, rows, format: f }];
  const layers: LayerPlan[] = [];
  for (let l = 0; l < arch.layers; l++) {
    const s = 1000 + 32 * l;
    const qkv = stacked([
      { rows: nq, format: fmt('attn_q', l) },
      { rows: nkv, format: fmt('attn_k', l) },
      { rows: nkv, format: fmt('attn_v', l) },
    ]);
    // Interleaved rows cannot be split into ranges: gate and up share one format (every recipe's choice).
    const gate = fmt('ffn_gate', l);
    if (fmt('ffn_up', l) !== gate) throw new Error(`layer ${l}: ffn_gate (${gate}) and ffn_up (${fmt('ffn_up', l)}) must share a format (interleaved rows)`);
    layers.push({
      qkv: t(`layer${l}.qkv`, nq + 2 * nkv, H, s + 1, qkv),
      o: t(`layer${l}.o`, H, nq, s + 4, one(H, fmt('attn_output', l))),
      gateUp: t(`layer${l}.gate_up`, 2 * F, H, s + 5, one(2 * F, gate)),
      down: t(`layer${l}.down`, H, F, s + 7, one(H, fmt('ffn_down', l))),
      attnNormSeed: s + 8,
      ffnNormSeed: s + 9,
      qkvBiasSeed: s + 10,
    });
  }
  return {
    arch,
    format,
    // Embedding rows feed an RMSNorm first, so their scale does not matter: use [-1, 1).
    embedding: { name: 'embedding', rows: arch.vocab, cols: H, seed: 7, ampLog2: 0, segments: one(arch.vocab, fmt('token_embd', null)) },
    lmHead: arch.tiedEmbeddings ? null : t('lm_head', arch.vocab, H, 9, one(arch.vocab, fmt('output', null))),
    finalNormSeed: 11,
    layers,
  };
}

/** The format of a matrix stored in one segment (the embedding, the head, o, gate/up, down). */
export function singleFormat(t: TensorSpec): WeightFormat {
  const [only, ...rest] = t.segments;
  if (!only || rest.length) throw new Error(`${t.name}: ${t.segments.length} format segments where one is expected`);
  return only.format;
}
