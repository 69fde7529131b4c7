/**
 * Relayout passes run by the conv2d launchers before their main kernel (inside the same op,
 * so they are part of its cost): weights transposed to [KK, O, C] for the input gradient of
 * strided kernels, and the stride-S subsample of x for 1×1 strided forwards. See
 * conv2d_prepass.wgsl for why they pay off on lavapipe.
 * @module
 */
import { type Defines, engine, Params } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";

/** The relayout kernels' source. */
export const PREPASS = new URL("./conv2d_prepass.wgsl", import.meta.url);
/** Invocations per workgroup of both passes, and the most workgroups one dispatch uses. */
const WG = 64, MAX_WG = 4096;

const OFF = { TRANSPOSE: false, GATHER: false, GATHER4: false, PAIR: false, MASKED: false };

/** Workgroups for n invocations (grid-stride loops cover the rest). */
function groups(n: number): [number] {
  return [Math.max(1, Math.min(Math.ceil(n / WG), MAX_WG))];
}

/** Unrolled 4 × KK register transpose: KK vec4 loads, KK vec4 stores. */
function transposeBody(KK: number, masked: boolean): string {
  const out: string[] = [];
  for (let j = 0; j < KK; j++) {
    const v = masked ? `w[src + ${j}u] * wm[src + ${j}u]` : `w[src + ${j}u]`;
    out.push(`let v${j} = ${v};`);
  }
  const comp = (f: number) => `v${f >> 2}[${f & 3}]`;
  for (let t = 0; t < KK; t++) {
    const cs = [0, 1, 2, 3].map((u) => comp(u * KK + t));
    out.push(`wt[${t}u * tstride + dst] = vec4f(${cs.join(", ")});`);
  }
  return out.join("\n    ");
}

/** Defines of the transpose variant for KK taps (MASKED: the mask is multiplied in). */
export function transposeDefines(KK: number, masked: boolean): Defines {
  const body = transposeBody(KK, masked);
  return { ...OFF, TRANSPOSE: true, MASKED: masked, KK, BODY: body, XT: "f32", XS: "f32" };
}

/** Defines of the gather variant for stride S from rows of W to rows of Wo. */
export function gatherDefines(S: number, W: number, Wo: number): Defines {
  const v4 = Wo % 4 === 0, pair = v4 && S === 2 && W % 4 === 0;
  return {
    ...OFF,
    GATHER: true,
    GATHER4: v4,
    PAIR: pair,
    XT: pair ? "vec4f" : "f32",
    XS: v4 ? "vec4f" : "f32",
    KK: 0,
    BODY: "",
  };
}

/**
 * wT[t, o, c] = w[o, c, t] · mask[o, c, t] (mask optional); w of shape [O, C, KH, KW] with
 * C % 4 == 0.
 */
export function transposeWeights(w: Tensor, mask: Tensor | null): Tensor {
  const [O, C, KH, KW] = w.shape;
  if (C % 4 !== 0) throw new Error(`conv2d transposeWeights: C = ${C} is not a multiple of 4`);
  const e = engine();
  const k = e.kernel(PREPASS, transposeDefines(KH * KW, mask !== null), "transpose");
  const wt = Tensor.empty([KH * KW, O, C]);
  const bufs = [w.buffer, wt.buffer];
  if (mask) bufs.push(mask.buffer);
  const n = (O * C) / 4;
  e.dispatch(k, new Params().u32(n, O, C / 4, n, 0), bufs, groups(n));
  return wt;
}

/** xs[n, c, i, j] = x[n, c, S·i, S·j] for i < Ho, j < Wo (x of shape [N, C, H, W]). */
export function gatherStrided(x: Tensor, S: number, Ho: number, Wo: number): Tensor {
  const [N, C, H, W] = x.shape;
  const e = engine();
  const k = e.kernel(PREPASS, gatherDefines(S, W, Wo), "gather");
  const xs = Tensor.empty([N, C, Ho, Wo]);
  const rows = N * C * Ho;
  const wo = Wo % 4 === 0 ? Wo / 4 : Wo;
  e.dispatch(k, new Params().u32(rows, Ho, W, wo, S, H), [x.buffer, xs.buffer], groups(rows));
  return xs;
}
