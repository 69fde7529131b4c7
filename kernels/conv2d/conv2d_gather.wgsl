// x [N·C, H, W] → xs [N·C, Ho, Wo] with xs[.., i, j] = x[.., S·i, S·j], a relayout run before a
// 1×1 stride-S forward without padding (prepass.ts): that convolution is then a 1×1 stride-1
// one over contiguous rows, whose strided rows would otherwise load S× the floats they use
// (lavapipe executes every buffer load lane by lane, so a load that brings 4 useful floats
// instead of 1–2 is what counts). One invocation per output row (it divides once, then moves
// the row); with GATHER4 (Wo % 4 == 0) it stores vec4s, from two vec4 loads each when S == 2
// (PAIR). Params and bindings come from the spec GATHER in specs.ts.

@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let ho = p.ho;
  let W = p.iw;
  let wo = p.wo;
  let S = p.stride;
  for (var i = gid.x; i < p.rows; i += nwg.x * 64u) {
    // i = plane·Ho + row
    let src = ((i / ho) * p.ih + (i % ho) * S) * W;
    let dst = i * wo;
    for (var j = 0u; j < wo; j++) {
#if ${PAIR}
      // x row as vec4s: output vec4 j takes x[8j], x[8j+2], x[8j+4], x[8j+6]
      let a = x[src / 4u + 2u * j];
      let b = x[src / 4u + 2u * j + 1u];
      xs[dst + j] = vec4f(a.x, a.z, b.x, b.z);
#elif ${GATHER4}
      let s = src + 4u * S * j;
      xs[dst + j] = vec4f(x[s], x[s + S], x[s + 2u * S], x[s + 3u * S]);
#else
      xs[dst + j] = x[src + S * j];
#endif
    }
  }
}
