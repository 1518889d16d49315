// f16 operands generated on the GPU, reproducible bit-for-bit on the CPU
// (src/kernels/matmul/sgmat.ref.ts: hashValueF16). Element i = (h >> 21) / 1024 - 1 with the same hash as
// fill_hash in shaders/fill.wgsl: 11 random bits, a multiple of 2^-10 in [-1, 1), so exactly
// representable in f16 and pack2x16float involves no rounding (and no f16 support is needed here).
// Word w holds elements 2w (low half) and 2w + 1 (high half); past `count` the halves are 0.

override WG: u32 = 256u;

struct Params {
  seed: u32,
  // Elements to generate.
  count: u32,
  // Words to write: ceil(count / 2).
  words: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

{{mix32}}

fn element(i: u32, key: u32) -> f32 {
  if (i >= params.count) {
    return 0.0;
  }
  let h = mix32(i ^ key);
  return f32(h >> 21u) * (1.0 / 1024.0) - 1.0;
}

@compute @workgroup_size(WG)
fn fill_hash_f16(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = gid.x + gid.y * nwg.x * WG;
  if (w >= params.words) {
    return;
  }
  let key = mix32(params.seed + 0x9e3779b9u);
  out[w] = pack2x16float(vec2<f32>(element(2u * w, key), element(2u * w + 1u, key)));
}
