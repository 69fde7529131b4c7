// Batch norm forward over NCHW (1d [N, C] is H·W = 1). A workgroup owns one (channel, chunk):
// dispatch [S, C], chunk s of channel c covers elements [s·chunk, min((s+1)·chunk, M)) of the
// channel's M = N·H·W values (counted in VT units: vec4 when H·W % 4 == 0). Walking a chunk
// with stride WG only needs adds: WG = q·HWv + r is split on the host, so no division per
// element (lavapipe has no SIMD integer division).
//
// Variants (one entry `main` each):
//   PARTIAL            per-chunk shifted sums Σ(x−K), Σ(x−K)² → part[(c·S+s)·2 + 0/1]
//   TRAIN & FUSED      S = 1: reduce the channel, update running stats, normalise (one pass
//                      over a channel that is still in cache)
//   TRAIN & !FUSED     S > 1: combine the S partials, then normalise this chunk
//   !TRAIN             normalise with the running statistics
// Shift K = the channel's first value keeps Σ(x−K)² − (Σ(x−K))²/M free of cancellation when
// |mean| ≫ std. stats[c] = mean, stats[C + c] = 1/sqrt(var + eps): saved for the backward.

// Params and bindings: the spec BN_FORWARD in launch.ts. With TEX (vec4 only) x is a flat
// rgba32float texture copied in by the launcher (texture loads cost about a third of buffer
// loads on lavapipe).

#include "../shared/vt.wgsl"
#include "channel_walk.wgsl"

#if ${TEX}
fn ld_x(i: u32) -> VT { return textureLoad(x, vec2u(i & 4095u, i >> 12u)); }
#else
fn ld_x(i: u32) -> VT { return x[i]; }
#endif
// RES: a residual added before the ReLU, y = max(BN(x) + res, 0) (a ResNet block's end).
#if ${RES}
#if ${TEX}
fn ld_res(i: u32) -> VT { return textureLoad(res, vec2u(i & 4095u, i >> 12u)); }
#else
fn ld_res(i: u32) -> VT { return res[i]; }
#endif
#endif

const WG: u32 = ${WG}u;
const SEG: u32 = WG;
alias RT = vec2<f32>;
#include "../shared/tree_reduce.wgsl"

// Σ(x−K), Σ(x−K)² over chunk s of channel c (totals in every invocation).
fn shifted_sums(c: u32, s: u32, t: u32) -> vec2<f32> {
  let shift = VT(first(ld_x(c * p.HWv)));
  let end = chunk_end(s);
  var s1 = VT(0.0);
  var s2 = VT(0.0);
  var w = walk_start(c, s * p.chunk + t);
  for (; w.j < end; walk_next(&w)) {
    let d = ld_x(w.addr) - shift;
    s1 += d;
    s2 += d * d;
  }
  return tree(t, t, vec2<f32>(hsum(s1), hsum(s2)));
}

#if ${PARTIAL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.y;
  let s = wid.x;
  let sums = shifted_sums(c, s, t);
  if (t == 0u) {
    part[(c * p.S + s) * 2u] = sums.x;
    part[(c * p.S + s) * 2u + 1u] = sums.y;
  }
}
#else
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let c = wid.y;
  let s = wid.x;
#if ${TRAIN}
#if ${FUSED}
  let sums = shifted_sums(c, 0u, t);
#else
  // The S partials spread over the invocations and tree-reduced: a serial loop would have
  // every invocation load all 2·S values.
  var acc = vec2<f32>(0.0);
  for (var k = t; k < p.S; k += WG) {
    acc += vec2<f32>(part[(c * p.S + k) * 2u], part[(c * p.S + k) * 2u + 1u]);
  }
  let sums = tree(t, t, acc);
#endif
  let dm = sums.x / p.count;
  let mean = first(ld_x(c * p.HWv)) + dm;
  let bvar = max(sums.y / p.count - dm * dm, 0.0);
  // p.updates times: SDCLR's step runs its pruned forward once for two identical train-mode
  // forwards (same weights, same views), each of which moves the running statistics once.
  if (s == 0u && t == 0u) {
    for (var k = 0u; k < p.updates; k++) {
      run_mean[c] = (1.0 - p.momentum) * run_mean[c] + p.momentum * mean;
      run_var[c] = (1.0 - p.momentum) * run_var[c] + p.momentum * bvar * p.unbias;
    }
  }
#else
  let mean = run_mean[c];
  let bvar = run_var[c];
#endif
  let invstd = 1.0 / sqrt(bvar + p.eps);
  if (s == 0u && t == 0u) {
    stats[c] = mean;
    stats[p.C + c] = invstd;
  }
  // Explicit fma: the backward recomputes a ReLU's mask as fma(x, a, b) > 0 from the same
  // f32 operands (batchnorm_bwd.wgsl MASK_X), which must round exactly as here.
  let a = weight[c] * invstd;
  let b = fma(-mean, a, bias[c]);
  let end = chunk_end(s);
  var w = walk_start(c, s * p.chunk + t);
  for (; w.j < end; walk_next(&w)) {
#if ${RES}
    y[w.addr] = max(fma(ld_x(w.addr), VT(a), VT(b)) + ld_res(w.addr), VT(0.0));
#elif ${RELU}
    y[w.addr] = max(fma(ld_x(w.addr), VT(a), VT(b)), VT(0.0));
#else
    y[w.addr] = fma(ld_x(w.addr), VT(a), VT(b));
#endif
  }
}
#endif
