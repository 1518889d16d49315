// The super-block and 6-bit sub-block scale decode of q4_k and q5_k blocks, inserted into
// shaders/formats/q4_k.wgsl and q5_k.wgsl (after their w_data binding) as the `k_scale_min` key
// (src/kernels/weights/formats.ts). A block's first vec4<u32> h: f16 d | f16 dmin << 16, then the 12 packed
// bytes of scales and mins of the 8 sub-blocks of 32.

// Scale and min of sub-block j from a block's first vec4 (GGML's get_scale_min_k4): sub-blocks 0..3 keep
// 6 bits in bytes j (scale) and j + 4 (min); 4..7 take their low 4 bits from byte j + 4 and their top 2
// bits from the top of bytes j - 4 and j.
fn k_scale_min(h: vec4<u32>, j: u32) -> vec2<f32> {
  let i = 8u * (j & 3u);
  let s_lo = extractBits(h.y, i, 8u);
  let m_lo = extractBits(h.z, i, 8u);
  let hi = extractBits(h.w, i, 8u);
  let first = j < 4u;
  let sc = select((hi & 15u) | ((s_lo >> 6u) << 4u), s_lo & 63u, first);
  let mn = select((hi >> 4u) | ((m_lo >> 6u) << 4u), m_lo & 63u, first);
  return vec2<f32>(f32(sc), f32(mn));
}

// (d * scale_j, dmin * min_j) of sub-block j of the block whose first vec4 is w_data[blk]: a weight of the
// sub-block is .x * q - .y (f32 products, as GGML's).
fn k_sub_scales(blk: u32, j: u32) -> vec2<f32> {
  let h = w_data[blk];
  return unpack2x16float(h.x) * k_scale_min(h, j);
}
