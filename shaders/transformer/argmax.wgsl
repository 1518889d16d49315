// Greedy sampling: cur[r] = argmax(logits[r, :]) for each of `rows` rows, also logged at
// log[state[1] * rows + r] so a whole generation can run without CPU round trips.
// Ties go to the lowest index; NaN never wins (it ranks below -inf). One workgroup per row: threads
// stride along the row (coalesced), then tree-reduce (key, index) pairs in workgroup memory.
// Comparisons use an order-preserving u32 key of the f32 bits, so NaN handling does not depend on
// float compare semantics (which WGSL lets implementations relax for NaN).

override WG: u32 = 256u; // a power of two (tree reduction)

struct Params {
  rows: u32,
  vocab: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> cur: array<u32>;
@group(0) @binding(2) var<storage, read_write> tokenLog: array<u32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> keys: array<u32, WG>;
var<workgroup> idxs: array<u32, WG>;

// Monotone map f32 -> u32 (a < b  =>  key(a) < key(b)); -0 ranks with +0; NaN maps to 0, below -inf.
fn order_key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  if ((b & 0x7fffffffu) > 0x7f800000u) {
    return 0u;
  }
  if (b == 0x80000000u) {
    return 0x80000000u;
  }
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn beats(k: u32, i: u32, bestK: u32, bestI: u32) -> bool {
  return k > bestK || (k == bestK && i < bestI);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let r = wg.x; // exactly `rows` workgroups are dispatched
  let off = r * params.vocab;
  var bestK = 0u;
  var bestI = 0xffffffffu;
  for (var i = tid; i < params.vocab; i += WG) {
    let k = order_key(logits[off + i]);
    // Each thread visits indices in increasing order, so the first of equal keys is kept.
    if (beats(k, i, bestK, bestI)) {
      bestK = k;
      bestI = i;
    }
  }
  keys[tid] = bestK;
  idxs[tid] = bestI;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s && beats(keys[tid + s], idxs[tid + s], keys[tid], idxs[tid])) {
      keys[tid] = keys[tid + s];
      idxs[tid] = idxs[tid + s];
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    let best = idxs[0];
    cur[r] = best;
    let at = state[1] * params.rows + r;
    if (at < arrayLength(&tokenLog)) {
      tokenLog[at] = best;
    }
  }
}
