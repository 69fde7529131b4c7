// Row-wise argmax of a [rows, cols] matrix (class predictions from logits): one invocation
// per row, the first maximum wins (as torch.argmax), but NaN never wins over a number (torch
// would pick the NaN).
// Rows arrive in 2-D grids (x + y·65535·64) so any row count fits the per-dimension limit.

// Params (rows, cols) and bindings (x, out): the spec ARGMAX_ROWS in cross_entropy.ts.

// From the bits: compilers may assume NaN never occurs and fold `x != x` to false.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(64)
fn argmax_rows(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x + gid.y * 65535u * 64u;
  if (row >= p.rows) {
    return;
  }
  let base = row * p.cols;
  var best = 0u;
  var bv = x[base];
  for (var c = 1u; c < p.cols; c++) {
    let v = x[base + c];
    if (!is_nan(v) && (v > bv || is_nan(bv))) {
      bv = v;
      best = c;
    }
  }
  out[row] = best;
}
