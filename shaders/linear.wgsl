// Linear layer over one row-part of a weight matrix:
//   y[t, n] (= or +=) sum_k x[t, k] * W[n, k] (+ bias[n]),  t < tokens, n in the part.
// GEMV-style: a workgroup owns ROWS output rows and a tile of TT tokens. Its WG threads split K in steps
// of 8 weights (whole u32 words of every format), so each weight word is read once per token tile and
// each x vector once per ROWS rows; partial sums meet in workgroup memory (tree reduction).
// Dispatch: x/y dimensions = row groups (2-D when they exceed the per-dimension limit), z = token tiles.
// Out-of-range rows and tokens are clamped when loading (no divergence, no barrier in a branch) and
// skipped when storing.
//
// Template keys (what overrides cannot express), filled by src/kernels/linear.ts: `weights` declares
// bindings 1-2 and the format's `fn load_w(row: u32, s: u32) -> W8`; `bias` declares binding 4 (or
// nothing) and `fn add_bias`.

override WG: u32 = 64u;
override ROWS: u32 = 2u;
override TT: u32 = 8u;
override RESIDUAL: bool = false;

// Function-scope arrays need constant sizes: the override values above must not exceed these.
const MAX_ROWS: u32 = 4u;
const MAX_TT: u32 = 8u;

struct Params {
  // Inputs per token (row stride of x; multiple of 8, of 32 for q8_0/q4_0).
  K: u32,
  // Outputs per token (row stride of y).
  N: u32,
  tokens: u32,
  // First row of W held by this part, and its row count.
  row_start: u32,
  part_rows: u32,
  // Workgroups along x: row group = wid.x + wid.y * groups_x.
  groups_x: u32,
}

// Eight consecutive weights of one row.
struct W8 {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

{{weights}}

{{bias}}

var<workgroup> partial: array<f32, WG * ROWS * TT>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let row0 = (wid.x + wid.y * params.groups_x) * ROWS;
  if (row0 >= params.part_rows) {
    return;
  }
  let t0 = wid.z * TT;
  let steps = params.K / 8u;
  let x_stride = params.K / 4u;

  var acc: array<f32, MAX_ROWS * MAX_TT>;
  for (var s = lid; s < steps; s += WG) {
    var w: array<W8, MAX_ROWS>;
    for (var r = 0u; r < ROWS; r++) {
      w[r] = load_w(min(row0 + r, params.part_rows - 1u), s);
    }
    for (var t = 0u; t < TT; t++) {
      let xb = min(t0 + t, params.tokens - 1u) * x_stride + 2u * s;
      let x_lo = x[xb];
      let x_hi = x[xb + 1u];
      for (var r = 0u; r < ROWS; r++) {
        acc[r * MAX_TT + t] += dot(w[r].lo, x_lo) + dot(w[r].hi, x_hi);
      }
    }
  }

  // partial[j * WG + lid] for output j = r * TT + t.
  for (var r = 0u; r < ROWS; r++) {
    for (var t = 0u; t < TT; t++) {
      partial[(r * TT + t) * WG + lid] = acc[r * MAX_TT + t];
    }
  }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      for (var j = 0u; j < ROWS * TT; j++) {
        partial[j * WG + lid] += partial[j * WG + lid + stride];
      }
    }
    workgroupBarrier();
  }

  if (lid < ROWS * TT) {
    let n = row0 + lid / TT;
    let t = t0 + lid % TT;
    if (n < params.part_rows && t < params.tokens) {
      let gn = params.row_start + n;
      let o = t * params.N + gn;
      var v = add_bias(gn, partial[lid * WG]);
      if (RESIDUAL) {
        v += y[o];
      }
      y[o] = v;
    }
  }
}
