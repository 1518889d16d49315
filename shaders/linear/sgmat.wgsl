// Linear layer over one row-part of a weight matrix on the matrix units (tensor cores), for many tokens
// (prefill, large decode batches): y[t, n] (= or +=) sum_k x[t, k] * W[n, k] (+ bias[n]), with the same
// fusions, template keys and bindings as shaders/linear/tiled.wgsl (src/kernels/linear/wgsl.ts fills both),
// through Dawn's experimental chromium_experimental_subgroup_matrix with f16 operands and f32 accumulators.
//
// Template keys besides weights/bias/norm (subgroup-matrix shapes and the sizes of the fragment and
// workgroup arrays handed to the builtins must be const-expressions, so these cannot be overrides):
//   {{cm}} {{cn}} {{ck}}  the adapter's f16 x f16 -> f32 configuration: left CM x CK, right CK x CN
//   {{fm}} {{fn}}         result fragments per subgroup along tokens (M) and rows of W (N)
//   {{sg_m}} {{sg_n}}     subgroups per workgroup along tokens and rows
//   {{bk}}                depth of the staged K slice (a multiple of CK and of 8)
// SG_SIZE, the workgroup's x size, is an override: the adapter's maximum subgroup size (Dawn requires x
// to be a multiple of it), so each row of the workgroup (one local_invocation_id.y) is one subgroup.
//
// A workgroup computes a BM x BN tile of y (BM = SG_M * FM * CM tokens, BN = SG_N * FN * CN rows of W).
// Per BK slice of K it stages x as Xs[m][k] (f32 -> f16) and W as Ws[n][k] (load_w -> f32, RMSNorm weights
// folded in, -> f16), rows padded by 8 halves; subgroup y multiplies its FM x FN fragments: left from Xs
// (row-major), right from Ws read column-major (Ws[n][k] is W^T's column n), accumulating in f32.
// K tails stage zeros; tokens and rows past the end are clamped when loading and skipped when storing.
//
// Epilogue: fragments go one at a time to workgroup memory (a CM x CN slot per subgroup, so no big f32
// tile is needed), and the subgroup's lanes apply 1/rms (RMSNorm: sums of squares over all of K from x in
// f32, as tiled.wgsl does), the bias, the residual add or SwiGLU (rows 2i gate, 2i+1 up: CN is even and
// every fragment starts at an even row) and write y.
//
// Uniformity: subgroup-matrix arguments derive from local_invocation_id.y, which WGSL's analysis treats
// as non-uniform; they are uniform within each subgroup by the layout above, so the diagnostic is off.
// Dispatch: x/y = row tiles (2-D above the per-dimension limit), z = token tiles.

enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);

const CM = {{cm}};
const CN = {{cn}};
const CK = {{ck}};
const FM = {{fm}};
const FN = {{fn}};

alias Left = subgroup_matrix_left<f16, CK, CM>;
alias Right = subgroup_matrix_right<f16, CN, CK>;
alias Result = subgroup_matrix_result<f32, CN, CM>;

const SG_M: u32 = {{sg_m}}u;
const SG_N: u32 = {{sg_n}}u;
const BK: u32 = {{bk}}u;
const BM: u32 = SG_M * FM * CM;
const BN: u32 = SG_N * FN * CN;
// Row stride of the staged slices, in halves (keeps fragments 16-byte aligned).
const XS: u32 = BK + 8u;
// Threads per token row summing squares for RMSNorm.
const NORM_LANES: u32 = 4u;

override SG_SIZE: u32;
override RESIDUAL: bool = false;
override SWIGLU: bool = false;

{{common}}

{{weights}}

{{bias}}

{{norm}}

var<workgroup> Xs: array<f16, BM * XS>;
var<workgroup> Ws: array<f16, BN * XS>;
// One result fragment per subgroup at a time, for the epilogue.
var<workgroup> Cs: array<f32, SG_M * SG_N * CM * CN>;
// RMSNorm: partial sums of squares per (token row, lane), then 1/rms per token row.
var<workgroup> ssP: array<f32, BM * NORM_LANES>;
var<workgroup> invRms: array<f32, BM>;

@compute @workgroup_size(SG_SIZE, SG_M * SG_N)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let n0 = (wid.x + wid.y * params.groups_x) * BN;
  if (n0 >= params.part_rows) {
    return;
  }
  let t0 = wid.z * BM;
  let nthreads = SG_SIZE * SG_M * SG_N;
  let tid = lid.y * SG_SIZE + lid.x;
  let sg = lid.y;
  let sg_m0 = (sg % SG_M) * FM * CM;
  let sg_n0 = (sg / SG_M) * FN * CN;
  let K = params.K;
  let k4 = K / 4u;

  if (NORM) {
    for (var e = tid; e < BM * NORM_LANES; e += nthreads) {
      let t = min(t0 + e / NORM_LANES, params.tokens - 1u);
      var s = 0.0;
      for (var c = e % NORM_LANES; c < k4; c += NORM_LANES) {
        let v = x[t * k4 + c];
        s += dot(v, v);
      }
      ssP[e] = s;
    }
    workgroupBarrier();
    for (var m = tid; m < BM; m += nthreads) {
      var s = 0.0;
      for (var j = 0u; j < NORM_LANES; j++) {
        s += ssP[m * NORM_LANES + j];
      }
      invRms[m] = inverseSqrt(s / f32(K) + params.eps);
    }
  }

  var acc: array<Result, FM * FN>;
  for (var k0 = 0u; k0 < K; k0 += BK) {
    // x[t0 .. t0 + BM, k0 .. k0 + BK] -> Xs[m][k] in f16, vec4 loads (K is a multiple of 8).
    for (var e = tid; e < BM * BK / 4u; e += nthreads) {
      let m = e / (BK / 4u);
      let kc = (e % (BK / 4u)) * 4u;
      let t = min(t0 + m, params.tokens - 1u);
      var v = vec4<f32>(0.0);
      if (k0 + kc < K) {
        v = x[t * k4 + (k0 + kc) / 4u];
      }
      let h = vec4<f16>(v);
      let o = m * XS + kc;
      Xs[o] = h.x;
      Xs[o + 1u] = h.y;
      Xs[o + 2u] = h.z;
      Xs[o + 3u] = h.w;
    }
    // W[n0 .. n0 + BN, k0 .. k0 + BK] -> Ws[n][k] in f16, 8 dequantised weights per load.
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
      let lo = vec4<f16>(w.lo);
      let hi = vec4<f16>(w.hi);
      let o = n * XS + kc;
      Ws[o] = lo.x;
      Ws[o + 1u] = lo.y;
      Ws[o + 2u] = lo.z;
      Ws[o + 3u] = lo.w;
      Ws[o + 4u] = hi.x;
      Ws[o + 5u] = hi.y;
      Ws[o + 6u] = hi.z;
      Ws[o + 7u] = hi.w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk += CK) {
      var left: array<Left, FM>;
      for (var i = 0u; i < FM; i++) {
        left[i] = subgroupMatrixLoad<Left, row_major>(&Xs, (sg_m0 + i * CM) * XS + kk, XS);
      }
      for (var j = 0u; j < FN; j++) {
        let right = subgroupMatrixLoad<Right, col_major>(&Ws, (sg_n0 + j * CN) * XS + kk, XS);
        for (var i = 0u; i < FM; i++) {
          acc[i * FN + j] = subgroupMatrixMultiplyAccumulate(left[i], right, acc[i * FN + j]);
        }
      }
    }
    workgroupBarrier();
  }

  // Epilogue, one fragment per subgroup at a time through its slot of Cs.
  let slot = sg * CM * CN;
  for (var i = 0u; i < FM; i++) {
    for (var j = 0u; j < FN; j++) {
      subgroupMatrixStore<row_major>(&Cs, slot, acc[i * FN + j], CN);
      workgroupBarrier();
      let mb = sg_m0 + i * CM;
      let nb = n0 + sg_n0 + j * CN;
      if (SWIGLU) {
        for (var e = lid.x; e < CM * CN / 2u; e += SG_SIZE) {
          let r = e / (CN / 2u);
          let c = (e % (CN / 2u)) * 2u;
          let t = t0 + mb + r;
          let n = nb + c;
          if (t < params.tokens && n < params.part_rows) {
            var scale = 1.0;
            if (NORM) {
              scale = invRms[mb + r];
            }
            let gn = params.row_start + n;
            let g = add_bias(gn, Cs[slot + r * CN + c] * scale);
            let u = add_bias(gn + 1u, Cs[slot + r * CN + c + 1u] * scale);
            y[t * (params.N / 2u) + gn / 2u] = swiglu(g, u);
          }
        }
      } else {
        for (var e = lid.x; e < CM * CN; e += SG_SIZE) {
          let r = e / CN;
          let t = t0 + mb + r;
          let n = nb + e % CN;
          if (t < params.tokens && n < params.part_rows) {
            var scale = 1.0;
            if (NORM) {
              scale = invRms[mb + r];
            }
            let gn = params.row_start + n;
            let o = t * params.N + gn;
            var v = add_bias(gn, Cs[slot + e] * scale);
            if (RESIDUAL) {
              v += y[o];
            }
            y[o] = v;
          }
        }
      }
      workgroupBarrier();
    }
  }
}
