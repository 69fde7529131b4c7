/**
 * CPU f64 references of the augmentation ops, written as torchvision's tensor functional ops
 * define them (on float CHW images in [0, 1]), and of the whole pipeline composed from them
 * op by op (full images, no fusion), for checking the fused kernel.
 * @module
 */
import type { CropBox, Interpolation, OutputSize, ViewParams } from "./params.ts";
import type { RawImage } from "../../core/image.ts";

/** A float CHW image. */
export interface Img {
  c: number;
  h: number;
  w: number;
  data: Float64Array;
}

/** uint8 HWC (1 or 3 channels) → 3-channel float CHW in [0, 1] (gray sources repeated). */
export function toFloat3(img: RawImage): Img {
  const { height: h, width: w, channels: c } = img;
  const out = new Float64Array(3 * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < 3; k++) {
        out[(k * h + y) * w + x] = img.data[(y * w + x) * c + (c === 1 ? 0 : k)] / 255;
      }
    }
  }
  return { c: 3, h, w, data: out };
}

/** Keys cubic convolution, a = −0.5 (PIL's and torch's antialiased bicubic). */
export function cubicFilter(x: number): number {
  const a = -0.5, t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Triangle filter (antialiased bilinear). */
export function triangleFilter(x: number): number {
  return Math.max(1 - Math.abs(x), 0);
}

/**
 * torch `_compute_indices_min_size_weights_aa` for one axis: for every output index, the
 * first input index and the normalised weights.
 */
export function aaWeights(
  inSize: number,
  outSize: number,
  interp: Interpolation,
): { start: number; w: number[] }[] {
  const filt = interp === "bicubic" ? cubicFilter : triangleFilter;
  const half = interp === "bicubic" ? 2 : 1;
  const scale = inSize / outSize;
  const support = scale >= 1 ? half * scale : half;
  const inv = scale >= 1 ? 1 / scale : 1;
  const rows = [];
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const x0 = Math.max(Math.trunc(center - support + 0.5), 0);
    const x1 = Math.min(Math.trunc(center + support + 0.5), inSize);
    const w: number[] = [];
    let total = 0;
    for (let j = x0; j < x1; j++) {
      const f = filt((j - center + 0.5) * inv);
      w.push(f);
      total += f;
    }
    rows.push({ start: x0, w: total !== 0 ? w.map((v) => v / total) : w });
  }
  return rows;
}

/** F.crop(img, top, left, h, w) (the box must lie inside the image). */
export function cropRef(img: Img, box: CropBox): Img {
  const { top, left, h, w } = box;
  const out = new Float64Array(img.c * h * w);
  for (let k = 0; k < img.c; k++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        out[(k * h + y) * w + x] = img.data[(k * img.h + top + y) * img.w + left + x];
      }
    }
  }
  return { c: img.c, h, w, data: out };
}

/** Target of `resizeRef`. */
export interface ResizeRefOptions {
  /** Output height. */
  h: number;
  /** Output width. */
  w: number;
  /** Resampling filter. */
  interp: Interpolation;
}

/** Antialiased resize to h × w (rows, then columns, as torch does), clamped to [0, 1]. */
export function resizeRef(img: Img, o: ResizeRefOptions): Img {
  const { h: oh, w: ow, interp } = o;
  if (oh === img.h && ow === img.w) return img;
  const wx = aaWeights(img.w, ow, interp), wy = aaWeights(img.h, oh, interp);
  const tmp = new Float64Array(img.c * img.h * ow);
  for (let k = 0; k < img.c; k++) {
    for (let y = 0; y < img.h; y++) {
      for (let x = 0; x < ow; x++) {
        const { start, w } = wx[x];
        let s = 0;
        for (let t = 0; t < w.length; t++) {
          s += w[t] * img.data[(k * img.h + y) * img.w + start + t];
        }
        tmp[(k * img.h + y) * ow + x] = s;
      }
    }
  }
  const out = new Float64Array(img.c * oh * ow);
  for (let k = 0; k < img.c; k++) {
    for (let y = 0; y < oh; y++) {
      const { start, w } = wy[y];
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let t = 0; t < w.length; t++) s += w[t] * tmp[(k * img.h + start + t) * ow + x];
        out[(k * oh + y) * ow + x] = Math.min(Math.max(s, 0), 1);
      }
    }
  }
  return { c: img.c, h: oh, w: ow, data: out };
}

/**
 * The h × w window at (top, left) of the image, zero outside (RandomCrop/CenterCrop pad); the
 * box may reach outside the image.
 */
export function windowRef(img: Img, box: CropBox): Img {
  const { top, left, h: oh, w: ow } = box;
  const out = new Float64Array(img.c * oh * ow);
  for (let k = 0; k < img.c; k++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const sy = y + top, sx = x + left;
        if (sy >= 0 && sy < img.h && sx >= 0 && sx < img.w) {
          out[(k * oh + y) * ow + x] = img.data[(k * img.h + sy) * img.w + sx];
        }
      }
    }
  }
  return { c: img.c, h: oh, w: ow, data: out };
}

/** F.hflip. */
export function hflipRef(img: Img): Img {
  const out = new Float64Array(img.data.length);
  for (let k = 0; k < img.c; k++) {
    for (let y = 0; y < img.h; y++) {
      for (let x = 0; x < img.w; x++) {
        out[(k * img.h + y) * img.w + x] = img.data[(k * img.h + y) * img.w + img.w - 1 - x];
      }
    }
  }
  return { ...img, data: out };
}

function map3(img: Img, f: (r: number, g: number, b: number) => [number, number, number]): Img {
  const n = img.h * img.w, d = img.data, out = new Float64Array(d.length);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = f(d[i], d[n + i], d[2 * n + i]);
    out[i] = r;
    out[n + i] = g;
    out[2 * n + i] = b;
  }
  return { ...img, data: out };
}

const clamp01 = (v: number) => Math.min(Math.max(v, 0), 1);

/** torchvision `_blend`: clamp(r·a + (1 − r)·b, 0, 1). */
function blend(a: number, b: number, r: number): number {
  return clamp01(r * a + (1 - r) * b);
}

/** torchvision rgb_to_grayscale luma (0.2989, 0.587, 0.114). */
export function luma(r: number, g: number, b: number): number {
  return 0.2989 * r + 0.587 * g + 0.114 * b;
}

/** F.adjust_brightness: blend with black. */
export function adjustBrightnessRef(img: Img, f: number): Img {
  return map3(img, (r, g, b) => [blend(r, 0, f), blend(g, 0, f), blend(b, 0, f)]);
}

/** F.adjust_contrast: blend with the mean luma of the whole image. */
export function adjustContrastRef(img: Img, f: number): Img {
  const n = img.h * img.w, d = img.data;
  let s = 0;
  for (let i = 0; i < n; i++) s += luma(d[i], d[n + i], d[2 * n + i]);
  const m = s / n;
  return map3(img, (r, g, b) => [blend(r, m, f), blend(g, m, f), blend(b, m, f)]);
}

/** F.adjust_saturation: blend with the pixel's luma. */
export function adjustSaturationRef(img: Img, f: number): Img {
  return map3(img, (r, g, b) => {
    const l = luma(r, g, b);
    return [blend(r, l, f), blend(g, l, f), blend(b, l, f)];
  });
}

/** torchvision `_rgb2hsv` of one pixel. */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b), minc = Math.min(r, g, b);
  const eqc = maxc === minc, cr = maxc - minc;
  const s = cr / (eqc ? 1 : maxc);
  const d = eqc ? 1 : cr;
  const rc = (maxc - r) / d, gc = (maxc - g) / d, bc = (maxc - b) / d;
  let h;
  if (maxc === r) h = bc - gc;
  else if (maxc === g) h = 2 + rc - bc;
  else h = 4 + gc - rc;
  h = (h / 6 + 1) % 1;
  return [h, s, maxc];
}

/** torchvision `_hsv2rgb` of one pixel. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const i6 = Math.floor(h * 6), f = h * 6 - i6, i = ((i6 % 6) + 6) % 6;
  const p = clamp01(v * (1 - s)), q = clamp01(v * (1 - s * f)), t = clamp01(v * (1 - s * (1 - f)));
  return ([[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]] as const)[i]
    .slice() as [
      number,
      number,
      number,
    ];
}

/** F.adjust_hue: h ← (h + f) mod 1 in HSV. */
export function adjustHueRef(img: Img, f: number): Img {
  return map3(img, (r, g, b) => {
    const [h, s, v] = rgbToHsv(r, g, b);
    const h2 = h + f - Math.floor(h + f);
    return hsvToRgb(h2, s, v);
  });
}

/** F.rgb_to_grayscale(img, 3). */
export function grayscaleRef(img: Img): Img {
  return map3(img, (r, g, b) => {
    const l = luma(r, g, b);
    return [l, l, l];
  });
}

/** torch "reflect" padding index, folded so any offset maps inside [0, n). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = Math.abs(i) % period;
  if (m >= n) m = period - m;
  return m;
}

/** torchvision `_get_gaussian_kernel1d`. */
export function gaussianKernel1d(k: number, sigma: number): number[] {
  const half = (k - 1) * 0.5;
  const pdf = Array.from({ length: k }, (_, t) => Math.exp(-0.5 * ((t - half) / sigma) ** 2));
  const s = pdf.reduce((a, b) => a + b, 0);
  return pdf.map((v) => v / s);
}

/** F.gaussian_blur(img, [k, k], [σ, σ]): reflect padding, separable kernel. */
export function gaussianBlurRef(img: Img, k: number, sigma: number): Img {
  const g = gaussianKernel1d(k, sigma), half = (k - 1) / 2;
  const { c, h, w, data } = img;
  const tmp = new Float64Array(data.length), out = new Float64Array(data.length);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          s += g[t] * data[(ch * h + y) * w + reflectIndex(x + t - half, w)];
        }
        tmp[(ch * h + y) * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          s += g[t] * tmp[(ch * h + reflectIndex(y + t - half, h)) * w + x];
        }
        out[(ch * h + y) * w + x] = s;
      }
    }
  }
  return { ...img, data: out };
}

/**
 * The whole pipeline for one view, op after op as torchvision composes them: crop → resize →
 * window (pad/center crop) → flip → jitter ops in the drawn order → grayscale → blur.
 */
export function augmentRef(src: RawImage, v: ViewParams, size: OutputSize): Img {
  let img = toFloat3(src);
  img = cropRef(img, { top: v.top, left: v.left, h: v.cropH, w: v.cropW });
  img = resizeRef(img, { h: v.resizeH, w: v.resizeW, interp: v.interpolation });
  img = windowRef(img, { top: v.offY, left: v.offX, h: size.outH, w: size.outW });
  if (v.flip) img = hflipRef(img);
  if (v.jitter) {
    for (const op of v.order) {
      if (op === 0) img = adjustBrightnessRef(img, v.brightness);
      else if (op === 1) img = adjustContrastRef(img, v.contrast);
      else if (op === 2) img = adjustSaturationRef(img, v.saturation);
      else img = adjustHueRef(img, v.hue);
    }
  }
  if (v.gray) img = grayscaleRef(img);
  if (v.blur) img = gaussianBlurRef(img, v.kernelSize, v.sigma);
  return img;
}
