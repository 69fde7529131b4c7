// Softmax cross-entropy of logits [N, C] with integer labels [N] (u32), one invocation per row:
//   ce_rows:     loss_i = log Σ_c exp(x[i,c]) − x[i, label_i]     (row max subtracted: stable)
//   ce_backward: gx[i,c] = gy[0] / N · (softmax(x_i)[c] − [c = label_i])
// The backward recomputes the row's max and sum instead of saving them (C is 10–1000: a few
// loads per row). A label ≥ C reads as no target (loss = lse, gradient = softmax) rather than
// out of bounds; the launcher documents that labels must be < C. Rows are read as f32 (the
// define VEC is false). Params (n, c, inv_n) and bindings (x, labels, out; gy for the
// backward) come from the spec CROSS_ENTROPY in cross_entropy.ts.

#include "../shared/row_reduce.wgsl"

fn lse_in(idx: u32) -> VecF {
  return x[idx];
}

// (row max, log Σ exp(x − max)) of row i: no entry left out.
fn row_lse(i: u32) -> vec2<f32> {
  return row_max_lse(i * p.c, p.c, 0xffffffffu);
}

@compute @workgroup_size(64)
fn ce_rows(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.n) {
    return;
  }
  let l = row_lse(i);
  let y = labels[i];
  if (y < p.c) {
    // (x − max) first, so a large logit does not cancel against a large lse.
    out[i] = l.y - (x[i * p.c + y] - l.x);
  } else {
    out[i] = l.x + l.y;
  }
}

@compute @workgroup_size(64)
fn ce_backward(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.n) {
    return;
  }
  let l = row_lse(i);
  let y = labels[i];
  let f = gy[0] * p.inv_n;
  for (var j = 0u; j < p.c; j++) {
    let sm = exp(x[i * p.c + j] - l.x - l.y);
    out[i * p.c + j] = (sm - select(0.0, 1.0, j == y)) * f;
  }
}
