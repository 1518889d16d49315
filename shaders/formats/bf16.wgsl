// bf16 weights for the linear kernels and the embedding (inserted as the `weights` key, after the kernel's
// Params with K and the W8 struct): binding 1 holds two bfloat16 per word, element 2i in the low half
// (src/core/tensor.ts). A bfloat16 is the high half of an f32, so a shift decodes it: no shader-f16 needed.
// load_w(row, s) returns weights 8s..8s+7 of the part's row `row`.

@group(0) @binding(1) var<storage, read> w_data: array<vec4<u32>>;

fn bf16x2(v: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<f32>(v << 16u), bitcast<f32>(v & 0xffff0000u));
}

fn load_w(row: u32, s: u32) -> W8 {
  let q = w_data[row * (params.K / 8u) + s];
  return W8(vec4<f32>(bf16x2(q.x), bf16x2(q.y)), vec4<f32>(bf16x2(q.z), bf16x2(q.w)));
}
