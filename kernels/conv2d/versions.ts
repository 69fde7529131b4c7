/**
 * The numbered versions of each conv2d pass, as llm.c numbers its kernel versions: version 1 is
 * the simplest correct GPU kernel, kept as the differential oracle; each later version adds one
 * idea to the one before it. Every version is checked against the CPU f64 reference
 * (`deno task kernels check --filter conv2d`, and in `deno task test`), and a call may name one
 * (`{ version }`: checks, tests, benchmarks). Otherwise the choice is made here, once per pass,
 * from the device profile (engine().profile) and the shape.
 *
 * Forward (y = x ⋆ (w ⊙ mask)):
 *   1 naive      one output per invocation, loops over C·KH·KW (conv2d_naive.wgsl).
 *   2 tiled      implicit GEMM with register tiles: TM output channels × a BH×BW block of
 *                positions per invocation, the input patch loaded once per channel and shared
 *                by all taps, vec4 loads, the mask multiplied in as weights load (codegen).
 *   3 gathered   1×1 stride-S without padding only: x's subsample gathered into contiguous
 *                rows first, then version 2 at stride 1 (strided rows load S× the floats they
 *                use; +10–15% end to end on the ResNet-18 downsamples).
 *   4 texture    versions 2/3 reading x, w and the mask from rgba32float textures (~3× cheaper
 *                loads on lavapipe; 25–39% on the ResNet-18 forwards); a 1×1 stride-2 forward
 *                reads its subsample from x's texture in place instead of gathering. Needs a
 *                tile with vec4 input rows and weight blocks, and tensors that fit a texture.
 *   5 swapped    multi-tap kernels with O % 4 == 0: the weights pre-swapped to [C, O, KK]
 *                with the mask folded in (conv2d_swap.wgsl), so each input channel's TM output
 *                channels × taps are contiguous vec4s: version 2 picks each channel's weights
 *                out of 4-channel blocks with three selects and loads the mask beside them
 *                (+24–48% on the ResNet-18 width-64 3×3 forwards on lavapipe, bit-identical).
 *                Any C: an RGB stem (C = 3) has no vec4 weight blocks, so version 2 loaded its
 *                weights one float at a time (stem +35–48%: 5.8 → 7.8 GFLOP/s at width 8,
 *                8.0 → 11.8 at width 64).
 *   6 swapped    version 5 reading x and the swapped weights from textures (as 4 does).
 *     texture
 *   Default: 6 where the profile prefers texture loads and it applies, else 5 where it
 *   applies; then 4 where the profile prefers texture loads and it applies, else 3 where it
 *   applies, else 2.
 * Input gradient (dx through w ⊙ mask):
 *   1 naive      one dx element per invocation, loops over O·KH·KW.
 *   2 tiled      version 2's kernel per stride parity class: a stride-1 correlation of dy with
 *                the class's flipped taps only (the others would multiply zeros).
 *   3 transposed strided multi-tap kernels with C % 4 == 0 only: the weights pre-transposed to
 *                [KK, O, C] with the mask folded in, so a tap's output channels are contiguous
 *                vec4s (in [O, C, KK] a class's vec4 blocks mostly hold unused taps; ~1.7× on
 *                the 3×3 stride-2 layers).
 *   Default: 3 where it applies, else 2.
 * Weight gradient (dw = mask ⊙ Σ dy·x):
 *   1 naive      one dw element per invocation, loops over N·Ho·Wo.
 *   2 tiled      one invocation holds TO output × TC input channels × all taps and walks the
 *                whole reduction; stored straight into dw (mask in the store) when the tiles
 *                cover O and C, else into a padded scratch that conv2d_reduce.wgsl crops.
 *   3 split-K    the reduction over N·Ho dy rows split across workgroups (wg.z) into partial
 *                sums that conv2d_reduce.wgsl adds (no float atomics), for outputs with few
 *                tiles (a GPU wants ~64 workgroups in flight). `split` sets the count.
 *   Default: 3 when the plan wants a split (plan.ts wantedSplit), else 2.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { accumulate } from "../elementwise/mod.ts";
import { naiveForward, naiveInputGrad, naiveWeightGrad } from "./naive.ts";
import {
  backwardInputPlans,
  backwardWeightPlan,
  type ConvGeom,
  forwardPlan,
  type PlanOptions,
  stridedPointwise,
  swappableForward,
  transposedDgrad,
  wantedSplit,
} from "./plan.ts";
import { gatherStrided, swapWeights, transposeWeights } from "./prepass.ts";
import { runDirectTextures, stridedRead, textureCapable, textureFits } from "./texture.ts";
import { runDirect, runWgrad } from "./tiled.ts";

/** What decides whether a version applies and which is the default: shape and plan options. */
export interface ConvQuery {
  g: ConvGeom;
  /** Profile, masked flag, forced step budget (plan.ts). */
  plan: PlanOptions;
}

/** What every call carries: the query and the optional mask. */
interface CallBase extends ConvQuery {
  mask: Tensor | null;
}

/** A forward call: y = conv2d(x, w ⊙ mask). */
export interface ForwardCall extends CallBase {
  x: Tensor;
  w: Tensor;
  y: Tensor;
}

/** An input-gradient call: gx from gy through w ⊙ mask. */
export interface InputGradCall extends CallBase {
  gy: Tensor;
  w: Tensor;
  gx: Tensor;
  /** gx holds a gradient already: add into it (the tiled stores do; version 1 adds after). */
  accum?: boolean;
}

/** A weight-gradient call: gw = mask ⊙ Σ gy·x. */
export interface WeightGradCall extends CallBase {
  gy: Tensor;
  x: Tensor;
  gw: Tensor;
  /** Version 3: the number of reduction splits (default: wanted by the plan, at least 2). */
  split?: number;
}

/** One numbered version of a pass. */
export interface ConvVersion<C> {
  version: number;
  name: string;
  /** One line: what it adds over the version before. */
  summary: string;
  /** Why it cannot run this shape (with these plan options), or null when it can. */
  unsupported(q: ConvQuery): string | null;
  /** Records its dispatches (into the engine's current command buffer). */
  run(c: C): void;
}

const anyShape = () => null;

/** The tiled plan of a forward (1×1 strided ones: stride 1 over the gathered input). */
function forwardTile(q: ConvQuery) {
  return forwardPlan(stridedPointwise(q.g) ?? q.g, q.plan);
}

/** Whether x fits a texture (then a 1×1 stride-2 forward reads its subsample in place). */
function xFits(g: ConvGeom): boolean {
  return textureFits(g.N * g.C * g.H * g.W);
}

/** Why the texture forward cannot run this shape, or null. */
function textureUnsupported(q: ConvQuery): string | null {
  const g = q.g;
  if (!textureCapable(forwardTile(q).cfg)) {
    return "its tile has no vec4 input rows and weight blocks (W % 4, C % 4, step budget)";
  }
  if (!textureFits(g.O * g.C * g.KH * g.KW)) return "w does not fit a texture";
  if (!stridedPointwise(g) || (stridedRead(g) && xFits(g))) {
    return xFits(g) ? null : "x does not fit a texture";
  }
  // Gathered first: the subsample must fit.
  return textureFits(g.N * g.C * g.Ho * g.Wo) ? null : "x's subsample does not fit a texture";
}

/** Why the swapped forward (version 5) cannot run this shape, or null. */
function swappedUnsupported(q: ConvQuery): string | null {
  return swappableForward(q.g) ? null : "it is for multi-tap kernels with O a multiple of 4";
}

/** Why the swapped texture forward (version 6) cannot run this shape, or null. */
function swappedTextureUnsupported(q: ConvQuery): string | null {
  const why = swappedUnsupported(q);
  if (why) return why;
  const g = q.g;
  if (!textureCapable(forwardPlan(g, { ...q.plan, swapped: true }).cfg)) {
    return "its tile has no vec4 input rows (W % 4)";
  }
  if (!textureFits(g.O * g.C * g.KH * g.KW)) return "w does not fit a texture";
  return xFits(g) ? null : "x does not fit a texture";
}

/** Versions 5 and 6: the weights swapped (and masked) first, then the tiled kernel. */
function runSwapped(c: ForwardCall, textures: boolean): void {
  const ws = swapWeights(c.w, c.mask);
  const l = forwardPlan(c.g, { ...c.plan, swapped: true });
  const t = { x: c.x, w: ws, y: c.y, mask: null };
  if (textures) runDirectTextures(l, t);
  else runDirect(l, t);
  ws.dispose();
}

/** The forward versions (see the module doc). */
export const FORWARD_VERSIONS: ConvVersion<ForwardCall>[] = [
  {
    version: 1,
    name: "naive",
    summary: "one output per invocation, loops over C·KH·KW, buffers",
    unsupported: anyShape,
    run: (c) => naiveForward(c.g, c),
  },
  {
    version: 2,
    name: "tiled",
    summary: "implicit GEMM with register tiles (TM channels × BH×BW positions), vec4 loads",
    unsupported: anyShape,
    run: (c) => runDirect(forwardPlan(c.g, c.plan), c),
  },
  {
    version: 3,
    name: "gathered",
    summary: "1×1 strided: x's subsample gathered into contiguous rows, then tiled at stride 1",
    unsupported: (q) =>
      stridedPointwise(q.g) ? null : "it is for 1×1 strided kernels without padding",
    run: (c) => {
      const xs = gatherStrided(c.x, c.g.stride);
      runDirect(forwardTile(c), { ...c, x: xs });
      xs.dispose();
    },
  },
  {
    version: 4,
    name: "texture",
    summary: "tiled, x/w/mask read from textures; 1×1 stride 2 reads the subsample in place",
    unsupported: textureUnsupported,
    run: (c) => {
      const l = forwardTile(c), sr = stridedPointwise(c.g) ? stridedRead(c.g) : null;
      if (!stridedPointwise(c.g) || (sr && xFits(c.g))) return runDirectTextures(l, { ...c, sr });
      const xs = gatherStrided(c.x, c.g.stride);
      runDirectTextures(l, { ...c, x: xs });
      xs.dispose();
    },
  },
  {
    version: 5,
    name: "swapped",
    summary: "tiled, weights pre-swapped to [C, O, KK] and pre-masked: no per-channel selects",
    unsupported: swappedUnsupported,
    run: (c) => runSwapped(c, false),
  },
  {
    version: 6,
    name: "swapped texture",
    summary: "version 5 reading x and the swapped weights from textures",
    unsupported: swappedTextureUnsupported,
    run: (c) => runSwapped(c, true),
  },
];

function runInputGrad(c: InputGradCall, o: { transposed: boolean; textures?: boolean }): void {
  // Transposed: the weights as [KK, O, C] with the mask folded in (the kernel loads no mask).
  const wt = o.transposed ? transposeWeights(c.w, c.mask) : null;
  const plans = backwardInputPlans(c.g, { ...c.plan, transposed: o.transposed });
  // Parity classes no tap reaches (a 1×1 stride-S kernel's S² − 1 of them) are zeros: one
  // clear of gx instead of a compiled store-only kernel per class and tile (~0.25 s each);
  // adding zeros into a gradient leaves it as it is.
  const tapless = plans.some((l) => !l.cfg.taps.length);
  if (tapless && !c.accum) engine().clear(c.gx.buffer, 0, c.gx.bytes);
  for (const planned of plans) {
    if (!planned.cfg.taps.length) continue;
    const l = c.accum ? { ...planned, cfg: { ...planned.cfg, accum: true } } : planned;
    const t = { x: c.gy, w: wt ?? c.w, y: c.gx, mask: l.cfg.masked ? c.mask : null };
    if (o.textures && textureCapable(l.cfg)) runDirectTextures(l, t);
    else runDirect(l, t);
  }
  wt?.dispose();
}

/** Why the texture input gradient cannot run this shape, or null. */
function dgradTextureUnsupported(q: ConvQuery): string | null {
  const g = q.g;
  const plans = backwardInputPlans(g, { ...q.plan, transposed: transposedDgrad(g) });
  if (!plans.some((l) => textureCapable(l.cfg))) {
    return "no parity class has vec4 input rows and weight blocks (W % 4, O % 4, step budget)";
  }
  if (!textureFits(g.O * g.C * g.KH * g.KW)) return "w does not fit a texture";
  return textureFits(g.N * g.O * g.Ho * g.Wo) ? null : "dy does not fit a texture";
}

/** The input-gradient versions (see the module doc). */
export const INPUT_GRAD_VERSIONS: ConvVersion<InputGradCall>[] = [
  {
    version: 1,
    name: "naive",
    summary: "one dx element per invocation, loops over O·KH·KW, buffers",
    unsupported: anyShape,
    run: (c) => {
      if (!c.accum) return naiveInputGrad(c.g, c);
      // The oracle keeps its kernel plain: into a new tensor, then the separate add.
      const gx = Tensor.empty(c.gx.shape);
      naiveInputGrad(c.g, { ...c, gx });
      accumulate(c.gx, gx);
      gx.dispose();
    },
  },
  {
    version: 2,
    name: "tiled",
    summary: "tiled implicit GEMM per stride parity class with only its contributing taps",
    unsupported: anyShape,
    run: (c) => runInputGrad(c, { transposed: false }),
  },
  {
    version: 3,
    name: "transposed",
    summary: "strided multi-tap: weights pre-transposed to [KK, O, C] and pre-masked",
    unsupported: (q) =>
      transposedDgrad(q.g) ? null : "it is for strided multi-tap kernels with C % 4 == 0",
    run: (c) => runInputGrad(c, { transposed: true }),
  },
  {
    version: 4,
    name: "texture",
    summary: "versions 2/3 reading dy, w and the mask from textures (classes with vec4 blocks)",
    unsupported: dgradTextureUnsupported,
    run: (c) => runInputGrad(c, { transposed: transposedDgrad(c.g), textures: true }),
  },
];

/** The weight-gradient versions (see the module doc). */
export const WEIGHT_GRAD_VERSIONS: ConvVersion<WeightGradCall>[] = [
  {
    version: 1,
    name: "naive",
    summary: "one dw element per invocation, loops over N·Ho·Wo, buffers",
    unsupported: anyShape,
    run: (c) => naiveWeightGrad(c.g, c),
  },
  {
    version: 2,
    name: "tiled",
    summary: "register tile TO×TC×KK over the whole reduction, mask fused in the store",
    unsupported: anyShape,
    run: (c) => runWgrad(backwardWeightPlan(c.g, { ...c.plan, split: 1 }), c),
  },
  {
    version: 3,
    name: "split-K",
    summary: "the reduction split over workgroups, partial sums added by conv2d_reduce",
    unsupported: anyShape,
    run: (c) => {
      const split = c.split ?? Math.max(2, wantedSplit(c.g, c.plan));
      runWgrad(backwardWeightPlan(c.g, { ...c.plan, split }), c);
    },
  },
  {
    version: 4,
    name: "texture",
    summary: "version 2 or 3 (as the plan wants) reading x and dy from textures",
    unsupported: wgradTextureUnsupported,
    run: (c) => {
      const split = c.split ?? wantedSplit(c.g, c.plan);
      runWgrad(backwardWeightPlan(c.g, { ...c.plan, split }), { ...c, textures: true });
    },
  },
];

/** Why the texture weight gradient cannot run this shape, or null. */
function wgradTextureUnsupported(q: ConvQuery): string | null {
  const g = q.g, cfg = backwardWeightPlan(g, q.plan).cfg;
  if (!cfg.vecIn || !cfg.vecDy) return "x and dy rows are not vec4-aligned (W % 4, Wo % 4)";
  if (!xFits(g)) return "x does not fit a texture";
  return textureFits(g.N * g.O * g.Ho * g.Wo) ? null : "dy does not fit a texture";
}

/**
 * The default forward version (module doc): swapped weights where they apply, textures where
 * preferred, gather, else tiled.
 */
export function chooseForward(q: ConvQuery): number {
  const tex = q.plan.profile.preferTextureLoads;
  if (tex && !swappedTextureUnsupported(q)) return 6;
  if (!swappedUnsupported(q)) return 5;
  if (tex && !textureUnsupported(q)) return 4;
  return stridedPointwise(q.g) ? 3 : 2;
}

/**
 * The default input-gradient version: textures where the profile prefers them and they apply,
 * else transposed where it applies, else tiled.
 */
export function chooseInputGrad(q: ConvQuery): number {
  if (q.plan.profile.preferTextureLoads && !dgradTextureUnsupported(q)) return 4;
  return transposedDgrad(q.g) ? 3 : 2;
}

/**
 * The default weight-gradient version: textures where the profile prefers them and they apply,
 * else split-K when the plan wants a split, else tiled.
 */
export function chooseWeightGrad(q: ConvQuery): number {
  if (q.plan.profile.preferTextureLoads && !wgradTextureUnsupported(q)) return 4;
  return wantedSplit(q.g, q.plan) > 1 ? 3 : 2;
}

/**
 * The version of `versions` numbered `n`, checked against the call: an unknown number or one
 * that does not apply to the shape is an error saying which versions exist or why not.
 */
export function versionFor<C>(
  versions: ConvVersion<C>[],
  q: ConvQuery,
  o: { pass: string; version: number },
): ConvVersion<C> {
  const v = versions.find((v) => v.version === o.version);
  if (!v) {
    const known = versions.map((v) => `${v.version} (${v.name})`).join(", ");
    throw new Error(`conv2d ${o.pass}: no version ${o.version}; versions are ${known}`);
  }
  const why = v.unsupported(q);
  if (why) {
    const g = q.g;
    throw new Error(
      `conv2d ${o.pass} version ${v.version} (${v.name}) cannot run x[${g.N},${g.C},${g.H},` +
        `${g.W}] w[${g.O},${g.C},${g.KH},${g.KW}] s${g.stride} p${g.padding}: ${why}`,
    );
  }
  return v;
}
