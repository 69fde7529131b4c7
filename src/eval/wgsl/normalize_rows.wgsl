// In-place L2 normalisation of the rows of a [rows, dim] matrix: x / max(‖x‖, 1e-12), as
// torch.nn.functional.normalize. One invocation per row (rows are short: a feature vector).

struct Params {
  rows: u32,
  dim: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x + gid.y * 65535u * 64u;
  if (row >= p.rows) {
    return;
  }
  let base = row * p.dim;
  var s = 0.0;
  for (var f = 0u; f < p.dim; f++) {
    let v = x[base + f];
    s += v * v;
  }
  let inv = 1.0 / max(sqrt(s), 1e-12);
  for (var f = 0u; f < p.dim; f++) {
    x[base + f] = x[base + f] * inv;
  }
}
