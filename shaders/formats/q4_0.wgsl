// q4_0 weights for the linear kernels and the embedding (inserted as the `weights` key, after the
// kernel's Params with K and the W8 struct): binding 1 holds 8 nibbles per word (element 8i+j in bits 4j..4j+3),
// binding 2 one f16 scale per block of 32 (two per word, block 2i in the low half); weight = scale *
// (nibble - 8) (src/core/tensor.ts). load_w(row, s) returns weights 8s..8s+7 of the part's row.

@group(0) @binding(1) var<storage, read> w_data: array<u32>;
@group(0) @binding(2) var<storage, read> w_scales: array<u32>;

fn block_scale(block: u32) -> f32 {
  return unpack2x16float(w_scales[block >> 1u])[block & 1u];
}

fn load_w(row: u32, s: u32) -> W8 {
  let q = vec4<u32>(w_data[row * (params.K / 8u) + s]);
  let d = block_scale(row * (params.K / 32u) + s / 4u);
  let lo = vec4<f32>((q >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u));
  let hi = vec4<f32>((q >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(15u));
  return W8(d * (lo - 8.0), d * (hi - 8.0));
}
