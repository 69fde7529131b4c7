// BCL (docs/method.md §10), the per-image loss memory: for the n images of a batch, item[i]
// their positions in the training set and ℓ_i their per-sample NT-Xent losses,
//   memory[item[i]] = ℓ_i                                    in the first epoch (first = 1),
//   memory[item[i]] = beta·memory[item[i]] + (1 − beta)·ℓ_i    later,
// one invocation per image (a batch holds each image once: no two invocations share a slot).
// Params (n, first, beta, one_minus_beta) and bindings (samples, item, memory): the spec
// BCL_MEMORY in mod.ts.

@compute @workgroup_size(64)
fn memory_update(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.n) {
    return;
  }
  let k = item[i];
  let l = samples[i];
  if (p.first != 0u) {
    memory[k] = l;
  } else {
    memory[k] = p.beta * memory[k] + p.one_minus_beta * l;
  }
}
