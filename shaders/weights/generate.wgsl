// Synthetic weights generated on the GPU (no upload), bit-identical to src/kernels/weights/weights.ref.ts.
// Element idx = row * cols + col over the whole tensor, so a part's contents do not depend on how the
// tensor was split. Each thread writes one whole u32 word of a part's data (gen_<format>) or scales
// (gen_scales) buffer, so no two threads touch the same word. Every value is a small
// integer times a power of two: exact in its format whatever the rounding mode. Layouts: src/core/tensor.ts;
// the k-quant values (super-block scales, sub-block scales and mins, quants): weights.ref.ts.

override WG: u32 = 256u;

struct Params {
  seed: u32,
  // Element index of the part's first weight (rowStart * cols); blocks start at idx_base / 32 (q8_0, q4_0)
  // or idx_base / 256 (k-quants).
  idx_base: u32,
  // Words of the buffer being written.
  words: u32,
  // Quantisation blocks in the part (gen_scales: the last word may hold only one).
  blocks: u32,
  // 2^ampLog2.
  amp: f32,
  // 2^-7 (q8_0) or 2^-3 (q4_0): the scale's base before (1 + s/32).
  scale_base: f32,
  // Weights per block of the scale array: 32 (q8_0, q4_0) or 256 (q6_k).
  block: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

{{mix32}}

fn element_hash(idx: u32) -> u32 {
  return mix32(idx ^ mix32(params.seed + 0x9e3779b9u));
}

fn block_hash(block: u32) -> u32 {
  return mix32(block ^ mix32(params.seed + 0x85ebca6bu));
}

// Hash of sub-block j of k-quant block `block` (scales and mins).
fn sub_hash(block: u32, j: u32) -> u32 {
  return mix32((block * 16u + j) ^ mix32(params.seed + 0x27d4eb2fu));
}

// Bits of the f16 equal to `v`, for v zero or a normal f32 exactly representable in f16 (every value
// here). Built from the f32 bits rather than with pack2x16float, which may flush f16 subnormals; small
// amplitudes (ampLog2 <= -5) produce them.
fn f16_bits(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  let sign = (b >> 16u) & 0x8000u;
  let e = i32((b >> 23u) & 0xffu) - 127;
  let m = b & 0x7fffffu;
  if (e < -24) {
    return sign;
  }
  if (e >= -14) {
    return sign | (u32(e + 15) << 10u) | (m >> 13u);
  }
  return sign | ((m | 0x800000u) >> u32(-e - 1));
}

fn word_index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn gen_f32(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i >= params.words) {
    return;
  }
  let h = element_hash(params.idx_base + i);
  let v = f32(i32(h >> 8u) - 8388608) * (1.0 / 8388608.0) * params.amp;
  out[i] = bitcast<u32>(v);
}

@compute @workgroup_size(WG)
fn gen_f16(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i >= params.words) {
    return;
  }
  var word = 0u;
  for (var j = 0u; j < 2u; j++) {
    let h = element_hash(params.idx_base + 2u * i + j);
    let v = f32(i32(h >> 21u) - 1024) * (1.0 / 1024.0) * params.amp;
    word |= f16_bits(v) << (16u * j);
  }
  out[i] = word;
}

@compute @workgroup_size(WG)
fn gen_q8_0(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i >= params.words) {
    return;
  }
  var word = 0u;
  for (var j = 0u; j < 4u; j++) {
    let h = element_hash(params.idx_base + 4u * i + j);
    let q = clamp(i32(h >> 24u) - 128, -127, 127);
    word |= (bitcast<u32>(q) & 0xffu) << (8u * j);
  }
  out[i] = word;
}

@compute @workgroup_size(WG)
fn gen_q4_0(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i >= params.words) {
    return;
  }
  var word = 0u;
  for (var j = 0u; j < 8u; j++) {
    let h = element_hash(params.idx_base + 8u * i + j);
    word |= (h >> 28u) << (4u * j);
  }
  out[i] = word;
}

// Scale of block b of the part: q8_0 / q4_0 amp scale_base (1 + 0..31 / 32); q6_k's super-block scale
// d = amp 2^-12 (1 + 0..1).
fn block_scale(b: u32) -> f32 {
  let hs = block_hash(params.idx_base / params.block + b);
  if (params.block == 256u) {
    return params.amp * (1.0 / 4096.0) * f32(1u + (hs & 1u));
  }
  return params.amp * params.scale_base * (1.0 + f32(hs & 31u) / 32.0);
}

// Two f16 block scales per word (block 2i low half); a missing last block leaves its half zero.
@compute @workgroup_size(WG)
fn gen_scales(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i >= params.words) {
    return;
  }
  var word = 0u;
  for (var j = 0u; j < 2u; j++) {
    let b = 2u * i + j;
    if (b < params.blocks) {
      word |= f16_bits(block_scale(b)) << (16u * j);
    }
  }
  out[i] = word;
}

@compute @workgroup_size(WG)
fn gen_bf16(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i >= params.words) {
    return;
  }
  var word = 0u;
  for (var j = 0u; j < 2u; j++) {
    let h = element_hash(params.idx_base + 2u * i + j);
    let v = f32(i32(h >> 24u) - 128) * (1.0 / 128.0) * params.amp;
    // Eight significant bits at most: the low half of the f32 is zero, the high half is the bfloat16.
    word |= (bitcast<u32>(v) >> 16u) << (16u * j);
  }
  out[i] = word;
}

// --- k-quants: blocks of 256 weights; block b of the part is block idx_base / 256 + b of the tensor. ---

// Quant of weight e (0..255) of tensor block `block`: the top `bits` bits of its element hash.
fn kq(block: u32, e: u32, bits: u32) -> u32 {
  return element_hash(block * 256u + e) >> (32u - bits);
}

// Word 0 of a q4_k / q5_k block: f16 d | f16 dmin << 16 (d = amp 2^-12 (4 + 0..3) for q4_k, (2 + 0..1) for q5_k;
// dmin = amp 2^-9 (4 + 0..3)).
fn k_header(block: u32, five: bool) -> u32 {
  let hb = block_hash(block);
  let unit = params.amp * (1.0 / 4096.0);
  let d = unit * select(f32(4u + (hb & 3u)), f32(2u + (hb & 1u)), five);
  let dmin = 8.0 * unit * f32(4u + ((hb >> 2u) & 3u));
  return f16_bits(d) | (f16_bits(dmin) << 16u);
}

// Word w (1..3) of the 12 packed bytes of 6-bit scales and mins (GGML's layout: bytes 0..3 scales 0..3 and
// the top bits of scales 4..7, bytes 4..7 mins 0..3 and the top bits of mins 4..7, bytes 8..11 the low
// nibbles of scales and mins 4..7).
fn k_scales_word(block: u32, w: u32) -> u32 {
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let lo = sub_hash(block, k);
    let hi = sub_hash(block, k + 4u);
    let sc = vec2<u32>(lo & 63u, (lo >> 6u) & 63u);
    let sc_hi = vec2<u32>(hi & 63u, (hi >> 6u) & 63u);
    var byte = 0u;
    if (w == 1u) {
      byte = sc.x | ((sc_hi.x >> 4u) << 6u);
    } else if (w == 2u) {
      byte = sc.y | ((sc_hi.y >> 4u) << 6u);
    } else {
      byte = (sc_hi.x & 15u) | ((sc_hi.y & 15u) << 4u);
    }
    word |= byte << (8u * k);
  }
  return word;
}

// Word `w` of a nibble run: byte p = 4w + k holds weights 64 (p / 32) + p % 32 (low) and + 32 (high).
fn k_nibbles_word(block: u32, w: u32, bits: u32) -> u32 {
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let p = 4u * w + k;
    let e = 64u * (p / 32u) + p % 32u;
    word |= ((kq(block, e, bits) & 15u) | ((kq(block, e + 32u, bits) & 15u) << 4u)) << (8u * k);
  }
  return word;
}

// Word w of a q4_k (36 words) or q5_k (44 words: 8 words of fifth bits before the nibbles) block.
fn k45_word(block: u32, w: u32, five: bool) -> u32 {
  if (w == 0u) {
    return k_header(block, five);
  }
  if (w < 4u) {
    return k_scales_word(block, w);
  }
  if (!five) {
    return k_nibbles_word(block, w - 4u, 4u);
  }
  if (w >= 12u) {
    return k_nibbles_word(block, w - 12u, 5u);
  }
  // qh byte l = 4 (w - 4) + k: bit b = 2g + h is the fifth bit of weight 64g + 32h + l = 32b + l.
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let l = 4u * (w - 4u) + k;
    for (var b = 0u; b < 8u; b++) {
      word |= ((kq(block, 32u * b + l, 5u) >> 4u) & 1u) << (8u * k + b);
    }
  }
  return word;
}

@compute @workgroup_size(WG)
fn gen_q4_k(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i < params.words) {
    out[i] = k45_word(params.idx_base / 256u + i / 36u, i % 36u, false);
  }
}

@compute @workgroup_size(WG)
fn gen_q5_k(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i < params.words) {
    out[i] = k45_word(params.idx_base / 256u + i / 44u, i % 44u, true);
  }
}

@compute @workgroup_size(WG)
fn gen_q6_k(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = word_index(gid, nwg);
  if (i >= params.words) {
    return;
  }
  let block = params.idx_base / 256u + i / 52u;
  let w = i % 52u;
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    var byte = 0u;
    if (w < 32u) {
      // ql byte p: half h = p / 64, l = p % 32, quarter (p % 64) / 32: low nibble weight 128h + 32 quarter + l,
      // high nibble the weight 64 further.
      let p = 4u * w + k;
      let e = 128u * (p / 64u) + 32u * ((p % 64u) / 32u) + p % 32u;
      byte = (kq(block, e, 6u) & 15u) | ((kq(block, e + 64u, 6u) & 15u) << 4u);
    } else if (w < 48u) {
      // qh byte 32h + l: bits 2q.. are the top two bits of weight 128h + 32q + l.
      let p = 4u * (w - 32u) + k;
      for (var q = 0u; q < 4u; q++) {
        byte |= (kq(block, 128u * (p / 32u) + 32u * q + p % 32u, 6u) >> 4u) << (2u * q);
      }
    } else {
      // int8 scale of 16-weight group 4 (w - 48) + k.
      byte = sub_hash(block, 4u * (w - 48u) + k) & 255u;
    }
    word |= byte << (8u * k);
  }
  out[i] = word;
}
