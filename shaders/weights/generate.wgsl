// Synthetic weights generated on the GPU (no upload), bit-identical to src/kernels/weights/weights.ref.ts.
// Element idx = row * cols + col over the whole tensor, so a part's contents do not depend on how the
// tensor was split. Each thread writes one whole u32 word of a part's data (gen_<format>) or scales
// (gen_scales) buffer, so no two threads touch the same word. Every value is a small integer times a
// power of two: exact in its format whatever the rounding mode.

override WG: u32 = 256u;

struct Params {
  seed: u32,
  // Element index of the part's first weight (rowStart * cols); blocks start at idx_base / 32.
  idx_base: u32,
  // Words of the buffer being written.
  words: u32,
  // Quantisation blocks in the part (gen_scales: the last word may hold only one).
  blocks: u32,
  // 2^ampLog2.
  amp: f32,
  // 2^-7 (q8_0) or 2^-3 (q4_0): the scale's base before (1 + s/32).
  scale_base: f32,
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
      let hs = block_hash(params.idx_base / 32u + b);
      let d = params.amp * params.scale_base * (1.0 + f32(hs & 31u) / 32.0);
      word |= f16_bits(d) << (16u * j);
    }
  }
  out[i] = word;
}
