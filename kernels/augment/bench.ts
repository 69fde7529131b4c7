/**
 * Benchmark of the augmentation family: the fused kernel alone, and in images/s the same
 * batch without BCL and with BCL's RandAugment in either form (fused, second pass), so the
 * BCL ops' cost shows beside the plain pass (BenchCases for `deno task bench`). The whole
 * loader's throughput is src/data/loader_bench.ts.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import { engine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { Prng } from "../../core/prng.ts";
import { drawBoostedViewFor, drawViewFor, recipe } from "./params.ts";
import type { RawImage } from "../../core/image.ts";
import { augmentDispatch, type BoostPass, fillBoost, packAugment } from "./mod.ts";
import { resolveBoost } from "./randaug.ts";

/** n random uint8 images side×side×3 (HWC, one after another). */
export function syntheticImages(n: number, side = 32, seed = 1): Uint8Array {
  const images = new Uint8Array(n * side * side * 3);
  let s = seed >>> 0;
  for (let i = 0; i < images.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    images[i] = s >>> 24;
  }
  return images;
}

/** The fused kernel on one packed batch of `batch` images, two views, side×side. */
export function augmentBenchCase(batch = 256, side = 32): BenchCase {
  return {
    kernel: "augment_pretrain",
    shape: `B${batch}×2 views ${side}×${side} cifar recipe`,
    bytes: batch * side * side * 3 + 2 * batch * 3 * side * side * 4,
    ours() {
      const pixels = syntheticImages(batch, side);
      const images: RawImage[] = [];
      for (let i = 0; i < batch; i++) {
        const size = side * side * 3;
        images.push({
          data: pixels.subarray(i * size, (i + 1) * size),
          height: side,
          width: side,
          channels: 3,
        });
      }
      const r = recipe("cifar", side);
      const entries = [0, 1].flatMap((view) =>
        images.map((im, i) => ({
          image: i,
          slot: view * batch + i,
          view: drawViewFor(r, im, { seed: 0, epoch: 0, index: i, view }),
        }))
      );
      const packed = packAugment(images, entries);
      const e = engine();
      const buf = e.pool.acquire(packed.words.byteLength);
      e.write(buf, packed.words);
      const out = Tensor.empty([2 * batch, 3, side, side]);
      return {
        run: () =>
          augmentDispatch({
            data: buf,
            packed,
            first: 0,
            count: 2 * batch,
            out,
            outH: side,
            outW: side,
          }),
        dispose: () => {
          out.dispose();
          e.pool.release(buf);
        },
      };
    },
  };
}

/** `batch` synthetic side×side RGB images. */
function benchImages(batch: number, side: number): RawImage[] {
  const pixels = syntheticImages(batch, side), size = side * side * 3;
  return Array.from({ length: batch }, (_, i) => ({
    data: pixels.subarray(i * size, (i + 1) * size),
    height: side,
    width: side,
    channels: 3,
  }));
}

/**
 * One batch of `batch` images × 2 views, cifar recipe, in images/s: without BCL (`pass`
 * null), or with BCL (k 1, strength 30, weights uniform in [0, 1] as a z-scored memory's
 * spread puts them: about half the views get their op) through `pass`.
 */
export function augmentBoostCase(pass: BoostPass | null, batch = 256, side = 32): BenchCase {
  return {
    kernel: "augment_bcl",
    shape: `B${batch}×2 ${side}×${side} ${pass === null ? "without BCL" : `BCL k1 S30 ${pass}`}`,
    images: batch,
    ours() {
      const images = benchImages(batch, side);
      const r = recipe("cifar", side);
      const w = Prng.keyed("test", 77);
      const weights = Float32Array.from({ length: batch }, () => w.random());
      const drawn = [0, 1].flatMap((view) =>
        images.map((_, i) => ({
          image: i,
          slot: view * batch + i,
          ...drawBoostedViewFor(r, { height: side, width: side }, {
            key: { seed: 0, epoch: 0, index: i, view },
            k: 1,
          }),
        }))
      );
      const packed = packAugment(images, drawn, { boost: pass !== null });
      if (pass !== null) {
        const ctx = { strength: 30, width: side, height: side };
        fillBoost(
          packed,
          (i) => resolveBoost(drawn[i].boost, { ...ctx, weight: weights[drawn[i].image] }),
        );
      }
      const e = engine();
      const buf = e.pool.acquire(packed.words.byteLength);
      e.write(buf, packed.words);
      const out = Tensor.empty([2 * batch, 3, side, side]);
      const launch = { data: buf, packed, first: 0, count: 2 * batch, out, outH: side };
      return {
        run: () => augmentDispatch({ ...launch, outW: side, boostPass: pass ?? undefined }),
        dispose: () => {
          out.dispose();
          e.pool.release(buf);
        },
      };
    },
  };
}

/** Benchmark cases of this family. */
export const augmentBenchCases: BenchCase[] = [
  augmentBenchCase(),
  augmentBoostCase(null),
  augmentBoostCase("second"),
  augmentBoostCase("fused"),
];
