// Workgroup tree reduction: sums v over the SEG consecutive invocations of each segment
// (SEG a power of two dividing WG; SEG = WG reduces the whole workgroup) and returns the
// segment's total to every invocation of it. `lane` is t mod SEG. The including kernel
// declares `const WG: u32`, `const SEG: u32` and `alias RT` (the summed type, e.g. f32 or
// vec2<f32>), and calls it from uniform control flow (it has barriers).
var<workgroup> red: array<RT, WG>;

fn tree(t: u32, lane: u32, v: RT) -> RT {
  red[t] = v;
  workgroupBarrier();
  for (var s = SEG / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      red[t] += red[t + s];
    }
    workgroupBarrier();
  }
  let total = red[t - lane];
  workgroupBarrier();
  return total;
}
