/**
 * The synthetic model: which tensors exist, their shapes, seeds and amplitudes. The GPU builder and the
 * float64 CPU reference both read this plan, so they work on bit-identical weights.
 */
import { ampLog2For } from '../kernels/weights';
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
  q: TensorSpec;
  k: TensorSpec;
  v: TensorSpec;
  o: TensorSpec;
  gate: TensorSpec;
  up: TensorSpec;
  down: TensorSpec;
  /** Seeds of the f32 vectors (norm weights, biases) filled with hashValue(seed, i) * scale. */
  attnNormSeed: number;
  ffnNormSeed: number;
  qBiasSeed: number;
  kBiasSeed: number;
  vBiasSeed: number;
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
      q: t(`layer${l}.q`, nq, H, s + 1),
      k: t(`layer${l}.k`, nkv, H, s + 2),
      v: t(`layer${l}.v`, nkv, H, s + 3),
      o: t(`layer${l}.o`, H, nq, s + 4),
      gate: t(`layer${l}.gate`, F, H, s + 5),
      up: t(`layer${l}.up`, F, H, s + 6),
      down: t(`layer${l}.down`, H, F, s + 7),
      attnNormSeed: s + 8,
      ffnNormSeed: s + 9,
      qBiasSeed: s + 10,
      kBiasSeed: s + 11,
      vBiasSeed: s + 12,
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
