/**
 * The data loader's throughput end to end (gather, draw, pack, one upload, the fused augment
 * kernel), in images per second with two views each, without and with BCL's RandAugment
 * (weights uniform in [0, 1], k 1, strength 30); `deno task bench` prints both.
 *
 * Run alone: `XDG_RUNTIME_DIR=/tmp deno run -A src/data/loader_bench.ts [batches] [--bcl]`.
 * @module
 */
import { engine, initEngine } from "../../core/engine.ts";
import { Prng } from "../../core/prng.ts";
import type { BoostPass } from "../../kernels/augment/mod.ts";
import { syntheticImages } from "../../kernels/augment/bench.ts";
import { recipe } from "../../kernels/augment/params.ts";
import type { ImageSet } from "./readers/types.ts";
import { imageSetSource, Loader } from "./loader.ts";

/** A synthetic CIFAR-like set: n random uint8 images side×side×3, 10 classes. */
function syntheticSet(n: number, side: number): ImageSet {
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  const images = syntheticImages(n, side);
  return { images, labels, n, height: side, width: side, channels: 3, classes: 10 };
}

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
  o: { batches?: number; batchSize?: number; side?: number; bcl?: BoostPass } = {},
): Promise<LoaderThroughput> {
  const batches = o.batches ?? 8, batchSize = o.batchSize ?? 256, side = o.side ?? 32;
  const set = syntheticSet(batches * batchSize, side);
  const r = Prng.keyed("test", 78);
  const weights = Float32Array.from({ length: set.n }, () => r.random());
  const loader = new Loader(imageSetSource(set), {
    recipe: recipe("cifar", side),
    batchSize,
    seed: 0,
    boost: o.bcl ? { k: 1, strength: 30, weights: () => weights, pass: o.bcl } : undefined,
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
  const batches = Number(Deno.args.find((a) => !a.startsWith("--")) ?? 8);
  const bcl = Deno.args.includes("--bcl") ? "second" : undefined;
  const r = await loaderThroughput({ batches, bcl });
  console.log(
    `loader${bcl ? " with BCL" : ""}: ${r.images} images (2 views, 32×32, batch 256) in ` +
      `${r.seconds.toFixed(2)} s = ${r.imagesPerSecond.toFixed(0)} images/s`,
  );
}
