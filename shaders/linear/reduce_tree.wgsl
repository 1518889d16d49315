// Tree reduction of shaders/linear/linear.wgsl, inserted as the `reduce` key: each output's WG partial
// sums meet in workgroup memory, halved log2(WG) times. Call reduce_outputs in uniform control flow;
// then reduced(j) is output j summed over the workgroup.

// Output j of thread lid at partial[j * WG + lid], halved into partial[j * WG].
var<workgroup> partial: array<f32, WG * (ROWS + NORM_ROWS) * TT>;

fn reduce_outputs(lid: u32, vals: ptr<function, array<f32, MAX_OUT>>) {
  let count = (ROWS + NORM_ROWS) * TT;
  for (var j = 0u; j < count; j++) {
    partial[j * WG + lid] = (*vals)[j];
  }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      for (var j = 0u; j < count; j++) {
        partial[j * WG + lid] += partial[j * WG + lid + stride];
      }
    }
    workgroupBarrier();
  }
}

fn reduced(j: u32) -> f32 {
  return partial[j * WG];
}
