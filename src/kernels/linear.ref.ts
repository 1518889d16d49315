/** CPU reference for shaders/linear.wgsl: float64 dot products on the dequantised weights. */

/**
 * y[t, n] = sum_k x[t, k] * W[n, k] (+ bias[n]) (+ yIn[t, n] in residual mode), accumulated in float64.
 * x is [rows, K] token-major, W the dequantised [N, K] matrix (weights.ref.ts: dequantRows).
 */
export function linearRef(
  x: Float32Array,
  rows: number,
  K: number,
  W: Float32Array,
  N: number,
  bias?: Float32Array,
  yIn?: Float32Array,
): Float64Array {
  const y = new Float64Array(rows * N);
  for (let t = 0; t < rows; t++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      const xo = t * K;
      const wo = n * K;
      for (let k = 0; k < K; k++) s += (x[xo + k] as number) * (W[wo + k] as number);
      if (bias) s += bias[n] as number;
      if (yIn) s += yIn[t * N + n] as number;
      y[t * N + n] = s;
    }
  }
  return y;
}
