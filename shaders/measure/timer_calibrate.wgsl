// A small, real workload for timer calibration: timestamps around empty passes may not advance on some
// implementations, so each calibration pass runs this dispatch (each thread writes a value that depends
// on its index, so the work cannot be dropped).

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var h = gid.x;
  for (var i = 0u; i < 64u; i++) {
    h = h * 1664525u + 1013904223u;
  }
  out[gid.x] = h;
}
