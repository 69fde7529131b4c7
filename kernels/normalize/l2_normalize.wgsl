// Row-wise L2 normalisation of [N, d] (PyTorch's F.normalize, p = 2, eps = 1e-12) and its
// backward. A workgroup of 64 holds 64/TPR rows, TPR invocations per row (TPR a power of two
// sized so each invocation has a few VT values: short rows like d = 128 would otherwise leave
// most of a workgroup idle); grid-stride over blocks of rows. Per row: a strided pass, a
// segmented tree reduction in shared memory, then the elementwise pass.
//   fwd: r = ‖z‖, u = z / max(r, eps), norm[row] = r
//   bwd: D = max(r, eps); gz = gu/D − [r ≥ eps]·z·(Σ gu·z)/(D²·r)
// ([r ≥ eps] is clamp_min's mask in PyTorch; below eps the denominator is constant.)

// Params and bindings: the spec L2_NORMALIZE in mod.ts.

#include "../shared/vt.wgsl"

const WG: u32 = 64u;
const TPR: u32 = ${TPR}u;
const RPW: u32 = WG / TPR;
// The sum over the TPR invocations of each row (lane = t % TPR).
const SEG: u32 = TPR;
alias RT = f32;
#include "../shared/tree_reduce.wgsl"

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) t: u32,
) {
  let lane = t % TPR;
  for (var block = wid.x; block * RPW < p.rows; block += nwg.x) {
    let row = block * RPW + t / TPR;
    // Rows past the end still take part in the barriers, with no values.
    let n = select(0u, p.dv, row < p.rows);
    let base = row * p.dv;
#if ${BWD}
    var acc = VT(0.0);
    for (var i = lane; i < n; i += TPR) {
      acc += gu[base + i] * z[base + i];
    }
    let dot = tree(t, lane, hsum(acc));
    if (row < p.rows) {
      let r = norm[row];
      let d = max(r, p.eps);
      let k = select(0.0, dot / (d * d * r), r >= p.eps);
      for (var i = lane; i < n; i += TPR) {
        gz[base + i] = gu[base + i] / d - z[base + i] * k;
      }
    }
#else
    var acc = VT(0.0);
    for (var i = lane; i < n; i += TPR) {
      let v = z[base + i];
      acc += v * v;
    }
    let r = sqrt(tree(t, lane, hsum(acc)));
    let inv = 1.0 / max(r, p.eps);
    for (var i = lane; i < n; i += TPR) {
      u[base + i] = z[base + i] * inv;
    }
    if (lane == 0u && row < p.rows) {
      norm[row] = r;
    }
#endif
  }
}
