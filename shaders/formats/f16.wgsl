// f16 weights for the linear kernels and the embedding (inserted as the `weights` key, after the
// kernel's Params with K and the W8 struct): binding 1 holds a part's rows, element 2i in the low half of word i
// (src/core/tensor.ts). load_w(row, s) returns weights 8s..8s+7 of the part's row `row`.

@group(0) @binding(1) var<storage, read> w_data: array<vec4<u32>>;

fn load_w(row: u32, s: u32) -> W8 {
  let q = w_data[row * (params.K / 8u) + s];
  return W8(vec4<f32>(unpack2x16float(q.x), unpack2x16float(q.y)), vec4<f32>(unpack2x16float(q.z), unpack2x16float(q.w)));
}
