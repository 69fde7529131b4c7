// NT-Xent backward, last step: through u = z / max(‖z‖, EPS) for the rows of one view:
//   dz = gy · (du − u·(u·du)) / ‖z‖     when ‖z‖ ≥ EPS
//   dz = gy · du / EPS                   otherwise (the clamp passes no gradient to the norm)
// du = ∂mean/∂u (before the loss gradient gy, read from a buffer: no readback). One invocation
// per row; VEC when d is a multiple of 4. Params (rows, d, u_off, du_off, eps) and bindings
// (gy; u: VecF; norms; du, dz: VecF) come from the spec NTXENT_BACKWARD in ntxent.ts.

#include "../shared/vec_lanes.wgsl"

@compute @workgroup_size(64)
fn normalize_backward(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.rows) {
    return;
  }
  let w = vec_count(p.d);
  let uo = (p.u_off + i) * w;
  let go = (p.du_off + i) * w;
  let n = norms[p.u_off + i];
  let g = gy[0];
  if (n >= p.eps) {
    var dot4 = VecF(0.0);
    for (var j = 0u; j < w; j++) {
      dot4 += u[uo + j] * du[go + j];
    }
    let dot = lanes_sum(dot4);
    let f = g / n;
    for (var j = 0u; j < w; j++) {
      dz[i * w + j] = (du[go + j] - u[uo + j] * dot) * f;
    }
  } else {
    let f = g / p.eps;
    for (var j = 0u; j < w; j++) {
      dz[i * w + j] = du[go + j] * f;
    }
  }
}
