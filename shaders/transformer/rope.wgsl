// Rotary position embedding, rotate-half convention (HF Llama/Qwen), in place on a token-major
// [rows, heads * headDim] f32 activation. For pair k in [0, headDim/2) of every head:
//   angle = pos * invFreq[k];  (x[k], x[k + hd/2]) -> (x[k] cos - x[k + hd/2] sin, x[k] sin + x[k + hd/2] cos)
// pos = state[0] + t * posStep (posStep 1: prefill rows of one sequence; 0: one decode row per sequence).
// invFreq = theta^(-2k/headDim) comes precomputed in f32 from the CPU (as HF computes it), so the GPU's
// pow/exp2 accuracy never enters. One thread per rotated pair.

override WG: u32 = 256u;

struct Params {
  rows: u32,
  heads: u32,
  headDim: u32,
  posStep: u32,
  // headDim / 2 frequencies, four per vec4 (uniform arrays need 16-byte elements); headDim <= 512.
  invFreq: array<vec4f, 64>,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> state: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

// 2*pi split Cody-Waite style: n * TWO_PI_HI is exact for n < 2^16 (6.28125 has 8 significant bits).
const TWO_PI_HI: f32 = 6.28125;
const TWO_PI_LO: f32 = 1.9353071795864769e-3;
const INV_TWO_PI: f32 = 0.15915494309189535;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let half = params.headDim / 2u;
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.rows * params.heads * half) {
    return;
  }
  let k = i % half;
  let th = i / half; // t * heads + head
  let t = th / params.heads;
  let pos = state[0] + t * params.posStep;
  let angle = f32(pos) * params.invFreq[k / 4u][k % 4u];
  // WGSL only bounds sin/cos accuracy on [-pi, pi]: reduce the angle there first.
  let n = round(angle * INV_TWO_PI);
  let r = (angle - n * TWO_PI_HI) - n * TWO_PI_LO;
  let c = cos(r);
  let s = sin(r);
  let base = th * params.headDim + k;
  let a = x[base];
  let b = x[base + half];
  x[base] = a * c - b * s;
  x[base + half] = a * s + b * c;
}
