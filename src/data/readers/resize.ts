/**
 * Image resizing and center cropping for uint8 HWC images, following what torchvision does on
 * PIL images (the authors' ImageNet pipeline): `Resize(n)` scales the shorter side to n with
 * PIL's resampling, and `CenterCrop` rounds the offset half-to-even like Python's `round`.
 *
 * The resampler is a transcription of Pillow's `ImagingResample` for 8-bit images: a separable
 * convolution whose filter support widens with the downscale factor (so downscaling is
 * antialiased), coefficients normalised per output pixel and rounded to 22-bit fixed point,
 * a horizontal pass clipped to uint8, then a vertical pass. "bilinear" is Pillow's triangle
 * filter (support 1); "bicubic" is Keys' cubic with a = −0.5 (support 2). Same integer
 * arithmetic, so results should match Pillow exactly (not verified against Pillow here: it is
 * not installed on the development machine).
 * @module
 */
import type { RawImage } from "../../../core/image.ts";

/** Resampling filter. torchvision's `Resize` default is bilinear; CIFAR augmentation uses bicubic. */
export type Interpolation = "bilinear" | "bicubic";

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

function bilinear(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per-output-pixel taps: first input index, tap count, fixed-point weights (ksize each). */
export interface Taps {
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  ksize: number;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for one axis. */
export function resampleTaps(inSize: number, outSize: number, interp: Interpolation): Taps {
  const filter = interp === "bilinear" ? bilinear : bicubic;
  const support0 = interp === "bilinear" ? 1 : 2;
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = support0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      if (ww !== 0) k[x] /= ww;
      const v = k[x] * ONE;
      weights[xx * ksize + x] = Math.trunc(k[x] < 0 ? -0.5 + v : 0.5 + v);
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { first, count, weights, ksize };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / ONE);
}

function horizontal(img: RawImage, outW: number, interp: Interpolation): RawImage {
  const { height: h, width: w, channels: c, data } = img;
  const t = resampleTaps(w, outW, interp);
  const out = new Uint8Array(h * outW * c);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let xx = 0; xx < outW; xx++) {
      const x0 = t.first[xx], n = t.count[xx], kb = xx * t.ksize;
      for (let ch = 0; ch < c; ch++) {
        let s = ONE / 2;
        for (let x = 0; x < n; x++) s += data[row + (x0 + x) * c + ch] * t.weights[kb + x];
        out[(y * outW + xx) * c + ch] = clip8(s);
      }
    }
  }
  return { data: out, height: h, width: outW, channels: c };
}

function vertical(img: RawImage, outH: number, interp: Interpolation): RawImage {
  const { height: h, width: w, channels: c, data } = img;
  const t = resampleTaps(h, outH, interp);
  const stride = w * c;
  const out = new Uint8Array(outH * stride);
  for (let yy = 0; yy < outH; yy++) {
    const y0 = t.first[yy], n = t.count[yy], kb = yy * t.ksize;
    for (let i = 0; i < stride; i++) {
      let s = ONE / 2;
      for (let y = 0; y < n; y++) s += data[(y0 + y) * stride + i] * t.weights[kb + y];
      out[yy * stride + i] = clip8(s);
    }
  }
  return { data: out, height: outH, width: w, channels: c };
}

/** The target of `resize`. */
export interface ResizeOptions {
  /** Output height. */
  height: number;
  /** Output width. */
  width: number;
  /** Resampling filter. */
  interp: Interpolation;
}

/** Resizes to exactly `height`×`width` (Pillow `Image.resize`, horizontal pass first). */
export function resize(img: RawImage, o: ResizeOptions): RawImage {
  const { height: outH, width: outW, interp } = o;
  if (!(outH >= 1 && outW >= 1 && Number.isInteger(outH) && Number.isInteger(outW))) {
    throw new Error(`resize: bad output size ${outH}×${outW}`);
  }
  let cur = img;
  if (outW !== img.width) cur = horizontal(cur, outW, interp);
  if (outH !== img.height) cur = vertical(cur, outH, interp);
  return cur === img ? { ...img, data: img.data.slice() } : cur;
}

/**
 * torchvision `Resize(size)` with an int: the shorter side becomes `size`, the longer
 * `floor(size · long / short)`.
 */
export function resizeShorter(img: RawImage, size: number, interp: Interpolation): RawImage {
  const { height: h, width: w } = img;
  const [oh, ow] = w <= h ? [Math.floor(size * h / w), size] : [size, Math.floor(size * w / h)];
  return resize(img, { height: oh, width: ow, interp });
}

/** Python's `round` on halves: to the nearest even integer. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * torchvision `CenterCrop((ch, cw))`: offset `round((h − ch) / 2)` (half to even); a crop
 * larger than the image is zero-padded first, as torchvision does.
 */
export function centerCrop(img: RawImage, ch: number, cw: number): RawImage {
  const { height: h, width: w, channels: c, data } = img;
  const top = ch > h ? -Math.floor((ch - h) / 2) : roundHalfEven((h - ch) / 2);
  const left = cw > w ? -Math.floor((cw - w) / 2) : roundHalfEven((w - cw) / 2);
  const out = new Uint8Array(ch * cw * c);
  for (let y = 0; y < ch; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < cw; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= w) continue;
      const s = (sy * w + sx) * c, d = (y * cw + x) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k];
    }
  }
  return { data: out, height: ch, width: cw, channels: c };
}
