// Deterministic fills used to create operands and to poison outputs.
// fill_hash: out[i] = (hash-derived value in [-1, 1)) * scale, reproducible bit-for-bit on the CPU
//            (src/core/numeric.ts: hashValue) so references never need the operand uploaded.
// fill_const: out[i] = value (e.g. NaN to poison an output before a kernel writes it).

override WG: u32 = 256u;

struct Params {
  seed: u32,
  count: u32,
  scale: f32,
  value: f32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

{{mix32}}

fn index_of(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn fill_hash(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index_of(gid, nwg);
  if (i >= params.count) {
    return;
  }
  let h = mix32(i ^ mix32(params.seed + 0x9e3779b9u));
  // 24 random bits -> exactly representable value in [-1, 1).
  let unit = f32(h >> 8u) * (1.0 / 8388608.0) - 1.0;
  out[i] = unit * params.scale;
}

@compute @workgroup_size(WG)
fn fill_const(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index_of(gid, nwg);
  if (i >= params.count) {
    return;
  }
  out[i] = params.value;
}
