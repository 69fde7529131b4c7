// Max pool 2d (PyTorch semantics, no dilation, floor mode) and its backward.
// fwd: one invocation per output; scans its window row by row, keeping the first maximum
//      (`v > best`, so ties go to the earliest in scan order) or a NaN, exactly as PyTorch's
//      CPU kernel; writes the value and the argmax as a plane index h·W + w (u32).
// bwd: each input gets the sum of gy over the outputs whose window holds it and whose argmax
//      is it, in output order. A gather over input tiles, so no atomics.
// Grid [ceil(width/64), rows, min(planes, 65535)]: x walks a row (grid-stride), y is the row
// (of outputs, or of input tiles), z the (n, c) plane (grid-stride over planes). No integer
// division per element: lavapipe scalarises it per SIMD lane.

// Params and bindings: the spec MAX_POOL in mod.ts.

const WG: u32 = 64u;
const S: u32 = ${S}u;
const KT: i32 = ${KT};

#if ${BWD}
// One invocation per S×S tile of inputs (S = stride): every output whose window touches the
// tile is one of KT×KT candidates at fixed offsets (c0 + j from the tile index, host-computed
// because tile·S is a multiple of the stride), so each candidate's argmax and gradient are
// loaded once per tile instead of once per input.
@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let th = wid.y;
  let h0 = th * S;
  let tilesW = (p.W + S - 1u) / S;
  for (var plane = wid.z; plane < p.planes; plane += nwg.z) {
    for (var tw = gid.x; tw < tilesW; tw += nwg.x * WG) {
      let w0 = tw * S;
      var acc: array<f32, S * S>;
      for (var jh = 0; jh < KT; jh++) {
        let oh = i32(th) + p.c0 + jh;
        if (oh < 0 || oh >= i32(p.Ho)) {
          continue;
        }
        for (var jw = 0; jw < KT; jw++) {
          let ow = i32(tw) + p.c0 + jw;
          if (ow < 0 || ow >= i32(p.Wo)) {
            continue;
          }
          let o = (plane * p.Ho + u32(oh)) * p.Wo + u32(ow);
          let a = idx[o];
          let g = gy[o];
          for (var ih = 0u; ih < S; ih++) {
            for (var iw = 0u; iw < S; iw++) {
              if (a == (h0 + ih) * p.W + w0 + iw) {
                acc[ih * S + iw] += g;
              }
            }
          }
        }
      }
      for (var ih = 0u; ih < S; ih++) {
        for (var iw = 0u; iw < S; iw++) {
          if (h0 + ih < p.H && w0 + iw < p.W) {
            gx[(plane * p.H + h0 + ih) * p.W + w0 + iw] = acc[ih * S + iw];
          }
        }
      }
    }
  }
}
#else
@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let oh = wid.y;
  let h0 = i32(oh * p.s) - i32(p.pad);
  let hs = u32(max(h0, 0));
  let he = u32(min(h0 + i32(p.k), i32(p.H)));
  for (var plane = wid.z; plane < p.planes; plane += nwg.z) {
    let base = plane * p.H * p.W;
    for (var ow = gid.x; ow < p.Wo; ow += nwg.x * WG) {
      let w0 = i32(ow * p.s) - i32(p.pad);
      let ws = u32(max(w0, 0));
      let we = u32(min(w0 + i32(p.k), i32(p.W)));
      // Starting from the window's first value equals PyTorch's start at −inf (same winner
      // for −inf and NaN too) without an infinite constant, which WGSL forbids.
      var arg = hs * p.W + ws;
      var best = x[base + arg];
      for (var h = hs; h < he; h++) {
        for (var w = ws; w < we; w++) {
          let v = x[base + h * p.W + w];
          if (v > best || v != v) {
            best = v;
            arg = h * p.W + w;
          }
        }
      }
      let o = (plane * p.Ho + oh) * p.Wo + ow;
      y[o] = best;
      idx[o] = arg;
    }
  }
}
#endif
