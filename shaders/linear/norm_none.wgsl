// No norm prologue, inserted as the `norm` key: no binding 6 (a bound binding must be statically used,
// so an override cannot drop it), no sum-of-squares slots, norm weights of one.

const NORM: bool = false;
const NORM_ROWS: u32 = 0u;

fn norm_w8(s: u32) -> W8 {
  return W8(vec4<f32>(1.0), vec4<f32>(1.0));
}
