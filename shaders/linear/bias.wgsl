// Bias of the linear kernels, inserted as the `bias` key: binding 4 holds one f32 per row of W
// (interleaved like W's rows with SwiGLU); add_bias(n, v) adds row n's.

@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn add_bias(n: u32, v: f32) -> f32 {
  return v + bias[n];
}
