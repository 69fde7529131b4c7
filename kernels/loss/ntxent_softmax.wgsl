// NT-Xent, step 3 (after S = U·Uᵀ/t by the GEMM): per row i of S [R, R], R = 2B, positive
// p(i) = (i + B) mod R, the row i itself excluded:
//   lse_i  = log Σ_{k≠i} exp(S[i,k])             (with the row max subtracted: stable)
//   loss_i = lse_i − S[i, p(i)]
//   G[i,k] = (exp(S[i,k] − lse_i) − [k = p(i)]) / R,  G[i,i] = 0     (GRAD only: ∂mean/∂S)
// One invocation per row (a row of a few hundred vec4s is cheap on the CPU adapter and needs no
// reduction across invocations). VEC when R is a multiple of 4.

struct Params {
  r: u32,
  b: u32,
  inv_r: f32,
  _p0: u32,
}

const LOWEST = -3.4028235e38;

@group(0) @binding(0) var<uniform> p: Params;
#if ${VEC}
@group(0) @binding(1) var<storage, read> s: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> s: array<f32>;
#endif
@group(0) @binding(2) var<storage, read_write> loss_rows: array<f32>;
#if ${GRAD}
#if ${VEC}
@group(0) @binding(3) var<storage, read_write> g: array<vec4<f32>>;
#else
@group(0) @binding(3) var<storage, read_write> g: array<f32>;
#endif
#endif

@compute @workgroup_size(64)
fn softmax_rows(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.r) {
    return;
  }
  let pos = select(i - p.b, i + p.b, i < p.b);
#if ${VEC}
  let w = p.r / 4u;
  let lane = vec4<u32>(0u, 1u, 2u, 3u);
  var mx4 = vec4<f32>(LOWEST);
  for (var j = 0u; j < w; j++) {
    let v = select(s[i * w + j], vec4<f32>(LOWEST), j * 4u + lane == vec4<u32>(i));
    mx4 = max(mx4, v);
  }
  let mx = max(max(mx4.x, mx4.y), max(mx4.z, mx4.w));
  var se4 = vec4<f32>(0.0);
  for (var j = 0u; j < w; j++) {
    let e = exp(s[i * w + j] - mx);
    se4 += select(e, vec4<f32>(0.0), j * 4u + lane == vec4<u32>(i));
  }
  let lse = mx + log((se4.x + se4.y) + (se4.z + se4.w));
  let s_pos = s[i * w + pos / 4u][pos % 4u];
#else
  let w = p.r;
  var mx = LOWEST;
  for (var j = 0u; j < w; j++) {
    if (j != i) {
      mx = max(mx, s[i * w + j]);
    }
  }
  var se = 0.0;
  for (var j = 0u; j < w; j++) {
    if (j != i) {
      se += exp(s[i * w + j] - mx);
    }
  }
  let lse = mx + log(se);
  let s_pos = s[i * w + pos];
#endif
  loss_rows[i] = lse - s_pos;
#if ${GRAD}
#if ${VEC}
  for (var j = 0u; j < w; j++) {
    let k = j * 4u + lane;
    var v = exp(s[i * w + j] - lse) - select(vec4<f32>(0.0), vec4<f32>(1.0), k == vec4<u32>(pos));
    v = select(v, vec4<f32>(0.0), k == vec4<u32>(i));
    g[i * w + j] = v * p.inv_r;
  }
#else
  for (var j = 0u; j < w; j++) {
    var v = exp(s[i * w + j] - lse) - select(0.0, 1.0, j == pos);
    v = select(v, 0.0, j == i);
    g[i * w + j] = v * p.inv_r;
  }
#endif
#endif
}
