/**
 * conv2d under the autotuner (core/autotune.ts): per pass and shape, the candidates are the
 * numbered versions that apply (versions.ts; version 1, the oracle, is never a candidate), and
 * for the weight gradient a few split counts and register tiles. A launcher asks `tunedChoice`
 * first: a winner from the cache, or null (then the device profile's default runs and the
 * shape is queued).
 * @module
 */
import { engine } from "../../core/engine.ts";
import type { TuneCandidate, TuneTrial } from "../../core/autotune.ts";
import { Tensor } from "../../core/tensor.ts";
import {
  backwardWeightPlan,
  type ConvGeom,
  forwardPlan,
  stridedPointwise,
  type WgradTile,
  wgradTileFits,
} from "./plan.ts";
import {
  type ConvQuery,
  type ConvVersion,
  FORWARD_VERSIONS,
  INPUT_GRAD_VERSIONS,
  WEIGHT_GRAD_VERSIONS,
} from "./versions.ts";

/** The three passes a convolution tunes separately. */
export type ConvPass = "forward" | "input_grad" | "weight_grad";

/**
 * A tuned configuration: a version, for split weight gradients the split count, and for
 * forward tiles the plan knobs (plan.ts PlanOptions.variant).
 */
export interface ConvChoice {
  version: number;
  split?: number;
  variant?: { vecW?: boolean; wide?: boolean };
  /** Weight gradient: a register tile other than the plan's default. */
  tile?: WgradTile;
}

/**
 * Weight-gradient tiles tried beside the default (TO8 TC4 BW4, 2 dy rows per step, whole
 * images on 4×4 layers): the former default and
 * two neighbours that came close on lavapipe. Devices with real registers may prefer the
 * wide dy block or the taller channel tile, which is what the tuner finds out.
 */
export const WGRAD_TILES: WgradTile[] = [
  { TO: 8, TC: 8, BW: 8, BH: 1 },
  { TO: 8, TC: 8, BW: 4, BH: 2 },
  { TO: 4, TC: 8, BW: 4, BH: 2 },
];

// deno-lint-ignore no-explicit-any
const VERSIONS: Record<ConvPass, ConvVersion<any>[]> = {
  forward: FORWARD_VERSIONS,
  input_grad: INPUT_GRAD_VERSIONS,
  weight_grad: WEIGHT_GRAD_VERSIONS,
};

/** The cache key of a pass at a shape: "conv2d.forward x[..] w[..] s1 p1 masked". */
export function tuneKey(pass: ConvPass, g: ConvGeom, masked: boolean): string {
  return `conv2d.${pass} x[${g.N},${g.C},${g.H},${g.W}] w[${g.O},${g.C},${g.KH},${g.KW}] ` +
    `s${g.stride} p${g.padding}${masked ? " masked" : ""}`;
}

/**
 * "v4" → {version 4}; "v3s8" → {version 3, split 8}; "v4-narrow" and "v4-scalarw" → version 4
 * with the forward's `wide` or `vecW` knob off; "v4-t8x8x8x1" → version 4 with the weight
 * gradient's tile TO 8, TC 8, BW 8, BH 1; null when malformed.
 */
export function parseChoice(id: string): ConvChoice | null {
  const m = /^v(\d+)(?:s(\d+))?(-narrow|-scalarw|-t(\d+)x(\d+)x(\d+)x(\d+))?$/.exec(id);
  if (!m) return null;
  const c: ConvChoice = { version: Number(m[1]) };
  if (m[2]) c.split = Number(m[2]);
  if (m[3] === "-narrow") c.variant = { wide: false };
  if (m[3] === "-scalarw") c.variant = { vecW: false };
  if (m[4]) c.tile = { TO: Number(m[4]), TC: Number(m[5]), BW: Number(m[6]), BH: Number(m[7]) };
  return c;
}

/** The id parseChoice reads back. */
export function choiceId(c: ConvChoice): string {
  const t = c.tile;
  const knob = c.variant?.wide === false
    ? "-narrow"
    : c.variant?.vecW === false
    ? "-scalarw"
    : t
    ? `-t${t.TO}x${t.TC}x${t.BW}x${t.BH}`
    : "";
  return `v${c.version}${c.split ? `s${c.split}` : ""}${knob}`;
}

/** WGRAD_TILES that differ from the default at this shape and fit it (BH divides Ho). */
function tileChoices(q: ConvQuery): WgradTile[] {
  const d = backwardWeightPlan(q.g, q.plan).cfg;
  return WGRAD_TILES.filter((t) =>
    wgradTileFits(q.g, t) && t.TO <= Math.ceil(q.g.O / 4) * 4 &&
    !(t.TO === d.TO && t.TC === d.TC && t.BW === d.BW && t.BH === d.BH)
  );
}

/** Versions 2+ that run this shape, with the weight gradient's split counts spelled out. */
export function candidateChoices(pass: ConvPass, q: ConvQuery): ConvChoice[] {
  const out: ConvChoice[] = [];
  const rows = q.g.N * q.g.Ho;
  for (const v of VERSIONS[pass]) {
    if (v.version < 2 || v.unsupported(q)) continue;
    if (pass === "forward") {
      // The tiled forwards also with each tile knob off (different choices matter on
      // different devices: wide tiles need registers, vec4 weight blocks need bandwidth).
      // Knobs that do not change this shape's plan are left out (same kernel).
      const seen = new Set<string>();
      for (const variant of [undefined, { wide: false }, { vecW: false }]) {
        const swapped = v.version >= 5;
        const g = swapped ? q.g : stridedPointwise(q.g) ?? q.g;
        const plan = forwardPlan(g, { ...q.plan, variant, swapped });
        const key = JSON.stringify(plan.cfg);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(variant ? { version: v.version, variant } : { version: v.version });
      }
    } else if (pass !== "weight_grad") out.push({ version: v.version });
    else if (v.version === 2) out.push({ version: 2 });
    else {
      // Split counts that leave each split several dy rows.
      for (const split of [1, 2, 4, 8, 16]) {
        if ((split === 1 && v.version === 3) || split > Math.max(1, rows / 4)) continue;
        out.push({ version: v.version, split });
      }
    }
    // Other tiles at the default split, for the versions the profiles default to (unsplit
    // buffers, textures): the tile and split axes are not crossed, to keep compiles few.
    if (pass === "weight_grad" && v.version !== 3) {
      for (const tile of tileChoices(q)) out.push({ version: v.version, tile });
    }
  }
  return out;
}

/**
 * The tuned choice for this call, or null: no tuner, no winner yet (the shape is queued), or
 * a cached winner that no longer applies (versions changed since it was timed).
 */
export function tunedChoice(pass: ConvPass, q: ConvQuery): ConvChoice | null {
  const tuner = engine().tuner;
  if (!tuner) return null;
  const key = tuneKey(pass, q.g, q.plan.masked ?? false);
  const id = tuner.choice(key);
  if (id === undefined) {
    tuner.request(key, () => convTrial(pass, q));
    return null;
  }
  const c = parseChoice(id);
  const v = c && VERSIONS[pass].find((v) => v.version === c.version);
  // A tile from an older cache that this shape cannot take counts as stale too.
  return v && !v.unsupported(q) && (!c.tile || wgradTileFits(q.g, c.tile)) ? c : null;
}

/** Operands of the shape (contents do not change the time) and a candidate per choice. */
function convTrial(pass: ConvPass, q: ConvQuery): TuneTrial {
  const g = q.g, masked = q.plan.masked ?? false;
  const x = Tensor.fill([g.N, g.C, g.H, g.W], 0.5);
  const w = Tensor.fill([g.O, g.C, g.KH, g.KW], 0.25);
  const gy = Tensor.fill([g.N, g.O, g.Ho, g.Wo], 0.125);
  const mask = masked ? Tensor.fill(w.shape, 1) : null;
  const owned = [x, w, gy, mask];
  const candidates: TuneCandidate[] = candidateChoices(pass, q).map((c) => {
    const v = VERSIONS[pass].find((v) => v.version === c.version)!;
    const plan = { ...q.plan, profile: engine().profile, variant: c.variant, wgradTile: c.tile };
    const base = { g, mask, plan };
    return {
      id: choiceId(c),
      run: () => {
        if (pass === "forward") {
          const y = Tensor.empty(gy.shape);
          v.run({ ...base, x, w, y });
          y.dispose();
        } else if (pass === "input_grad") {
          const gx = Tensor.empty(x.shape);
          v.run({ ...base, gy, w, gx });
          gx.dispose();
        } else {
          const gw = Tensor.empty(w.shape);
          v.run({ ...base, gy, x, gw, split: c.split });
          gw.dispose();
        }
      },
    };
  });
  return { candidates, dispose: () => owned.forEach((t) => t?.dispose()) };
}
