// q8_0 weights for the linear kernels and the embedding (inserted as the `weights` key, after the
// kernel's Params with K and the W8 struct): binding 1 holds 4 int8 codes per word (element 4i+j in byte j), binding 2
// one f16 scale per block of 32 (two per word, block 2i in the low half); weight = scale * code
// (src/core/tensor.ts). load_w(row, s) returns weights 8s..8s+7 of the part's row `row`.

@group(0) @binding(1) var<storage, read> w_data: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> w_scales: array<u32>;

fn block_scale(block: u32) -> f32 {
  return unpack2x16float(w_scales[block >> 1u])[block & 1u];
}

// Four int8 (byte j = element j) sign-extended by arithmetic shifts.
fn i8x4(v: u32) -> vec4<f32> {
  let s = bitcast<i32>(v);
  return vec4<f32>(vec4<i32>(s << 24u, s << 16u, s << 8u, s) >> vec4<u32>(24u));
}

fn load_w(row: u32, s: u32) -> W8 {
  let q = w_data[row * (params.K / 8u) + s];
  let d = block_scale(row * (params.K / 32u) + s / 4u);
  return W8(d * i8x4(q.x), d * i8x4(q.y));
}
