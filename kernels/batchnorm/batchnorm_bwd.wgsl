// Batch norm backward. Same (channel, chunk) grid and walker as batchnorm_fwd.wgsl.
// g = gy, masked by [y > 0] when the forward fused a ReLU; with MASK_X (a ReLU without a
// residual, x read anyway) the mask is recomputed as fma(x, a, b) > 0 from the operands the
// forward rounded the same way (a = γ·invstd, b = β − mean·a), so y is not read at all.
// With x̂ = (x − mean)·invstd:
//   dβ = Σ g,  dγ = Σ g·x̂ = invstd·Σ g·(x − mean)
//   train: gx = γ·invstd·(g − dβ/M − x̂·dγ/M)      eval: gx = γ·invstd·g
//
// Variants (one entry `main` each):
//   PARTIAL   per-chunk Σg, Σg·(x−mean) → part          bindings gy, x, stats, part, [y]
//   FINALIZE  one invocation per channel: part → dγ, dβ  bindings part, stats, dγ, dβ
//   otherwise gx over the chunk                          bindings gy, w, stats, gx, ...
//     FUSED  (S = 1) reduce the channel first and write dγ, dβ; then gx
//     SUMS   (S > 1, train) read dγ, dβ written by FINALIZE
//     neither (eval) gx = γ·invstd·g only                 ... [x, dγ, dβ] only with NEEDS_X
// Derived defines (the preprocessor takes plain names only): NEEDS_X = FUSED|SUMS,
// GRAD = !FINALIZE, REDUCE = PARTIAL|FUSED, HAS_X = PARTIAL|NEEDS_X, LOAD_Y = RELU & !MASK_X.

// Params and bindings: the spec BN_BACKWARD in launch.ts.

#include "../shared/vt.wgsl"
#include "channel_walk.wgsl"

const WG: u32 = ${WG}u;
const SEG: u32 = WG;
alias RT = vec2<f32>;
#include "../shared/tree_reduce.wgsl"

// Reads of gy, x and y: buffers, or with TEX (vec4 only) flat rgba32float textures copied in
// by the launcher (texture loads cost about a third of buffer loads on lavapipe).
#if ${TEX}
fn texel(t: texture_storage_2d<rgba32float, read>, i: u32) -> VT {
  return textureLoad(t, vec2u(i & 4095u, i >> 12u));
}
#endif
#if ${GRAD}
#if ${TEX}
fn ld_gy(i: u32) -> VT { return texel(gy, i); }
#else
fn ld_gy(i: u32) -> VT { return gy[i]; }
#endif
#endif
#if ${HAS_X}
#if ${TEX}
fn ld_x(i: u32) -> VT { return texel(x, i); }
#else
fn ld_x(i: u32) -> VT { return x[i]; }
#endif
#endif
#if ${LOAD_Y}
#if ${TEX}
fn ld_y(i: u32) -> VT { return texel(y, i); }
#else
fn ld_y(i: u32) -> VT { return y[i]; }
#endif
#endif

#if ${GRAD}
// The forward's affine map of channel c (MASK_X: rounded as batchnorm_fwd.wgsl does).
struct Affine {
  a: f32,
  b: f32,
}

fn affine(c: u32) -> Affine {
#if ${MASK_X}
  let a = weight[c] * stats[p.C + c];
  return Affine(a, fma(-stats[c], a, bias[c]));
#else
  return Affine(0.0, 0.0);
#endif
}

// The incoming gradient at i, masked through the fused ReLU (xv: x at i, read by the caller).
fn grad_at(i: u32, xv: VT, f: Affine) -> VT {
#if ${MASK_X}
  return select(VT(0.0), ld_gy(i), fma(xv, VT(f.a), VT(f.b)) > VT(0.0));
#elif ${RELU}
  return select(VT(0.0), ld_gy(i), ld_y(i) > VT(0.0));
#else
  return ld_gy(i);
#endif
}
#endif

#if ${REDUCE}
// Σg, Σg·(x − mean) over chunk s of channel c (totals in every invocation).
fn grad_sums(c: u32, s: u32, t: u32) -> vec2<f32> {
  let mean = stats[c];
  let f = affine(c);
  let end = chunk_end(s);
  var sg = VT(0.0);
  var sgx = VT(0.0);
  var w = walk_start(c, s * p.chunk + t);
  for (; w.j < end; walk_next(&w)) {
    let xv = ld_x(w.addr);
    let g = grad_at(w.addr, xv, f);
    sg += g;
    sgx += g * (xv - mean);
  }
  return tree(t, t, vec2<f32>(hsum(sg), hsum(sgx)));
}
#endif

#if ${PARTIAL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.y;
  let s = wid.x;
  let sums = grad_sums(c, s, t);
  if (t == 0u) {
    part[(c * p.S + s) * 2u] = sums.x;
    part[(c * p.S + s) * 2u + 1u] = sums.y;
  }
}
#elif ${FINALIZE}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.C) {
    return;
  }
  var sums = vec2<f32>(0.0);
  for (var k = 0u; k < p.S; k++) {
    sums += vec2<f32>(part[(c * p.S + k) * 2u], part[(c * p.S + k) * 2u + 1u]);
  }
  dbeta[c] = sums.x;
  dgamma[c] = sums.y * stats[p.C + c];
}
#else
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.y;
  let s = wid.x;
  let invstd = stats[p.C + c];
  let k1 = weight[c] * invstd;
#if ${FUSED}
  let sums = grad_sums(c, 0u, t);
  let db = sums.x;
  let dg = sums.y * invstd;
  if (t == 0u) {
    dbeta[c] = db;
    dgamma[c] = dg;
  }
#elif ${SUMS}
  let db = dbeta[c];
  let dg = dgamma[c];
#endif
#if ${TRAIN}
  let mean = stats[c];
  let kg = db / p.count;
  let kx = dg * invstd / p.count;
#endif
  let f = affine(c);
  let end = chunk_end(s);
  var w = walk_start(c, s * p.chunk + t);
  for (; w.j < end; walk_next(&w)) {
#if ${NEEDS_X}
    let xv = ld_x(w.addr);
#else
    let xv = VT(0.0);
#endif
    let g = grad_at(w.addr, xv, f);
#if ${RES_GRAD}
    // The residual's gradient: gy through the ReLU (what the add passed on unchanged).
    gres[w.addr] = g;
#endif
#if ${TRAIN}
    gx[w.addr] = k1 * (g - kg - (xv - mean) * kx);
#else
    gx[w.addr] = k1 * g;
#endif
  }
}
#endif
