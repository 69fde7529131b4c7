import assert from "node:assert/strict";
import { engine, initEngine } from "../../core/engine.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { pretrain, type PretrainConfig } from "../../src/train/pretrain.ts";
import { compareRuns } from "./_compare.ts";
import { syntheticImages } from "./_synthetic.ts";

await initEngine({ quiet: true });

const cfg = (data: string): PretrainConfig => ({
  method: "sdclr",
  arch: { depth: 10, width: 4, stem: "cifar", dualBn: true, headLayers: 3, projDim: 128 },
  dataset: null,
  data,
  split: null,
  epochs: 2,
  batchSize: 8,
  lr: 0.5,
  temperature: 0.2,
  prunePercent: 0.9,
  seed: 3,
  augment: "simclr",
  imageSize: 8,
  saveEvery: 1,
  logEvery: 1,
  warmupEpochs: 0,
  minLr: 1e-6,
  momentum: 0.9,
  weightDecay: 1e-4,
  init: null,
});

Deno.test("pretrain --tune on: new conv shapes are timed after the first step, logged and cached; a resumed run finds them and matches a straight one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tune_run_" });
  const prev = Deno.env.get("SDCLR_TUNE_DIR");
  const tune = { mode: "on" as const, retune: false };
  try {
    await writeNpy(`${dir}/x.npy`, syntheticImages(16, 8, 1), [16, 8, 8, 3]);
    const c = cfg(`${dir}/x.npy`);
    Deno.env.set("SDCLR_TUNE_DIR", `${dir}/cache_a`);
    // Cold cache: step 1 runs the defaults, then its shapes are timed.
    const cold = await pretrain(c, {
      out: `${dir}/a`,
      resume: false,
      maxSteps: 4,
      quiet: true,
      tune,
    });
    // Warm cache: the winners run from step 1, in the straight run and in the resumed one.
    const straight = await pretrain(c, {
      out: `${dir}/s`,
      resume: false,
      maxSteps: 4,
      quiet: true,
      tune,
    });
    const first = await pretrain(c, {
      out: `${dir}/b`,
      resume: false,
      maxSteps: 2,
      quiet: true,
      tune,
    });
    const rest = await pretrain(c, {
      out: `${dir}/b`,
      resume: true,
      maxSteps: 4,
      quiet: true,
      tune,
    });
    assert.deepEqual([...first.losses, ...rest.losses], straight.losses);
    await compareRuns(`${dir}/s`, `${dir}/b`);
    // Other kernels, same maths: the cold run agrees to float rounding (amplified over steps).
    cold.losses.forEach((l, i) =>
      assert.ok(Math.abs(l - straight.losses[i]) <= 1e-4 * Math.abs(l), `step ${i + 1}`)
    );
    const [file] = [...Deno.readDirSync(`${dir}/cache_a`)].map((f) => `${dir}/cache_a/${f.name}`);
    const cache = JSON.parse(await Deno.readTextFile(file));
    const keys = Object.keys(cache.entries);
    for (const pass of ["forward", "input_grad", "weight_grad"]) {
      assert.ok(keys.some((k) => k.startsWith(`conv2d.${pass} `)), `${pass} shapes tuned`);
    }
    assert.ok(keys.some((k) => k.endsWith(" masked")), "the pruned branch's shapes too");
    const log = await Deno.readTextFile(`${dir}/a/train.log`);
    assert.match(log, /autotune: 0 tuned shape\(s\) cached in .*cache_a/);
    assert.match(log, /autotune: timing \d+ new conv shape\(s\)/);
    assert.match(log, /autotune conv2d\.forward x\[8,3,8,8\] w\[4,3,3,3\] s1 p1: v\d/);
    // The warm runs timed nothing: their shapes were on disk.
    assert.doesNotMatch(await Deno.readTextFile(`${dir}/b/train.log`), /autotune: timing/);
    assert.equal(engine().tuner?.pendingCount ?? 0, 0);
  } finally {
    if (prev === undefined) Deno.env.delete("SDCLR_TUNE_DIR");
    else Deno.env.set("SDCLR_TUNE_DIR", prev);
    engine().tuner = null;
    await Deno.remove(dir, { recursive: true });
  }
});
