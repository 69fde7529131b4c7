import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import type { Tensor } from "../../core/tensor.ts";
import { copyOf } from "../../kernels/elementwise/mod.ts";
import type { ImageSet } from "../../src/data/readers/types.ts";
import { FULL_SHOT } from "../../src/eval/linear_probe.ts";
import { type Extractor, imagesFromSet } from "../../src/eval/probe_data.ts";
import type { ProbeInputs } from "../../src/eval/probe_inputs.ts";
import { type ProbeStageOptions, runProbeWith } from "../../src/eval/probe_stage.ts";
import { cacheFile, type FeatureCache } from "../../src/eval/feature_cache.ts";

await initEngine({ quiet: true });

/** 4 classes of flat colours with a per-image brightness, so every row differs. */
function coloured(n: number, side: number): ImageSet {
  const px = side * side * 3;
  const images = new Uint8Array(n * px);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 4;
    const rgb = [0, 1, 2].map((ch) => (ch === i % 3 ? 180 : 20) + (i % 37) + (i % 4) * 10);
    for (let p = 0; p < side * side; p++) images.set(rgb, i * px + p * 3);
  }
  return { images, labels, n, height: side, width: side, channels: 3, classes: 4, source: "c" };
}

Deno.test("feature cache: the second stage reads val/test features, same results; keyed by checkpoint and images", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "feature_cache_" });
  try {
    const set = coloured(90, 4);
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
    const inputs: ProbeInputs = {
      train: imagesFromSet(set, range(0, 40), "train"),
      val: imagesFromSet(set, range(40, 60), "val"),
      test: imagesFromSet(set, range(60, 90), "test"),
      classes: 4,
      trainCounts: [10, 10, 10, 10],
      grouping: "cifar-thirds",
      splitName: "split1",
      files: { train: "t", val: "v", test: "x", pretrain: "p" },
    };
    let extracted = 0;
    const pixels: Extractor = (x: Tensor) => {
      extracted++; // one call per bank here: every set is under one batch
      return copyOf(x, [x.shape[0], x.size / x.shape[0]]);
    };
    const cache: FeatureCache = { dir: `${tmp}/feature_cache`, checkpointSha256: "a".repeat(64) };
    const o: ProbeStageOptions = {
      stage: "linear",
      checkpoint: "synthetic.pt",
      dataset: "colours",
      trainSplit: "t",
      valSplit: "v",
      pretrainSplit: "p",
      seed: 3,
      out: tmp,
      hyper: { ...FULL_SHOT, lr: 0.5, epochs: 3, milestones: [2], batchSize: 16, seed: 3 },
      method: "simclr",
      testOnly: false,
      cachedFeatures: true,
      force: false,
      quiet: true,
      featureCache: cache,
    };
    const first = await runProbeWith(o, inputs, pixels);
    assert.equal(extracted, 3); // train, val, test
    const files = [...Deno.readDirSync(cache.dir)].map((e) => e.name).sort();
    assert.equal(files.length, 3); // train, val, test
    // The few-shot stage on another train subset: val and test come from the cache.
    extracted = 0;
    const few = { ...inputs, train: imagesFromSet(set, range(0, 12), "train") };
    const second = await runProbeWith({ ...o, stage: "fewshot" }, few, pixels);
    assert.equal(extracted, 1); // only the few-shot train subset
    const log = await Deno.readTextFile(`${tmp}/fewshot/log.txt`);
    assert.match(log, /val features: 20 images .*read from/);
    assert.match(log, /test features: 30 images .*read from/);
    assert.doesNotMatch(log, /train features: .*read from/);
    // Same features, same classifier path: a fresh stage without the cache agrees exactly.
    extracted = 0;
    const plain = await runProbeWith(
      { ...o, stage: "fewshot", out: `${tmp}/plain`, featureCache: undefined },
      few,
      pixels,
    );
    assert.deepEqual(second.results.per_class_acc, plain.results.per_class_acc);
    assert.equal(second.results.test_acc, plain.results.test_acc);
    assert.equal(first.results.protocol, "cached-features");
    // Another checkpoint or another image list gets another file; refresh recomputes.
    const other = await cacheFile(
      { ...cache, checkpointSha256: "b".repeat(64) },
      inputs.val,
      "val",
    );
    assert.notEqual(other, await cacheFile(cache, inputs.val, "val"));
    const shifted = imagesFromSet(set, range(41, 61), "val");
    assert.notEqual(
      await cacheFile(cache, shifted, "val"),
      await cacheFile(cache, inputs.val, "val"),
    );
    // A corrupt file is recomputed, not trusted.
    await Deno.writeTextFile(await cacheFile(cache, inputs.test, "test"), "not an npy file");
    extracted = 0;
    await runProbeWith({ ...o, stage: "fewshot", force: true }, few, pixels);
    assert.equal(extracted, 1); // the corrupt test file only: train and val are cached
    extracted = 0;
    await runProbeWith(
      { ...o, stage: "fewshot", featureCache: { ...cache, refresh: true } },
      few,
      pixels,
    );
    assert.equal(extracted, 3); // refresh recomputes everything
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
