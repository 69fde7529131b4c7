// Direct (output-stationary) implicit-GEMM convolution: the forward pass and the input
// gradient. One invocation owns a register tile of TM output channels × a BH×BW block of
// output positions, so for every reduction channel it loads one input patch (the block plus
// its halo, shared by all taps: the sliding-window reuse) and TM·taps weights, then does
// TM·BH·BW·taps FMAs from registers. Lavapipe executes every buffer load lane by lane, so
// loads, not FMAs, are the cost: big register tiles, vec4 loads, no workgroup memory (its
// barriers spill the whole tile into the coroutine frame), and one subgroup per workgroup.
//
// The unrolled blocks come from codegen_direct.ts (loops over compile-time tile sizes are not
// reliably unrolled by naga/NIR, and a dynamically indexed register array is a gather):
//   DECLS  accumulators and the channel-independent patch addressing (hoisted)
//   STEP   one reduction step of CG channels: weights, patch, FMAs (ordered so that a
//          4-channel × 4-position block of accumulators stays in CPU registers across all
//          taps and channels of the step); with vec4 weight blocks (4 channels each) the
//          forward covers 4 channels per step
//   STORE  the tile's stores (guarded only where the tile grid overhangs the output)
// The same skeleton serves the input gradient: its "input" is dy, the reduction runs over O,
// the taps are the kernel flipped, and for stride s > 1 each of the s² output parity classes
// is its own dispatch (only its contributing taps, output written with stride s); strided
// multi-tap kernels then read w transposed to [KK, O, C] (conv2d_transpose.wgsl), so a tap's
// TM output channels are TM/4 vec4s.
//
// Params and bindings come from the spec DIRECT in specs.ts: xin (f32 or vec4), wt (vec4 when 4
// reduction channels share an aligned block), yout (vec4 when rows are vec4-aligned), and the
// 0/1 mask wm (same layout as wt) when MASKED, multiplied into each weight as it is loaded.
#if ${TEX}
// Texture variant (forward, vec4 paths): xin, wt (and wm) are flat rgba32float textures, 4096
// texels per row, copied in from their buffers by the launcher (see texture.ts).
fn ld_xin(i: u32) -> vec4f { return textureLoad(xin, vec2u(i & 4095u, i >> 12u)); }
fn ld_wt(i: u32) -> vec4f { return textureLoad(wt, vec2u(i & 4095u, i >> 12u)); }
#if ${MASKED}
fn ld_wm(i: u32) -> vec4f { return textureLoad(wm, vec2u(i & 4095u, i >> 12u)); }
#endif
#endif

@compute @workgroup_size(${WGS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32) {
  // Parameters are copied to locals once: a uniform read inside the loop is a load each time.
  let cin = p.cin;
  let cout = p.cout;
  let ih = p.ih;
  let iw = p.iw;
  let wc = p.wc;
  let hw = ih * iw;
  let hw4 = hw / 4u;
  let blk = (wg.z * p.nwx + wg.x) * ${WGS}u + lane;
  let live = blk < p.nb;
  let bk = min(blk, p.nb - 1u);
  let n = bk / p.bpi;
  let bi = bk % p.bpi;
  let a0 = (bi / p.bpr) * ${BH}u;
  let b0 = (bi % p.bpr) * ${BW}u;
  let oc0 = wg.y * ${TM}u;
  ${DECLS}
  for (var c = 0u; c < cin; c += ${CG}u) {
    ${STEP}
  }
  if (live) {
    ${STORE}
  }
}
