// BCL (docs/method.md §10), the boosting weights from the whole memory m [n] (one workgroup,
// grid-stride loops, tree reductions):
//   z_i = (m_i − mean(m)) / std(m)   (std unbiased, as torch.std),
//   w_i = z_i / max_j |z_j| / 2 + 1/2  ∈ [0, 1];
// a memory without spread (std 0, or n = 1) gives every w_i = 0: no boosting (PyTorch's NaN
// weights boost nothing either). Params (n) and bindings (mem, weights): the spec BCL_WEIGHTS
// in mod.ts.

const WG: u32 = 256u;
const SEG: u32 = 256u;
alias RT = f32;
#include "../shared/tree_reduce.wgsl"

var<workgroup> peak: array<f32, WG>;

@compute @workgroup_size(256)
fn boost_weights(@builtin(local_invocation_index) t: u32) {
  let n = p.n;
  var acc = 0.0;
  for (var i = t; i < n; i += WG) {
    acc += mem[i];
  }
  let mean = tree(t, t, acc) / f32(n);
  var sq = 0.0;
  var big = 0.0;
  for (var i = t; i < n; i += WG) {
    let d = mem[i] - mean;
    sq += d * d;
  }
  let variance = tree(t, t, sq) / f32(max(n, 2u) - 1u);
  let sd = sqrt(variance);
  for (var i = t; i < n; i += WG) {
    big = max(big, abs((mem[i] - mean) / sd));
  }
  peak[t] = big;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      peak[t] = max(peak[t], peak[t + s]);
    }
    workgroupBarrier();
  }
  let zmax = peak[0];
  let flat = n < 2u || !(sd > 0.0) || !(zmax > 0.0);
  for (var i = t; i < n; i += WG) {
    let z = (mem[i] - mean) / sd;
    weights[i] = select(z / zmax / 2.0 + 0.5, 0.0, flat);
  }
}
