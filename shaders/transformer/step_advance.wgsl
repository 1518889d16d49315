// Advances the decode state on the GPU: state[0] (position) += posDelta, state[1] (generated-token
// counter) += 1. A single thread, so many decode steps can be encoded in one submit with no CPU
// round trip between them.

struct Params {
  posDelta: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> state: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
  state[0] += params.posDelta;
  state[1] += 1u;
}
