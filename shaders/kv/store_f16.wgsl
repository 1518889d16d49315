// KV-cache writes, f16 cache: the `kv` template key of shaders/transformer/{rope_kv_common,kv_write}.wgsl.
// Two f16 per u32 word, element 2i in the low half of word i (pack2x16float: no shader-f16 needed). A
// cache row (one position of one kv head) has headDim elements (even) and half = headDim / 2 writer
// threads; thread j owns word j, elements (2j, 2j + 1), and writes it whole: no two threads share a word.

@group(0) @binding(2) var<storage, read_write> kCache: array<u32>;
@group(0) @binding(3) var<storage, read_write> vCache: array<u32>;

// The two elements of a cache row that writer thread j owns.
fn kv_elems(j: u32, half: u32) -> vec2u {
  return vec2u(2u * j, 2u * j + 1u);
}

// Stores K values kv and V values vv of elements kv_elems(j, half) of the row starting at element `row`
// (a multiple of headDim, so even), each rounded to f16.
fn kv_store(row: u32, j: u32, half: u32, kv: vec2f, vv: vec2f) {
  kCache[row / 2u + j] = pack2x16float(kv);
  vCache[row / 2u + j] = pack2x16float(vv);
}
