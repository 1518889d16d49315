// rope_kv.wgsl (after rope_kv_common.wgsl) with a per-head RMSNorm of q and k first (qwen3's attn_q_norm /
// attn_k_norm): for each q or k head h of row t, with x = that head's headDim values of the fused qkv row,
//   x' = x * w / sqrt(mean(x^2) + eps)      (w: normW[0 .. headDim) for q heads, normW[headDim ..) for k)
// then RoPE and the cache append exactly as rope_kv.wgsl (rotate-half pairs (i, i + headDim/2) at angle
// pos * invFreq[i]; v copied unnormalised; a k head's thread k writes cache elements kv_elems(k)). One
// workgroup per (row, q or k head): threads stride the head, tree-reduce the sum of squares in workgroup
// memory, then rotate the pairs they own. Workgroups are
// laid out on an (x, y) grid; th = wg.x + wg.y * nwg.x = t * (heads + kvHeads) + slot.

override WG: u32 = 64u; // a power of two (tree reduction)

@group(0) @binding(6) var<storage, read> normW: array<f32>;

var<workgroup> partial: array<f32, WG>;

// 1 / sqrt(mean of squares + eps) of the head from each thread's partial sum (every thread gets it).
fn inv_rms(tid: u32, ss: f32) -> f32 {
  partial[tid] = ss;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) {
      partial[tid] += partial[tid + s];
    }
    workgroupBarrier();
  }
  return inverseSqrt(partial[0] / f32(params.headDim) + params.eps);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let slots = params.heads + params.kvHeads;
  let th = wg.x + wg.y * nwg.x; // uniform over the workgroup: the early return keeps barriers uniform
  if (th >= params.rows * slots) {
    return;
  }
  let t = th / slots;
  let slot = th % slots;
  let half = params.headDim / 2u;
  let nq = params.heads * params.headDim;
  let nkv = params.kvHeads * params.headDim;
  let isQ = slot < params.heads;
  let src = t * (nq + 2u * nkv) + select(nq + (slot - params.heads) * params.headDim, slot * params.headDim, isQ);
  let pos = state[0] + t * params.posStep;
  // A k head past the cache is neither read nor written (as rope_kv.wgsl); the barriers stay uniform.
  let live = isQ || pos < params.ctxCap;
  let n = select(0u, params.headDim, live);
  var ss = 0.0;
  for (var i = tid; i < n; i += WG) {
    let v = qkv[src + i];
    ss = fma(v, v, ss);
  }
  let inv = inv_rms(tid, ss);
  let w0 = select(params.headDim, 0u, isQ);
  for (var k = tid; k < n / 2u; k += WG) {
    if (isQ) {
      let cs = rotation(pos, k);
      let a = normed(src, k, inv, w0);
      let b = normed(src, k + half, inv, w0);
      let dst = t * nq + slot * params.headDim + k;
      q[dst] = rope_elem(a, b, cs, false);
      q[dst + half] = rope_elem(a, b, cs, true);
    } else {
      // Thread k writes elements kv_elems(k) of the cache row, each rotated at its own pair.
      let h = slot - params.heads;
      let seq = select(t, 0u, params.posStep == 1u);
      let dst = ((seq * params.kvHeads + h) * params.ctxCap + pos) * params.headDim;
      let el = kv_elems(k, half);
      let kv = vec2f(normed_rotated(src, el.x, half, pos, inv, w0), normed_rotated(src, el.y, half, pos, inv, w0));
      let vv = vec2f(qkv[src + nkv + el.x], qkv[src + nkv + el.y]);
      kv_store(dst, k, half, kv, vv);
    }
  }
}

// Element i of the head whose values start at qkv[src], RMS-normalised (inv, weights from normW[w0]).
fn normed(src: u32, i: u32, inv: f32, w0: u32) -> f32 {
  return qkv[src + i] * inv * normW[w0 + i];
}

// Element e of that head, normalised and rotated at position pos.
fn normed_rotated(src: u32, e: u32, half: u32, pos: u32, inv: f32, w0: u32) -> f32 {
  let i = e % half;
  return rope_elem(normed(src, i, inv, w0), normed(src, i + half, inv, w0), rotation(pos, i), e >= half);
}
