import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { loadCheckpoint, loadStateDict } from "../../src/io/checkpoint.ts";
import { compareRuns } from "./_compare.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { pretrain, type PretrainConfig } from "../../src/train/pretrain.ts";
import { syntheticImages } from "./_synthetic.ts";

await initEngine({ quiet: true });

function config(data: string, method: "sdclr" | "simclr"): PretrainConfig {
  const dual = method === "sdclr";
  return {
    method,
    arch: {
      depth: 10,
      width: 8,
      stem: "cifar",
      dualBn: dual,
      headLayers: dual ? 3 : 2,
      projDim: 128,
    },
    dataset: null,
    data,
    split: null,
    epochs: 3,
    batchSize: 8,
    lr: 0.5,
    temperature: 0.2,
    prunePercent: 0.9,
    seed: 5,
    augment: "simclr",
    imageSize: 16,
    saveEvery: 1,
    logEvery: 1,
    warmupEpochs: 1,
    minLr: 1e-6,
    momentum: 0.9,
    weightDecay: 1e-4,
    init: null,
  };
}

for (const method of ["sdclr", "simclr"] as const) {
  // 20 images at batch 8: epochs of 8, 8 and a partial 4, so the resumed half runs the
  // partial batch (step 3), the epoch end after it and the next epoch's first step.
  Deno.test(`resume (${method}): 4 steps straight = 2 steps + --resume + 2 steps, across a partial batch`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "resume_test_" });
    try {
      await writeNpy(`${dir}/x.npy`, syntheticImages(20, 16, 1), [20, 16, 16, 3]);
      const cfg = config(`${dir}/x.npy`, method);
      const straight = await pretrain(cfg, {
        out: `${dir}/a`,
        resume: false,
        maxSteps: 4,
        quiet: true,
      });
      const first = await pretrain(cfg, {
        out: `${dir}/b`,
        resume: false,
        maxSteps: 2,
        quiet: true,
      });
      const rest = await pretrain(cfg, { out: `${dir}/b`, resume: true, maxSteps: 4, quiet: true });
      assert.equal(straight.step, 4);
      assert.equal(rest.step, 4);
      assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
      await compareRuns(`${dir}/a`, `${dir}/b`);
      const rows = (await Deno.readTextFile(`${dir}/b/metrics.csv`)).trim().split("\n");
      assert.equal(rows.length, 5, "one metrics row per step after the header, none twice");
      assert.deepEqual(rows.slice(1).map((r) => r.split(",")[0]), ["1", "1", "1", "2"]);
      const log = await Deno.readTextFile(`${dir}/b/train.log`);
      assert.match(log, /3 epochs × 3 iterations of 8 \(the last of 4\)/);
      assert.match(log, /epoch 1\/3 done/);
      await assert.rejects(
        () => pretrain(cfg, { out: `${dir}/a`, resume: false, maxSteps: 1, quiet: true }),
        /already holds a run/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("--init: a PyTorch state dict starts the run (lr 0 keeps its weights)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "init_test_" });
  try {
    await writeNpy(`${dir}/x.npy`, syntheticImages(16, 16, 2), [16, 16, 16, 3]);
    const init = new URL("../golden/fixtures/sdclr_steps/sdclr_init.pt", import.meta.url).pathname;
    const cfg = { ...config(`${dir}/x.npy`, "sdclr"), lr: 0, init };
    await pretrain(cfg, { out: `${dir}/r`, resume: false, maxSteps: 1, quiet: true });
    const ck = await loadCheckpoint(`${dir}/r/checkpoint_last.pt`);
    const ref = await loadStateDict(init);
    for (const k of ["conv1.weight", "layer4.0.downsample.conv.weight", "fc.fc3.weight"]) {
      assert.deepEqual(ck.stateDict.get(k)!.data, ref.get(k)!.data, k);
    }
    const rv = ck.stateDict.get("bn1.bn_list.1.running_var")!.data;
    assert.notDeepEqual(rv, ref.get("bn1.bn_list.1.running_var")!.data, "pruned BN stats updated");
    const n = ck.stateDict.get("bn1.bn_list.1.num_batches_tracked")!.data[0];
    assert.equal(n, 2n, "pruned BN set ran twice in the SDCLR step (no-grad and grad forward)");
    assert.equal(ck.stateDict.get("bn1.bn_list.0.num_batches_tracked")!.data[0], 1n);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--resume before the first checkpoint restarts the run with its saved config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "resume_early_" });
  try {
    await writeNpy(`${dir}/x.npy`, syntheticImages(24, 16, 1), [24, 16, 16, 3]);
    const cfg = config(`${dir}/x.npy`, "simclr");
    const straight = await pretrain(cfg, {
      out: `${dir}/a`,
      resume: false,
      maxSteps: 2,
      quiet: true,
    });
    // A run killed inside its first epoch: config.json and logs, no checkpoint yet.
    await pretrain(cfg, { out: `${dir}/b`, resume: false, maxSteps: 1, quiet: true });
    for (const e of Deno.readDirSync(`${dir}/b`)) {
      if (e.name.endsWith(".pt")) Deno.removeSync(`${dir}/b/${e.name}`);
    }
    // The resuming invocation knows nothing else (another lr here must be ignored).
    const again = await pretrain({ ...cfg, lr: 9 }, {
      out: `${dir}/b`,
      resume: true,
      maxSteps: 2,
      quiet: true,
    });
    assert.deepEqual(again.losses, straight.losses);
    await compareRuns(`${dir}/a`, `${dir}/b`);
    const log = await Deno.readTextFile(`${dir}/b/train.log`);
    assert.match(log, /has no checkpoint yet .*starting the run from the beginning with its saved/);
    const rows = (await Deno.readTextFile(`${dir}/b/metrics.csv`)).trim().split("\n");
    assert.equal(rows.length, 3, "metrics of the lost attempt are dropped");
    await assert.rejects(
      () => pretrain(cfg, { out: `${dir}/empty`, resume: true, maxSteps: 1, quiet: true }),
      /holds no run \(neither checkpoint_last\.pt nor config\.json\); drop --resume/,
    );
    assert.throws(() => Deno.statSync(`${dir}/empty`), Deno.errors.NotFound, "no folder made");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const method of ["sdclr", "simclr"] as const) {
  Deno.test(`resume (${method} + BCL + cosine τ): 7 steps straight = 4 steps + --resume + 3 steps`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "resume_bcl_" });
    try {
      await writeNpy(`${dir}/x.npy`, syntheticImages(20, 16, 3), [20, 16, 16, 3]);
      const cfg: PretrainConfig = {
        ...config(`${dir}/x.npy`, method),
        epochs: 4,
        tauSchedule: "cosine",
        tauMin: 0.1,
        tauMax: 1.0,
        tauPeriod: 2,
        bcl: { beta: 0.9, k: 2, strength: 30 },
        weightDecay: 5e-4,
      };
      const opts = { resume: false, quiet: true };
      const straight = await pretrain(cfg, { ...opts, out: `${dir}/a`, maxSteps: 7 });
      // Stopped inside epoch 2 (4 of 3 + 3 + 3 steps): the memory holds part of an epoch and
      // the weights are epoch 1's.
      const first = await pretrain(cfg, { ...opts, out: `${dir}/b`, maxSteps: 4 });
      const rest = await pretrain(cfg, { out: `${dir}/b`, resume: true, maxSteps: 7, quiet: true });
      assert.equal(rest.step, 7);
      assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
      await compareRuns(`${dir}/a`, `${dir}/b`);
      const ck = await loadCheckpoint(`${dir}/b/checkpoint_last.pt`);
      const w = ck.bcl!.get("weights")!.data as Float32Array;
      assert.ok(w.some((v) => v > 0.5) && w.some((v) => v < 0.5), "epoch 2's weights are spread");
      const a = (await Deno.readTextFile(`${dir}/a/metrics.csv`)).trim();
      const b = (await Deno.readTextFile(`${dir}/b/metrics.csv`)).trim();
      const cols = (s: string, names: string[]) => {
        const [head, ...rows] = s.split("\n");
        const idx = names.map((n) => head.split(",").indexOf(n));
        return rows.map((r) => idx.map((i) => r.split(",")[i]).join(","));
      };
      const named = ["epoch", "tau", "bcl_w_mean", "bcl_w_max", "bcl_w_above_half"];
      assert.deepEqual(cols(b, named), cols(a, named));
      // τ(e) = 0.1 + 0.9·(1 + cos(π e / 2))/2: 0.55, 0.1, 0.55; no boosting in epoch 1.
      assert.deepEqual(cols(a, ["epoch", "tau"]).map((r) => r.split(",").map(Number)), [
        [1, 0.55],
        [1, 0.55],
        [1, 0.55],
        [2, 0.1],
        [2, 0.1],
        [2, 0.1],
        [3, 0.55],
      ]);
      assert.deepEqual(cols(a, ["bcl_w_max"]).slice(0, 3), ["0", "0", "0"]);
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/b/config.json`));
      assert.deepEqual(saved.bcl, cfg.bcl);
      assert.equal(saved.tauSchedule, "cosine");
      assert.equal(saved.weightDecay, 5e-4);
      const log = await Deno.readTextFile(`${dir}/b/train.log`);
      assert.match(
        log,
        /cosine τ 0\.1–1 \(T = 2 epochs\); weight decay 0\.0005; BCL \(β 0\.9, k 2/,
      );
      assert.match(
        log,
        /epoch 1: BCL weights for epoch 2: mean [\d.]+, max [\d.]+, [\d.]+% > 0\.5/,
      );
      assert.match(log, /epoch 2\/4 done: .*, τ 0\.1000/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
