// Register-blocked f32 matmul with vec4 traffic: C[M,N] = A[M,K] * B[K,N], all row-major.
// A workgroup of WG_X x WG_Y threads computes a BM x BN tile of C (BM = 8*WG_Y, BN = 8*WG_X). Each thread
// owns 8 x 8 outputs as four 4 x 4 quadrants half a tile apart: rows ty*4 + {0..3} and BM/2 + ty*4 + {0..3},
// columns tx*4 + {0..3} and BN/2 + tx*4 + {0..3}. So every workgroup-memory read in the inner loop is a
// vec4 (one 128-bit load feeds four rows or four columns: 4 loads per 64 FMAs instead of 16), and the
// global stores of a row of threads are contiguous vec4s.
//
// Staging is double-buffered: while K slice t is multiplied out of one half of As/Bs, slice t+1 is
// already loaded into registers and lands in the other half afterwards, so one barrier per slice
// suffices and the global loads overlap the FMAs.
//
// Edges and alignment: the operands are bound as array<vec4<f32>> (the host pads each buffer to 16
// bytes). A vec4 global access is used only where it is aligned and wholly in bounds (K % 4 == 0 for A,
// N % 4 == 0 for B and C, and the 4 elements inside the matrix); anything else falls back to scalar,
// bounds-checked element accesses. Nothing is required of M, N, K: aligned interior tiles take the
// vector path, odd shapes and edge tiles the scalar one. Out-of-range operands stage as zeros.

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override BK: u32 = 8u;
override BM: u32 = WG_Y * 8u;
override BN: u32 = WG_X * 8u;
override NT: u32 = WG_X * WG_Y;
// vec4 global loads per thread and K slice; the host checks they divide evenly and fit MAX_LOADS.
override LOADS_A: u32 = BM * BK / 4u / NT;
override LOADS_B: u32 = BK * BN / 4u / NT;
const MAX_LOADS: u32 = 4u;

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> C: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims: Dims;

// Two stages of [k][m / 4] and [k][n / 4].
var<workgroup> As: array<vec4<f32>, 2u * BK * BM / 4u>;
var<workgroup> Bs: array<vec4<f32>, 2u * BK * BN / 4u>;

// A[row, k .. k+3], zeros outside the matrix.
fn load_a(row: u32, k: u32) -> vec4<f32> {
  let K = dims.K;
  var v = vec4<f32>(0.0);
  if (row >= dims.M) {
    return v;
  }
  let base = row * K + k;
  if ((K & 3u) == 0u && k + 3u < K) {
    return A[base >> 2u];
  }
  for (var c = 0u; c < 4u; c++) {
    if (k + c < K) {
      let i = base + c;
      v[c] = A[i >> 2u][i & 3u];
    }
  }
  return v;
}

// B[k, col .. col+3], zeros outside the matrix.
fn load_b(k: u32, col: u32) -> vec4<f32> {
  let N = dims.N;
  var v = vec4<f32>(0.0);
  if (k >= dims.K) {
    return v;
  }
  let base = k * N + col;
  if ((N & 3u) == 0u && col + 3u < N) {
    return B[base >> 2u];
  }
  for (var c = 0u; c < 4u; c++) {
    if (col + c < N) {
      let i = base + c;
      v[c] = B[i >> 2u][i & 3u];
    }
  }
  return v;
}

// C[row, col .. col+3] = v, dropping what falls outside the matrix (the caller checks row < M).
fn store_c(row: u32, col: u32, v: vec4<f32>) {
  let N = dims.N;
  let base = row * N + col;
  if ((N & 3u) == 0u && col + 3u < N) {
    C[base >> 2u] = v;
    return;
  }
  for (var c = 0u; c < 4u; c++) {
    if (col + c < N) {
      let i = base + c;
      C[i >> 2u][i & 3u] = v[c];
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * WG_X + tx;
  let KQ = BK / 4u; // vec4s per row of an A slice
  let BM4 = BM / 4u;
  let BN4 = BN / 4u;

  // acc[r * 2 + h]: output row r of the thread's 8 (r < 4: ty*4 + r, else BM/2 + ty*4 + r - 4),
  // columns tx*4 .. +3 (h = 0) or BN/2 + tx*4 .. +3 (h = 1).
  var acc: array<vec4<f32>, 16>;
  var ra: array<vec4<f32>, MAX_LOADS>;
  var rb: array<vec4<f32>, MAX_LOADS>;

  let tiles = (dims.K + BK - 1u) / BK;

  // Prologue: slice 0 into stage 0.
  for (var j = 0u; j < LOADS_A; j++) {
    let e = tid + j * NT;
    ra[j] = load_a(row0 + e / KQ, (e % KQ) * 4u);
  }
  for (var j = 0u; j < LOADS_B; j++) {
    let e = tid + j * NT;
    rb[j] = load_b(e / BN4, col0 + (e % BN4) * 4u);
  }
  for (var j = 0u; j < LOADS_A; j++) {
    let e = tid + j * NT;
    let m = e / KQ;
    let k = (e % KQ) * 4u;
    for (var c = 0u; c < 4u; c++) {
      As[(k + c) * BM4 + (m >> 2u)][m & 3u] = ra[j][c];
    }
  }
  for (var j = 0u; j < LOADS_B; j++) {
    Bs[tid + j * NT] = rb[j];
  }
  workgroupBarrier();

  for (var t = 0u; t < tiles; t++) {
    let cur = t & 1u;
    let more = t + 1u < tiles;
    // Issue the next slice's global loads before the FMAs that hide them.
    if (more) {
      let k0 = (t + 1u) * BK;
      for (var j = 0u; j < LOADS_A; j++) {
        let e = tid + j * NT;
        ra[j] = load_a(row0 + e / KQ, k0 + (e % KQ) * 4u);
      }
      for (var j = 0u; j < LOADS_B; j++) {
        let e = tid + j * NT;
        rb[j] = load_b(k0 + e / BN4, col0 + (e % BN4) * 4u);
      }
    }

    let a_base = cur * BK * BM4;
    let b_base = cur * BK * BN4;
    for (var k = 0u; k < BK; k++) {
      let a0 = As[a_base + k * BM4 + ty];
      let a1 = As[a_base + k * BM4 + WG_Y + ty];
      let b0 = Bs[b_base + k * BN4 + tx];
      let b1 = Bs[b_base + k * BN4 + WG_X + tx];
      for (var r = 0u; r < 4u; r++) {
        acc[r * 2u] = fma(vec4<f32>(a0[r]), b0, acc[r * 2u]);
        acc[r * 2u + 1u] = fma(vec4<f32>(a0[r]), b1, acc[r * 2u + 1u]);
        acc[8u + r * 2u] = fma(vec4<f32>(a1[r]), b0, acc[8u + r * 2u]);
        acc[8u + r * 2u + 1u] = fma(vec4<f32>(a1[r]), b1, acc[8u + r * 2u + 1u]);
      }
    }

    // The other stage was last read before the previous barrier, so it is free to overwrite.
    if (more) {
      let nxt = 1u - cur;
      for (var j = 0u; j < LOADS_A; j++) {
        let e = tid + j * NT;
        let m = e / KQ;
        let k = (e % KQ) * 4u;
        for (var c = 0u; c < 4u; c++) {
          As[nxt * BK * BM4 + (k + c) * BM4 + (m >> 2u)][m & 3u] = ra[j][c];
        }
      }
      for (var j = 0u; j < LOADS_B; j++) {
        Bs[nxt * BK * BN4 + tid + j * NT] = rb[j];
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < 8u; r++) {
    var row = row0 + ty * 4u + r;
    if (r >= 4u) {
      row = row0 + BM / 2u + ty * 4u + r - 4u;
    }
    if (row >= dims.M) {
      continue;
    }
    store_c(row, col0 + tx * 4u, acc[r * 2u]);
    store_c(row, col0 + BN / 2u + tx * 4u, acc[r * 2u + 1u]);
  }
}
