// KV-cache reads, f16 cache: the `kv` template key of shaders/attention/{decode,prefill}.wgsl. Two f16
// per u32 word, element 2i in the low half of word i (pack2x16float), so no shader-f16 is needed.
// load_k4(i) / load_v4(i) return elements 4i .. 4i + 3 of the K / V cache, widened to f32 exactly.

@group(0) @binding(1) var<storage, read> kCache: array<vec2u>;
@group(0) @binding(2) var<storage, read> vCache: array<vec2u>;

fn load_k4(i: u32) -> vec4f {
  let w = kCache[i];
  return vec4f(unpack2x16float(w.x), unpack2x16float(w.y));
}

fn load_v4(i: u32) -> vec4f {
  let w = vCache[i];
  return vec4f(unpack2x16float(w.x), unpack2x16float(w.y));
}
