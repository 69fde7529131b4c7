// Bias gradient of a linear layer: gb[j] = Σ_i gy[i, j] over the rows of gy [rows, cols].
// One invocation per column (VEC: per 4 columns, when cols is a multiple of 4), walking the
// rows: every load is a full row segment, and the few hundred rows of a batch keep it cheap.
// Params (rows, cols) and bindings (gy, out: VecF) come from the spec COL_SUM in mod.ts.

#include "../shared/vec_lanes.wgsl"

@compute @workgroup_size(64)
fn col_sum(@builtin(global_invocation_id) gid: vec3u) {
  let w = vec_count(p.cols);
  let j = gid.x;
  if (j >= w) {
    return;
  }
  // Four partial sums (rows i, i+1, i+2, i+3) shorten the rounding chain of long batches.
  var s0 = VecF(0.0);
  var s1 = VecF(0.0);
  var s2 = VecF(0.0);
  var s3 = VecF(0.0);
  var i = 0u;
  for (; i + 4u <= p.rows; i += 4u) {
    s0 += gy[i * w + j];
    s1 += gy[(i + 1u) * w + j];
    s2 += gy[(i + 2u) * w + j];
    s3 += gy[(i + 3u) * w + j];
  }
  for (; i < p.rows; i++) {
    s0 += gy[i * w + j];
  }
  out[j] = (s0 + s1) + (s2 + s3);
}
