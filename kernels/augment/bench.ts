/**
 * Benchmark of the augmentation family: the fused kernel alone (a BenchCase for
 * `deno task bench`). The whole loader's throughput is src/data/loader_bench.ts.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import { engine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { drawViewFor, recipe } from "./params.ts";
import type { RawImage } from "../../core/image.ts";
import { augmentDispatch, packAugment } from "./mod.ts";

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

/** Benchmark cases of this family. */
export const augmentBenchCases: BenchCase[] = [augmentBenchCase()];
