/**
 * Test images: smooth random colour fields, so augmented views of one image resemble each
 * other and a contrastive loss can fall within a few epochs.
 * @module
 */
import jpeg from "jpeg-js";
import { Prng } from "../../core/prng.ts";

/** Smooth random colour fields, so augmented views of one image resemble each other. */
export function syntheticImages(n: number, size: number, seed: number): Uint8Array {
  const r = Prng.named(seed);
  const out = new Uint8Array(n * size * size * 3);
  for (let i = 0; i < n; i++) {
    const c = Array.from({ length: 9 }, () => r.uniform());
    const fx = 1 + r.below(3), fy = 1 + r.below(3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const s = Math.sin((fx * x) / size * Math.PI * 2 + c[7] * 6);
        const t = Math.cos((fy * y) / size * Math.PI * 2 + c[8] * 6);
        for (let ch = 0; ch < 3; ch++) {
          const v = c[ch] + 0.35 * c[ch + 3] * s + 0.35 * c[(ch + 5) % 7] * t;
          out[((i * size + y) * size + x) * 3 + ch] = Math.max(0, Math.min(255, v * 200));
        }
      }
    }
  }
  return out;
}

/** A 40×36 RGB JPEG whose colour and stripes depend on the class and the image number. */
export function tinyJpeg(cls: number, k: number): Uint8Array {
  const width = 40, height = 36;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const stripe = ((x + k * 3) >> 2) % 2 === 0 ? 60 : 0;
      data[o] = (cls * 90 + stripe) & 255;
      data[o + 1] = (y * 6 + k * 10) & 255;
      data[o + 2] = (200 - cls * 70 + stripe) & 255;
      data[o + 3] = 255;
    }
  }
  return new Uint8Array(jpeg.encode({ data, width, height }, 90).data);
}
