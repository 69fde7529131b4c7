// Row reductions of the loss kernels (one invocation per row, no workgroup memory): the
// stable log-sum-exp of a row with one entry left out, shared by softmax cross-entropy (none
// left out) and NT-Xent (the row's own similarity left out). The including kernel defines
//   fn lse_in(idx: u32) -> VecF     element idx of the matrix it reduces
// (declaration order does not matter in WGSL) and the define VEC (vec_lanes.wgsl).
#include "vec_lanes.wgsl"

// Smallest finite f32: the start of a running max (−inf would turn an all-masked max into NaN).
const LOWEST = -3.4028235e38;

// Over elements [base, base + w) of lse_in, float `skip` of the row excluded (≥ the row's
// length: none): returns (m, log Σ exp(x − m)) with m the row max, so lse = m + log Σ. The
// masked entries are replaced by LOWEST in the max and by 0 in the sum (select, not a branch:
// the vec4 and scalar variants take the same path).
fn row_max_lse(base: u32, w: u32, skip: u32) -> vec2<f32> {
  var mx = VecF(LOWEST);
  for (var j = 0u; j < w; j++) {
    mx = max(mx, select(lse_in(base + j), VecF(LOWEST), lane_ids(j) == VecU(skip)));
  }
  let m = lanes_max(mx);
  var se = VecF(0.0);
  for (var j = 0u; j < w; j++) {
    se += select(exp(lse_in(base + j) - m), VecF(0.0), lane_ids(j) == VecU(skip));
  }
  return vec2<f32>(m, log(lanes_sum(se)));
}
