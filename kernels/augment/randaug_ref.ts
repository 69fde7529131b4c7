/**
 * CPU references of BCL's RandAugment operations, written as PIL computes them on an 8-bit
 * RGB image (checked against PIL itself by tests/golden/gen_randaug.py): lookup tables built
 * the way PIL.ImageOps builds them (autocontrast in double precision, equalize in integers),
 * ImageEnhance's blends in C float arithmetic (Image.blend: in1 + α·(in2 − in1), truncated and
 * clipped), the SMOOTH filter of Sharpness as ImagingFilter3x3 sums it (float taps, rounded,
 * border pixels copied), grey as PIL's L = (19595 R + 38470 G + 7471 B + 2^15) >> 16, nearest
 * affine sampling walked in 16.16 fixed point as Geometry.c does, and Cutout's rectangle.
 *
 * Images are uint8 CHW planes (3 × H × W), the layout of the GPU views.
 * @module
 */
import { type BoostOp, KIND } from "./randaug.ts";

/** An 8-bit RGB image, channel planes one after another. */
export interface U8Image {
  h: number;
  w: number;
  /** 3·h·w values 0..255. */
  data: Uint8Array;
}

const f = Math.fround;

/** Image.blend(deg, img, α) per value: α a C float, f32 arithmetic, truncate, clip. */
export function blendRef(deg: number, img: number, alpha: number): number {
  const t = f(deg + f(alpha * (img - deg)));
  if (t <= 0) return 0;
  if (t >= 255) return 255;
  return Math.trunc(t);
}

/** PIL's RGB → L. */
export function lumaRef(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

function mapLut(img: U8Image, lut: (c: number, v: number) => number): U8Image {
  const n = img.h * img.w, out = new Uint8Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) out[c * n + i] = lut(c, img.data[c * n + i]);
  }
  return { ...img, data: out };
}

function histograms(img: U8Image): number[][] {
  const n = img.h * img.w;
  return [0, 1, 2].map((c) => {
    const h = new Array(256).fill(0);
    for (let i = 0; i < n; i++) h[img.data[c * n + i]]++;
    return h;
  });
}

/** PIL.ImageOps.autocontrast(img) (cutoff 0): per channel [lo, hi] stretched in doubles. */
export function autocontrastRef(img: U8Image): U8Image {
  const luts = histograms(img).map((h) => {
    let lo = 0, hi = 255;
    while (lo < 256 && !h[lo]) lo++;
    while (hi >= 0 && !h[hi]) hi--;
    if (hi <= lo) return Array.from({ length: 256 }, (_, i) => i);
    const scale = 255.0 / (hi - lo), offset = -lo * scale;
    return Array.from({ length: 256 }, (_, i) => {
      const v = Math.trunc(i * scale + offset);
      return v < 0 ? 0 : v > 255 ? 255 : v;
    });
  });
  return mapLut(img, (c, v) => luts[c][v]);
}

/** PIL.ImageOps.equalize(img): per channel, integer steps; the table clipped by point(). */
export function equalizeRef(img: U8Image): U8Image {
  const luts = histograms(img).map((h) => {
    const nz = h.filter((x) => x > 0);
    const ident = Array.from({ length: 256 }, (_, i) => i);
    if (nz.length <= 1) return ident;
    const step = Math.floor((nz.reduce((a, b) => a + b, 0) - nz[nz.length - 1]) / 255);
    if (!step) return ident;
    let n = Math.floor(step / 2);
    return h.map((x) => {
      const v = Math.floor(n / step);
      n += x;
      return Math.min(v, 255);
    });
  });
  return mapLut(img, (c, v) => luts[c][v]);
}

/** Nearest affine sampling in 16.16 fixed point (words A0..A5 of affineWords), fill 0. */
export function affineRef(img: U8Image, a: readonly number[]): U8Image {
  const { h, w } = img, n = h * w;
  const [a0, a1, a2, a3, a4, a5] = a.map((v) => v | 0);
  const out = new Uint8Array(3 * n);
  for (let y = 0; y < h; y++) {
    // Geometry.c walks rows and columns by adding the coefficients; the sums are exact.
    let xx = a2 + y * a1, yy = a5 + y * a4;
    for (let x = 0; x < w; x++, xx += a0, yy += a3) {
      const xi = Math.floor(xx / 65536), yi = Math.floor(yy / 65536);
      if (xi < 0 || xi >= w || yi < 0 || yi >= h) continue;
      for (let c = 0; c < 3; c++) out[c * n + y * w + x] = img.data[c * n + yi * w + xi];
    }
  }
  return { ...img, data: out };
}

/** ImageFilter.SMOOTH as ImagingFilter3x3: rows y+1, y, y−1 summed in floats, rounded. */
export function smoothRef(img: U8Image): U8Image {
  const { h, w } = img, n = h * w;
  const out = img.data.slice();
  const k1 = f(1 / 13), k5 = f(5 / 13);
  const px = (c: number, y: number, x: number) => img.data[c * n + y * w + x];
  for (let c = 0; c < 3; c++) {
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) {
        const row = (r: number, mid: number) =>
          f(f(f(px(c, r, x - 1) * k1) + f(px(c, r, x) * mid)) + f(px(c, r, x + 1) * k1));
        let ss = f(0 + row(y + 1, k1));
        ss = f(ss + row(y, k5));
        ss = f(ss + row(y - 1, k1));
        out[c * n + y * w + x] = ss <= 0 ? 0 : ss >= 255 ? 255 : Math.trunc(f(ss + 0.5));
      }
    }
  }
  return { ...img, data: out };
}

const f32 = (bits: number) => new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0];

/** Every pixel blended with `deg(c, i)` at α. */
function blendImage(img: U8Image, deg: (c: number, i: number) => number, alpha: number): U8Image {
  const n = img.h * img.w, out = new Uint8Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) out[c * n + i] = blendRef(deg(c, i), img.data[c * n + i], alpha);
  }
  return { ...img, data: out };
}

function lumaPlane(img: U8Image): Uint8Array {
  const n = img.h * img.w, d = img.data;
  return Uint8Array.from({ length: n }, (_, i) => lumaRef(d[i], d[n + i], d[2 * n + i]));
}

/** One operation of a view (see randaug.ts opFromValue), as PIL would apply it. */
export function applyOpRef(img: U8Image, op: BoostOp): U8Image {
  const p = op.words;
  switch (op.kind) {
    case KIND.NONE:
      return img;
    case KIND.AFFINE:
      return affineRef(img, p);
    case KIND.AUTOCONTRAST:
      return autocontrastRef(img);
    case KIND.EQUALIZE:
      return equalizeRef(img);
    case KIND.INVERT:
      return mapLut(img, (_, v) => 255 - v);
    case KIND.SOLARIZE:
      return mapLut(img, (_, v) => (v < p[0] ? v : 255 - v));
    case KIND.POSTERIZE:
      return mapLut(img, (_, v) => v & p[0]);
    case KIND.BRIGHTNESS:
      return blendImage(img, () => 0, f32(p[0]));
    case KIND.COLOR: {
      const l = lumaPlane(img);
      return blendImage(img, (_, i) => l[i], f32(p[0]));
    }
    case KIND.CONTRAST: {
      const l = lumaPlane(img);
      const mean = Math.trunc(l.reduce((a, b) => a + b, 0) / l.length + 0.5);
      return blendImage(img, () => mean, f32(p[0]));
    }
    case KIND.SHARPNESS: {
      const s = smoothRef(img);
      return blendImage(img, (c, i) => s.data[c * img.h * img.w + i], f32(p[0]));
    }
    case KIND.CUTOUT: {
      const out = img.data.slice(), n = img.h * img.w, fill = [125, 123, 114];
      for (let y = p[1]; y <= p[3]; y++) {
        for (let x = p[0]; x <= p[2]; x++) {
          for (let c = 0; c < 3; c++) out[c * n + y * img.w + x] = fill[c];
        }
      }
      return { ...img, data: out };
    }
  }
  throw new Error(`applyOpRef: unknown kind ${op.kind}`);
}

/** A float view value in [0, 1] as the 8-bit level the kernel gives it (f32 arithmetic). */
export function quantizeRef(x: number): number {
  const c = Math.min(Math.max(x, 0), 1);
  return Math.floor(f(f(c * 255) + 0.5));
}

/**
 * The boost stage of one view: float CHW [3, h, w] in [0, 1] → (with at least one op) 8-bit
 * levels, the ops in order, back to floats level/255; without ops the view as it is.
 */
export function boostRef(
  view: ArrayLike<number>,
  ops: readonly BoostOp[],
  size: { h: number; w: number },
): Float64Array {
  const { h, w } = size;
  if (ops.length === 0) return Float64Array.from(view);
  let img: U8Image = { h, w, data: Uint8Array.from(view, quantizeRef) };
  for (const op of ops) img = applyOpRef(img, op);
  return Float64Array.from(img.data, (v) => f(v / 255));
}
