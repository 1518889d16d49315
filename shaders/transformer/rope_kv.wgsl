// RoPE and KV-cache append in one pass over a fused QKV projection (after rope_kv_common.wgsl):
//   q[t, h, :]                      = rope(q head h of row t)            ([rows, heads * headDim])
//   kCache[seq(t)][h][pos(t)][:]    = rope(k head h of row t)
//   vCache[seq(t)][h][pos(t)][:]    = v head h of row t
// Rows whose position is past ctxCap are not written (as kv_write.wgsl).
// One thread per rotated pair of a q or k head; a k thread also copies the same two v elements.

override WG: u32 = 256u;

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
  let cs = rotation(pos, k);
  let c = cs.x;
  let s = cs.y;
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
