/**
 * `deno task kernels check` entries of the augmentation family: the fused kernel against the
 * op-by-op CPU f64 reference, on random images of odd sizes with random draws and with each
 * op forced on and off. The case builders are shared with tests/data/augment_test.ts.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { errors } from "../../core/testing.ts";
import {
  type AugmentRecipe,
  drawView,
  type OutputSize,
  recipe,
  type ViewParams,
} from "./params.ts";
import { Prng } from "../../core/prng.ts";
import type { RawImage } from "../../core/image.ts";
import { AUGMENT, augment } from "./mod.ts";
import { augmentRef } from "./reference.ts";

/** A seeded random uint8 HWC image of shape [h, w, c] with some structure (gradients + noise). */
export function randomImage(shape: readonly [number, number, number], seed: number): RawImage {
  const [h, w, c] = shape;
  const r = Prng.keyed(0xabc, seed);
  const data = new Uint8Array(h * w * c);
  const phase = [r.random(), r.random(), r.random()].map((v) => v * 6);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const smooth = 127 + 100 * Math.sin(phase[k] + (x * 0.4 + y * 0.3) * (k + 1) / 2);
        data[(y * w + x) * c + k] = Math.max(0, Math.min(255, Math.round(smooth + r.int(-40, 41))));
      }
    }
  }
  return { data, height: h, width: w, channels: c };
}

/** Variants of a drawn view with each op forced on and off (contrast at every position). */
export function forcedViews(v: ViewParams): ViewParams[] {
  const out: ViewParams[] = [v];
  const jit = { jitter: true, brightness: 1.3, contrast: 0.7, saturation: 1.35, hue: 0.08 };
  for (let pos = 0; pos < 4; pos++) {
    const rest = [0, 2, 3];
    const order = [...rest.slice(0, pos), 1, ...rest.slice(pos)];
    out.push({ ...v, ...jit, order, flip: pos % 2 === 0, gray: false });
  }
  out.push({ ...v, jitter: false, gray: false, flip: false });
  out.push({ ...v, jitter: false, gray: true, flip: true });
  out.push({ ...v, ...jit, order: [3, 2, 1, 0], gray: true });
  for (const op of [0, 1, 2, 3]) {
    // One op alone (the others at their identity factors), first in the order.
    out.push({
      ...v,
      jitter: true,
      order: [op, ...[0, 1, 2, 3].filter((o) => o !== op)],
      brightness: op === 0 ? 0.6 : 1,
      contrast: op === 1 ? 1.4 : 1,
      saturation: op === 2 ? 0.6 : 1,
      hue: op === 3 ? -0.1 : 0,
      gray: false,
    });
  }
  return out;
}

/** Blur off and on (odd kernel sizes up to the recipe's 23, σ across U(0.1, 2), by `i`). */
export function withBlur(v: ViewParams, i: number): ViewParams[] {
  return [
    { ...v, blur: false },
    { ...v, blur: true, kernelSize: [3, 7, 23][i % 3], sigma: [0.1, 1.1, 2][i % 3] },
  ];
}

/** How `caseBatch` draws its images and views. */
export interface CaseBatchOptions {
  /** Seeds the images and the view draws. */
  seed: number;
  /** Add each image's forced-op variants of its first view (default true). */
  force?: boolean;
}

/**
 * A batch of views over several images of the given [h, w, c] shapes (random draws of `r`
 * plus forced variants).
 */
export function caseBatch(
  r: AugmentRecipe,
  shapes: [number, number, number][],
  o: CaseBatchOptions,
): { images: RawImage[]; views: { image: number; view: ViewParams }[] } {
  const { seed, force = true } = o;
  const images = shapes.map((shape, i) => randomImage(shape, seed * 131 + i));
  const rng = Prng.keyed(0x5eed, seed);
  const views: { image: number; view: ViewParams }[] = [];
  images.forEach((im, i) => {
    for (let k = 0; k < 3; k++) {
      const v = drawView(r, im, rng);
      const vs = force && k === 0 ? forcedViews(v) : [v];
      for (const view of vs) views.push({ image: i, view });
    }
  });
  return { images, views };
}

/** Runs a batch on the GPU and on the CPU reference; the worst error over all views. */
export async function compareBatch(
  images: RawImage[],
  views: { image: number; view: ViewParams }[],
  size: OutputSize,
): Promise<{ maxAbs: number; maxRel: number; gpu: Float32Array; ref: Float64Array }> {
  const { outH, outW } = size;
  const t = augment(images, views, size);
  const gpu = await t.read();
  t.dispose();
  const plane = 3 * outH * outW;
  const ref = new Float64Array(views.length * plane);
  views.forEach((v, i) => ref.set(augmentRef(images[v.image], v.view, size).data, i * plane));
  return { ...errors(gpu, ref), gpu, ref };
}

function rowOf(shape: string, e: { maxAbs: number; maxRel: number }): CheckRow {
  return { shape, maxAbs: e.maxAbs, maxRel: e.maxRel, tol: 1e-4 };
}

// 64×60 crops exceed the 1024-pixel stage: the direct 2-D path with wide (downscaling) support.
const SHAPES: [number, number, number][] = [
  [32, 32, 3],
  [28, 28, 1],
  [13, 17, 3],
  [19, 9, 3],
  [64, 60, 3],
];

async function pretrainRows(): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const [h, w] of [[32, 32], [15, 11]] as [number, number][]) {
    const r = { ...recipe("cifar"), size: [h, w] as [number, number] };
    const b = caseBatch(r, SHAPES, { seed: h * 7 + w });
    rows.push(
      rowOf(
        `${b.views.length} views → ${h}×${w}`,
        await compareBatch(b.images, b.views, { outH: h, outW: w }),
      ),
    );
  }
  return rows;
}

async function blurRows(): Promise<CheckRow[]> {
  const r = {
    ...recipe("imagenet", 24),
    blur: { p: 0.5, sigma: [0.1, 2] as [number, number], kernelSize: 5 },
  };
  const b = caseBatch(r, [[40, 52, 3], [17, 23, 1], [9, 7, 3]], { seed: 3 });
  const views = b.views.flatMap((v, i) => withBlur(v.view, i).map((view) => ({ ...v, view })));
  return [
    rowOf(
      `${views.length} views → 24×24 (blur on/off)`,
      await compareBatch(b.images, views, { outH: 24, outW: 24 }),
    ),
  ];
}

async function evalRows(): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const s of [32, 13]) {
    const b = caseBatch(recipe("eval", s), [[32, 32, 3], [28, 28, 1], [13, 13, 3]], {
      seed: s,
      force: false,
    });
    rows.push(
      rowOf(
        `${b.views.length} views → ${s}×${s}`,
        await compareBatch(b.images, b.views, { outH: s, outW: s }),
      ),
    );
  }
  return rows;
}

async function testRows(): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const [s, resize] of [[224, 256], [20, null], [9, 11]] as [number, number | null][]) {
    const r: AugmentRecipe = { ...recipe("test", s), crop: { kind: "resize-center", resize } };
    const b = caseBatch(r, [[250, 300, 3], [17, 23, 1], [9, 6, 3]], { seed: s, force: false });
    rows.push(
      rowOf(
        `${b.views.length} views → ${s}×${s} (resize ${resize})`,
        await compareBatch(b.images, b.views, { outH: s, outW: s }),
      ),
    );
  }
  return rows;
}

const base = { family: "augment", spec: AUGMENT, entry: "augment" };

/** Augmentation kernels (one fused WGSL entry point, compiled in three variants). */
export const augmentKernels: KernelInfo[] = [
  {
    ...base,
    name: "augment_pretrain",
    description: "RandomResizedCrop(bicubic aa)+flip+jitter(drawn order)+gray → f32 NCHW",
    defines: { COLOR: true, BLUR: false, MAX_TAPS: 4, STAGE: 1024, RANDAUG: false, RA_K: 1 },
    check: pretrainRows,
  },
  {
    ...base,
    name: "augment_blur",
    description: "the pretrain view plus separable Gaussian blur (reflect padding)",
    defines: { COLOR: true, BLUR: true, MAX_TAPS: 8, STAGE: 1024, RANDAUG: false, RA_K: 1 },
    check: blurRows,
  },
  {
    ...base,
    name: "augment_eval",
    description: "Resize if needed + RandomCrop(padding 4, zero fill) + flip → f32 NCHW",
    defines: { COLOR: false, BLUR: false, MAX_TAPS: 4, STAGE: 1024, RANDAUG: false, RA_K: 1 },
    check: evalRows,
  },
  {
    ...base,
    name: "augment_test",
    description: "Resize(shorter side, bilinear aa) + CenterCrop → f32 NCHW",
    defines: { COLOR: false, BLUR: false, MAX_TAPS: 8, STAGE: 1024, RANDAUG: false, RA_K: 1 },
    check: testRows,
  },
];
