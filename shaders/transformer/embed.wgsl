// Token embedding lookup: x[t, :] = dequantised row tokens[t] of the table W[vocab, K], in any weight format:
// the format's load_w (shaders/formats/<format>.wgsl, inserted as the `weights` key: bindings 1 and 2), the
// same decode the linear kernels run. The table is a QTensor part (layouts in src/core/tensor.ts); one
// dispatch per part, and each dispatch writes only the rows whose token falls inside that part, so every
// row is written once. Grid: x over 8-weight steps of a row (WG per workgroup), y over token rows.

override WG: u32 = 64u;

struct Params {
  // Columns of the table (hidden), a whole number of the format's blocks: load_w's row length.
  K: u32,
  rows: u32,
  // First table row held by this part, and how many it holds.
  rowStart: u32,
  partRows: u32,
  vocab: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

// Eight consecutive weights of one row.
struct W8 {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(3) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

{{weights}}

// Out-of-range token ids are clamped to vocab - 1: a bad id yields a wrong row, never an out-of-bounds read.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.y;
  let s = gid.x;
  if (t >= params.rows || s >= params.K / 8u) {
    return;
  }
  let row = min(tokens[t], params.vocab - 1u);
  if (row < params.rowStart || row - params.rowStart >= params.partRows) {
    return;
  }
  let w = load_w(row - params.rowStart, s);
  let o = t * (params.K / 4u) + 2u * s;
  x[o] = w.lo;
  x[o + 1u] = w.hi;
}
