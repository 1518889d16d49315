// What rope_kv.wgsl and rope_kv_norm.wgsl share (each is this file followed by its own): the params,
// the bindings, and the rotation of pair k at a position. Rotate-half convention (HF Llama/Qwen): pair
// (i, i + headDim/2) at angle pos * invFreq[i], as rope.wgsl. qkv is token-major
// [rows, (heads + 2 * kvHeads) * headDim]: per row, q heads, then k heads, then v heads; caches are
// [seqCap][kvHeads][ctxCap][headDim]; pos(t) = state[0] + t * posStep, seq(t) = posStep ? 0 : t.
// The caches' element type comes in as the `kv` template key: a k head's writer thread j stores the
// two elements kv_elems(j) of its cache row (the pair (j, j + half) in f32, the word (2j, 2j + 1) in f16).

struct Params {
  rows: u32,
  heads: u32,
  kvHeads: u32,
  headDim: u32,
  ctxCap: u32,
  posStep: u32,
  eps: f32, // rope_kv_norm's RMSNorm epsilon (unused by rope_kv)
  pad0: u32,
  // headDim / 2 frequencies, four per vec4 (uniform arrays need 16-byte elements); headDim <= 512.
  invFreq: array<vec4f, 64>,
}

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read_write> q: array<f32>;
// Bindings 2 and 3 (the caches), kv_elems and kv_store: shaders/kv/store_f32.wgsl or store_f16.wgsl.
{{kv}}
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

// 2*pi split Cody-Waite style: n * TWO_PI_HI is exact for n < 2^16 (6.28125 has 8 significant bits).
const TWO_PI_HI: f32 = 6.28125;
const TWO_PI_LO: f32 = 1.9353071795864769e-3;
const INV_TWO_PI: f32 = 0.15915494309189535;

// (cos, sin) of pair k's angle at position pos.
fn rotation(pos: u32, k: u32) -> vec2f {
  let angle = f32(pos) * params.invFreq[k / 4u][k % 4u];
  // WGSL only bounds sin/cos accuracy on [-pi, pi]: reduce the angle there first.
  let n = round(angle * INV_TWO_PI);
  let r = (angle - n * TWO_PI_HI) - n * TWO_PI_LO;
  return vec2f(cos(r), sin(r));
}

// Element e of a rotated head from its pair (a, b) = (x[i], x[i + half]), i = e % half, at (cos, sin) cs:
// a * c - b * s in the lower half (e < half), a * s + b * c in the upper.
fn rope_elem(a: f32, b: f32, cs: vec2f, upper: bool) -> f32 {
  return select(a * cs.x - b * cs.y, a * cs.y + b * cs.x, upper);
}
