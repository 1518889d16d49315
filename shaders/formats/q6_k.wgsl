// q6_k weights for the linear kernels and the embedding (inserted as the `weights` key, after the kernel's
// Params with K and the W8 struct). GGUF's 210-byte block is repacked (src/core/tensor.ts): binding 1 holds
// its first 208 bytes, 13 vec4<u32> per 256 weights: vec4 0..7 the low nibbles ql, vec4 8..11 the high bit
// pairs qh, vec4 12 sixteen int8 scales (scale i / 16 for weight i); binding 2 its f16 d, two blocks per
// word (block 2i in the low half). Weight i of a block: half h = i / 128, quarter k = (i / 32) % 4,
// l = i % 32: q = (nibble k / 2 of ql[64h + 32 (k % 2) + l]) | (bits 2k..2k+1 of qh[32h + l]) << 4;
// weight = (d * scale) * (q - 32).
//
// load_w(row, s): weights 8j..8j+7 (j = s % 32) of block s / 32 share h = j / 16, k = (j / 4) % 4, bytes
// 8 (j % 4) .. + 7 of their ql and qh runs, and scale j / 2. The scale is decoded per step; a variant with
// whole 16-weight groups per thread could decode it once per two steps.

@group(0) @binding(1) var<storage, read> w_data: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> w_scales: array<u32>;

// Six-bit quants minus 32 of the four bytes of `l` (nibbles shifted by `sh`) and `h` (pairs at bit `b`).
fn quants6(l: u32, sh: u32, h: u32, b: u32) -> vec4<f32> {
  let bytes = vec4<u32>(0u, 8u, 16u, 24u);
  let lo = (vec4<u32>(l) >> (bytes + sh)) & vec4<u32>(15u);
  let hi = (vec4<u32>(h) >> (bytes + b)) & vec4<u32>(3u);
  return vec4<f32>(lo | (hi << vec4<u32>(4u))) - 32.0;
}

fn load_w(row: u32, s: u32) -> W8 {
  let block = row * (params.K / 256u) + s / 32u;
  let blk = block * 13u;
  let j = s % 32u;
  let h = j / 16u;
  let k = (j / 4u) % 4u;
  let c = j % 4u;
  let odd = (c & 1u) == 1u;
  let vl = w_data[blk + 4u * h + 2u * (k & 1u) + c / 2u];
  let ql = select(vl.xy, vl.zw, odd);
  let vh = w_data[blk + 8u + 2u * h + c / 2u];
  let qh = select(vh.xy, vh.zw, odd);
  let sw = w_data[blk + 12u][j / 8u];
  let sc = f32(extractBits(bitcast<i32>(sw), 8u * ((j / 2u) % 4u), 8u));
  let d = unpack2x16float(w_scales[block >> 1u])[block & 1u] * sc;
  return W8(d * quants6(ql.x, 4u * (k >> 1u), qh.x, 2u * k), d * quants6(ql.y, 4u * (k >> 1u), qh.y, 2u * k));
}
