// Tiled, register-blocked f32 matmul: C[M,N] = A[M,K] * B[K,N], all row-major.
// A workgroup of WG_X x WG_Y threads computes a BM x BN tile of C (BM = WG_Y*TM, BN = WG_X*TN),
// staging BK-deep slices of A and B in workgroup memory; each thread accumulates TM x TN outputs in
// registers. Thread (x, y) owns rows y + i*WG_Y and columns x + j*WG_X, which keeps global stores
// coalesced and workgroup reads broadcast-friendly. Edges are bounds-checked, so any M, N, K works.

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override BK: u32 = 16u;
const TM: u32 = 4u;
const TN: u32 = 4u;
override BM: u32 = WG_Y * TM;
override BN: u32 = WG_X * TN;

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

var<workgroup> As: array<f32, BK * BM>;
var<workgroup> Bs: array<f32, BK * BN>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let tid = lid.y * WG_X + lid.x;
  let nthreads = WG_X * WG_Y;

  var acc: array<f32, 16>; // TM * TN
  var a: array<f32, 4>;    // TM
  var b: array<f32, 4>;    // TN

  for (var k0 = 0u; k0 < dims.K; k0 += BK) {
    // Stage A[row0 .. row0+BM, k0 .. k0+BK] transposed (As[k][m]); consecutive threads read along K.
    for (var e = tid; e < BM * BK; e += nthreads) {
      let m = e / BK;
      let k = e % BK;
      let gr = row0 + m;
      let gk = k0 + k;
      var v = 0.0;
      if (gr < dims.M && gk < dims.K) {
        v = A[gr * dims.K + gk];
      }
      As[k * BM + m] = v;
    }
    // Stage B[k0 .. k0+BK, col0 .. col0+BN]; consecutive threads read along N.
    for (var e = tid; e < BK * BN; e += nthreads) {
      let k = e / BN;
      let n = e % BN;
      let gk = k0 + k;
      let gc = col0 + n;
      var v = 0.0;
      if (gk < dims.K && gc < dims.N) {
        v = B[gk * dims.N + gc];
      }
      Bs[k * BN + n] = v;
    }
    workgroupBarrier();

    for (var k = 0u; k < BK; k++) {
      for (var i = 0u; i < TM; i++) {
        a[i] = As[k * BM + lid.y + i * WG_Y];
      }
      for (var j = 0u; j < TN; j++) {
        b[j] = Bs[k * BN + lid.x + j * WG_X];
      }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) {
          acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let r = row0 + lid.y + i * WG_Y;
    if (r >= dims.M) {
      continue;
    }
    for (var j = 0u; j < TN; j++) {
      let c = col0 + lid.x + j * WG_X;
      if (c < dims.N) {
        C[r * dims.N + c] = acc[i * TN + j];
      }
    }
  }
}
