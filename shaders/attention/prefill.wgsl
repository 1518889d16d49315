// Causal flash attention for a prefill chunk of one sequence (seq 0), GQA-aware.
// q: [rows, heads * HD] (already rotated); out: same shape; caches [seqCap][kvHeads][ctxCap][HD] hold
// every position up to state[0] + rows - 1. Query t sits at position state[0] + t and attends to cache
// positions 0 ..= state[0] + t. Query head h reads kv head h / (heads / kvHeads).
//
// A workgroup owns BQ queries of one head. It stages the (pre-scaled) query tile once, then walks the
// key tiles up to its last query's position; per tile of BK keys:
//   1. stage K[BK, HD] in workgroup memory (rows padded to HD + 1 floats: no bank conflicts);
//   2. scores S[BQ, BK] = Q K^T, TPQ threads per query row, SPT keys each;
//   3. online softmax, one thread per query row (running max m, running sum l, rescale alpha), while
//      every thread stages V[BK, HD] over K;
//   4. O = O * alpha + P V, each thread holding OPT outputs of O in registers.
// No [T, T] score matrix ever reaches global memory. Masked scores never enter exp(), keys past the
// tile's last position are staged as zeros, and the running max starts at a finite sentinel, so there
// is no inf - inf and poisoned cache tails cannot leak in.
// The caches' element type comes in as the `kv` template key (shaders/kv/load_f32.wgsl or
// load_f16.wgsl): K and V are staged a vec4 per thread and step (load_k4 / load_v4 widen f16 to f32).

override HD: u32 = 64u; // a multiple of 4
override S4: u32 = HD / 4u; // vec4s per cache row
override BQ: u32 = 16u;
override BK: u32 = 16u;
override WG: u32 = 64u;
override TPQ: u32 = WG / BQ; // threads per query row in the score phase
override SPT: u32 = BK / TPQ; // scores per thread, <= MAX_SPT
override OPT: u32 = BQ * HD / WG; // outputs per thread, <= MAX_OPT
override RS: u32 = HD + 1u; // padded row stride of Qs and KVs

const MAX_SPT: u32 = 16u;
const MAX_OPT: u32 = 32u;
// Finite stand-in for -inf: exp(NEG - m) underflows to 0 without ever forming inf - inf.
const NEG: f32 = -3.0e38;

struct Params {
  rows: u32,
  heads: u32,
  kvHeads: u32,
  ctxCap: u32,
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
{{kv}}
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> Qs: array<f32, BQ * RS>;
var<workgroup> KVs: array<f32, BK * RS>;
var<workgroup> S: array<f32, BQ * BK>;
var<workgroup> rowM: array<f32, BQ>;
var<workgroup> rowL: array<f32, BQ>;
var<workgroup> rowAlpha: array<f32, BQ>;

// Four consecutive elements of a staged K or V row.
fn stage4(at: u32, v: vec4f) {
  KVs[at] = v.x;
  KVs[at + 1u] = v.y;
  KVs[at + 2u] = v.z;
  KVs[at + 3u] = v.w;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let q0 = wg.x * BQ;
  let h = wg.y;
  let kvh = h / (params.heads / params.kvHeads);
  let base = state[0];
  let qStride = params.heads * HD;
  let scale = inverseSqrt(f32(HD));

  // Query rows past the chunk are staged as zeros: computed alongside, never stored.
  for (var e = tid; e < BQ * HD; e += WG) {
    let qi = e / HD;
    let d = e % HD;
    var v = 0.0;
    if (q0 + qi < params.rows) {
      v = q[(q0 + qi) * qStride + h * HD + d] * scale;
    }
    Qs[qi * RS + d] = v;
  }
  if (tid < BQ) {
    rowM[tid] = NEG;
    rowL[tid] = 0.0;
  }

  // Last key position any query of this tile needs (clamped so a bad state cannot read past the cache).
  let lastPos = min(base + min(q0 + BQ, params.rows) - 1u, params.ctxCap - 1u);
  let nTiles = lastPos / BK + 1u;
  let cacheBase = kvh * params.ctxCap * S4; // sequence 0, in vec4s
  let sq = tid / TPQ; // query row of this thread in the score phase
  let lane = tid % TPQ; // its keys: lane, lane + TPQ, ...
  var acc = array<f32, MAX_OPT>();

  for (var tile = 0u; tile < nTiles; tile++) {
    let k0 = tile * BK;
    for (var e = tid; e < BK * S4; e += WG) {
      let j = e / S4;
      let s4 = e % S4;
      var v = vec4f(0.0);
      if (k0 + j <= lastPos) {
        v = load_k4(cacheBase + (k0 + j) * S4 + s4);
      }
      stage4(j * RS + 4u * s4, v);
    }
    workgroupBarrier();

    // Zeroed explicitly: SwiftShader (through Tint) was seen keeping the previous iteration's values
    // in a loop-local `var s: array<...>;` that WGSL says starts at zero on every iteration.
    var s = array<f32, MAX_SPT>();
    for (var d = 0u; d < HD; d++) {
      let qv = Qs[sq * RS + d];
      for (var i = 0u; i < SPT; i++) {
        s[i] = fma(qv, KVs[(lane + i * TPQ) * RS + d], s[i]);
      }
    }
    for (var i = 0u; i < SPT; i++) {
      S[sq * BK + lane + i * TPQ] = s[i];
    }
    workgroupBarrier();

    if (tid < BQ) {
      let qpos = base + q0 + tid;
      let mOld = rowM[tid];
      var m = mOld;
      for (var j = 0u; j < BK; j++) {
        if (k0 + j <= qpos) {
          m = max(m, S[tid * BK + j]);
        }
      }
      var sum = 0.0;
      for (var j = 0u; j < BK; j++) {
        var p = 0.0;
        if (k0 + j <= qpos) {
          p = exp(S[tid * BK + j] - m);
        }
        S[tid * BK + j] = p;
        sum += p;
      }
      let alpha = exp(mOld - m);
      rowM[tid] = m;
      rowL[tid] = rowL[tid] * alpha + sum;
      rowAlpha[tid] = alpha;
    }
    // K is no longer needed (everyone passed the barrier above): stage V in its place.
    for (var e = tid; e < BK * S4; e += WG) {
      let j = e / S4;
      let s4 = e % S4;
      var v = vec4f(0.0);
      if (k0 + j <= lastPos) {
        v = load_v4(cacheBase + (k0 + j) * S4 + s4);
      }
      stage4(j * RS + 4u * s4, v);
    }
    workgroupBarrier();

    for (var i = 0u; i < OPT; i++) {
      let e = tid + i * WG;
      let qi = e / HD;
      let d = e % HD;
      var o = acc[i] * rowAlpha[qi];
      for (var j = 0u; j < BK; j++) {
        o = fma(S[qi * BK + j], KVs[j * RS + d], o);
      }
      acc[i] = o;
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < OPT; i++) {
    let e = tid + i * WG;
    let qi = e / HD;
    let d = e % HD;
    if (q0 + qi < params.rows) {
      out[(q0 + qi) * qStride + h * HD + d] = acc[i] / rowL[qi];
    }
  }
}
