// Copy-bandwidth probe: dst = src, grid-strided vec4 copy. Bytes moved = read + written.

override WG: u32 = 256u;

struct Params {
  vec_count: u32,
  threads: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  if (t >= params.threads) {
    return;
  }
  for (var i = t; i < params.vec_count; i += params.threads) {
    dst[i] = src[i];
  }
}
