// NT-Xent, step 3 (after C = U·Uᵀ by the GEMM): per row i of S = C/t [R, R], R = 2B, positive
// p(i) = (i + B) mod R, the row i itself excluded:
//   lse_i  = log Σ_{k≠i} exp(S[i,k])             (with the row max subtracted: stable)
//   loss_i = lse_i − S[i, p(i)]
//   G[i,k] = (exp(S[i,k] − lse_i) − [k = p(i)]) / (R t),  G[i,i] = 0   (GRAD only: ∂mean/∂C)
// 1/t is read from the one-float buffer inv_t (not a uniform: a schedule changes it per
// epoch). One invocation per row (a row of a few hundred vec4s is cheap on the CPU adapter
// and needs no reduction across invocations). VEC when R is a multiple of 4. Params (r, b,
// inv_r) and bindings (s: VecF; inv_t; loss_rows; g: VecF, only with GRAD) come from the spec
// NTXENT_SOFTMAX in ntxent.ts.

#include "../shared/row_reduce.wgsl"

fn lse_in(idx: u32) -> VecF {
  return s[idx] * inv_t[0];
}

@compute @workgroup_size(64)
fn softmax_rows(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.r) {
    return;
  }
  let pos = select(i - p.b, i + p.b, i < p.b);
  let w = vec_count(p.r);
  let l = row_max_lse(i * w, w, i);
  let lse = l.x + l.y;
  let s_pos = lane_of(s[i * w + vec_of(pos)], pos) * inv_t[0];
  loss_rows[i] = lse - s_pos;
#if ${GRAD}
  let scale = p.inv_r * inv_t[0];
  for (var j = 0u; j < w; j++) {
    let k = lane_ids(j);
    var v = exp(lse_in(i * w + j) - lse) - select(VecF(0.0), VecF(1.0), k == VecU(pos));
    v = select(v, VecF(0.0), k == VecU(i));
    g[i * w + j] = v * scale;
  }
#endif
}
