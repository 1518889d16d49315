// KV-cache writes, f32 cache: the `kv` template key of shaders/transformer/{rope_kv_common,kv_write}.wgsl.
// One f32 per element. A cache row (one position of one kv head) has headDim elements and half =
// headDim / 2 writer threads; thread j owns the rotate-half pair (j, j + half).

@group(0) @binding(2) var<storage, read_write> kCache: array<f32>;
@group(0) @binding(3) var<storage, read_write> vCache: array<f32>;

// The two elements of a cache row that writer thread j owns.
fn kv_elems(j: u32, half: u32) -> vec2u {
  return vec2u(j, j + half);
}

// Stores K values kv and V values vv of elements kv_elems(j, half) of the row starting at element `row`.
fn kv_store(row: u32, j: u32, half: u32, kv: vec2f, vv: vec2f) {
  kCache[row + j] = kv.x;
  kCache[row + j + half] = kv.y;
  vCache[row + j] = vv.x;
  vCache[row + j + half] = vv.y;
}
