// f16 GEMM on the matrix units (tensor cores) through subgroup matrices, Dawn's experimental
// chromium_experimental_subgroup_matrix: C[M,N] = A[M,K] * B[K,N], A and B f16 row-major, C row-major in
// the accumulator type {{acc_t}} (f32 where the adapter offers an f16 x f16 -> f32 configuration).
//
// Template keys (src/kernels/matmul/sgmat.ts fills them with fillTemplate): subgroup-matrix shapes must
// be const-expressions in this extension, and so must the sizes of the private fragment arrays and of the
// workgroup arrays handed to subgroupMatrixLoad, so these cannot be `override`s:
//   {{acc_t}}            result and accumulator component type: f32 or f16
//   {{cm}} {{cn}} {{ck}}  the adapter's configuration: left CM x CK, right CK x CN, result CM x CN
//   {{fm}} {{fn}}         result fragments per subgroup along M and N
//   {{sg_m}} {{sg_n}}     subgroups per workgroup along M and N
//   {{bk}}                depth of the K slice staged in workgroup memory (a multiple of CK and of 8)
// SG_SIZE, the workgroup's x size, is an override: the adapter's maximum subgroup size.
//
// Layout. A workgroup is SG_SIZE x (SG_M * SG_N) invocations. Dawn requires workgroup_size.x to be a
// multiple of the maximum subgroup size when subgroup matrices are used; with x equal to it, each row of
// the workgroup (one local_invocation_id.y) is one subgroup. Subgroup y owns an FM x FN block of CM x CN
// result fragments at rows (y % SG_M) * FM * CM and columns (y / SG_M) * FN * CN of the workgroup's
// BM x BN tile (BM = SG_M * FM * CM, BN = SG_N * FN * CN). Per BK slice of K, all invocations stage A as
// As[m][k] and B as Bs[k][n] in workgroup memory (16-byte global loads of 8 halves; rows padded by 8
// halves against bank conflicts, which keeps every fragment and stride 16-byte aligned), then each
// subgroup multiplies its fragments: per CK step, FM left and FN right loads feed FM * FN
// multiply-accumulates.
//
// Syntax: loads and stores use the layout-as-template form, subgroupMatrixLoad<T, row_major>(p, offset,
// stride); the Dawn we ship (npm webgpu 0.6) flags the older (p, offset, col_major, stride) form as
// deprecated. A browser whose Dawn predates the new form fails to compile this: the step then errors.
//
// Uniformity: subgroup-matrix arguments derive from local_invocation_id.y, which WGSL's analysis
// treats as non-uniform, so the chromium.subgroup_matrix_uniformity diagnostic is turned off; every
// argument is uniform within a subgroup by the layout above.
//
// Shapes (checked on the host): M % CM == 0, N % CN == 0, K % CK == 0, N % 8 == 0 and K % 8 == 0. Every
// result fragment is then wholly inside or wholly outside C and every global access is 16-byte aligned.
// Partial workgroup tiles and a partial last K slice are staged as zeros; fragments outside C are not
// stored.

enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);

alias AccT = {{acc_t}};

const CM = {{cm}};
const CN = {{cn}};
const CK = {{ck}};
const FM = {{fm}};
const FN = {{fn}};

alias Left = subgroup_matrix_left<f16, CK, CM>;
alias Right = subgroup_matrix_right<f16, CN, CK>;
alias Result = subgroup_matrix_result<AccT, CN, CM>;

const SG_M: u32 = {{sg_m}}u;
const SG_N: u32 = {{sg_n}}u;
const BK: u32 = {{bk}}u;
const BM: u32 = SG_M * FM * CM;
const BN: u32 = SG_N * FN * CN;
// Row strides of the staged slices, in halves.
const AS: u32 = BK + 8u;
const BS: u32 = BN + 8u;

override SG_SIZE: u32;

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  pad: u32,
}

// A and B as 16-byte words of 8 halves each.
@group(0) @binding(0) var<storage, read> A: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> C: array<AccT>;
@group(0) @binding(3) var<uniform> dims: Dims;

var<workgroup> As: array<f16, BM * AS>;
var<workgroup> Bs: array<f16, BK * BS>;

@compute @workgroup_size(SG_SIZE, SG_M * SG_N)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let nthreads = SG_SIZE * SG_M * SG_N;
  let tid = lid.y * SG_SIZE + lid.x;
  // This invocation's subgroup and the rows and columns of the tile it owns.
  let sg = lid.y;
  let sg_row = (sg % SG_M) * FM * CM;
  let sg_col = (sg / SG_M) * FN * CN;

  var acc: array<Result, FM * FN>;

  for (var k0 = 0u; k0 < dims.K; k0 += BK) {
    // A[row0 .. row0+BM, k0 .. k0+BK] -> As[m][k], 8 halves per load along K.
    for (var e = tid; e < BM * BK / 8u; e += nthreads) {
      let m = e / (BK / 8u);
      let kc = (e % (BK / 8u)) * 8u;
      let gm = row0 + m;
      let gk = k0 + kc;
      var w = vec4<u32>(0u);
      if (gm < dims.M && gk < dims.K) {
        w = A[(gm * dims.K + gk) / 8u];
      }
      let o = m * AS + kc;
      let h0 = bitcast<vec2<f16>>(w.x);
      let h1 = bitcast<vec2<f16>>(w.y);
      let h2 = bitcast<vec2<f16>>(w.z);
      let h3 = bitcast<vec2<f16>>(w.w);
      As[o] = h0.x;
      As[o + 1u] = h0.y;
      As[o + 2u] = h1.x;
      As[o + 3u] = h1.y;
      As[o + 4u] = h2.x;
      As[o + 5u] = h2.y;
      As[o + 6u] = h3.x;
      As[o + 7u] = h3.y;
    }
    // B[k0 .. k0+BK, col0 .. col0+BN] -> Bs[k][n], 8 halves per load along N.
    for (var e = tid; e < BK * BN / 8u; e += nthreads) {
      let k = e / (BN / 8u);
      let nc = (e % (BN / 8u)) * 8u;
      let gk = k0 + k;
      let gn = col0 + nc;
      var w = vec4<u32>(0u);
      if (gk < dims.K && gn < dims.N) {
        w = B[(gk * dims.N + gn) / 8u];
      }
      let o = k * BS + nc;
      let h0 = bitcast<vec2<f16>>(w.x);
      let h1 = bitcast<vec2<f16>>(w.y);
      let h2 = bitcast<vec2<f16>>(w.z);
      let h3 = bitcast<vec2<f16>>(w.w);
      Bs[o] = h0.x;
      Bs[o + 1u] = h0.y;
      Bs[o + 2u] = h1.x;
      Bs[o + 3u] = h1.y;
      Bs[o + 4u] = h2.x;
      Bs[o + 5u] = h2.y;
      Bs[o + 6u] = h3.x;
      Bs[o + 7u] = h3.y;
    }
    workgroupBarrier();

    for (var kk = 0u; kk < BK; kk += CK) {
      var left: array<Left, FM>;
      for (var i = 0u; i < FM; i++) {
        left[i] = subgroupMatrixLoad<Left, row_major>(&As, (sg_row + i * CM) * AS + kk, AS);
      }
      for (var j = 0u; j < FN; j++) {
        let right = subgroupMatrixLoad<Right, row_major>(&Bs, kk * BS + sg_col + j * CN, BS);
        for (var i = 0u; i < FM; i++) {
          acc[i * FN + j] = subgroupMatrixMultiplyAccumulate(left[i], right, acc[i * FN + j]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < FM; i++) {
    let r = row0 + sg_row + i * CM;
    for (var j = 0u; j < FN; j++) {
      let c = col0 + sg_col + j * CN;
      if (r < dims.M && c < dims.N) {
        subgroupMatrixStore<row_major>(&C, r * dims.N + c, acc[i * FN + j], dims.N);
      }
    }
  }
}
