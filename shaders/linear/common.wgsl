// Shared by the linear kernels (linear.wgsl, tiled.wgsl, sgmat.wgsl), inserted as {{common}}:
// their parameters, the 8-weight unit load_w returns, the activation bindings and the SwiGLU epilogue.

struct Params {
  // Inputs per token (row stride of x; multiple of 8, of 32 for q8_0/q4_0).
  K: u32,
  // Rows of W (outputs per token; the row stride of y is N, or N / 2 with SWIGLU).
  N: u32,
  tokens: u32,
  // First row of W held by this part, and its row count.
  row_start: u32,
  part_rows: u32,
  // Workgroups along x: row group = wid.x + wid.y * groups_x.
  groups_x: u32,
  // RMSNorm epsilon (NORM only).
  eps: f32,
  pad: u32,
}

// Eight consecutive weights of one row.
struct W8 {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// silu(g) * u; the sigmoid only calls exp on a non-positive argument, so it cannot overflow.
fn swiglu(g: f32, u: f32) -> f32 {
  let e = exp(-abs(g));
  let s = 1.0 / (1.0 + e);
  return g * select(e * s, s, g >= 0.0) * u;
}
