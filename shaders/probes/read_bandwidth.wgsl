// Read-bandwidth probe: every thread sums a grid-strided slice of `src` and writes its partial sum,
// so each loaded byte feeds a stored result (nothing can be optimised away) and the CPU can check
// every partial (src/kernels/probes/probes.ts).

override WG: u32 = 256u;

struct Params {
  vec_count: u32,
  threads: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  if (t >= params.threads) {
    return;
  }
  let n = params.vec_count;
  let stride = params.threads;
  // Four independent accumulators keep several loads in flight per thread.
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  var i = t;
  loop {
    if (i + 3u * stride >= n) {
      break;
    }
    a0 += src[i];
    a1 += src[i + stride];
    a2 += src[i + 2u * stride];
    a3 += src[i + 3u * stride];
    i += 4u * stride;
  }
  loop {
    if (i >= n) {
      break;
    }
    a0 += src[i];
    i += stride;
  }
  let s = (a0 + a1) + (a2 + a3);
  partial[t] = (s.x + s.y) + (s.z + s.w);
}
