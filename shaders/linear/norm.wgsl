// RMSNorm prologue of the linear kernels, inserted as the `norm` key: binding 6 holds the f32 norm
// weights [K]; NORM_ROWS = 1 sum-of-squares slot per token in workgroup memory; norm_w8(s) returns norm
// weights 8s..8s+7, which scale the weights as they are loaded.

const NORM: bool = true;
const NORM_ROWS: u32 = 1u;
@group(0) @binding(6) var<storage, read> norm_w: array<vec4<f32>>;

fn norm_w8(s: u32) -> W8 {
  return W8(norm_w[2u * s], norm_w[2u * s + 1u]);
}
