// Appends this step's K and V rows ([rows, kvHeads * headDim], f32) to the per-layer caches, laid out
// [seqCap][kvHeads][ctxCap][headDim]. Row t is sequence seq(t) at position pos(t):
//   posStep 1 (prefill): seq 0, pos state[0] + t;  posStep 0 (decode): seq t, pos state[0].
// One thread per two elements of a cache row: thread j of a row writes elements kv_elems(j). The
// caches' element type comes in as the `kv` template key (shaders/kv/store_f32.wgsl or store_f16.wgsl;
// in f16 the two are one packed word, so no two threads share a word). headDim is even.
// Rows whose position is past ctxCap are dropped rather than written out of bounds.

override WG: u32 = 256u;

struct Params {
  rows: u32,
  kvHeads: u32,
  headDim: u32,
  ctxCap: u32,
  posStep: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<storage, read> k: array<f32>;
@group(0) @binding(1) var<storage, read> v: array<f32>;
// Bindings 2 and 3 (the caches), kv_elems and kv_store.
{{kv}}
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let half = params.headDim / 2u;
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.rows * params.kvHeads * half) {
    return;
  }
  let j = i % half;
  let th = i / half; // t * kvHeads + head
  let h = th % params.kvHeads;
  let t = th / params.kvHeads;
  let pos = state[0] + t * params.posStep;
  if (pos >= params.ctxCap) {
    return;
  }
  let seq = select(t, 0u, params.posStep == 1u);
  let dst = ((seq * params.kvHeads + h) * params.ctxCap + pos) * params.headDim;
  let src = th * params.headDim;
  let el = kv_elems(j, half);
  kv_store(dst, j, half, vec2f(k[src + el.x], k[src + el.y]), vec2f(v[src + el.x], v[src + el.y]));
}
