import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { loadStateDict } from "../../src/io/checkpoint.ts";
import { loadTorch } from "../../src/io/torch_file.ts";
import type { TorchTensor } from "../../src/io/torch_types.ts";
import { allConvs, buildArch } from "../../src/nn/arch.ts";
import { pruneModel } from "../../src/nn/prune.ts";
import { ResNet } from "../../src/nn/resnet.ts";
import { inferArch, torchToHost } from "../../src/nn/state_dict.ts";
import { makeSgd, type TrainOptimizer } from "../../src/train/optim_ops.ts";
import { lrAt } from "../../src/train/schedule.ts";
import { type Method, trainStep } from "../../src/train/steps.ts";
import { errors } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

const FIX = new URL("../golden/fixtures/sdclr_steps/", import.meta.url).pathname;
const golden = loadGolden("sdclr_steps")[0];
const C = golden.params.config as Record<string, number>;

async function compareState(model: ResNet, refPath: string, label: string, tol: number) {
  const ref = await loadStateDict(refPath);
  const refHost = torchToHost(model.arch, ref);
  const ours = await model.toHost();
  let worst = { key: "", rel: 0 };
  for (const [k, r] of refHost.tensors) {
    const { maxRel } = errors(ours.tensors.get(k)!.data, r.data);
    if (maxRel > worst.rel) worst = { key: k, rel: maxRel };
    assert.ok(maxRel <= tol, `${label} ${k}: max|ours−ref|/max|ref| = ${maxRel.toExponential(3)}`);
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

function schedule() {
  return {
    lr: C.lr,
    epochs: C.epochs,
    itersPerEpoch: C.iters_per_epoch,
    warmupEpochs: C.warmup_epochs,
    minLr: C.min_lr,
  };
}

/** The views of step `it` (0-based). */
function views(it: number): [Tensor, Tensor] {
  const per = C.batch * 3 * C.size * C.size;
  const shape = [C.batch, 3, C.size, C.size];
  return [
    Tensor.from(golden.tensors.x1.data.slice(it * per, (it + 1) * per), shape),
    Tensor.from(golden.tensors.x2.data.slice(it * per, (it + 1) * per), shape),
  ];
}

/** Runs step `it` (pruning first at an epoch start) and checks lr, loss and masks. */
async function step(
  method: Method,
  model: ResNet,
  opt: TrainOptimizer,
  it: number,
  report: string[],
) {
  if (method === "sdclr" && it % C.iters_per_epoch === 0) {
    const weights = new Map<string, Float32Array>();
    for (const c of allConvs(model.arch)) {
      weights.set(c.name, await model.weights.get(`${c.name}.weight`)!.read());
    }
    const r = await pruneModel(model, C.prune);
    const refMasks = await loadTorch(`${FIX}sdclr_masks.pt`) as Map<string, unknown>;
    const tag = `step${it + 1}`;
    const theta = (refMasks.get(`theta${it + 1}`) as TorchTensor).data[0] as number;
    assert.ok(Math.abs(r.threshold - theta) <= 1e-5 * theta, `${tag} θ ${r.threshold} vs ${theta}`);
    const ref = refMasks.get(tag) as Map<string, TorchTensor>;
    const flips = compareMasks(model, r.byName, ref, weights, theta, tag);
    report.push(`${tag}: θ ${r.threshold === theta ? "identical" : "≈"}, ${flips} mask flips`);
  }
  const lr = lrAt(it, schedule());
  const refLr = golden.tensors[`${method}_lr`].data[it];
  assert.ok(Math.abs(lr - refLr) <= 1e-6 * refLr, `lr ${lr} vs ${refLr}`);
  const [x1, x2] = views(it);
  const loss = trainStep(model, opt, { method, x1, x2, lr, temperature: C.temperature });
  const v = (await loss.read())[0];
  const ref = golden.tensors[`${method}_loss`].data[it];
  const rel = Math.abs(v - ref) / Math.abs(ref);
  assert.ok(rel <= 1e-4, `${method} step ${it + 1} loss ${v} vs ${ref}`);
  report.push(`loss ${it + 1} rel ${rel.toExponential(1)}`);
  for (const t of [loss, x1, x2]) t.dispose();
}

/** Three steps from the PyTorch init, checked after every step. */
async function trajectory(method: Method) {
  const sd = await loadStateDict(`${FIX}${method}_init.pt`);
  const cfg = inferArch(sd);
  const model = new ResNet(cfg, torchToHost(buildArch(cfg), sd));
  const opt = makeSgd(model.namedParameters(), C.momentum, C.weight_decay);
  const report: string[] = [];
  for (let it = 0; it < C.steps; it++) {
    await step(method, model, opt, it, report);
    const w = await compareState(model, `${FIX}${method}_step${it + 1}.pt`, `step ${it + 1}`, 1e-3);
    report.push(`state ${it + 1} worst ${w.key} ${w.rel.toExponential(1)}`);
  }
  model.dispose();
  opt.dispose();
  console.log(`${method}: ${report.join("; ")}`);
}

/** Step 3 restarted from the reference state and momentum after step 2. */
async function restartedStep3(method: Method) {
  const file = `${FIX}${method}_step2.pt`;
  const sd = await loadStateDict(file);
  const cfg = inferArch(sd);
  const model = new ResNet(cfg, torchToHost(buildArch(cfg), sd));
  const opt = makeSgd(model.namedParameters(), C.momentum, C.weight_decay);
  const top = await loadTorch(file) as Map<string, unknown>;
  opt.loadMomentum(top.get("momentum") as Map<string, TorchTensor>);
  const report: string[] = [];
  await step(method, model, opt, 2, report);
  const w = await compareState(model, `${FIX}${method}_step3.pt`, "step 3", 1e-3);
  report.push(`state 3 worst ${w.key} ${w.rel.toExponential(1)}`);
  model.dispose();
  opt.dispose();
  console.log(`${method} restarted: ${report.join("; ")}`);
}

for (const method of ["sdclr", "simclr"] as const) {
  const what = method === "sdclr" ? "loss, params, BN stats, masks" : "loss, params, BN stats";
  Deno.test(`${method}: steps 1–3 from the PyTorch init track the reference (${what})`, () =>
    trajectory(method));
  Deno.test(`${method}: step 3 from the reference step-2 state equals PyTorch (≤1e-3)`, () =>
    restartedStep3(method));
}
