// out[0] = scale · Σ_i x[i]: the mean of per-row losses (scale = 1/n). A single invocation with
// Kahan summation: n is a batch (hundreds to a few thousand rows), so one pass is cheap and the
// result does not depend on the number of invocations.

// Params (n, scale) and bindings (x, out): the spec SUM_SCALED in ntxent.ts.

@compute @workgroup_size(1)
fn sum_scaled() {
  var sum = 0.0;
  var comp = 0.0;
  for (var i = 0u; i < p.n; i++) {
    let y = x[i] - comp;
    let t = sum + y;
    comp = (t - sum) - y;
    sum = t;
  }
  out[0] = sum * p.scale;
}
