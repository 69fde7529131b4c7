// Global average pool [N, C, H, W] → [N, C] and its backward. One invocation per (n, c) plane
// in a grid-stride loop; a plane is HWv contiguous VT values (vec4 when H·W % 4 == 0).
//   fwd: y[p] = Σ x[p, :] / HW          bwd: gx[p, :] = gy[p] / HW

// Params and bindings: the spec AVG_POOL in mod.ts.

#include "../shared/vt.wgsl"

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  for (var pl = gid.x; pl < p.planes; pl += stride) {
    let base = pl * p.HWv;
#if ${BWD}
    let v = VT(gy[pl] * p.inv);
    for (var k = 0u; k < p.HWv; k++) {
      gx[base + k] = v;
    }
#else
    var s = VT(0.0);
    for (var k = 0u; k < p.HWv; k++) {
      s += x[base + k];
    }
    y[pl] = hsum(s) * p.inv;
#endif
  }
}
