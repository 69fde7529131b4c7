// Per-channel input normalisation over NCHW and its backward:
//   fwd: y = (x − mean[c]) / std[c]        bwd: gx = gy / std[c]
// consts = [mean (C), std (C)]. Grid [x, min(planes, 65535)]: y picks the (n, c) plane
// (grid-stride over planes), x walks the plane's HWv values (grid-stride), so the channel
// comes from one division per plane, not per element.

// Params and bindings: the spec NORMALIZE_CHANNELS in mod.ts.

#include "../shared/vt.wgsl"

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  for (var plane = wid.y; plane < p.planes; plane += nwg.y) {
    let c = plane % p.C;
    let inv = 1.0 / consts[p.C + c];
    let base = plane * p.HWv;
#if ${BWD}
    for (var i = gid.x; i < p.HWv; i += nwg.x * WG) {
      dst[base + i] = src[base + i] * inv;
    }
#else
    let mean = consts[c];
    for (var i = gid.x; i < p.HWv; i += nwg.x * WG) {
      dst[base + i] = (src[base + i] - mean) * inv;
    }
#endif
  }
}
