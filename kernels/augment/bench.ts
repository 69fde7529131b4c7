/**
 * Benchmarks of the augmentation family: the fused kernel alone (a BenchCase for
 * `deno task bench`) and the whole loader's throughput (gather + draw + pack + one upload +
 * kernel), in images per second with two views each.
 *
 * Run alone: `XDG_RUNTIME_DIR=/tmp deno run -A kernels/augment/bench.ts [batches]`.
 * @module
 */
import type { BenchCase } from "../types.ts";
import { engine, initEngine } from "../../src/gpu/engine.ts";
import { Tensor } from "../../src/autodiff/tensor.ts";
import { drawViewFor, recipe } from "../../src/data/augment_params.ts";
import type { ImageSet, RawImage } from "../../src/data/readers/types.ts";
import { imageSetSource, Loader } from "../../src/data/loader.ts";
import { augmentDispatch, packAugment } from "./mod.ts";

/** A synthetic CIFAR-like set: n random uint8 images side×side×3, 10 classes. */
export function syntheticSet(n: number, side = 32, seed = 1): ImageSet {
  const images = new Uint8Array(n * side * side * 3);
  let s = seed >>> 0;
  for (let i = 0; i < images.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    images[i] = s >>> 24;
  }
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  return { images, labels, n, height: side, width: side, channels: 3, classes: 10 };
}

/** The fused kernel on one packed batch of `batch` images, two views, side×side. */
export function augmentBenchCase(batch = 256, side = 32): BenchCase {
  return {
    kernel: "augment_pretrain",
    shape: `B${batch}×2 views ${side}×${side} cifar recipe`,
    bytes: batch * side * side * 3 + 2 * batch * 3 * side * side * 4,
    ours() {
      const set = syntheticSet(batch, side);
      const images: RawImage[] = [];
      for (let i = 0; i < batch; i++) {
        const size = side * side * 3;
        images.push({
          data: set.images.subarray(i * size, (i + 1) * size),
          height: side,
          width: side,
          channels: 3,
        });
      }
      const r = recipe("cifar", side);
      const entries = [0, 1].flatMap((view) =>
        images.map((_, i) => ({
          image: i,
          slot: view * batch + i,
          view: drawViewFor(r, side, side, { seed: 0, epoch: 0, index: i, view }),
        }))
      );
      const packed = packAugment(images, entries);
      const e = engine();
      const buf = e.pool.acquire(packed.words.byteLength);
      e.write(buf, packed.words);
      const out = Tensor.empty([2 * batch, 3, side, side]);
      return {
        run: () => augmentDispatch(buf, packed, 0, 2 * batch, out, side, side),
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

/** Result of {@link loaderThroughput}. */
export interface LoaderThroughput {
  images: number;
  batches: number;
  seconds: number;
  imagesPerSecond: number;
}

/**
 * Loader throughput: `batches` batches of `batchSize` images (two views each, side×side,
 * cifar recipe) from a synthetic in-memory set, after one warm-up batch, until the GPU is done.
 */
export async function loaderThroughput(
  o: { batches?: number; batchSize?: number; side?: number } = {},
): Promise<LoaderThroughput> {
  const batches = o.batches ?? 8, batchSize = o.batchSize ?? 256, side = o.side ?? 32;
  const set = syntheticSet(batches * batchSize, side);
  const loader = new Loader(imageSetSource(set), {
    recipe: recipe("cifar", side),
    batchSize,
    seed: 0,
  });
  // Warm-up: compiles the kernel variant and fills the buffer pool.
  (await loader.batch(0, 0)).dispose();
  await engine().sync();
  const t0 = performance.now();
  let n = 0, count = 0;
  for await (const b of loader.epoch(1)) {
    n += b.items.length;
    count++;
    b.dispose();
  }
  await engine().sync();
  const seconds = (performance.now() - t0) / 1000;
  return { images: n, batches: count, seconds, imagesPerSecond: n / seconds };
}

if (import.meta.main) {
  await initEngine();
  const batches = Number(Deno.args[0] ?? 8);
  const r = await loaderThroughput({ batches });
  console.log(
    `loader: ${r.images} images (2 views, 32×32, batch 256) in ${r.seconds.toFixed(2)} s = ` +
      `${r.imagesPerSecond.toFixed(0)} images/s`,
  );
}
