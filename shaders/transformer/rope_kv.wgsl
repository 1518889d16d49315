// RoPE and KV-cache append in one pass over a fused QKV projection. qkv is token-major
// [rows, (heads + 2 * kvHeads) * headDim]: per row, q heads, then k heads, then v heads.
//   q[t, h, :]                      = rope(q head h of row t)            ([rows, heads * headDim])
//   kCache[seq(t)][h][pos(t)][:]    = rope(k head h of row t)
//   vCache[seq(t)][h][pos(t)][:]    = v head h of row t
// Rotate-half convention (HF Llama/Qwen): pair (i, i + headDim/2) at angle pos * invFreq[i], as rope.wgsl.
// pos(t) = state[0] + t * posStep, seq(t) = posStep ? 0 : t (as kv_write.wgsl); caches are
// [seqCap][kvHeads][ctxCap][headDim] and rows whose position is past ctxCap are not written.
// One thread per rotated pair of a q or k head; a k thread also copies the same two v elements.

override WG: u32 = 256u;

struct Params {
  rows: u32,
  heads: u32,
  kvHeads: u32,
  headDim: u32,
  ctxCap: u32,
  posStep: u32,
  pad0: u32,
  pad1: u32,
  // headDim / 2 frequencies, four per vec4 (uniform arrays need 16-byte elements); headDim <= 512.
  invFreq: array<vec4f, 64>,
}

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read_write> q: array<f32>;
@group(0) @binding(2) var<storage, read_write> kCache: array<f32>;
@group(0) @binding(3) var<storage, read_write> vCache: array<f32>;
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

// 2*pi split Cody-Waite style: n * TWO_PI_HI is exact for n < 2^16 (6.28125 has 8 significant bits).
const TWO_PI_HI: f32 = 6.28125;
const TWO_PI_LO: f32 = 1.9353071795864769e-3;
const INV_TWO_PI: f32 = 0.15915494309189535;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let half = params.headDim / 2u;
  let slots = params.heads + params.kvHeads; // rotated heads per row
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.rows * slots * half) {
    return;
  }
  let k = i % half;
  let th = i / half; // t * slots + slot
  let t = th / slots;
  let slot = th % slots;
  let pos = state[0] + t * params.posStep;
  let angle = f32(pos) * params.invFreq[k / 4u][k % 4u];
  // WGSL only bounds sin/cos accuracy on [-pi, pi]: reduce the angle there first.
  let n = round(angle * INV_TWO_PI);
  let r = (angle - n * TWO_PI_HI) - n * TWO_PI_LO;
  let c = cos(r);
  let s = sin(r);
  let nq = params.heads * params.headDim;
  let nkv = params.kvHeads * params.headDim;
  let row = t * (nq + 2u * nkv);
  if (slot < params.heads) {
    let src = row + slot * params.headDim + k;
    let a = qkv[src];
    let b = qkv[src + half];
    let dst = t * nq + slot * params.headDim + k;
    q[dst] = a * c - b * s;
    q[dst + half] = a * s + b * c;
    return;
  }
  if (pos >= params.ctxCap) {
    return;
  }
  let h = slot - params.heads;
  let src = row + nq + h * params.headDim + k;
  let a = qkv[src];
  let b = qkv[src + half];
  let seq = select(t, 0u, params.posStep == 1u);
  let dst = ((seq * params.kvHeads + h) * params.ctxCap + pos) * params.headDim + k;
  kCache[dst] = a * c - b * s;
  kCache[dst + half] = a * s + b * c;
  vCache[dst] = qkv[src + nkv];
  vCache[dst + half] = qkv[src + nkv + half];
}
