// Weight gradient as an implicit GEMM with a long reduction:
//   dw[o, c, kh, kw] = Σ_{n, a, b} dy[n, o, a, b] · x[n, c, S·a − P + kh, S·b − P + kw]
// (M = O, N = C·KH·KW, K = N·Ho·Wo). One invocation owns TO output channels × TC input
// channels × all KH·KW taps in registers; the reduction walks BH dy rows at a time in
// segments of BW columns: per step it loads TO dy blocks and TC input patches (the rows and
// columns of the block plus halo: every tap reuses them) and does TO·TC·KH·KW·BH·BW FMAs. Lanes of a
// workgroup take consecutive input-channel blocks (same dy, different x). When there are few
// output tiles, the reduction is split over workgroups (wg.z): each writes a partial sum and
// conv2d_reduce.wgsl adds the splits (no float atomics). Unsplit, with tiles that cover O and
// C exactly (DIRECT), the tile goes straight to dw with the mask (MASKED: the pruned branch's
// d(w⊙m)/dw = m) fused into the store; otherwise into a tile-padded scratch that the
// reduction crops and masks, so no store here needs a bounds check.
// Unrolled blocks (DECLS, STEP, STORE) come from codegen_wgrad.ts.

// Params and bindings come from the spec WGRAD in specs.ts: xin (f32 or vec4), dy (f32 or
// vec4), dw (vec4: the tile or the scratch) and, in direct mode with MASKED, the mask wm.
#if ${TEX}
// Texture variant (vec4 rows of x and dy): both are flat rgba32float textures, 4096 texels per
// row, copied in from their buffers by the launcher (texture.ts): cheaper loads on lavapipe.
fn ld_xin(i: u32) -> vec4f { return textureLoad(xin, vec2u(i & 4095u, i >> 12u)); }
fn ld_dy(i: u32) -> vec4f { return textureLoad(dy, vec2u(i & 4095u, i >> 12u)); }
#endif

@compute @workgroup_size(${WGS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32) {
  // Parameters are copied to locals once: a uniform read inside the loop is a load each time.
  let cin = p.cin;
  let cout = p.cout;
  let ih = p.ih;
  let iw = p.iw;
  let oh = p.oh;
  let ow = p.ow;
  let hw = ih * iw;
  let hw4 = hw / 4u;
  let iw4 = iw / 4u;
  // LC lanes along input channels × LR row groups; partial sum z of the rows [r0, r1).
  let c0 = (wg.x * ${LC}u + lane % ${LC}u) * ${TC}u;
  let o0 = wg.y * ${TO}u;
  let z = wg.z * ${LR}u + lane / ${LC}u;
  let r0 = z * p.rps;
  let r1 = min(r0 + p.rps, p.rows);
  ${DECLS}
  // BH dy rows per step: BH divides oh and the rows of a split, so they share one image.
  for (var r = r0; r < r1; r += ${BH}u) {
    let n = r / oh;
    let a = r % oh;
    for (var b0 = 0u; b0 < ow; b0 += ${BW}u) {
      ${STEP}
    }
  }
  ${STORE}
}
