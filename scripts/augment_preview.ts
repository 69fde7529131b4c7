/**
 * `deno task augment-preview`: one image and K augmented views of it, as a PNG grid.
 * The views are the ones training draws for that image (same seed, epoch, dataset index and
 * view numbers), produced by the same GPU kernel. Tiles are upscaled (nearest) for visibility.
 * With `--bcl-strength S` the views are BCL's boosted ones: the same draws plus RandAugment at
 * the image weight `--bcl-weight` (default 1, the most boosted an image gets).
 */
import { PNG } from "pngjs";
import { Buffer } from "node:buffer";
import { num, parentMustExist, parseCommand, runMain, userPath } from "../src/cli.ts";
import { UserError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { initEngine } from "../core/engine.ts";
import { readNpy } from "../src/io/npy.ts";
import { DATASET_NAMES, type DatasetName, loadDataset } from "../src/data/readers/load_dataset.ts";
import { imageAt } from "../src/data/readers/types.ts";
import type { RawImage } from "../core/image.ts";
import {
  drawBoostedViewFor,
  drawViewFor,
  recipe,
  RECIPE_NAMES,
  type RecipeName,
  type ViewParams,
} from "../kernels/augment/params.ts";
import { type BoostOp, RANDAUG_OPS, resolveBoost } from "../kernels/augment/randaug.ts";
import { augment } from "../kernels/augment/mod.ts";

const spec = {
  name: "augment-preview",
  description: "Write a PNG grid of an image and K augmented views of it (the training draws).",
  options: {
    dataset: {
      type: "string" as const,
      default: "fashion-mnist",
      choices: DATASET_NAMES,
      help: "dataset to take the image from (training split)",
    },
    data: { type: "string" as const, help: "dataset folder (default: the dataset's usual place)" },
    input: {
      type: "string" as const,
      help: "read images from this .npy instead (uint8 [N,H,W,C])",
    },
    index: { type: "string" as const, default: "0", help: "image index" },
    views: { type: "string" as const, default: "8", help: "number of views K" },
    seed: { type: "string" as const, default: "0", help: "augmentation seed" },
    epoch: { type: "string" as const, default: "0", help: "epoch whose draws to show" },
    recipe: {
      type: "string" as const,
      default: "cifar",
      choices: RECIPE_NAMES,
      help: "augmentation recipe (docs/method.md §2 / §7)",
    },
    size: { type: "string" as const, help: "output side (default 32; 224 for imagenet)" },
    scale: { type: "string" as const, help: "upscaling factor of the tiles (default: ≥128 px)" },
    "bcl-strength": {
      type: "string" as const,
      help: "show BCL's boosted views: RandAugment at maximum strength S (0-30; 30 in the " +
        "released runs), on top of the recipe (docs/method.md §10)",
    },
    "bcl-weight": {
      type: "string" as const,
      help: "BCL: the image's weight w in [0, 1] (each op applies with probability w at " +
        "strength S·w·u) [default: 1]",
    },
    "bcl-k": { type: "string" as const, help: "BCL: ops drawn per view, 1-4 [default: 1]" },
    out: { type: "string" as const, default: "augment_preview.png", help: "PNG file to write" },
  },
  epilog: "Example: deno task augment-preview --index 7 --views 12 --recipe cifar\n" +
    "         deno task augment-preview --index 7 --views 12 --bcl-strength 30",
};

async function readInput(path: string): Promise<{ image: (i: number) => RawImage; n: number }> {
  const a = await readNpy(path);
  const s = a.shape;
  const ok = a.dtype === "|u1" &&
    (s.length === 3 || (s.length === 4 && (s[3] === 1 || s[3] === 3)));
  if (!ok) {
    throw new UserError(
      `${path}: expected uint8 images [N, H, W, C] (C 1 or 3) or [N, H, W], got ${a.dtype} ` +
        `[${s}]; save them with np.save(path, images.astype(np.uint8))`,
    );
  }
  const [n, height, width] = s, channels = s[3] ?? 1;
  const size = height * width * channels;
  const data = a.data as Uint8Array;
  return {
    n,
    image: (i) => ({ data: data.subarray(i * size, (i + 1) * size), height, width, channels }),
  };
}

/** Nearest-neighbour blit of an RGB float tile (CHW, [0,1]) into an RGBA canvas. */
function blit(
  canvas: Uint8Array,
  cw: number,
  chw: (c: number, y: number, x: number) => number,
  h: number,
  w: number,
  x0: number,
  y0: number,
  f: number,
): void {
  for (let y = 0; y < h * f; y++) {
    for (let x = 0; x < w * f; x++) {
      const o = ((y0 + y) * cw + x0 + x) * 4;
      for (let c = 0; c < 3; c++) {
        canvas[o + c] = Math.round(
          Math.min(Math.max(chw(c, Math.floor(y / f), Math.floor(x / f)), 0), 1) * 255,
        );
      }
      canvas[o + 3] = 255;
    }
  }
}

function describeOps(ops: readonly BoostOp[]): string {
  if (!ops.length) return "";
  return ", BCL " + ops.map((o) => {
    const name = RANDAUG_OPS[o.op].name;
    return ["AutoContrast", "Invert", "Equalize"].includes(name)
      ? name
      : `${name}(${Number(o.value.toPrecision(3))})`;
  }).join(" → ");
}

function describe(v: ViewParams, k: number, ops: readonly BoostOp[] = []): string {
  const parts = [`crop ${v.cropH}×${v.cropW}@(${v.top},${v.left})`];
  if (v.offY || v.offX) parts.push(`offset (${v.offY},${v.offX})`);
  if (v.flip) parts.push("flip");
  if (v.jitter) {
    const names = ["b", "c", "s", "h"];
    const f = [v.brightness, v.contrast, v.saturation, v.hue];
    parts.push(`jitter ${v.order.map((o) => `${names[o]}=${f[o].toFixed(2)}`).join(" ")}`);
  }
  if (v.gray) parts.push("gray");
  if (v.blur) parts.push(`blur σ=${v.sigma.toFixed(2)}`);
  return `  view ${k + 1}: ${parts.join(", ")}${describeOps(ops)}`;
}

runMain(async () => {
  const p = parseCommand(spec);
  const index = num(p, "index", { int: true, min: 0 });
  const k = num(p, "views", { int: true, min: 1 });
  const seed = num(p, "seed", { int: true, min: 0 });
  const epoch = num(p, "epoch", { int: true, min: 0 });
  const name = p.recipe as RecipeName;
  const size = p.size === undefined ? undefined : num(p, "size", { int: true, min: 1 });
  const r = recipe(name, size);
  const [oh, ow] = r.size;
  const out = userPath(p.out as string);
  if (!out.toLowerCase().endsWith(".png")) throw new UserError(`--out ${out}: must end in .png`);
  parentMustExist(out, "--out");

  let src: { image: (i: number) => RawImage; n: number; what: string };
  if (p.input) {
    const input = userPath(p.input as string);
    src = { ...(await readInput(input)), what: input };
  } else {
    const set = loadDataset(
      p.dataset as DatasetName,
      "train",
      userPath(p.data as string | undefined),
    );
    src = {
      n: set.n,
      what: set.source ?? (p.dataset as string),
      image: (i) => ({
        data: imageAt(set, i),
        height: set.height,
        width: set.width,
        channels: set.channels,
      }),
    };
  }
  if (index >= src.n) {
    throw new UserError(`--index ${index} is outside the ${src.n} images of ${src.what}`);
  }
  const img = src.image(index);

  const given = new Set(p.given);
  const bcl = p["bcl-strength"] === undefined ? null : {
    strength: num(p, "bcl-strength", { min: 0, max: 30 }),
    weight: p["bcl-weight"] === undefined ? 1 : num(p, "bcl-weight", { min: 0, max: 1 }),
    k: p["bcl-k"] === undefined ? 1 : num(p, "bcl-k", { int: true, min: 1, max: 4 }),
  };
  if (!bcl && (given.has("bcl-weight") || given.has("bcl-k"))) {
    throw new UserError("--bcl-weight and --bcl-k shape BCL's views: add --bcl-strength S");
  }
  await initEngine({ quiet: true });
  const views = Array.from({ length: k }, (_, v) => {
    const key = { seed, epoch, index, view: v };
    if (!bcl) return { image: 0, view: drawViewFor(r, img, key), boost: [] };
    const d = drawBoostedViewFor(r, img, { key, k: bcl.k });
    const ctx = { weight: Math.fround(bcl.weight), strength: bcl.strength, width: ow, height: oh };
    return { image: 0, view: d.view, boost: resolveBoost(d.boost, ctx) };
  });
  const t = augment([img], views, { outH: oh, outW: ow });
  const pix = await t.read();
  t.dispose();

  const f = p.scale === undefined
    ? Math.max(1, Math.ceil(128 / Math.max(oh, ow, img.height, img.width)))
    : num(p, "scale", { int: true, min: 1 });
  const tileH = Math.max(oh, img.height) * f, tileW = Math.max(ow, img.width) * f, gap = 4;
  const cols = Math.min(k + 1, 9), rows = Math.ceil((k + 1) / cols);
  const cw = cols * tileW + (cols + 1) * gap, chh = rows * tileH + (rows + 1) * gap;
  const canvas = new Uint8Array(cw * chh * 4).fill(48);
  for (let i = 3; i < canvas.length; i += 4) canvas[i] = 255;
  const at = (j: number): [number, number] => [
    gap + (j % cols) * (tileW + gap),
    gap + Math.floor(j / cols) * (tileH + gap),
  ];
  const c = img.channels;
  const [x0, y0] = at(0);
  blit(
    canvas,
    cw,
    (ch, y, x) => img.data[(y * img.width + x) * c + (c === 1 ? 0 : ch)] / 255,
    img.height,
    img.width,
    x0,
    y0,
    f,
  );
  const plane = oh * ow;
  for (let v = 0; v < k; v++) {
    const [x, y] = at(v + 1);
    blit(canvas, cw, (ch, yy, xx) => pix[(v * 3 + ch) * plane + yy * ow + xx], oh, ow, x, y, f);
  }
  const png = new PNG({ width: cw, height: chh });
  png.data = Buffer.from(canvas.buffer);
  await writeFileAtomic(out, new Uint8Array(PNG.sync.write(png)));
  console.log(
    `image ${index} of ${src.what} (${img.height}×${img.width}×${c}), recipe ${name}, seed ${seed}, epoch ${epoch}` +
      (bcl ? `, BCL strength ${bcl.strength}, weight ${bcl.weight}, k ${bcl.k}` : ""),
  );
  views.forEach((v, j) => console.log(describe(v.view, j, v.boost)));
  console.log(out);
});
