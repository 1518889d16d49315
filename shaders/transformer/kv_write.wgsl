// Appends this step's K and V rows ([rows, kvHeads * headDim], f32) to the per-layer caches, laid out
// [seqCap][kvHeads][ctxCap][headDim]. Row t is sequence seq(t) at position pos(t):
//   posStep 1 (prefill): seq 0, pos state[0] + t;  posStep 0 (decode): seq t, pos state[0].
// One thread per element; consecutive threads write consecutive headDim elements of one cache row.
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
@group(0) @binding(2) var<storage, read_write> kCache: array<f32>;
@group(0) @binding(3) var<storage, read_write> vCache: array<f32>;
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.rows * params.kvHeads * params.headDim) {
    return;
  }
  let d = i % params.headDim;
  let th = i / params.headDim; // t * kvHeads + head
  let h = th % params.kvHeads;
  let t = th / params.kvHeads;
  let pos = state[0] + t * params.posStep;
  if (pos >= params.ctxCap) {
    return;
  }
  let seq = select(t, 0u, params.posStep == 1u);
  let dst = ((seq * params.kvHeads + h) * params.ctxCap + pos) * params.headDim + d;
  kCache[dst] = k[i];
  vCache[dst] = v[i];
}
