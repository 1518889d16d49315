{{enable}}
// FMA-peak probe. Operands come from buffers and a uniform (nothing for the compiler to fold), eight
// independent chains keep the ALUs busy, and the stored result depends on every FMA. Each chain is
// x <- fma(x, a, b) with `a` a runtime uniform equal to 1.0, so x = x0 + n*b: values stay bounded, the
// product is exact whether or not the FMA is fused, and the CPU reference (src/kernels/probes/probes.ref.ts)
// reproduces the output bit for bit in f32, so a skipped iteration is caught.
// {{T}} is f32 or f16; the chain count (8) and lanes (4) are part of the FLOP accounting.

override WG: u32 = 256u;

alias T = {{T}};

struct Params {
  iterations: u32,
  threads: u32,
  a: f32,
  b_scale: f32,
}

@group(0) @binding(0) var<storage, read> coeffs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  if (t >= params.threads) {
    return;
  }
  let s = coeffs[2u * t];
  let a = vec4<T>(T(params.a));
  let b = vec4<T>(coeffs[2u * t + 1u] * params.b_scale);
  var x0 = vec4<T>(s);
  var x1 = vec4<T>(s + 0.125);
  var x2 = vec4<T>(s + 0.25);
  var x3 = vec4<T>(s + 0.375);
  var x4 = vec4<T>(s + 0.5);
  var x5 = vec4<T>(s + 0.625);
  var x6 = vec4<T>(s + 0.75);
  var x7 = vec4<T>(s + 0.875);
  for (var i = 0u; i < params.iterations; i++) {
    x0 = fma(x0, a, b);
    x1 = fma(x1, a, b);
    x2 = fma(x2, a, b);
    x3 = fma(x3, a, b);
    x4 = fma(x4, a, b);
    x5 = fma(x5, a, b);
    x6 = fma(x6, a, b);
    x7 = fma(x7, a, b);
  }
  out[t] = vec4<f32>(((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)));
}
