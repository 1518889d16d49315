{{enable}}
// Linear layer over one row-part of a weight matrix:
//   y[t, n] (= or +=) sum_k x[t, k] * W[n, k] (+ bias[n]),  t < tokens, n in the part.
// GEMV-style: a workgroup owns ROWS output rows and a tile of TT tokens. Its WG threads split K in steps
// of 8 weights (whole u32 words of every format), so each weight word is read once per token tile and
// each x vector once per ROWS rows; partial sums meet in workgroup memory (see Tuning below).
// Dispatch: x/y dimensions = row groups (2-D when they exceed the per-dimension limit), z = token tiles.
// Out-of-range rows and tokens are clamped when loading (no divergence, no barrier in a branch) and
// skipped when storing.
//
// Fusions (one dispatch instead of two or three):
// - RMSNorm prologue (NORM): the layer computes W · rmsnorm(x) with rmsnorm(x)[t, k] =
//   x[t, k] * norm_w[k] / sqrt(mean_k x[t, k]^2 + eps). norm_w scales the weights as they are loaded
//   (shared by every token of the tile); the sum of squares of each token row is accumulated from the
//   x values the dot products load anyway (no second pass over x), reduced with the outputs, and 1/rms
//   scales each dot product before the bias: the same value, one multiply per output.
// - SwiGLU epilogue (SWIGLU): W's rows are interleaved, row 2i = gate_i and row 2i+1 = up_i; the output is
//   y[t, i] = silu(gate_i) * up_i with row stride N / 2. ROWS is even and parts start at even rows, so
//   each workgroup holds whole (gate, up) pairs.
//
// Tuning (src/kernels/linear/variants.ts lists the variants an autotuner times on the real shapes): WG
// threads, ROWS rows per workgroup, VS consecutive 8-weight steps per thread per iteration (VS = 4 gives
// each thread 16 contiguous bytes of a q4_0 row instead of 4), and how the WG partial sums meet: a tree in
// workgroup memory, or subgroupAdd within each subgroup and one slot per subgroup in workgroup memory
// (subgroup size is read from nothing: each subgroup's elected lane claims its slot with an atomic).
//
// Template keys (what overrides cannot express), filled by src/kernels/linear/wgsl.ts with whole files:
// `enable` (the `enable subgroups;` directive or nothing); `reduce` (shaders/linear/reduce_{tree,subgroup}.wgsl)
// declares the workgroup memory of the reduction and `fn reduce_outputs(lid, vals)` / `fn reduced(j) -> f32`
// (call the first in uniform control flow; then reduced(j) is output j summed over the workgroup); `weights`
// (shaders/formats/<format>.wgsl) declares bindings 1-2 and the format's `fn load_w(row: u32, s: u32) -> W8`;
// `bias` (shaders/linear/bias{,_none}.wgsl) declares binding 4 (or nothing) and `fn add_bias`; `norm`
// (shaders/linear/norm{,_none}.wgsl) declares binding 6 (or nothing), `const NORM`, `const NORM_ROWS` (1 or
// 0: sum-of-squares slots per token in workgroup memory) and `fn norm_w8(s: u32) -> W8` (a bound binding
// must be statically used, so an override cannot drop it).

override WG: u32 = 64u;
override ROWS: u32 = 2u;
override TT: u32 = 8u;
override VS: u32 = 1u;
override RESIDUAL: bool = false;
override SWIGLU: bool = false;

// Function-scope arrays need constant sizes: the override values above must not exceed these.
const MAX_ROWS: u32 = 4u;
const MAX_TT: u32 = 8u;
// Reduced values per thread: ROWS * TT dot products, then (NORM) TT sums of squares.
const MAX_OUT: u32 = (MAX_ROWS + 1u) * MAX_TT;

{{common}}

{{weights}}

{{bias}}

{{norm}}

{{reduce}}

// Output r (row within the group) for token t (within the tile): reduced sum, normalised, plus bias.
fn output(r: u32, t: u32, gn: u32) -> f32 {
  var v = reduced(r * TT + t);
  if (NORM) {
    v *= inverseSqrt(reduced(ROWS * TT + t) / f32(params.K) + params.eps);
  }
  return add_bias(gn, v);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let row0 = (wid.x + wid.y * params.groups_x) * ROWS;
  if (row0 >= params.part_rows) {
    return;
  }
  let t0 = wid.z * TT;
  let steps = params.K / 8u;
  let x_stride = params.K / 4u;

  // vals[r * TT + t]: dot product of row r and token t; vals[ROWS * TT + t]: token t's sum of squares.
  var vals: array<f32, MAX_OUT>;
  for (var s0 = lid * VS; s0 < steps; s0 += WG * VS) {
    for (var v = 0u; v < VS; v++) {
      let s = s0 + v;
      if (s >= steps) {
        break;
      }
      var w: array<W8, MAX_ROWS>;
      for (var r = 0u; r < ROWS; r++) {
        w[r] = load_w(min(row0 + r, params.part_rows - 1u), s);
      }
      if (NORM) {
        let nw = norm_w8(s);
        for (var r = 0u; r < ROWS; r++) {
          w[r] = W8(w[r].lo * nw.lo, w[r].hi * nw.hi);
        }
      }
      for (var t = 0u; t < TT; t++) {
        let xb = min(t0 + t, params.tokens - 1u) * x_stride + 2u * s;
        let x_lo = x[xb];
        let x_hi = x[xb + 1u];
        for (var r = 0u; r < ROWS; r++) {
          vals[r * TT + t] += dot(w[r].lo, x_lo) + dot(w[r].hi, x_hi);
        }
        if (NORM) {
          vals[ROWS * TT + t] += dot(x_lo, x_lo) + dot(x_hi, x_hi);
        }
      }
    }
  }
  reduce_outputs(lid, &vals);

  if (SWIGLU) {
    // Thread lid stores pair p = lid / TT (rows 2p and 2p + 1 of the group) for token t.
    if (lid < (ROWS / 2u) * TT) {
      let p = lid / TT;
      let tl = lid % TT;
      let n = row0 + 2u * p;
      let t = t0 + tl;
      if (n < params.part_rows && t < params.tokens) {
        let gn = params.row_start + n;
        let g = output(2u * p, tl, gn);
        let u = output(2u * p + 1u, tl, gn + 1u);
        y[t * (params.N / 2u) + gn / 2u] = swiglu(g, u);
      }
    }
    return;
  }
  if (lid < ROWS * TT) {
    let n = row0 + lid / TT;
    let tl = lid % TT;
    let t = t0 + tl;
    if (n < params.part_rows && t < params.tokens) {
      let gn = params.row_start + n;
      let o = t * params.N + gn;
      var v = output(lid / TT, tl, gn);
      if (RESIDUAL) {
        v += y[o];
      }
      y[o] = v;
    }
  }
}
