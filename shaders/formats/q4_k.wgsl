// q4_k weights for the linear kernels and the embedding (inserted as the `weights` key, after the kernel's
// Params with K and the W8 struct): binding 1 holds GGUF q4_k blocks as they are, 9 vec4<u32> (144 bytes)
// per 256 weights (src/core/tensor.ts). Vec4 0: f16 d | f16 dmin << 16, then the 12 bytes of 6-bit scales
// and mins of the 8 sub-blocks of 32. Vec4 1..8: the nibbles, 32 bytes per group g of 64 weights: byte l
// holds weight 64g + l (low nibble, sub-block 2g) and 64g + 32 + l (high nibble, sub-block 2g + 1).
// weight = d * scale_j * q - dmin * min_j for sub-block j.
//
// load_w(row, s): step s of a row is weights 8j..8j+7 (j = s % 32) of block s / 32: sub-block j / 4,
// group j / 8, nibble half (j / 4) % 2, bytes 8 (j % 4) .. + 7 of the group's 32 (half a vec4). Each call
// decodes its sub-block's scale and min (one header load, cached); a variant giving each thread a whole
// sub-block (4 consecutive steps, e.g. linear.wgsl's VS = 4 aligned to sub-blocks) could decode it once.

@group(0) @binding(1) var<storage, read> w_data: array<vec4<u32>>;

{{k_scale_min}}

// Nibbles 0..3 of the four bytes of `v`, shifted right by `sh` (0: low nibbles, 4: high).
fn nibbles(v: u32, sh: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(v) >> (vec4<u32>(0u, 8u, 16u, 24u) + sh)) & vec4<u32>(15u));
}

fn load_w(row: u32, s: u32) -> W8 {
  let blk = (row * (params.K / 256u) + s / 32u) * 9u;
  let j = s % 32u;
  let dm = k_sub_scales(blk, j / 4u);
  let c = j % 4u;
  let v = w_data[blk + 1u + 2u * (j / 8u) + c / 2u];
  let q = select(v.xy, v.zw, (c & 1u) == 1u);
  let sh = 4u * ((j / 4u) % 2u);
  return W8(dm.x * nibbles(q.x, sh) - dm.y, dm.x * nibbles(q.y, sh) - dm.y);
}
