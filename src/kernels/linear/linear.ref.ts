/** CPU reference for shaders/linear.wgsl: float64 dot products on the dequantised weights. */

/** The fused prologue and epilogue of a linear layer (LinearConfig.norm / .swiglu). */
export interface LinearFusion {
  /** RMSNorm of each x row before the product: f32 weights [K] and epsilon. */
  norm?: { w: ArrayLike<number>; eps: number };
  /** W's rows interleaved (2i gate, 2i+1 up): the result is silu(gate_i) * up_i, [rows, N / 2]. */
  swiglu?: boolean;
}

/** silu(g) * u in float64, without overflow for large |g|. */
export function swigluRef(g: number, u: number): number {
  const sig = g >= 0 ? 1 / (1 + Math.exp(-g)) : Math.exp(g) / (1 + Math.exp(g));
  return g * sig * u;
}

/**
 * y[t, n] = sum_k x[t, k] * W[n, k] (+ bias[n]) (+ yIn[t, n] in residual mode), accumulated in float64.
 * x is [rows, K] token-major, W the dequantised [N, K] matrix (weights.ref.ts: dequantRows).
 * With fusion.norm, x[t, :] is first replaced by x[t, :] * w / sqrt(mean(x[t, :]^2) + eps); with
 * fusion.swiglu the [rows, N] result (bias included) becomes [rows, N / 2] of silu(y[2i]) * y[2i + 1].
 */
export function linearRef(
  x: ArrayLike<number>,
  rows: number,
  K: number,
  W: ArrayLike<number>,
  N: number,
  bias?: ArrayLike<number>,
  yIn?: ArrayLike<number>,
  fusion: LinearFusion = {},
): Float64Array {
  const y = new Float64Array(rows * N);
  const xr = new Float64Array(K);
  for (let t = 0; t < rows; t++) {
    const xo = t * K;
    for (let k = 0; k < K; k++) xr[k] = x[xo + k] as number;
    if (fusion.norm) {
      let ss = 0;
      for (const v of xr) ss += v * v;
      const inv = 1 / Math.sqrt(ss / K + fusion.norm.eps);
      for (let k = 0; k < K; k++) xr[k] = (xr[k] as number) * inv * (fusion.norm.w[k] as number);
    }
    for (let n = 0; n < N; n++) {
      let s = 0;
      const wo = n * K;
      for (let k = 0; k < K; k++) s += (xr[k] as number) * (W[wo + k] as number);
      if (bias) s += bias[n] as number;
      if (yIn) s += yIn[t * N + n] as number;
      y[t * N + n] = s;
    }
  }
  if (!fusion.swiglu) return y;
  const half = N / 2;
  const out = new Float64Array(rows * half);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < half; i++) out[t * half + i] = swigluRef(y[t * N + 2 * i] as number, y[t * N + 2 * i + 1] as number);
  }
  return out;
}
