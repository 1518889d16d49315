// RMSNorm over the rows of a token-major [rows, dim] f32 activation:
//   y[t, :] = x[t, :] * w / sqrt(mean(x[t, :]^2) + eps)
// One workgroup per row: threads stride along the row (coalesced loads), sum squares, and tree-reduce
// the partial sums in workgroup memory. Any dim works; dim need not be a multiple of WG.
// Entry points: main (y = norm(x)) and main_in_place (y = norm(y)): WebGPU forbids binding one buffer
// to two writable bindings, so the in-place form binds only y. Each thread reads and writes the same
// indices, so normalising in place is race-free.

override WG: u32 = 256u; // a power of two (tree reduction)

struct Params {
  dim: u32,
  rows: u32,
  eps: f32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

// 1 / sqrt(mean of squares + eps) from each thread's partial sum of squares (all threads get it).
fn inv_rms(tid: u32, ss: f32) -> f32 {
  partial[tid] = ss;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) {
      partial[tid] += partial[tid + s];
    }
    workgroupBarrier();
  }
  return inverseSqrt(partial[0] / f32(params.dim) + params.eps);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let off = wg.x * params.dim; // exactly `rows` workgroups are dispatched
  var ss = 0.0;
  for (var i = tid; i < params.dim; i += WG) {
    let v = x[off + i];
    ss = fma(v, v, ss);
  }
  let inv = inv_rms(tid, ss);
  for (var i = tid; i < params.dim; i += WG) {
    y[off + i] = x[off + i] * inv * w[i];
  }
}

@compute @workgroup_size(WG)
fn main_in_place(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let off = wg.x * params.dim;
  var ss = 0.0;
  for (var i = tid; i < params.dim; i += WG) {
    let v = y[off + i];
    ss = fma(v, v, ss);
  }
  let inv = inv_rms(tid, ss);
  for (var i = tid; i < params.dim; i += WG) {
    y[off + i] = y[off + i] * inv * w[i];
  }
}
