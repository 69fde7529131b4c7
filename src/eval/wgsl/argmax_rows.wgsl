// Row-wise argmax of a [rows, cols] matrix (class predictions from logits): one invocation
// per row, the first maximum wins (as torch.argmax), NaN never wins. Rows arrive in 2-D
// grids (x + y·65535·64) so any row count fits the per-dimension workgroup limit.

struct Params {
  rows: u32,
  cols: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x + gid.y * 65535u * 64u;
  if (row >= p.rows) {
    return;
  }
  let base = row * p.cols;
  var best = 0u;
  var bv = x[base];
  for (var c = 1u; c < p.cols; c++) {
    let v = x[base + c];
    if (v > bv || (bv != bv && v == v)) {
      bv = v;
      best = c;
    }
  }
  out[row] = best;
}
