// Global average pool [N, C, H, W] → [N, C] and its backward. One invocation per (n, c) plane
// in a grid-stride loop; a plane is HWv contiguous VT values (vec4 when H·W % 4 == 0).
//   fwd: y[p] = Σ x[p, :] / HW          bwd: gx[p, :] = gy[p] / HW

struct Params {
  planes: u32,
  HWv: u32,
  inv: f32,
  _p0: u32,
}

#if ${VEC4}
alias VT = vec4<f32>;
fn hsum(v: VT) -> f32 { return v.x + v.y + v.z + v.w; }
#else
alias VT = f32;
fn hsum(v: VT) -> f32 { return v; }
#endif

@group(0) @binding(0) var<uniform> p: Params;
#if ${BWD}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<VT>;
#else
@group(0) @binding(1) var<storage, read> x: array<VT>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
#endif

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
