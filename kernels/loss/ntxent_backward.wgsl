// NT-Xent backward, last step: through u = z / max(‖z‖, EPS) for the rows of one view:
//   dz = gy · (du − u·(u·du)) / ‖z‖     when ‖z‖ ≥ EPS
//   dz = gy · du / EPS                   otherwise (the clamp passes no gradient to the norm)
// du = ∂mean/∂u (before the loss gradient gy, read from a buffer: no readback). One invocation
// per row; VEC when d is a multiple of 4.

struct Params {
  rows: u32,
  d: u32,
  u_off: u32,
  du_off: u32,
  eps: f32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
#if ${VEC}
@group(0) @binding(2) var<storage, read> u: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> u: array<f32>;
#endif
@group(0) @binding(3) var<storage, read> norms: array<f32>;
#if ${VEC}
@group(0) @binding(4) var<storage, read> du: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dz: array<vec4<f32>>;
#else
@group(0) @binding(4) var<storage, read> du: array<f32>;
@group(0) @binding(5) var<storage, read_write> dz: array<f32>;
#endif

@compute @workgroup_size(64)
fn normalize_backward(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.rows) {
    return;
  }
#if ${VEC}
  let w = p.d / 4u;
#else
  let w = p.d;
#endif
  let uo = (p.u_off + i) * w;
  let go = (p.du_off + i) * w;
  let n = norms[p.u_off + i];
  let g = gy[0];
  if (n >= p.eps) {
#if ${VEC}
    var dot4 = vec4<f32>(0.0);
    for (var j = 0u; j < w; j++) {
      dot4 += u[uo + j] * du[go + j];
    }
    let dot = (dot4.x + dot4.y) + (dot4.z + dot4.w);
#else
    var dot = 0.0;
    for (var j = 0u; j < w; j++) {
      dot += u[uo + j] * du[go + j];
    }
#endif
    let f = g / n;
    for (var j = 0u; j < w; j++) {
      dz[i * w + j] = (du[go + j] - u[uo + j] * dot) * f;
    }
  } else {
    let f = g / p.eps;
    for (var j = 0u; j < w; j++) {
      dz[i * w + j] = du[go + j] * f;
    }
  }
}
