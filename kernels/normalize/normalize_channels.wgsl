// Per-channel input normalisation over NCHW and its backward:
//   fwd: y = (x − mean[c]) / std[c]        bwd: gx = gy / std[c]
// consts = [mean (C), std (C)]. Grid [x, min(planes, 65535)]: y picks the (n, c) plane
// (grid-stride over planes), x walks the plane's HWv values (grid-stride), so the channel
// comes from one division per plane, not per element.

struct Params {
  C: u32,
  HWv: u32,
  planes: u32,
  _p0: u32,
}

#if ${VEC4}
alias VT = vec4<f32>;
#else
alias VT = f32;
#endif

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<VT>;
@group(0) @binding(2) var<storage, read> consts: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<VT>;

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
