// Linear layer over one row-part of a weight matrix, as a tiled GEMM for many tokens (prefill, large
// decode batches): y[t, n] (= or +=) sum_k x[t, k] * W[n, k] (+ bias[n]), with the same fusions and the same
// template keys and bindings as shaders/linear/linear.wgsl (src/kernels/linear/wgsl.ts fills both).
//
// A workgroup of WG_X x WG_Y threads computes a BM x BN tile of y (BM = WG_Y * TM tokens, BN = WG_X * TN
// rows of W). It stages BK-deep slices of x (f32) and of W (dequantised to f32 by load_w, 8 weights at a
// time, the RMSNorm weights folded in) in workgroup memory; each thread accumulates TM tokens x TN
// consecutive rows in registers, so a weight loaded from memory serves BM tokens instead of one token
// tile of 8. Thread (tx, ty) owns tokens ty * TM .. + TM and rows tx * TN .. + TN: consecutive rows keep a
// SwiGLU (gate, up) pair in one thread (TN even).
//
// RMSNorm prologue: the workgroup first sums the squares of its BM token rows over all of K (x is read
// once more, from cache), and 1/rms scales each output before the bias, as in linear.wgsl.
// K tails (K not a multiple of BK) stage zeros; out-of-range tokens and rows are clamped when loading and
// skipped when storing. Dispatch: x/y = row tiles (2-D above the per-dimension limit), z = token tiles.

override WG_X: u32 = 16u;
override WG_Y: u32 = 8u;
override TM: u32 = 4u;
override TN: u32 = 4u;
// Multiple of 8 (load_w's step).
override BK: u32 = 32u;
override RESIDUAL: bool = false;
override SWIGLU: bool = false;
override BM: u32 = WG_Y * TM;
override BN: u32 = WG_X * TN;
// Row stride of the staged W slice, padded against bank conflicts.
override WS: u32 = BK + 1u;

// Register arrays need constant sizes: TM and TN must not exceed these.
const MAX_TM: u32 = 4u;
const MAX_TN: u32 = 4u;

{{common}}

{{weights}}

{{bias}}

{{norm}}

var<workgroup> Xs: array<f32, BM * BK>;
var<workgroup> Ws: array<f32, BN * WS>;
// RMSNorm: partial sums of squares per (token row, thread along x), then 1/rms per token row.
var<workgroup> ssP: array<f32, BM * WG_X>;
var<workgroup> invRms: array<f32, BM>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let n0 = (wid.x + wid.y * params.groups_x) * BN;
  if (n0 >= params.part_rows) {
    return;
  }
  let t0 = wid.z * BM;
  let tid = lid.y * WG_X + lid.x;
  let nthreads = WG_X * WG_Y;
  let K = params.K;
  let k4 = K / 4u;

  if (NORM) {
    // Thread (tx, ty) sums token rows ty * TM .. + TM over k = 4 tx, 4 (tx + WG_X), ...
    for (var i = 0u; i < TM; i++) {
      let m = lid.y * TM + i;
      let t = min(t0 + m, params.tokens - 1u);
      var s = 0.0;
      for (var c = lid.x; c < k4; c += WG_X) {
        let v = x[t * k4 + c];
        s += dot(v, v);
      }
      ssP[m * WG_X + lid.x] = s;
    }
    workgroupBarrier();
    for (var m = tid; m < BM; m += nthreads) {
      var s = 0.0;
      for (var j = 0u; j < WG_X; j++) {
        s += ssP[m * WG_X + j];
      }
      invRms[m] = inverseSqrt(s / f32(K) + params.eps);
    }
  }

  var acc: array<f32, MAX_TM * MAX_TN>;
  for (var k0 = 0u; k0 < K; k0 += BK) {
    // x[t0 .. t0 + BM, k0 .. k0 + BK] -> Xs[m][k], vec4 loads (K is a multiple of 8).
    for (var e = tid; e < BM * BK / 4u; e += nthreads) {
      let m = e / (BK / 4u);
      let kc = (e % (BK / 4u)) * 4u;
      let t = min(t0 + m, params.tokens - 1u);
      var v = vec4<f32>(0.0);
      if (k0 + kc < K) {
        v = x[t * k4 + (k0 + kc) / 4u];
      }
      let o = m * BK + kc;
      Xs[o] = v.x;
      Xs[o + 1u] = v.y;
      Xs[o + 2u] = v.z;
      Xs[o + 3u] = v.w;
    }
    // W[n0 .. n0 + BN, k0 .. k0 + BK] -> Ws[n][k], 8 dequantised weights per load.
    for (var e = tid; e < BN * BK / 8u; e += nthreads) {
      let n = e / (BK / 8u);
      let kc = (e % (BK / 8u)) * 8u;
      var w = W8(vec4<f32>(0.0), vec4<f32>(0.0));
      if (k0 + kc < K) {
        let s = (k0 + kc) / 8u;
        w = load_w(min(n0 + n, params.part_rows - 1u), s);
        if (NORM) {
          let nw = norm_w8(s);
          w = W8(w.lo * nw.lo, w.hi * nw.hi);
        }
      }
      let o = n * WS + kc;
      Ws[o] = w.lo.x;
      Ws[o + 1u] = w.lo.y;
      Ws[o + 2u] = w.lo.z;
      Ws[o + 3u] = w.lo.w;
      Ws[o + 4u] = w.hi.x;
      Ws[o + 5u] = w.hi.y;
      Ws[o + 6u] = w.hi.z;
      Ws[o + 7u] = w.hi.w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<f32, MAX_TM>;
      for (var i = 0u; i < TM; i++) {
        a[i] = Xs[(lid.y * TM + i) * BK + kk];
      }
      for (var j = 0u; j < TN; j++) {
        let b = Ws[(lid.x * TN + j) * WS + kk];
        for (var i = 0u; i < TM; i++) {
          acc[i * MAX_TN + j] = fma(a[i], b, acc[i * MAX_TN + j]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let m = lid.y * TM + i;
    let t = t0 + m;
    if (t >= params.tokens) {
      continue;
    }
    var scale = 1.0;
    if (NORM) {
      scale = invRms[m];
    }
    if (SWIGLU) {
      for (var j = 0u; j < TN; j += 2u) {
        let n = n0 + lid.x * TN + j;
        if (n < params.part_rows) {
          let gn = params.row_start + n;
          let g = add_bias(gn, acc[i * MAX_TN + j] * scale);
          let u = add_bias(gn + 1u, acc[i * MAX_TN + j + 1u] * scale);
          y[t * (params.N / 2u) + gn / 2u] = swiglu(g, u);
        }
      }
    } else {
      for (var j = 0u; j < TN; j++) {
        let n = n0 + lid.x * TN + j;
        if (n < params.part_rows) {
          let gn = params.row_start + n;
          let o = t * params.N + gn;
          var v = add_bias(gn, acc[i * MAX_TN + j] * scale);
          if (RESIDUAL) {
            v += y[o];
          }
          y[o] = v;
        }
      }
    }
  }
}
