// f32 weights for the linear kernels and the embedding (inserted as the `weights` key, after the
// kernel's Params with K and the W8 struct): binding 1 holds a part's rows, 4 weights per vec4 (src/core/tensor.ts).
// load_w(row, s) returns weights 8s..8s+7 of the part's row `row`.

@group(0) @binding(1) var<storage, read> w_data: array<vec4<f32>>;

fn load_w(row: u32, s: u32) -> W8 {
  let b = row * (params.K / 4u) + 2u * s;
  return W8(w_data[b], w_data[b + 1u]);
}
