/**
 * Kernel specs of the conv2d family: every WGSL file's uniform parameters and bindings, by
 * name. The declarations (`struct Params`, the bindings, texture or buffer per variant) are
 * generated from these (core/kernel_spec.ts); launchers and plans pass records keyed by the
 * same names, so the TypeScript and WGSL sides cannot drift apart by position.
 * @module
 */
import { defineKernel } from "../../core/kernel_spec.ts";
import type { Defines } from "../../core/wgsl.ts";

/** A flat rgba32float texture read as a storage texture (4096 texels per row; texture.ts). */
const TEXTURE = "texture_storage_2d<rgba32float, read>";

/** A binding read from a texture in the TEX variant, else from a buffer of `type`. */
function texOr(type: string) {
  return (d: Defines) =>
    d.TEX ? { access: "texture" as const, type: TEXTURE } : { access: "read" as const, type };
}

/**
 * Version 1 of every pass (conv2d_naive.wgsl): one output element per invocation. Entry points
 * `forward` (x, w → y), `backward_input` (gy, w → gx), `backward_weight` (gy, x → gw); MASKED
 * multiplies the 0/1 mask into w (forward, input gradient) or into gw (weight gradient).
 */
export const NAIVE = defineKernel({
  name: "conv2d_naive",
  file: new URL("./conv2d_naive.wgsl", import.meta.url),
  params: {
    total: "u32", // output elements of the entry point
    batch: "u32", // N
    cin: "u32", // C
    ih: "u32", // H
    iw: "u32", // W
    cout: "u32", // O
    kh: "u32", // KH
    kw: "u32", // KW
    oh: "u32", // Ho
    ow: "u32", // Wo
    stride: "u32",
    pad: "u32",
  },
  bindings: {
    x: { access: "read", type: "f32" },
    w: { access: "read", type: "f32" },
    gy: { access: "read", type: "f32" },
    y: { access: "read_write", type: "f32" },
    gx: { access: "read_write", type: "f32" },
    gw: { access: "read_write", type: "f32" },
    mask: { access: "read", type: "f32", when: "MASKED" },
  },
});

/**
 * The register-tiled implicit GEMM of the forward pass and the input gradient
 * (conv2d_direct.wgsl; its unrolled blocks come from codegen_direct.ts). With TEX, x, w and
 * the mask are read from textures (texture.ts).
 */
export const DIRECT = defineKernel({
  name: "conv2d_direct",
  file: new URL("./conv2d_direct.wgsl", import.meta.url),
  params: {
    nb: "u32", // lane blocks in the dispatch: N · bpi
    bpi: "u32", // blocks per image
    bpr: "u32", // blocks per grid row
    cin: "u32", // reduction channels (C forward, O for the input gradient)
    cout: "u32", // output channels (O forward, C for the input gradient)
    ih: "u32", // input rows
    iw: "u32", // input columns
    ga: "u32", // output grid rows of this dispatch
    gb: "u32", // output grid columns of this dispatch
    oh: "u32", // output tensor rows
    ow: "u32", // output tensor columns
    wc: "u32", // weight row length: C of [O, C, KH, KW], O of the swapped [C, O, KH, KW]
    nwx: "u32", // workgroups along x (x·z folding for large grids)
  },
  bindings: {
    xin: texOr("${XT}"),
    wt: texOr("${WT}"),
    yout: { access: "read_write", type: "${YT}" },
    wm: (d: Defines) => (d.MASKED ? texOr("${WT}")(d) : null),
  },
});

/**
 * The register-tiled weight gradient (conv2d_wgrad.wgsl; blocks from codegen_wgrad.ts). With
 * TEX (vec4 rows of x and dy), x and dy are read from textures.
 */
export const WGRAD = defineKernel({
  name: "conv2d_wgrad",
  file: new URL("./conv2d_wgrad.wgsl", import.meta.url),
  params: {
    rows: "u32", // N · Ho: dy rows in the reduction
    rps: "u32", // rows per split
    cin: "u32", // C
    cout: "u32", // O
    ih: "u32", // input rows
    iw: "u32", // input columns
    oh: "u32", // dy rows
    ow: "u32", // dy columns
    op: "u32", // output channels of the padded scratch (tile multiple)
    cp: "u32", // input channels of the padded scratch (tile multiple)
  },
  bindings: {
    xin: texOr("${XT}"),
    dy: texOr("${DT}"),
    dw: { access: "read_write", type: "vec4f" },
    wm: { access: "read", type: "vec4f", when: "MASKED" },
  },
});

/** Sum of the split weight-gradient partials, cropped and masked (conv2d_reduce.wgsl). */
export const REDUCE = defineKernel({
  name: "conv2d_reduce",
  file: new URL("./conv2d_reduce.wgsl", import.meta.url),
  params: {
    n: "u32", // elements of dw: O · C · KK
    splits: "u32", // partial sums
    cin: "u32", // C
    kk: "u32", // KH · KW
    op: "u32", // scratch output channels
    cp: "u32", // scratch input channels
  },
  bindings: {
    part: { access: "read", type: "f32" },
    dw: { access: "read_write", type: "f32" },
    wm: { access: "read", type: "f32", when: "MASKED" },
  },
});

/**
 * w [O, C, KK] (⊙ mask) → wS [C, O, KK] for the swapped forward (conv2d_swap.wgsl, prepass.ts).
 */
export const SWAP = defineKernel({
  name: "conv2d_swap",
  file: new URL("./conv2d_swap.wgsl", import.meta.url),
  params: {
    n: "u32", // invocations: O · C / CB
    cq: "u32", // C / CB
    cout: "u32", // O
  },
  bindings: {
    w: (d) => ({ access: "read", type: d.CB === 4 ? "vec4f" : "f32" }),
    ws: { access: "read_write", type: "f32" },
    wm: (d) => d.MASKED ? { access: "read", type: d.CB === 4 ? "vec4f" : "f32" } : null,
  },
});

/** w [O, C, KK] (⊙ mask) → wT [KK, O, C] for the transposed input gradient (prepass.ts). */
export const TRANSPOSE = defineKernel({
  name: "conv2d_transpose",
  file: new URL("./conv2d_transpose.wgsl", import.meta.url),
  params: {
    n: "u32", // invocations: O · C / 4
    tstride: "u32", // vec4s per tap in wT: O · C / 4
  },
  bindings: {
    w: { access: "read", type: "vec4f" },
    wt: { access: "read_write", type: "vec4f" },
    wm: { access: "read", type: "vec4f", when: "MASKED" },
  },
});

/** xs = x[:, :, ::S, ::S] for the gathered 1×1 strided forward (prepass.ts). */
export const GATHER = defineKernel({
  name: "conv2d_gather",
  file: new URL("./conv2d_gather.wgsl", import.meta.url),
  params: {
    rows: "u32", // invocations: N · C · Ho output rows
    ho: "u32", // output rows per plane
    iw: "u32", // input columns W
    wo: "u32", // output columns (vec4s when GATHER4)
    stride: "u32", // S
    ih: "u32", // input rows H
  },
  bindings: {
    x: { access: "read", type: "${XT}" },
    xs: { access: "read_write", type: "${XS}" },
  },
});
