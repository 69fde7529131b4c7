// Correct-prediction counts on the GPU: per row, the argmax of the logits (first maximum, as
// torch.argmax) is compared with the label, and per-class counters are incremented:
//   counts[c]     += rows with label c
//   counts[C + c] += rows with label c predicted correctly
// Counts accumulate across batches until the buffer is cleared, so an evaluation pass reads
// back 2C numbers once. One atomic per row (not a hot loop). Labels ≥ C are not counted.

// Params (n, c) and bindings (x, labels, counts): the spec COUNT_CORRECT in cross_entropy.ts.

@compute @workgroup_size(64)
fn count_correct(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.n) {
    return;
  }
  let y = labels[i];
  if (y >= p.c) {
    return;
  }
  var best = x[i * p.c];
  var arg = 0u;
  for (var j = 1u; j < p.c; j++) {
    let v = x[i * p.c + j];
    if (v > best) {
      best = v;
      arg = j;
    }
  }
  atomicAdd(&counts[y], 1u);
  if (arg == y) {
    atomicAdd(&counts[p.c + y], 1u);
  }
}
