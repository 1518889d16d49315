// No bias, inserted as the `bias` key in layers built without one: add_bias(n, v) returns v.

fn add_bias(n: u32, v: f32) -> f32 {
  return v;
}
