import { rules } from "../../src/autodiff/rules.ts";
import { convRules } from "../../kernels/conv2d/mod.ts";
Object.assign(rules, convRules);
import { initEngine } from "../../src/gpu/engine.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { pretrain } from "../../src/train/pretrain.ts";
import { syntheticImages } from "./_synthetic.ts";
await initEngine({ quiet: true });
Deno.test("run", async () => {
  const dir = "/tmp/runtest"; await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const n = 160;
  await writeNpy(`${dir}/x.npy`, syntheticImages(n, 16, 3), [n, 16, 16, 3]);
  const t = performance.now();
  const r = await pretrain({
    method: "sdclr", arch: { depth: 18, width: 8, stem: "cifar", dualBn: true, headLayers: 3, projDim: 128 },
    dataset: null, data: `${dir}/x.npy`, split: null, epochs: 6, batchSize: 32, lr: 0.2, temperature: 0.2,
    prunePercent: 0.9, seed: 1, augment: "simclr", imageSize: 0, saveEvery: 2, logEvery: 10, warmupEpochs: 1,
    minLr: 1e-6, momentum: 0.9, weightDecay: 1e-4, init: null,
  }, { out: `${dir}/run`, resume: false, maxSteps: null, quiet: true, autoStem: true });
  console.log(performance.now() - t, r.losses.map((x) => x.toFixed(3)).join(" "));
});
