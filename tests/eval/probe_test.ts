import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { copyOf } from "../../kernels/elementwise/mod.ts";
import { loadTorch } from "../../src/io/torch_file.ts";
import { findStateDict } from "../../src/io/checkpoint.ts";
import type { ImageSet } from "../../src/data/readers/types.ts";
import { readResults } from "../../src/eval/results.ts";
import { accuracyOf, FeatureBank, gatherRows, predictBank } from "../../src/eval/probe_features.ts";
import { argmaxRows } from "../../kernels/loss/mod.ts";
import {
  cachedBatches,
  FULL_SHOT,
  initClassifier,
  probeLr,
  trainLinearProbe,
} from "../../src/eval/linear_probe.ts";
import { type Extractor, imagesFromSet } from "../../src/eval/probe_data.ts";
import type { ProbeInputs } from "../../src/eval/probe_inputs.ts";
import { type ProbeStageOptions, runProbeStage, runProbeWith } from "../../src/eval/probe_stage.ts";
import { KnnMonitor } from "../../src/eval/knn_monitor.ts";
import type { ResNet } from "../../src/nn/resnet.ts";

await initEngine({ quiet: true });

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Linearly separable features: class c has +4 on dimension c, small noise elsewhere. */
function separable(n: number, dim: number, classes: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = (i * 7 + seed) % classes;
    for (let f = 0; f < dim; f++) x[i * dim + f] = (f === y[i] ? 4 : 0) + (r() - 0.5);
  }
  return { x, y };
}

Deno.test("probeLr: MultiStepLR(10, 20) over 1-based epochs", () => {
  const lrs = Array.from({ length: 30 }, (_, i) => probeLr(30, [10, 20], i + 1));
  assert.ok(lrs.slice(0, 10).every((v) => v === 30));
  assert.ok(lrs.slice(10, 20).every((v) => Math.abs(v - 3) < 1e-12));
  assert.ok(lrs.slice(20).every((v) => Math.abs(v - 0.3) < 1e-12));
  assert.equal(probeLr(30, [], 50), 30);
});

Deno.test("initClassifier: N(0, 0.01²) weights, zero bias, seeded", () => {
  const { weight, bias } = initClassifier(100, 512, 3);
  const mean = weight.reduce((a, b) => a + b, 0) / weight.length;
  const std = Math.sqrt(weight.reduce((a, b) => a + (b - mean) ** 2, 0) / weight.length);
  assert.ok(Math.abs(mean) < 2e-4, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.01) < 2e-4, `std ${std}`);
  assert.ok(bias.every((b) => b === 0));
  assert.deepEqual(initClassifier(100, 512, 3).weight, weight);
  assert.notDeepEqual(initClassifier(100, 512, 4).weight.slice(0, 8), weight.slice(0, 8));
});

Deno.test("gatherRows / argmaxRows / predictBank across chunk boundaries", async () => {
  const n = 10, dim = 3;
  const x = Float32Array.from({ length: n * dim }, (_, i) => i);
  const bank = FeatureBank.fromHost(x, n, dim, new Int32Array(n), 4); // chunks of 4, 4, 2
  const perm = Tensor.from(new Uint32Array([9, 0, 5, 3, 4, 8, 1]), [7]);
  const g = await gatherRows(bank, perm, { offset: 2, rows: 4 }).read(); // rows 5, 3, 4, 8
  assert.deepEqual([...g], [15, 16, 17, 9, 10, 11, 12, 13, 14, 24, 25, 26]);
  const logits = Tensor.from(new Float32Array([1, 3, 3, -1, -2, -5, 0, 0, 7]), [3, 3]);
  assert.deepEqual([...await argmaxRows(logits).readU32()], [1, 0, 2]);
  // W picks feature 2 for class 0 and −feature 2 for class 1: class 0 unless x2 < 0.
  const W = Tensor.from(new Float32Array([0, 0, 1, 0, 0, -1]), [2, 3]);
  const b = Tensor.from(new Float32Array([-20, 0]), [2]);
  const pred = await predictBank(bank, W, b); // x2 = 3i + 2: class 0 once 3i + 2 > 10
  assert.deepEqual([...pred], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  bank.dispose();
});

Deno.test("accuracyOf: overall and per class", () => {
  const a = accuracyOf([0, 1, 1, 2, 2, 0], [0, 1, 2, 2, 2, 1], 4);
  assert.equal(a.correct, 4);
  assert.ok(Math.abs(a.overall - 400 / 6) < 1e-12);
  assert.deepEqual(a.counts, [1, 2, 3, 0]);
  assert.deepEqual(a.perClass.map((v) => Math.round(v * 1e6) / 1e6), [100, 50, 66.666667, 0]);
});

Deno.test("linear probe on separable cached features reaches ~100%", async () => {
  const dim = 24, classes = 6;
  const tr = separable(480, dim, classes, 1);
  const va = separable(120, dim, classes, 2);
  const train = FeatureBank.fromHost(tr.x, 480, dim, tr.y, 100);
  const val = FeatureBank.fromHost(va.x, 120, dim, va.y);
  const seen: number[] = [];
  const out = await trainLinearProbe(
    { ...FULL_SHOT, epochs: 6, milestones: [2, 4], batchSize: 64, seed: 1 },
    { classes, dim, train: cachedBatches(train, 1), val, onEpoch: (e) => void seen.push(e.epoch) },
  );
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  assert.ok(out.bestValAcc >= 99, `best val ${out.bestValAcc}`);
  const best = Math.max(...out.epochs.map((e) => e.valAcc));
  assert.equal(out.bestValAcc, best);
  assert.equal(out.bestEpoch, out.epochs.find((e) => e.valAcc === best)!.epoch);
  assert.ok(out.epochs.every((e) => Number.isFinite(e.trainLoss)));
  assert.ok(out.epochs[5].lr < out.epochs[0].lr);
  // The kept weights classify the validation set as reported.
  const W = Tensor.from(out.weight, [classes, dim]);
  const b = Tensor.from(out.bias, [classes]);
  const acc = accuracyOf(await predictBank(val, W, b), va.y, classes).overall;
  assert.equal(acc, out.bestValAcc);
  train.dispose();
  val.dispose();
});

/** A tiny image set: class c is a flat colour; `confuse` images of class 3 look like class 0. */
function colourSet(n: number, side: number, confuse: boolean): ImageSet {
  const px = side * side * 3;
  const images = new Uint8Array(n * px);
  const labels = new Int32Array(n);
  const colour = [[200, 20, 20], [20, 200, 20], [20, 20, 200], [200, 200, 20]];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    const rgb = colour[confuse && c === 3 ? 0 : c];
    for (let p = 0; p < side * side; p++) images.set(rgb, i * px + p * 3);
  }
  return {
    images,
    labels,
    n,
    height: side,
    width: side,
    channels: 3,
    classes: 4,
    source: "colours",
  };
}

/** Features = the raw pixels (a frozen "backbone" without weights). */
const pixels: Extractor = (x) => copyOf(x, [x.shape[0], x.size / x.shape[0]]);

Deno.test("probe stage: results.json, per-class accuracies, files, test-only, skip", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "probe_stage_" });
  try {
    const side = 4;
    const train = colourSet(64, side, false);
    const test = colourSet(40, side, true); // class 3 is painted like class 0
    const inputs: ProbeInputs = {
      train: imagesFromSet(train, Array.from({ length: 48 }, (_, i) => i), "train"),
      val: imagesFromSet(train, Array.from({ length: 16 }, (_, i) => 48 + i), "val"),
      test: imagesFromSet(test),
      classes: 4,
      trainCounts: [40, 20, 10, 5],
      grouping: "cifar-thirds",
      splitName: "split2",
      files: { train: "t", val: "v", test: "x", pretrain: "p" },
    };
    const o: ProbeStageOptions = {
      stage: "fewshot",
      checkpoint: "synthetic.pt",
      dataset: "colours",
      trainSplit: "t",
      valSplit: "v",
      pretrainSplit: "p",
      seed: 3,
      out: tmp,
      hyper: { ...FULL_SHOT, lr: 0.5, epochs: 8, milestones: [6], batchSize: 16, seed: 3 },
      method: "simclr",
      label: "tiny",
      testOnly: false,
      cachedFeatures: true,
      force: false,
      quiet: true,
    };
    const r = await runProbeWith(o, inputs, pixels);
    assert.equal(r.skipped, false);
    const saved = await readResults(`${tmp}/fewshot/results.json`);
    assert.equal(saved.val_acc, 100);
    // Classes 0-2 are right, class 3 (painted like 0) is all predicted 0.
    assert.deepEqual(saved.per_class_acc, [100, 100, 100, 0]);
    assert.equal(saved.test_acc, 75);
    assert.deepEqual(saved.train_counts, [40, 20, 10, 5]);
    assert.equal(saved.split, "split2");
    assert.equal(saved.label, "tiny");
    assert.equal(saved.protocol, "cached-features");
    assert.equal(saved.epochs.length, 8);
    const csv = (await Deno.readTextFile(`${tmp}/fewshot/epochs.csv`)).trim().split("\n");
    assert.equal(csv[0], "epoch,lr,train_loss,val_acc,seconds,img_per_s");
    assert.equal(csv.length, 9);
    const log = await Deno.readTextFile(`${tmp}/fewshot/log.txt`);
    assert.match(log, /NOT the paper's protocol/);
    const sd = findStateDict(await loadTorch(`${tmp}/fewshot/best_classifier.pt`));
    assert.deepEqual(sd.get("weight")!.shape, [4, 3 * side * side]);
    // --test-only rebuilds the same results from the saved classifier.
    const again = await runProbeWith({ ...o, testOnly: true }, inputs, pixels);
    assert.deepEqual(again.results.per_class_acc, saved.per_class_acc);
    assert.equal(again.results.best_epoch, saved.best_epoch);
    // The paper protocol (augmented batches through the extractor) also trains.
    const paper = await runProbeWith(
      { ...o, stage: "linear", cachedFeatures: false },
      inputs,
      pixels,
    );
    assert.equal(paper.results.protocol, "paper");
    assert.equal(paper.results.per_class_acc.length, 4);
    // Complete results for the same protocol: the stage is skipped before anything loads.
    const none = "/nonexistent/checkpoint.pt";
    assert.equal((await runProbeStage({ ...o, checkpoint: none })).skipped, true);
    for (const other of [{ cachedFeatures: false }, { force: true }]) {
      await assert.rejects(
        () => runProbeStage({ ...o, ...other, checkpoint: none }),
        /checkpoint.*file not found/,
      );
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("KnnMonitor: due epochs, accuracy, knn.csv rows", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "knn_monitor_" });
  try {
    const set = colourSet(80, 4, false);
    const mon = new KnnMonitor(
      imagesFromSet(set, Array.from({ length: 60 }, (_, i) => i)),
      imagesFromSet(set, Array.from({ length: 20 }, (_, i) => 60 + i)),
      { every: 5, k: 10 },
    );
    assert.deepEqual([1, 5, 7, 10, 12].map((e) => mon.due(e, 12)), [
      false,
      true,
      false,
      true,
      true,
    ]);
    const model = { forward: (x: Tensor) => pixels(x) } as unknown as ResNet;
    assert.equal(await mon.record(model, tmp, 5, 50), 100);
    await mon.record(model, tmp, 10, 100);
    await mon.record(model, tmp, 10, 100); // a resumed run repeats epoch 10: replaced
    const rows = (await Deno.readTextFile(`${tmp}/knn.csv`)).trim().split("\n");
    assert.equal(rows[0], "epoch,step,knn_acc,seconds");
    assert.deepEqual(rows.slice(1).map((r) => r.split(",").slice(0, 3).join(",")), [
      "5,50,100.00",
      "10,100,100.00",
    ]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
