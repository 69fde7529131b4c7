import assert from "node:assert/strict";
import { initEngine } from "../../src/gpu/engine.ts";
import { Tensor } from "../../src/autodiff/tensor.ts";
import { loadStateDict } from "../../src/io/checkpoint.ts";
import { loadTorch } from "../../src/io/torch_file.ts";
import type { TorchTensor } from "../../src/io/torch_types.ts";
import { allConvs, buildArch } from "../../src/nn/arch.ts";
import { pruneModel } from "../../src/nn/prune.ts";
import { ResNet } from "../../src/nn/resnet.ts";
import { inferArch, torchToHost } from "../../src/nn/state_dict.ts";
import { makeSgd } from "../../src/train/optim_ops.ts";
import { lrAt } from "../../src/train/schedule.ts";
import { type Method, trainStep } from "../../src/train/steps.ts";
import { errors } from "../../src/testing/compare.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

const FIX = new URL("../golden/fixtures/sdclr_steps/", import.meta.url).pathname;
const golden = loadGolden("sdclr_steps")[0];
const C = golden.params.config as Record<string, number>;

async function compareState(model: ResNet, refPath: string, label: string) {
  const ref = await loadStateDict(refPath);
  const refHost = torchToHost(model.arch, ref);
  const ours = await model.toHost();
  let worst = { key: "", rel: 0 };
  for (const [k, r] of refHost.tensors) {
    const { maxRel } = errors(ours.tensors.get(k)!.data, r.data);
    if (maxRel > worst.rel) worst = { key: k, rel: maxRel };
    assert.ok(maxRel <= 1e-3, `${label} ${k}: max|ours−ref|/max|ref| = ${maxRel.toExponential(3)}`);
  }
  for (const [k, n] of refHost.counters) assert.equal(ours.counters.get(k), n, `${label} ${k}`);
  return worst;
}

/**
 * Masks must be identical except where a weight sits at the threshold within float noise
 * (our f32 weights and PyTorch's f64 ones round differently there).
 */
function compareMasks(
  model: ResNet,
  ours: Map<string, Uint8Array>,
  ref: Map<string, TorchTensor>,
  weights: Map<string, Float32Array>,
  theta: number,
  label: string,
) {
  let flips = 0;
  for (const c of allConvs(model.arch)) {
    const a = ours.get(c.name)!;
    const b = ref.get(c.name)!.data;
    const w = weights.get(c.name)!;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      flips++;
      assert.ok(
        Math.abs(Math.abs(w[i]) - theta) <= 1e-5 * theta,
        `${label} ${c.name}[${i}]: mask differs at |w| = ${Math.abs(w[i])}, θ = ${theta}`,
      );
    }
  }
  return flips;
}

async function runGolden(method: Method) {
  const sd = await loadStateDict(`${FIX}${method}_init.pt`);
  const cfg = inferArch(sd);
  const model = new ResNet(cfg, torchToHost(buildArch(cfg), sd));
  const opt = makeSgd(model.namedParameters(), C.momentum, C.weight_decay);
  const refMasks = method === "sdclr"
    ? await loadTorch(`${FIX}sdclr_masks.pt`) as Map<string, unknown>
    : null;
  const sched = {
    lr: C.lr,
    epochs: C.epochs,
    itersPerEpoch: C.iters_per_epoch,
    warmupEpochs: C.warmup_epochs,
    minLr: C.min_lr,
  };
  const per = C.batch * 3 * C.size * C.size;
  const shape = [C.batch, 3, C.size, C.size];
  const report: string[] = [];
  for (let it = 0; it < C.steps; it++) {
    if (method === "sdclr" && it % C.iters_per_epoch === 0) {
      const weights = new Map<string, Float32Array>();
      for (const c of allConvs(model.arch)) {
        weights.set(c.name, await model.weights.get(`${c.name}.weight`)!.read());
      }
      const r = await pruneModel(model, C.prune);
      const tag = `step${it + 1}`;
      const theta = (refMasks!.get(`theta${it + 1}`) as TorchTensor).data[0] as number;
      assert.ok(Math.abs(r.threshold - theta) <= 1e-5 * theta, `${tag} θ ${r.threshold} vs ${theta}`);
      const ref = refMasks!.get(tag) as Map<string, TorchTensor>;
      const flips = compareMasks(model, r.byName, ref, weights, theta, tag);
      report.push(`${tag} mask flips at θ: ${flips}`);
    }
    const lr = lrAt(it, sched);
    const refLr = golden.tensors[`${method}_lr`].data[it];
    assert.ok(Math.abs(lr - refLr) <= 1e-6 * refLr, `lr ${lr} vs ${refLr}`);
    const x1 = Tensor.from(golden.tensors.x1.data.slice(it * per, (it + 1) * per), shape);
    const x2 = Tensor.from(golden.tensors.x2.data.slice(it * per, (it + 1) * per), shape);
    const loss = trainStep(method, model, opt, x1, x2, lr, C.temperature);
    const v = (await loss.read())[0];
    const ref = golden.tensors[`${method}_loss`].data[it];
    assert.ok(Math.abs(v - ref) <= 1e-4 * Math.abs(ref), `${method} step ${it + 1} loss ${v} vs ${ref}`);
    for (const t of [loss, x1, x2]) t.dispose();
    if (it === 0 || it === 2) {
      const w = await compareState(model, `${FIX}${method}_step${it + 1}.pt`, `${method} step ${it + 1}`);
      report.push(`after step ${it + 1}: worst ${w.key} ${w.rel.toExponential(2)}`);
    }
  }
  model.dispose();
  opt.dispose();
  console.log(`${method}: ${report.join("; ")}`);
}

Deno.test("SDCLR: 1 and 3 steps equal the PyTorch reference (loss, params, BN stats, masks)", () =>
  runGolden("sdclr"));

Deno.test("SimCLR: 1 and 3 steps equal the PyTorch reference (loss, params, BN stats)", () =>
  runGolden("simclr"));
