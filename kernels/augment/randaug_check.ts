/**
 * `deno task kernels check` entries of BCL's RandAugment: the boosted views of both kernel
 * forms (fused into the augment pass, and the second pass) against the CPU reference applied
 * to the same batch's unboosted views (so only the boost stage is compared, exactly: the
 * stage is integer arithmetic plus C-float blends). Every op at values across its range, both
 * signs, and random k-op chains resolved from draws at weight 1. Shared with the tests.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { errors } from "../../core/testing.ts";
import { Prng } from "../../core/prng.ts";
import type { RawImage } from "../../core/image.ts";
import { AUGMENT, augment, type BoostPass } from "./mod.ts";
import { drawBoost, drawView, recipe, type ViewParams } from "./params.ts";
import { type BoostOp, opFromValue, RANDAUG_OPS, resolveBoost } from "./randaug.ts";
import { boostRef } from "./randaug_ref.ts";
import { RANDAUG } from "./randaug_kernel.ts";
import { randomImage } from "./check.ts";

/** A batch of views with their boost ops (some views without any). */
export interface BoostBatch {
  images: RawImage[];
  views: { image: number; view: ViewParams; boost: BoostOp[] }[];
  size: number;
}

/**
 * Views of random images at `size`: per op and value one view, plus chains of up to k ops
 * resolved from random draws at weight 1 and strength 30, plus views without ops.
 */
export function boostBatch(seed: number, size: number, k = 3): BoostBatch {
  const shapes: [number, number, number][] = [[32, 32, 3], [28, 28, 1], [19, 23, 3]];
  const images = shapes.map(([h, w, c], i) => randomImage([h, w, c], seed * 17 + i));
  const rng = Prng.keyed(0x7a11, seed);
  const r = { ...recipe("cifar"), size: [size, size] as [number, number] };
  const views: BoostBatch["views"] = [];
  const ctx = { width: size, height: size };
  const add = (boost: BoostOp[]) => {
    const image = rng.int(0, images.length);
    const im = images[image];
    views.push({ image, view: drawView(r, im, rng), boost });
  };
  RANDAUG_OPS.forEach((spec, op) => {
    for (const t of [1, rng.random(), rng.random()]) {
      const v = (spec.lo + (spec.hi - spec.lo) * t) * (spec.signed && rng.random() < 0.5 ? -1 : 1);
      add([opFromValue(op, v, { ...ctx, cx: rng.random(), cy: rng.random() })]);
    }
  });
  for (let i = 0; i < 12; i++) {
    add(resolveBoost(drawBoost(rng, k), { weight: 1, strength: 30, ...ctx }));
    add([]);
  }
  return { images, views, size };
}

/** The batch through the GPU (boost pass `pass`) and through the CPU boost reference. */
export async function compareBoost(
  b: BoostBatch,
  pass: BoostPass,
): Promise<{ maxAbs: number; maxRel: number; mismatched: number; changed: number }> {
  const size = { outH: b.size, outW: b.size };
  const plain = augment(b.images, b.views.map((v) => ({ ...v, boost: [] })), size);
  const boosted = augment(b.images, b.views, { ...size, boostPass: pass });
  const base = await plain.read(), got = await boosted.read();
  plain.dispose();
  boosted.dispose();
  const plane = 3 * b.size * b.size;
  const ref = new Float64Array(got.length);
  b.views.forEach((v, i) => {
    ref.set(
      boostRef(base.subarray(i * plane, (i + 1) * plane), v.boost, { h: b.size, w: b.size }),
      i * plane,
    );
  });
  let mismatched = 0;
  for (let i = 0; i < got.length; i++) if (got[i] !== ref[i]) mismatched++;
  // Views the boost changed (against the unboosted batch): the comparison is not vacuous.
  let changed = 0;
  for (let v = 0; v < b.views.length; v++) {
    for (let i = v * plane; i < (v + 1) * plane; i++) {
      if (got[i] !== base[i]) {
        changed++;
        break;
      }
    }
  }
  return { ...errors(got, ref), mismatched, changed };
}

async function rows(pass: BoostPass, quick?: boolean): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [seed, size] of quick ? [[1, 16]] : [[1, 16], [2, 32], [3, 23]]) {
    const b = boostBatch(seed, size);
    const e = await compareBoost(b, pass);
    out.push({
      shape: `${size}×${size}: ${e.changed} of ${b.views.length} views boosted, ` +
        `${e.mismatched} values differ`,
      ...e,
      tol: 0,
    });
  }
  return out;
}

/** RandAugment kernels (the second pass, and the augment kernel with RANDAUG fused in). */
export const randaugKernels: KernelInfo[] = [
  {
    name: "randaug_second_pass",
    family: "augment",
    description: "BCL's 15 RandAugment ops on 8-bit levels, PIL-exact, one workgroup per view",
    spec: RANDAUG,
    entry: "randaug",
    defines: { RA_K: 3 },
    check: (o) => rows("second", o?.quick),
  },
  {
    name: "augment_randaug_fused",
    family: "augment",
    description: "the pretrain view with BCL's RandAugment fused into the same pass",
    spec: AUGMENT,
    entry: "augment",
    defines: { COLOR: true, BLUR: false, MAX_TAPS: 4, STAGE: 512, RANDAUG: true, RA_K: 3 },
    check: (o) => rows("fused", o?.quick),
  },
];
