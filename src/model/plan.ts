/**
 * The synthetic model: which tensors exist, their shapes, seeds and amplitudes. The GPU builder and the
 * float64 CPU reference both read this plan, so they work on bit-identical weights.
 *
 * Projections that read the same input are stored fused, as the fused kernels read them: q, k and v as
 * one [nq + 2 nkv, hidden] matrix (one QKV dispatch), gate and up as one [2 ffn, hidden] matrix with
 * interleaved rows (one gate/up dispatch with the SwiGLU epilogue). Same fan-in, so one amplitude fits
 * each; the reference slices them back (qkvSlices, gateUpRow). Totals are unchanged: the same weights,
 * in fewer tensors.
 */
import { ampLog2For } from '../kernels/weights/weights';
import type { Arch } from './types';

export interface TensorSpec {
  name: string;
  rows: number;
  cols: number;
  seed: number;
  /** Weights are uniform-ish in [-2^ampLog2, 2^ampLog2): a power of two keeps every value exact. */
  ampLog2: number;
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

export function modelPlan(arch: Arch): ModelPlan {
  const { hidden: H, ffn: F, heads, kvHeads, headDim } = arch;
  const nq = heads * headDim;
  const nkv = kvHeads * headDim;
  const t = (name: string, rows: number, cols: number, seed: number): TensorSpec => ({
    name,
    rows,
    cols,
    seed,
    ampLog2: ampLog2For(cols),
  });
  const layers: LayerPlan[] = [];
  for (let l = 0; l < arch.layers; l++) {
    const s = 1000 + 32 * l;
    layers.push({
      qkv: t(`layer${l}.qkv`, nq + 2 * nkv, H, s + 1),
      o: t(`layer${l}.o`, H, nq, s + 4),
      gateUp: t(`layer${l}.gate_up`, 2 * F, H, s + 5),
      down: t(`layer${l}.down`, H, F, s + 7),
      attnNormSeed: s + 8,
      ffnNormSeed: s + 9,
      qkvBiasSeed: s + 10,
    });
  }
  return {
    arch,
    // Embedding rows feed an RMSNorm first, so their scale does not matter: use [-1, 1).
    embedding: { name: 'embedding', rows: arch.vocab, cols: H, seed: 7, ampLog2: 0 },
    lmHead: arch.tiedEmbeddings ? null : t('lm_head', arch.vocab, H, 9),
    finalNormSeed: 11,
    layers,
  };
}
