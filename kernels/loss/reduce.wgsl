// out[0] = scale · Σ_i x[i]: the mean of per-row losses (scale = 1/n). A single invocation with
// Kahan summation: n is a batch (hundreds to a few thousand rows), so one pass is cheap and the
// result does not depend on the number of invocations.

struct Params {
  n: u32,
  scale: f32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

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
