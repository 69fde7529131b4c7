// Finishes the weight gradient from the tile-padded scratch [splits, Op, Cp, KK] written by
// conv2d_wgrad.wgsl: dw[o, c, t] = Σ_z scratch[z, o, c, t] (cropping the padding), times the
// mask when MASKED. A grid-stride loop; each element is read by one invocation (no atomics).
// Params and bindings come from the spec REDUCE in specs.ts.

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = p.op * p.cp * p.kk;
  for (var i = gid.x; i < p.n; i += nwg.x * 256u) {
    let t = i % p.kk;
    let oc = i / p.kk;
    let base = ((oc / p.cin) * p.cp + oc % p.cin) * p.kk + t;
    var s = 0.0;
    for (var z = 0u; z < p.splits; z++) {
      s += part[z * stride + base];
    }
#if ${MASKED}
    s *= wm[i];
#endif
    dw[i] = s;
  }
}
