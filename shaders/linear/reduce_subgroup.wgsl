// Subgroup reduction of shaders/linear/linear.wgsl, inserted as the `reduce` key (with `enable
// subgroups;` as the `enable` key): subgroupAdd within each subgroup, then one slot per subgroup in
// workgroup memory, claimed by the subgroup's elected lane with an atomic (no subgroup size is assumed).
// Call reduce_outputs in uniform control flow; then reduced(j) is output j summed over the workgroup.

// A subgroup has at least 4 lanes, so at most WG / 4 subgroups claim a slot each. The claim order (and so
// the order the slots are summed in) varies between runs: the last bits of a sum may too.
override SG_SLOTS: u32 = WG / 4u;
var<workgroup> sg_sums: array<f32, SG_SLOTS * (ROWS + NORM_ROWS) * TT>;
var<workgroup> sg_count: atomic<u32>;

fn reduce_outputs(lid: u32, vals: ptr<function, array<f32, MAX_OUT>>) {
  let count = (ROWS + NORM_ROWS) * TT;
  var sums: array<f32, MAX_OUT>;
  for (var j = 0u; j < count; j++) {
    sums[j] = subgroupAdd((*vals)[j]);
  }
  if (subgroupElect()) {
    let slot = atomicAdd(&sg_count, 1u);
    for (var j = 0u; j < count; j++) {
      sg_sums[j * SG_SLOTS + slot] = sums[j];
    }
  }
  workgroupBarrier();
}

fn reduced(j: u32) -> f32 {
  let n = atomicLoad(&sg_count);
  var v = 0.0;
  for (var i = 0u; i < n; i++) {
    v += sg_sums[j * SG_SLOTS + i];
  }
  return v;
}
