// q5_k weights for the linear kernels and the embedding (inserted as the `weights` key, after the kernel's
// Params with K and the W8 struct): binding 1 holds GGUF q5_k blocks as they are, 11 vec4<u32> (176 bytes)
// per 256 weights (src/core/tensor.ts). Vec4 0: f16 d | f16 dmin << 16 and the 12 bytes of 6-bit scales and
// mins (as q4_k); vec4 1..2: qh, 32 bytes of fifth bits, bit 2g + h of byte l for weight 64g + 32h + l;
// vec4 3..10: the low nibbles as q4_k's. weight = d * scale_j * (q + 16 * fifth bit) - dmin * min_j.
//
// load_w(row, s): weights 8j..8j+7 (j = s % 32) of block s / 32: sub-block j / 4, group g = j / 8, half
// h = (j / 4) % 2, bytes 8 (j % 4) .. + 7 of the group's nibbles and of qh. As in q4_k.wgsl, a variant with
// whole sub-blocks per thread could decode each scale and min once instead of per step.

@group(0) @binding(1) var<storage, read> w_data: array<vec4<u32>>;

{{k_scale_min}}

// Five-bit quants of the four bytes of `v` (nibbles shifted by `sh`) with fifth bits at bit `b` of the bytes of `hb`.
fn quants5(v: u32, sh: u32, hb: u32, b: u32) -> vec4<f32> {
  let bytes = vec4<u32>(0u, 8u, 16u, 24u);
  let lo = (vec4<u32>(v) >> (bytes + sh)) & vec4<u32>(15u);
  let hi = (vec4<u32>(hb) >> (bytes + b)) & vec4<u32>(1u);
  return vec4<f32>(lo | (hi << vec4<u32>(4u)));
}

fn load_w(row: u32, s: u32) -> W8 {
  let blk = (row * (params.K / 256u) + s / 32u) * 11u;
  let j = s % 32u;
  let dm = k_sub_scales(blk, j / 4u);
  let c = j % 4u;
  let odd = (c & 1u) == 1u;
  let vh = w_data[blk + 1u + c / 2u];
  let qh = select(vh.xy, vh.zw, odd);
  let v = w_data[blk + 3u + 2u * (j / 8u) + c / 2u];
  let q = select(v.xy, v.zw, odd);
  let half = (j / 4u) % 2u;
  let bit = 2u * (j / 8u) + half;
  return W8(dm.x * quants5(q.x, 4u * half, qh.x, bit) - dm.y, dm.x * quants5(q.y, 4u * half, qh.y, bit) - dm.y);
}
