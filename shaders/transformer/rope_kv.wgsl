// RoPE and KV-cache append in one pass over a fused QKV projection (after rope_kv_common.wgsl):
//   q[t, h, :]                      = rope(q head h of row t)            ([rows, heads * headDim])
//   kCache[seq(t)][h][pos(t)][:]    = rope(k head h of row t)
//   vCache[seq(t)][h][pos(t)][:]    = v head h of row t
// Rows whose position is past ctxCap are not written (as kv_write.wgsl).
// One thread per rotated pair of a q or k head; a k head's thread k writes the two K and V elements
// kv_elems(k) of the cache row (shaders/kv/store_*.wgsl: the same pair in f32, one packed word in f16).

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
  let nq = params.heads * params.headDim;
  let nkv = params.kvHeads * params.headDim;
  let row = t * (nq + 2u * nkv);
  if (slot < params.heads) {
    let src = row + slot * params.headDim + k;
    let a = qkv[src];
    let b = qkv[src + half];
    let cs = rotation(pos, k);
    let dst = t * nq + slot * params.headDim + k;
    q[dst] = rope_elem(a, b, cs, false);
    q[dst + half] = rope_elem(a, b, cs, true);
    return;
  }
  if (pos >= params.ctxCap) {
    return;
  }
  // A k head: thread k writes elements kv_elems(k) of the cache row (each rotated at its own pair).
  let h = slot - params.heads;
  let src = row + nq + h * params.headDim;
  let seq = select(t, 0u, params.posStep == 1u);
  let dst = ((seq * params.kvHeads + h) * params.ctxCap + pos) * params.headDim;
  let el = kv_elems(k, half);
  let kv = vec2f(rotated(src, el.x, half, pos), rotated(src, el.y, half, pos));
  let vv = vec2f(qkv[src + nkv + el.x], qkv[src + nkv + el.y]);
  kv_store(dst, k, half, kv, vv);
}

// Element e of the head whose values start at qkv[src], rotated at position pos.
fn rotated(src: u32, e: u32, half: u32, pos: u32) -> f32 {
  let i = e % half;
  return rope_elem(qkv[src + i], qkv[src + i + half], rotation(pos, i), e >= half);
}
