/**
 * Relayout passes run by some conv2d versions before their main kernel (inside the same op,
 * so they are part of its cost): weights transposed to [KK, O, C] for the transposed input
 * gradient (dgrad version 3), weights swapped to [C, O, KK] for the swapped forward (forward
 * version 5), and the stride-S subsample of x for the gathered 1×1 strided forward (forward
 * version 3). See conv2d_transpose.wgsl, conv2d_swap.wgsl and conv2d_gather.wgsl for why they
 * pay off on lavapipe.
 * @module
 */
import { type Binding, type Defines, engine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { GATHER, SWAP, TRANSPOSE } from "./specs.ts";

/** Invocations per workgroup of both passes, and the most workgroups one dispatch uses. */
const WG = 64, MAX_WG = 4096;

/** Workgroups for n invocations (grid-stride loops cover the rest). */
function groups(n: number): [number] {
  return [Math.max(1, Math.min(Math.ceil(n / WG), MAX_WG))];
}

/** The KK vec4 loads v0..v{KK−1} of the block w[o, c..c+3, :] (⊙ the mask's block). */
function blockLoads(KK: number, masked: boolean): string[] {
  const out: string[] = [];
  for (let j = 0; j < KK; j++) {
    const v = masked ? `w[src + ${j}u] * wm[src + ${j}u]` : `w[src + ${j}u]`;
    out.push(`let v${j} = ${v};`);
  }
  return out;
}

/** Unrolled 4 × KK register transpose: KK vec4 loads, KK vec4 stores. */
function transposeBody(KK: number, masked: boolean): string {
  const out = blockLoads(KK, masked);
  const comp = (f: number) => `v${f >> 2}[${f & 3}]`;
  for (let t = 0; t < KK; t++) {
    const cs = [0, 1, 2, 3].map((u) => comp(u * KK + t));
    out.push(`wt[${t}u * tstride + dst] = vec4f(${cs.join(", ")});`);
  }
  return out.join("\n    ");
}

/** Defines of the transpose variant for KK taps (MASKED: the mask is multiplied in). */
export function transposeDefines(KK: number, masked: boolean): Defines {
  return { MASKED: masked, KK, BODY: transposeBody(KK, masked) };
}

/**
 * Unrolled body of the swap: KK vec4 loads of the block w[o, c..c+3, :] (float u·KK + t is
 * channel c + u, tap t), then 4·KK scalar stores into the runs wS[c + u, o, :].
 */
function swapBody(KK: number, masked: boolean): string {
  const out = blockLoads(KK, masked);
  for (let u = 0; u < 4; u++) {
    for (let t = 0; t < KK; t++) {
      const f = u * KK + t;
      out.push(`ws[dst + ${u}u * cstride + ${t}u] = v${f >> 2}[${f & 3}];`);
    }
  }
  return out.join("\n    ");
}

/**
 * Unrolled body of the one-channel swap (C % 4 != 0, e.g. an RGB stem): KK scalar loads of
 * the run w[o, c, :], KK stores into wS[c, o, :].
 */
function swapBodyScalar(KK: number, masked: boolean): string {
  const out: string[] = [];
  for (let t = 0; t < KK; t++) {
    const v = masked ? `w[src + ${t}u] * wm[src + ${t}u]` : `w[src + ${t}u]`;
    out.push(`ws[dst + ${t}u] = ${v};`);
  }
  return out.join("\n    ");
}

/**
 * Defines of the swap variant for KK taps (MASKED: the mask is multiplied in). CB: channels
 * per invocation, 4 (vec4 blocks, C % 4 == 0) or 1 (scalar runs, any C).
 */
export function swapDefines(KK: number, masked: boolean, CB: 1 | 4 = 4): Defines {
  const body = CB === 4 ? swapBody(KK, masked) : swapBodyScalar(KK, masked);
  return { MASKED: masked, KK, CB, BODY: body };
}

/** Defines of the gather variant for stride S from rows of W to rows of Wo. */
export function gatherDefines(S: number, W: number, Wo: number): Defines {
  const v4 = Wo % 4 === 0, pair = v4 && S === 2 && W % 4 === 0;
  return { GATHER4: v4, PAIR: pair, XT: pair ? "vec4f" : "f32", XS: v4 ? "vec4f" : "f32" };
}

/**
 * wT[t, o, c] = w[o, c, t] · mask[o, c, t] (mask optional); w of shape [O, C, KH, KW] with
 * C % 4 == 0.
 */
export function transposeWeights(w: Tensor, mask: Tensor | null): Tensor {
  const [O, C, KH, KW] = w.shape;
  if (C % 4 !== 0) throw new Error(`conv2d transposeWeights: C = ${C} is not a multiple of 4`);
  const e = engine();
  const k = e.compile(TRANSPOSE, transposeDefines(KH * KW, mask !== null), "transpose");
  const wt = Tensor.empty([KH * KW, O, C]);
  const n = (O * C) / 4;
  const bindings: Record<string, Binding> = { w: w.buffer, wt: wt.buffer };
  if (mask) bindings.wm = mask.buffer;
  e.run(k, { params: { n, tstride: n }, bindings, groups: groups(n) });
  return wt;
}

/**
 * wS[c, o, t] = w[o, c, t] · mask[o, c, t] (mask optional); w of shape [O, C, KH, KW]. Moves
 * 4-channel vec4 blocks when C % 4 == 0, else one channel's run per invocation. Returns wS as
 * [C, O, KH, KW].
 */
export function swapWeights(w: Tensor, mask: Tensor | null): Tensor {
  const [O, C, KH, KW] = w.shape;
  const CB = C % 4 === 0 ? 4 : 1;
  const e = engine();
  const k = e.compile(SWAP, swapDefines(KH * KW, mask !== null, CB), "swap");
  const ws = Tensor.empty([C, O, KH, KW]);
  const n = (O * C) / CB;
  const bindings: Record<string, Binding> = { w: w.buffer, ws: ws.buffer };
  if (mask) bindings.wm = mask.buffer;
  e.run(k, { params: { n, cq: C / CB, cout: O }, bindings, groups: groups(n) });
  return ws;
}

/**
 * xs[n, c, i, j] = x[n, c, S·i, S·j] for the Ho × Wo positions of a 1×1 stride-S convolution
 * without padding (x of shape [N, C, H, W]; Ho = ⌊(H − 1)/S⌋ + 1, likewise Wo).
 */
export function gatherStrided(x: Tensor, stride: number): Tensor {
  const [N, C, H, W] = x.shape;
  const Ho = Math.floor((H - 1) / stride) + 1, Wo = Math.floor((W - 1) / stride) + 1;
  const e = engine();
  const k = e.compile(GATHER, gatherDefines(stride, W, Wo), "gather");
  const xs = Tensor.empty([N, C, Ho, Wo]);
  const rows = N * C * Ho;
  e.run(k, {
    params: { rows, ho: Ho, iw: W, wo: Wo % 4 === 0 ? Wo / 4 : Wo, stride, ih: H },
    bindings: { x: x.buffer, xs: xs.buffer },
    groups: groups(rows),
  });
  return xs;
}
