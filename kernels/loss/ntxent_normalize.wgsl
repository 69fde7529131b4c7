// NT-Xent, step 1: row-wise L2 normalisation of one view into its half of U = [u1; u2]:
//   u[row_off + i] = z[i] / max(‖z[i]‖, EPS),   norms[row_off + i] = ‖z[i]‖
// (PyTorch's F.normalize). The raw norm is kept for the backward. One invocation per row; VEC
// reads rows as vec4 when d is a multiple of 4.

struct Params {
  rows: u32,
  d: u32,
  row_off: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
#if ${VEC}
@group(0) @binding(1) var<storage, read> z: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> u: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> norms: array<f32>;

@compute @workgroup_size(64)
fn normalize_rows(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.rows) {
    return;
  }
#if ${VEC}
  let w = p.d / 4u;
  var ss = vec4<f32>(0.0);
  for (var j = 0u; j < w; j++) {
    let v = z[i * w + j];
    ss += v * v;
  }
  let n = sqrt((ss.x + ss.y) + (ss.z + ss.w));
#else
  let w = p.d;
  var ss = 0.0;
  for (var j = 0u; j < w; j++) {
    let v = z[i * w + j];
    ss += v * v;
  }
  let n = sqrt(ss);
#endif
  let inv = 1.0 / max(n, p.eps);
  let o = (p.row_off + i) * w;
  for (var j = 0u; j < w; j++) {
    u[o + j] = z[i * w + j] * inv;
  }
  norms[p.row_off + i] = n;
}
