// SwiGLU activation: out = silu(gate) * up elementwise over [rows, dim], silu(x) = x * sigmoid(x).
// The sigmoid only ever calls exp on a non-positive argument, so it cannot overflow for large |x|
// (x / (1 + exp(-x)) would compute exp(88+) = inf, which WGSL leaves indeterminate).

override WG: u32 = 256u;

struct Params {
  count: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<storage, read> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x)); // in (0, 1]
  let s = 1.0 / (1.0 + e);
  return select(e * s, s, x >= 0.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) {
    return;
  }
  let g = gate[i];
  out[i] = g * sigmoid(g) * up[i];
}
