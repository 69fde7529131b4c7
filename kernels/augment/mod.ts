/**
 * Augmentation family: packing a batch (uint8 images + per-view parameters) into ONE u32
 * buffer, and the fused WGSL kernel that turns it into float32 NCHW views in [0, 1].
 *
 * Resampling semantics (documented choice): torchvision's tensor path
 * `F.resized_crop(img_float, …, BICUBIC, antialias=True)`, i.e. torch's
 * `_upsample_bicubic2d_aa`, which is PIL's resampling filter (Keys cubic with a = −0.5 — not
 * the −0.75 of the non-antialiased tensor path —, support widened by the scale factor when
 * shrinking, weights normalised over the taps inside the image); bilinear likewise uses the
 * triangle filter. This is what PIL did to the authors' uint8 images except that PIL rounds to
 * uint8 after each pass; we keep floats and clamp to [0, 1] after resampling (the range a
 * uint8 result implies; torchvision would not clamp floats). The CPU reference
 * (reference.ts) implements the same.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { Tensor } from "../../core/tensor.ts";
import type { OutputSize, ViewParams } from "./params.ts";
import type { RawImage } from "../../core/image.ts";
import { ENTRY, FLAG, PARAM_WORDS, prefixed } from "./layout.ts";
import { type BoostOp, packBoostRecord, RA_WORDS } from "./randaug.ts";
import { acFixBuffer, raK, RANDAUG_CONSTANTS, randaugDispatch } from "./randaug_kernel.ts";

export { ENTRY, FLAG, PARAM_WORDS } from "./layout.ts";

/** Largest Gaussian kernel the kernel supports. */
export const MAX_KERNEL_SIZE = 63;

/** The fused augmentation kernel (entry point `augment`); RANDAUG fuses BCL's ops in. */
export const AUGMENT = defineKernel({
  name: "augment",
  file: new URL("./augment.wgsl", import.meta.url),
  params: {
    first: "u32",
    img_base: "u32",
    out_h: "u32",
    out_w: "u32",
    ra_base: "u32",
    ac_fix_n: "u32",
  },
  bindings: {
    data: { access: "read", type: "u32" },
    out: { access: "read_write", type: "f32" },
    scratch: { access: "read_write", type: "f32", when: (d) => Boolean(d.BLUR || d.RANDAUG) },
    ac_fix: { access: "read", type: "u32", when: "RANDAUG" },
  },
  constants: {
    PW: PARAM_WORDS,
    ...prefixed("E_", ENTRY),
    ...prefixed("F_", FLAG),
    ...RANDAUG_CONSTANTS,
  },
});

/** Where BCL's RandAugment runs: inside the augment kernel, or as a second pass. */
export type BoostPass = "fused" | "second";

/**
 * The default boost pass, chosen by measurement (deno task bench, augment_bcl cases): see
 * docs/method.md §10.
 */
export const DEFAULT_BOOST_PASS: BoostPass = "second";

/** One view to produce: which image of the batch, its parameters, its output slot. */
export interface AugmentEntry {
  image: number;
  view: ViewParams;
  slot: number;
}

/** The BCL boost records of a packed batch (filled by fillBoost, in entry order). */
export interface PackedBoost {
  /** Word offset of the record section; room for one record per entry. */
  raBase: number;
  /** The entry of each filled record, ascending. */
  entries: number[];
  /** The op count of each filled record. */
  ops: number[];
}

/** A packed batch: everything the kernel reads, in one array for one upload. */
export interface PackedBatch {
  /** [entries × PARAM_WORDS][boost records][extra][images, 4-byte aligned][1 pad word] */
  words: Uint32Array;
  entries: number;
  /** The boost record section (when packed with `boost`), else null. */
  boost: PackedBoost | null;
  /** Word offset of `extra` (e.g. labels). */
  extraBase: number;
  /** Word offset of the image section. */
  imgBase: number;
  /** The kernel variant this batch needs. */
  defines: { COLOR: boolean; BLUR: boolean; MAX_TAPS: number };
}

/** Resampling taps along one axis (torch's aa support), or 0 for the identity path. */
function tapsFor(crop: number, resize: number, halfSupport: number): number {
  const scale = crop / resize;
  return Math.ceil(2 * halfSupport * Math.max(scale, 1));
}

function validate(v: ViewParams, img: RawImage, i: number): void {
  const bad = (m: string) => {
    throw new Error(`augment entry ${i}: ${m}`);
  };
  if (img.channels !== 1 && img.channels !== 3) bad(`image has ${img.channels} channels`);
  if (v.cropH < 1 || v.cropW < 1 || v.top < 0 || v.left < 0) bad("empty or negative crop");
  if (v.top + v.cropH > img.height || v.left + v.cropW > img.width) {
    bad(`crop ${v.top},${v.left} ${v.cropH}×${v.cropW} outside ${img.height}×${img.width}`);
  }
  if (v.resizeH < 1 || v.resizeW < 1) bad("resize to an empty image");
  if (v.blur && (v.kernelSize % 2 !== 1 || v.kernelSize > MAX_KERNEL_SIZE)) {
    bad(`blur kernel size ${v.kernelSize} must be odd and ≤ ${MAX_KERNEL_SIZE}`);
  }
  if (v.blur && !(v.sigma > 0)) bad(`blur sigma ${v.sigma} must be > 0`);
}

/** Options of {@link packAugment}. */
export interface PackOptions {
  /** Words stored between the entries (and boost records) and the images (e.g. labels). */
  extra?: ArrayLike<number>;
  /** An array to pack into when it is big enough. */
  into?: Uint32Array;
  /** Reserve a boost record per entry (BCL), filled later by fillBoost. */
  boost?: boolean;
}

/** Packs images and view entries into one u32 array (see PackedBatch for the layout). */
export function packAugment(
  images: readonly RawImage[],
  entries: readonly AugmentEntry[],
  o: PackOptions = {},
): PackedBatch {
  const extra = o.extra ?? [], into = o.into;
  const raBase = entries.length * PARAM_WORDS;
  const extraBase = raBase + (o.boost ? entries.length * RA_WORDS : 0);
  const imgBase = extraBase + extra.length;
  const offsets: number[] = [];
  let imgWords = 0;
  for (const im of images) {
    if (im.data.length < im.height * im.width * im.channels) {
      throw new Error(`augment: image data shorter than ${im.height}×${im.width}×${im.channels}`);
    }
    offsets.push(imgWords);
    imgWords += Math.ceil((im.height * im.width * im.channels) / 4);
  }
  const total = imgBase + imgWords + 1;
  const words = into && into.length >= total ? into.subarray(0, total) : new Uint32Array(total);
  const f32 = new Float32Array(words.buffer, words.byteOffset, words.length);
  let color = false, blur = false, taps = 4;
  entries.forEach((en, i) => {
    const v = en.view, img = images[en.image];
    if (!img) throw new Error(`augment entry ${i}: no image ${en.image}`);
    validate(v, img, i);
    const o = i * PARAM_WORDS;
    words.fill(0, o, o + PARAM_WORDS);
    const u = (k: keyof typeof ENTRY, x: number) => (words[o + ENTRY[k]] = x);
    u("SRC", offsets[en.image]);
    u("H", img.height);
    u("W", img.width);
    u("C", img.channels);
    u("TOP", v.top);
    u("LEFT", v.left);
    u("CH", v.cropH);
    u("CW", v.cropW);
    u("RH", v.resizeH);
    u("RW", v.resizeW);
    u("OY", v.offY | 0);
    u("OX", v.offX | 0);
    const bilinear = v.interpolation === "bilinear";
    u(
      "FLAGS",
      (v.flip ? FLAG.FLIP : 0) | (v.jitter ? FLAG.JITTER : 0) | (v.gray ? FLAG.GRAY : 0) |
        (v.blur ? FLAG.BLUR : 0) | (bilinear ? FLAG.BILINEAR : 0),
    );
    u("ORDER", v.order.reduce((acc, op, q) => acc | (op << (2 * q)), 0));
    f32[o + ENTRY.BRIGHT] = v.brightness;
    f32[o + ENTRY.CONTRAST] = v.contrast;
    f32[o + ENTRY.SAT] = v.saturation;
    f32[o + ENTRY.HUE] = v.hue;
    f32[o + ENTRY.SIGMA] = v.sigma;
    u("KSIZE", v.kernelSize);
    u("SLOT", en.slot);
    color ||= v.jitter || v.gray;
    blur ||= v.blur;
    if (v.cropH !== v.resizeH || v.cropW !== v.resizeW) {
      const hs = bilinear ? 1 : 2;
      taps = Math.max(taps, tapsFor(v.cropH, v.resizeH, hs), tapsFor(v.cropW, v.resizeW, hs));
    }
  });
  for (let i = 0; i < extra.length; i++) words[extraBase + i] = extra[i];
  const bytes = new Uint8Array(words.buffer, words.byteOffset + imgBase * 4, imgWords * 4);
  images.forEach((im, k) => {
    const n = im.height * im.width * im.channels;
    bytes.set(im.data.subarray(0, n), offsets[k] * 4);
  });
  words[total - 1] = 0;
  const maxTaps = 2 ** Math.ceil(Math.log2(taps));
  if (o.boost) words.fill(0, raBase, extraBase);
  return {
    words,
    entries: entries.length,
    boost: o.boost ? { raBase, entries: [], ops: [] } : null,
    extraBase,
    imgBase,
    defines: { COLOR: color, BLUR: blur, MAX_TAPS: maxTaps },
  };
}

/**
 * Writes the boost records of a packed batch (reserved with `boost`): entry i gets the ops
 * `ops(i)` (none: no record). Replaces earlier records.
 */
export function fillBoost(packed: PackedBatch, ops: (entry: number) => readonly BoostOp[]): void {
  const b = packed.boost;
  if (!b) throw new Error("fillBoost: the batch was packed without boost records");
  b.entries = [];
  b.ops = [];
  for (let i = 0; i < packed.entries; i++) {
    const list = ops(i);
    const e = i * PARAM_WORDS + ENTRY.BOOST;
    if (list.length === 0) {
      packed.words[e] = 0;
      continue;
    }
    packBoostRecord(packed.words, b.raBase + b.entries.length * RA_WORDS, {
      entry: i,
      ops: list,
    });
    b.entries.push(i);
    b.ops.push(list.length);
    packed.words[e] = b.entries.length;
  }
}

/** Throws when a packed batch cannot be bound as one storage buffer on this device. */
export function checkUploadSize(packed: PackedBatch): void {
  const max = engine().device.limits.maxStorageBufferBindingSize;
  if (packed.words.byteLength > max) {
    throw new Error(
      `augment: batch upload of ${(packed.words.byteLength / 2 ** 20).toFixed(1)} MiB exceeds ` +
        `the ${(max / 2 ** 20).toFixed(0)} MiB storage binding limit; use a smaller batch or ` +
        `smaller source images`,
    );
  }
}

/**
 * Pixels of the workgroup-memory stage: 1024 (a 32×32 crop) when the device allows the
 * 25 KiB it needs (28 KiB with the fused RandAugment's histograms), else the largest power of
 * two that fits (crops beyond it take the direct path).
 */
export function stagePixels(randaug = false): number {
  const limit = engine().device.limits.maxComputeWorkgroupStorageSize;
  let s = 1024;
  // Two planes of 3 floats per pixel, plus the 256-float reduction and the 64-float kernel
  // (and 768 histogram words).
  const fixed = 1280 + (randaug ? 3072 : 0);
  while (s > 16 && 24 * s + fixed > limit) s /= 2;
  return s;
}

/** Which entries of an uploaded packed batch to augment, into what. */
export interface AugmentLaunch {
  /** The uploaded `packed.words`. */
  data: GPUBuffer;
  packed: PackedBatch;
  /** Entries [first, first + count). */
  first: number;
  count: number;
  /** [slots, 3, outH, outW], f32. */
  out: Tensor;
  outH: number;
  outW: number;
  /** Where the batch's boost records run (default DEFAULT_BOOST_PASS). */
  boostPass?: BoostPass;
}

/** The boost records whose entries lie in [first, first + count): [r0, r1) and their ops. */
function recordRange(b: PackedBoost, first: number, count: number) {
  let r0 = 0;
  while (r0 < b.entries.length && b.entries[r0] < first) r0++;
  let r1 = r0;
  while (r1 < b.entries.length && b.entries[r1] < first + count) r1++;
  return { r0, r1, maxOps: Math.max(0, ...b.ops.slice(r0, r1)) };
}

/**
 * Launcher: records the augmentation of entries [first, first+count) of an uploaded packed
 * batch into `out`, with their boost records (fused or as a second pass). No flush, no
 * readback.
 */
export function augmentDispatch(l: AugmentLaunch): void {
  const { data, packed, first, count, out, outH, outW } = l;
  if (count === 0) return;
  const max = engine().device.limits.maxComputeWorkgroupsPerDimension;
  if (count > max) throw new Error(`augment: ${count} views in one dispatch exceed ${max}`);
  if (out.size % (3 * outH * outW) !== 0) {
    throw new Error(`augment: output [${out.shape}] is not [n, 3, ${outH}, ${outW}]`);
  }
  const e = engine();
  const d = packed.defines;
  const boost = packed.boost ? recordRange(packed.boost, first, count) : null;
  const boosted = boost !== null && boost.r1 > boost.r0;
  const fused = boosted && (l.boostPass ?? DEFAULT_BOOST_PASS) === "fused";
  const defines = { ...d, RANDAUG: fused, RA_K: fused ? raK(boost.maxOps) : 1 };
  const k = e.compile(AUGMENT, { ...defines, STAGE: stagePixels(fused) }, "augment");
  const fix = fused ? acFixBuffer() : null;
  const params = {
    first,
    img_base: packed.imgBase,
    out_h: outH,
    out_w: outW,
    ra_base: packed.boost?.raBase ?? 0,
    ac_fix_n: fix?.n ?? 0,
  };
  const scratch = d.BLUR || fused ? e.pool.acquire(count * 3 * outH * outW * 4) : undefined;
  e.run(k, {
    params,
    bindings: { data, out: out.buffer, scratch, ac_fix: fix?.buffer },
    groups: [count],
  });
  // Later users of the scratch buffer run after this dispatch (submission order).
  if (scratch) e.pool.release(scratch);
  if (boosted && !fused) {
    randaugDispatch({
      data,
      raBase: packed.boost!.raBase,
      first: boost.r0,
      count: boost.r1 - boost.r0,
      maxOps: boost.maxOps,
      out,
      outH,
      outW,
    });
  }
}

/**
 * Convenience: one upload, one dispatch. Returns [entries, 3, outH, outW] with entry i in
 * slot i (entries' own slots are ignored). The caller disposes the result.
 */
export function augment(
  images: readonly RawImage[],
  views: readonly { image: number; view: ViewParams; boost?: readonly BoostOp[] }[],
  o: OutputSize & { boostPass?: BoostPass },
): Tensor {
  const { outH, outW } = o;
  const boost = views.some((v) => v.boost?.length);
  const packed = packAugment(images, views.map((v, i) => ({ ...v, slot: i })), { boost });
  if (boost) fillBoost(packed, (i) => views[i].boost ?? []);
  checkUploadSize(packed);
  const e = engine();
  const buf = e.pool.acquire(packed.words.byteLength);
  e.write(buf, packed.words);
  const out = Tensor.empty([views.length, 3, outH, outW]);
  augmentDispatch({
    data: buf,
    packed,
    first: 0,
    count: views.length,
    out,
    outH,
    outW,
    boostPass: o.boostPass,
  });
  e.pool.release(buf);
  return out;
}
