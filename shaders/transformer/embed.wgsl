// Token embedding lookup: x[t, :] = dequantised row tokens[t] of the table W[vocab, cols].
// The table is a QTensor part (layouts in src/core/tensor.ts); one dispatch per part, and each
// dispatch writes only the rows whose token falls inside that part, so every row is written once.
// One entry point per weight format (layout 'auto' then binds only what the format uses).
// Grid: x over columns (WG per workgroup), y over token rows.

override WG: u32 = 64u;

struct Params {
  rows: u32,
  cols: u32,
  // First table row held by this part, and how many it holds.
  rowStart: u32,
  partRows: u32,
  vocab: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> scales: array<u32>;

const NONE: u32 = 0xffffffffu;

// Element index of (tokens[t], col) within this part, or NONE when another part holds the row.
// Out-of-range token ids are clamped to vocab - 1: a bad id yields a wrong row, never an
// out-of-bounds read.
fn element_index(t: u32, col: u32) -> u32 {
  if (t >= params.rows || col >= params.cols) {
    return NONE;
  }
  let row = min(tokens[t], params.vocab - 1u);
  if (row < params.rowStart || row - params.rowStart >= params.partRows) {
    return NONE;
  }
  return (row - params.rowStart) * params.cols + col;
}

// f16 scale of the 32-weight block holding element e (two scales per word, low half first).
fn block_scale(e: u32) -> f32 {
  let b = e / 32u;
  return unpack2x16float(scales[b / 2u])[b % 2u];
}

@compute @workgroup_size(WG)
fn embed_f32(@builtin(global_invocation_id) gid: vec3u) {
  let e = element_index(gid.y, gid.x);
  if (e == NONE) {
    return;
  }
  x[gid.y * params.cols + gid.x] = bitcast<f32>(data[e]);
}

@compute @workgroup_size(WG)
fn embed_f16(@builtin(global_invocation_id) gid: vec3u) {
  let e = element_index(gid.y, gid.x);
  if (e == NONE) {
    return;
  }
  x[gid.y * params.cols + gid.x] = unpack2x16float(data[e / 2u])[e % 2u];
}

@compute @workgroup_size(WG)
fn embed_q8_0(@builtin(global_invocation_id) gid: vec3u) {
  let e = element_index(gid.y, gid.x);
  if (e == NONE) {
    return;
  }
  // Signed extractBits sign-extends the byte (two's complement int8).
  let q = extractBits(bitcast<i32>(data[e / 4u]), 8u * (e % 4u), 8u);
  x[gid.y * params.cols + gid.x] = block_scale(e) * f32(q);
}

@compute @workgroup_size(WG)
fn embed_q4_0(@builtin(global_invocation_id) gid: vec3u) {
  let e = element_index(gid.y, gid.x);
  if (e == NONE) {
    return;
  }
  let nibble = extractBits(data[e / 8u], 4u * (e % 8u), 4u);
  x[gid.y * params.cols + gid.x] = block_scale(e) * (f32(nibble) - 8.0);
}
