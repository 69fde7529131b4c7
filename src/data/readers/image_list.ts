/**
 * ImageNet-style data read through a text list (`relative/path.JPEG label` per line, as in the
 * authors' ImageNet-LT / ImageNet-100-LT files). Images are decoded lazily, one index at a
 * time, because ImageNet does not fit in memory. JPEG is decoded with jpeg-js; a PNG saved
 * under a .JPEG name (ImageNet has one) is recognised by its magic bytes and decoded with
 * pngjs. Output is always RGB uint8 HWC (grayscale and CMYK JPEGs are converted by jpeg-js).
 * @module
 */
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { Buffer } from "node:buffer";
import { UserError } from "../../../core/errors.ts";
import { maybeGunzip, readBytes } from "./file_util.ts";
import { centerCrop, type Interpolation, resizeShorter } from "./resize.ts";
import type { RawImage } from "../../../core/image.ts";

/** One line of a list file. `line` is 1-based, for error messages. */
export interface ListEntry {
  path: string;
  label: number;
  line: number;
}

/**
 * Parses list text: blank lines are ignored; each other line is a path, whitespace, and a
 * non-negative integer label. Throws a UserError naming the file and line of the first bad
 * line, on a repeated path, or when the list has no entries. With `classes`, labels must be
 * below it.
 */
export function parseImageList(text: string, where: string, classes?: number): ListEntry[] {
  const out: ListEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s.length === 0) continue;
    const m = /^(.*\S)\s+(\S+)$/.exec(s);
    if (!m) {
      throw new UserError(
        `${where}:${i + 1}: "${s}" has no label; each line must be "relative/path label"`,
      );
    }
    const [, path, lab] = m;
    if (!/^\d+$/.test(lab)) {
      throw new UserError(
        `${where}:${i + 1}: label "${lab}" is not a non-negative integer`,
      );
    }
    const label = Number(lab);
    if (classes !== undefined && label >= classes) {
      throw new UserError(`${where}:${i + 1}: label ${label} is outside [0, ${classes})`);
    }
    const prev = seen.get(path);
    if (prev !== undefined) {
      throw new UserError(`${where}:${i + 1}: ${path} is listed twice (first on line ${prev})`);
    }
    seen.set(path, i + 1);
    out.push({ path, label, line: i + 1 });
  }
  if (out.length === 0) throw new UserError(`${where}: the list has no entries`);
  return out;
}

/** Reads and parses a list file (see parseImageList). */
export function readImageList(listPath: string, classes?: number): ListEntry[] {
  const bytes = maybeGunzip(
    readBytes(listPath, "pass the list file's path (e.g. imageNet_100_LT_train.txt)"),
    listPath,
  );
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${listPath}: not UTF-8 text; expected "relative/path label" lines`);
  }
  return parseImageList(text, listPath, classes);
}

/** Decodes JPEG (or PNG) bytes to RGB HWC; `where` names the file in errors. */
export function decodeImage(bytes: Uint8Array, where: string): RawImage {
  const isPng = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e &&
    bytes[3] === 0x47;
  try {
    if (isPng) {
      const p = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      const n = p.width * p.height;
      const rgb = new Uint8Array(n * 3);
      for (let i = 0; i < n; i++) {
        rgb[i * 3] = p.data[i * 4];
        rgb[i * 3 + 1] = p.data[i * 4 + 1];
        rgb[i * 3 + 2] = p.data[i * 4 + 2];
      }
      return { data: rgb, height: p.height, width: p.width, channels: 3 };
    }
    const d = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    return { data: d.data, height: d.height, width: d.width, channels: 3 };
  } catch (e) {
    throw new UserError(
      `${where}: cannot decode ${isPng ? "PNG" : "JPEG"} (${
        (e as Error).message
      }); the file is corrupt or not an image`,
    );
  }
}

/** How ListImageSource prepares each image: shorter side, then an optional center crop. */
export interface ListImageOptions {
  /** Shorter side after resizing (torchvision Resize(size)); omit to keep the decoded size. */
  resize?: number;
  /** Center crop size (square) after resizing; omit for no crop. */
  crop?: number;
  /** Resampling filter for `resize` (default "bilinear", torchvision's Resize default). */
  interpolation?: Interpolation;
}

/**
 * A lazily loaded labelled image set described by a list file and a root folder. Only the
 * list is held in memory; `load(i)` reads and decodes image i on demand.
 */
export class ListImageSource {
  /** Number of images. */
  readonly length: number;
  /** Number of classes: max label + 1 (or the `classes` given to `open`). */
  readonly classes: number;

  /** Use `ListImageSource.open` to build one from a list file. */
  constructor(
    readonly root: string,
    readonly entries: ListEntry[],
    readonly options: ListImageOptions = {},
    readonly listPath = "list",
    classes?: number,
  ) {
    this.length = entries.length;
    this.classes = classes ?? entries.reduce((m, e) => Math.max(m, e.label), -1) + 1;
  }

  /** Reads `listPath`; image paths in it are relative to `root`. */
  static open(
    listPath: string,
    root: string,
    options: ListImageOptions = {},
    classes?: number,
  ): ListImageSource {
    return new ListImageSource(root, readImageList(listPath, classes), options, listPath, classes);
  }

  /** Label of image i. */
  label(i: number): number {
    return this.entry(i).label;
  }

  /** All labels in list order. */
  labels(): Int32Array {
    return Int32Array.from(this.entries, (e) => e.label);
  }

  /** Full path of image i. */
  path(i: number): string {
    return `${this.root}/${this.entry(i).path}`;
  }

  /** Image i decoded at its stored size (RGB HWC), for augmentations that crop themselves. */
  async loadRaw(i: number): Promise<RawImage> {
    const e = this.entry(i);
    const path = this.path(i);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new UserError(
          `${path}: image not found (listed on ${this.listPath}:${e.line}); check the data root folder`,
        );
      }
      throw err;
    }
    return decodeImage(bytes, `${path} (${this.listPath}:${e.line})`);
  }

  /** Image i resized and cropped per `options`, as RGB uint8 HWC. */
  async loadImage(i: number): Promise<RawImage> {
    let img = await this.loadRaw(i);
    const { resize, crop, interpolation = "bilinear" } = this.options;
    if (resize !== undefined) img = resizeShorter(img, resize, interpolation);
    if (crop !== undefined) img = centerCrop(img, crop, crop);
    return img;
  }

  /** Pixels of image i after resize/crop (HWC RGB); with `crop` set every image has one size. */
  async load(i: number): Promise<Uint8Array> {
    return (await this.loadImage(i)).data;
  }

  private entry(i: number): ListEntry {
    const e = this.entries[i];
    if (!Number.isInteger(i) || e === undefined) {
      throw new RangeError(`ListImageSource: index ${i} outside [0, ${this.length})`);
    }
    return e;
  }
}
