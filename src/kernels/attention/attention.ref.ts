/** CPU reference (float64) for causal GQA attention over the KV cache (shaders/attention_*.wgsl). */
import { cacheIndex } from '../transformer/transformer.ref';

export interface AttentionShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  ctxCap: number;
}

/**
 * Attention of `rows` query rows q [rows, heads * headDim] over the caches ([seqCap][kvHeads][ctxCap]
 * [headDim]). mode 'prefill': row t is sequence 0 at position pos0 + t; 'decode': row b is sequence b at
 * position pos0. Each row attends to positions 0 ..= its own; scale 1/sqrt(headDim); float64 softmax.
 */
export function attentionRef(
  shape: AttentionShape,
  q: ArrayLike<number>,
  kCache: ArrayLike<number>,
  vCache: ArrayLike<number>,
  rows: number,
  pos0: number,
  mode: 'prefill' | 'decode',
): Float64Array {
  const { heads, kvHeads, headDim } = shape;
  const group = heads / kvHeads;
  const scale = 1 / Math.sqrt(headDim);
  const out = new Float64Array(rows * heads * headDim);
  for (let t = 0; t < rows; t++) {
    const seq = mode === 'prefill' ? 0 : t;
    const pos = mode === 'prefill' ? pos0 + t : pos0;
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / group);
      const qOff = (t * heads + h) * headDim;
      const scores = new Float64Array(pos + 1);
      let max = -Infinity;
      for (let j = 0; j <= pos; j++) {
        let s = 0;
        const kOff = cacheIndex(shape, seq, kvh, j, 0);
        for (let d = 0; d < headDim; d++) s += (q[qOff + d] as number) * (kCache[kOff + d] as number);
        scores[j] = s * scale;
        max = Math.max(max, s * scale);
      }
      let sum = 0;
      for (let j = 0; j <= pos; j++) sum += scores[j] = Math.exp((scores[j] as number) - max);
      for (let j = 0; j <= pos; j++) {
        const p = (scores[j] as number) / sum;
        const vOff = cacheIndex(shape, seq, kvh, j, 0);
        for (let d = 0; d < headDim; d++) out[qOff + d]! += p * (vCache[vOff + d] as number);
      }
    }
  }
  return out;
}
