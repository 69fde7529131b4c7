/**
 * Random augmentation parameters, drawn on the CPU with a seeded counter-keyed PRNG and
 * following torchvision's sampling logic step by step (the same draws in the same order; only
 * the generator differs from torch's).
 *
 * Reproducibility: every view of every image has its own generator, keyed by
 * (seed, epoch, dataset index, view) — see {@link viewRng}. A view's parameters therefore do
 * not depend on the batch size, the shuffle order or which other images share its batch.
 *
 * The PRNG is the suite's keyed xoshiro128** (core/prng.ts, key domain `augment`).
 * @module
 */
import { type Prng, type ViewKey, viewRng } from "../../core/prng.ts";
import type { ImageSize } from "../../core/image.ts";
import { type BoostDraws, RANDAUG_OPS } from "./randaug.ts";

/** Python's round(): halves go to the even neighbour (torchvision relies on it). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Resampling filter of a crop/resize (both antialiased, torch's `*_aa` kernels). */
export type Interpolation = "bicubic" | "bilinear";

/** The geometric stage of a recipe. */
export type CropSpec =
  /** RandomResizedCrop(size, scale, ratio). */
  | { kind: "random-resized"; scale: [number, number]; ratio: [number, number] }
  /** Resize(size) to the output size if needed, then RandomCrop(size, padding) (zero fill). */
  | { kind: "random-pad"; padding: number }
  /** Resize(shorter side → resize) or keep (null), then CenterCrop(output size). */
  | { kind: "resize-center"; resize: number | null };

/** A whole augmentation pipeline, as torchvision.transforms would compose it. */
export interface AugmentRecipe {
  /** Output height and width. */
  size: [number, number];
  crop: CropSpec;
  interpolation: Interpolation;
  /** RandomHorizontalFlip probability (0 = off). */
  flip: number;
  /** RandomApply([ColorJitter(b, c, s, h)], p), or null. */
  jitter:
    | { brightness: number; contrast: number; saturation: number; hue: number; p: number }
    | null;
  /** RandomGrayscale probability (0 = off). */
  grayscale: number;
  /** RandomApply([GaussianBlur(kernelSize, sigma)], p), or null. */
  blur: { p: number; sigma: [number, number]; kernelSize: number } | null;
}

/** Recipe names of `deno task augment-preview` and the loader helpers. */
export const RECIPE_NAMES = ["cifar", "imagenet", "eval", "test"] as const;
/** One of RECIPE_NAMES. */
export type RecipeName = typeof RECIPE_NAMES[number];

/**
 * The spec's recipes (§2, §7). `size` is the output side (default 32, or 224 for imagenet).
 *  - cifar: RandomResizedCrop(size, scale=(0.1, 1), bicubic) → flip → jitter(0.4,0.4,0.4,0.1)
 *    p=0.8 → grayscale p=0.2.
 *  - imagenet: the same with scale=(0.08, 1), plus GaussianBlur σ~U(0.1, 2) p=0.5 with
 *    kernel size odd(⌊0.1·size⌋) (23 at 224, SimCLR's torchvision recipe).
 *  - eval: (Resize(size) if the source differs) → RandomCrop(size, padding 4) → flip.
 *  - test: Resize(⌊size·256/224⌋) → CenterCrop(size) when size ≥ 224 (ImageNet), otherwise
 *    only Resize(size) when the source differs (CIFAR: none).
 */
export function recipe(name: RecipeName, size?: number): AugmentRecipe {
  const s = size ?? (name === "imagenet" ? 224 : 32);
  const jitter = { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 };
  switch (name) {
    case "cifar":
      return {
        size: [s, s],
        crop: { kind: "random-resized", scale: [0.1, 1], ratio: [3 / 4, 4 / 3] },
        interpolation: "bicubic",
        flip: 0.5,
        jitter,
        grayscale: 0.2,
        blur: null,
      };
    case "imagenet": {
      const k = Math.floor(0.1 * s);
      return {
        ...recipe("cifar", s),
        crop: { kind: "random-resized", scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
        blur: { p: 0.5, sigma: [0.1, 2], kernelSize: Math.max(3, k % 2 === 0 ? k + 1 : k) },
      };
    }
    case "eval":
      return {
        size: [s, s],
        crop: { kind: "random-pad", padding: 4 },
        interpolation: "bicubic",
        flip: 0.5,
        jitter: null,
        grayscale: 0,
        blur: null,
      };
    case "test":
      return {
        size: [s, s],
        crop: { kind: "resize-center", resize: s >= 224 ? Math.floor((s * 256) / 224) : s },
        // torchvision's Resize default (the authors' ImageNet test transform).
        interpolation: "bilinear",
        flip: 0,
        jitter: null,
        grayscale: 0,
        blur: null,
      };
  }
}

/** Jitter op ids, in torchvision's fn_idx numbering. */
export const JITTER_OPS = ["brightness", "contrast", "saturation", "hue"] as const;

/** Everything the augmentation kernel needs to produce one view of one image. */
export interface ViewParams {
  /** Crop box in source pixels. */
  top: number;
  left: number;
  cropH: number;
  cropW: number;
  /** The crop is resampled to resizeH × resizeW (the "virtual" image) … */
  resizeH: number;
  resizeW: number;
  /** … of which the output window starts at (offY, offX); outside it is zero (padding). */
  offY: number;
  offX: number;
  interpolation: Interpolation;
  flip: boolean;
  /** Whether the ColorJitter was applied at all (RandomApply). */
  jitter: boolean;
  /** The op order (a permutation of 0..3: brightness, contrast, saturation, hue). */
  order: number[];
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  gray: boolean;
  blur: boolean;
  sigma: number;
  kernelSize: number;
}

/** A box in an image's pixels: h × w from (top, left). */
export interface CropBox {
  top: number;
  left: number;
  h: number;
  w: number;
}

/** The output size of an augmentation, in pixels. */
export interface OutputSize {
  /** Output height. */
  outH: number;
  /** Output width. */
  outW: number;
}

/** What RandomResizedCrop samples from. */
export interface ResizedCropOptions {
  /** Source height in pixels. */
  height: number;
  /** Source width in pixels. */
  width: number;
  /** Range of the crop's area as a fraction of the source's. */
  scale: [number, number];
  /** Range of the crop's aspect ratio (width / height). */
  ratio: [number, number];
}

/** torchvision RandomResizedCrop.get_params: up to 10 tries, then the central fallback. */
export function sampleResizedCrop(rng: Prng, o: ResizedCropOptions): CropBox {
  const { height, width, scale, ratio } = o;
  const area = height * width;
  const logR0 = Math.log(ratio[0]), logR1 = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logR0, logR1));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(0, height - h + 1);
      const left = rng.int(0, width - w + 1);
      return { top, left, h, w };
    }
  }
  const inRatio = width / height;
  let w: number, h: number;
  if (inRatio < Math.min(...ratio)) {
    w = width;
    h = roundHalfEven(w / Math.min(...ratio));
  } else if (inRatio > Math.max(...ratio)) {
    h = height;
    w = roundHalfEven(h * Math.max(...ratio));
  } else {
    w = width;
    h = height;
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), h, w };
}

/** torchvision Resize(size: int): the shorter side becomes `size`, the longer ⌊size·long/short⌋. */
export function resizedShape(height: number, width: number, size: number): [number, number] {
  if (width <= height) return [Math.floor((size * height) / width), size];
  return [size, Math.floor((size * width) / height)];
}

/** torchvision CenterCrop offset along one axis (negative: zero padding before the image). */
export function centerOffset(have: number, want: number): number {
  return want > have ? -Math.floor((want - have) / 2) : roundHalfEven((have - want) / 2);
}

const NO_COLOR = {
  jitter: false,
  order: [0, 1, 2, 3],
  brightness: 1,
  contrast: 1,
  saturation: 1,
  hue: 0,
  gray: false,
  blur: false,
  sigma: 1,
  kernelSize: 1,
};

/**
 * Draws one view's parameters for a source of size `src` (an image, or its height and width),
 * consuming `rng` in torchvision's order: crop → flip → RandomApply(jitter)
 * [→ randperm(4), b, c, s, h] → grayscale → RandomApply(blur) [→ σ].
 */
export function drawView(r: AugmentRecipe, src: ImageSize, rng: Prng): ViewParams {
  const { height: srcH, width: srcW } = src;
  const [outH, outW] = r.size;
  const v: ViewParams = {
    top: 0,
    left: 0,
    cropH: srcH,
    cropW: srcW,
    resizeH: outH,
    resizeW: outW,
    offY: 0,
    offX: 0,
    interpolation: r.interpolation,
    flip: false,
    ...NO_COLOR,
    order: [0, 1, 2, 3],
  };
  const c = r.crop;
  if (c.kind === "random-resized") {
    const b = sampleResizedCrop(rng, { height: srcH, width: srcW, scale: c.scale, ratio: c.ratio });
    Object.assign(v, { top: b.top, left: b.left, cropH: b.h, cropW: b.w });
  } else if (c.kind === "random-pad") {
    // RandomCrop draws its offsets in the padded image: [0, padded − out].
    v.offY = rng.int(0, outH + 2 * c.padding - outH + 1) - c.padding;
    v.offX = rng.int(0, outW + 2 * c.padding - outW + 1) - c.padding;
  } else {
    const [rh, rw] = c.resize === null ? [srcH, srcW] : resizedShape(srcH, srcW, c.resize);
    v.resizeH = rh;
    v.resizeW = rw;
    v.offY = centerOffset(rh, outH);
    v.offX = centerOffset(rw, outW);
  }
  if (r.flip > 0) v.flip = rng.random() < r.flip;
  if (r.jitter) {
    // RandomApply: `if p < torch.rand(1): return img`.
    v.jitter = !(r.jitter.p < rng.random());
    if (v.jitter) {
      v.order = Array.from(rng.perm(4));
      const j = r.jitter;
      v.brightness = rng.uniform(Math.max(0, 1 - j.brightness), 1 + j.brightness);
      v.contrast = rng.uniform(Math.max(0, 1 - j.contrast), 1 + j.contrast);
      v.saturation = rng.uniform(Math.max(0, 1 - j.saturation), 1 + j.saturation);
      v.hue = rng.uniform(-j.hue, j.hue);
    }
  }
  if (r.grayscale > 0) v.gray = rng.random() < r.grayscale;
  if (r.blur) {
    v.blur = !(r.blur.p < rng.random());
    v.kernelSize = r.blur.kernelSize;
    if (v.blur) v.sigma = rng.uniform(r.blur.sigma[0], r.blur.sigma[1]);
  }
  return v;
}

/**
 * BCL's draws for one view (docs/method.md §10), all made whatever the image's weight (so a
 * view's draws never depend on it): u, then for each of k ops its index (uniform with
 * replacement over the 15), the apply draw, the sign draw and Cutout's two centre draws.
 */
export function drawBoost(rng: Prng, k: number): BoostDraws {
  const u = rng.random();
  const ops = Array.from({ length: k }, () => ({
    op: rng.int(0, RANDAUG_OPS.length),
    r: rng.random(),
    negate: rng.random() > 0.5,
    cx: rng.random(),
    cy: rng.random(),
  }));
  return { u, ops };
}

/** drawView with the view's own generator (seed, epoch, dataset index, view). */
export function drawViewFor(r: AugmentRecipe, src: ImageSize, key: ViewKey): ViewParams {
  return drawView(r, src, viewRng(key));
}

/**
 * drawViewFor plus BCL's k-op draws from the same generator, after the view's own (so the
 * view's SimCLR parameters are those of a run without BCL).
 */
export function drawBoostedViewFor(
  r: AugmentRecipe,
  src: ImageSize,
  o: { key: ViewKey; k: number },
): { view: ViewParams; boost: BoostDraws } {
  const rng = viewRng(o.key);
  const view = drawView(r, src, rng);
  return { view, boost: drawBoost(rng, o.k) };
}

/**
 * Parameters that leave a source of size `src` as is apart from a resize to `out` (default:
 * the source's own size).
 */
export function identityView(src: ImageSize, out?: OutputSize): ViewParams {
  const { height: srcH, width: srcW } = src;
  const { outH, outW } = out ?? { outH: srcH, outW: srcW };
  return {
    top: 0,
    left: 0,
    cropH: srcH,
    cropW: srcW,
    resizeH: outH,
    resizeW: outW,
    offY: 0,
    offX: 0,
    interpolation: "bicubic",
    flip: false,
    ...NO_COLOR,
    order: [0, 1, 2, 3],
  };
}
