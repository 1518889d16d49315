// lowbias32 integer hash: cheap, well mixed, and exact in both WGSL and JS (src/core/numeric.ts: mix32).
// Inserted as {{mix32}} into every shader that generates reproducible operands, so there is one copy.
fn mix32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}
