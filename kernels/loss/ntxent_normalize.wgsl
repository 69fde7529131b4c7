// NT-Xent, step 1: row-wise L2 normalisation of one view into its half of U = [u1; u2]:
//   u[row_off + i] = z[i] / max(‖z[i]‖, EPS),   norms[row_off + i] = ‖z[i]‖
// (PyTorch's F.normalize). The raw norm is kept for the backward. One invocation per row; VEC
// reads rows as vec4 when d is a multiple of 4. Params (rows, d, row_off, eps) and bindings
// (z, u: VecF; norms) come from the spec NTXENT_NORMALIZE in ntxent.ts.

#include "../shared/vec_lanes.wgsl"

@compute @workgroup_size(64)
fn normalize_rows(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.rows) {
    return;
  }
  let w = vec_count(p.d);
  var ss = VecF(0.0);
  for (var j = 0u; j < w; j++) {
    let v = z[i * w + j];
    ss += v * v;
  }
  let n = sqrt(lanes_sum(ss));
  let inv = 1.0 / max(n, p.eps);
  let o = (p.row_off + i) * w;
  for (var j = 0u; j < w; j++) {
    u[o + j] = z[i * w + j] * inv;
  }
  norms[p.row_off + i] = n;
}
