// out[0] = scale · Σ_i x[i]: the mean of per-row losses (scale = 1/n). A single invocation with
// Kahan summation: n is a batch (hundreds to a few thousand rows), so one pass is cheap and the
// result does not depend on the number of invocations. With PAIRS the same pass also writes
// pairs[i] = (x[i] + x[i + half]) / 2 for i < half: NT-Xent's per-sample losses (image i's
// two rows), whose mean is out[0] when n = 2·half.

// Params (n, scale, half) and bindings (x, out; pairs with PAIRS): the spec SUM_SCALED in
// ntxent.ts.

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
#if ${PAIRS}
  for (var i = 0u; i < p.half; i++) {
    pairs[i] = 0.5 * (x[i] + x[i + p.half]);
  }
#endif
}
