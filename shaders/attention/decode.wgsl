// Decode attention: B sequences, one query row each. Row b (query head h) attends to cache positions
// 0 ..= state[0] of sequence b; caches are [seqCap][kvHeads][ctxCap][HD], query head h reads kv head
// h / (heads / kvHeads). q and out are [B, heads * HD].
//
// A workgroup owns one (b, h). Its WG = S4 * R threads form R row groups of S4 threads; thread (r, sl)
// owns the vec4 slice sl of the head dimension. Keys go in tiles of BK = R * KPS; key k * R + r of a
// tile belongs to row group r, so at each step the whole workgroup reads R consecutive cache rows
// (contiguous memory). Per tile:
//   1. every thread forms partial dot products q[sl] . K[j][sl] for its KPS keys (workgroup memory);
//   2. the partials of each key are summed into its score;
//   3. each row group runs its own online softmax over its keys (running max m, sum l, and a vec4 of
//      the output, rescaled when m grows), reading V[j][sl].
// Finally the R row groups' (m, l, acc) are merged in workgroup memory. Masked keys never enter exp()
// and cache rows past state[0] are never read.
// The caches' element type comes in as the `kv` template key (shaders/kv/load_f32.wgsl or
// load_f16.wgsl): load_k4 and load_v4 return one vec4 of a cache row in f32 whatever the cache holds.

override HD: u32 = 64u; // a multiple of 4
override S4: u32 = HD / 4u; // vec4 slices per head row
override R: u32 = 4u; // row groups
override KPS: u32 = 8u; // keys per row group per tile
override BK: u32 = R * KPS; // keys per tile
override WG: u32 = S4 * R;
override PS: u32 = S4 + 1u; // padded stride of the partial sums (no bank conflicts in step 2)

const NEG: f32 = -3.0e38;

struct Params {
  rows: u32,
  heads: u32,
  kvHeads: u32,
  ctxCap: u32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4f>;
{{kv}}
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> part: array<f32, BK * PS>;
var<workgroup> sc: array<f32, BK>;
var<workgroup> accS: array<vec4f, WG>;
var<workgroup> mS: array<f32, R>;
var<workgroup> lS: array<f32, R>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let b = wg.x;
  let h = wg.y;
  let kvh = h / (params.heads / params.kvHeads);
  let r = tid / S4;
  let sl = tid % S4;
  // Last attended position (clamped so a bad state cannot read past the cache).
  let pos = min(state[0], params.ctxCap - 1u);
  let qv = q[(b * params.heads + h) * S4 + sl] * inverseSqrt(f32(HD));
  let cacheBase = (b * params.kvHeads + kvh) * params.ctxCap * S4; // in vec4s
  var m = NEG;
  var l = 0.0;
  var acc = vec4f(0.0);

  let nTiles = pos / BK + 1u;
  for (var tile = 0u; tile < nTiles; tile++) {
    let k0 = tile * BK;
    for (var k = 0u; k < KPS; k++) {
      let kk = k * R + r;
      var p = 0.0;
      if (k0 + kk <= pos) {
        p = dot(qv, load_k4(cacheBase + (k0 + kk) * S4 + sl));
      }
      part[kk * PS + sl] = p;
    }
    workgroupBarrier();

    for (var kk = tid; kk < BK; kk += WG) {
      var s = 0.0;
      for (var i = 0u; i < S4; i++) {
        s += part[kk * PS + i];
      }
      sc[kk] = s;
    }
    workgroupBarrier();

    var mNew = m;
    for (var k = 0u; k < KPS; k++) {
      let kk = k * R + r;
      if (k0 + kk <= pos) {
        mNew = max(mNew, sc[kk]);
      }
    }
    let c = exp(m - mNew);
    l *= c;
    acc *= c;
    for (var k = 0u; k < KPS; k++) {
      let kk = k * R + r;
      if (k0 + kk <= pos) {
        let p = exp(sc[kk] - mNew);
        l += p;
        acc = fma(vec4f(p), load_v4(cacheBase + (k0 + kk) * S4 + sl), acc);
      }
    }
    m = mNew;
    // No barrier needed here: the next tile's step 1 writes `part` (read only in step 2, before the
    // barrier above) and its step 2 writes `sc` only after the next barrier.
  }

  accS[tid] = acc;
  if (sl == 0u) {
    mS[r] = m;
    lS[r] = l;
  }
  workgroupBarrier();
  if (tid < S4) {
    var mAll = NEG;
    for (var g = 0u; g < R; g++) {
      mAll = max(mAll, mS[g]);
    }
    var lAll = 0.0;
    var o = vec4f(0.0);
    for (var g = 0u; g < R; g++) {
      // A row group that saw no key keeps m = NEG, l = 0, acc = 0 and gets weight 0.
      let wgt = exp(mS[g] - mAll);
      lAll += lS[g] * wgt;
      o = fma(accS[g * S4 + tid], vec4f(wgt), o);
    }
    out[(b * params.heads + h) * S4 + tid] = o / lAll;
  }
}
