// KV-cache reads, f32 cache: the `kv` template key of shaders/attention/{decode,prefill}.wgsl. One f32
// per element. load_k4(i) / load_v4(i) return elements 4i .. 4i + 3 of the K / V cache.

@group(0) @binding(1) var<storage, read> kCache: array<vec4f>;
@group(0) @binding(2) var<storage, read> vCache: array<vec4f>;

fn load_k4(i: u32) -> vec4f {
  return kCache[i];
}

fn load_v4(i: u32) -> vec4f {
  return vCache[i];
}
