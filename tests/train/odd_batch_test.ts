/**
 * An epoch's last, partial batch against PyTorch (tests/golden/gen_sdclr_odd_batch.py): the
 * loader counts ceil(N / B) iterations and hands out the smaller batch; the schedule counts it;
 * one SDCLR step on those 7 images matches PyTorch at the step goldens' tolerance.
 */
import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors } from "../../core/testing.ts";
import { recipe } from "../../kernels/augment/params.ts";
import { imageSetSource, Loader } from "../../src/data/loader.ts";
import { loadStateDict } from "../../src/io/checkpoint.ts";
import { buildArch } from "../../src/nn/arch.ts";
import { pruneModel } from "../../src/nn/prune.ts";
import { ResNet } from "../../src/nn/resnet.ts";
import { inferArch, torchToHost } from "../../src/nn/state_dict.ts";
import { makeSgd } from "../../src/train/optim_ops.ts";
import { lrAt } from "../../src/train/schedule.ts";
import { trainStep } from "../../src/train/steps.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

const FIX = new URL("../golden/fixtures/sdclr_steps/", import.meta.url).pathname;
const golden = loadGolden("sdclr_odd_batch")[0];
const C = golden.params.config as Record<string, number>;

Deno.test("loader: N = 31 at batch 12 is 3 iterations (12, 12, 7); --drop-last makes it 2", async () => {
  const n = C.images;
  const set = {
    images: new Uint8Array(n * 8 * 8 * 3),
    labels: new Int32Array(n),
    n,
    height: 8,
    width: 8,
    channels: 3,
    classes: 1,
  };
  const mk = (dropLast?: boolean) =>
    new Loader(imageSetSource(set), {
      recipe: recipe("cifar", 8),
      batchSize: C.batch,
      seed: 1,
      views: 2,
      dropLast,
    });
  const keep = mk();
  assert.equal(keep.batchesPerEpoch, C.iters_per_epoch);
  const sizes = [];
  for await (const b of keep.epoch(0)) {
    sizes.push(b.items.length);
    assert.equal(b.views[0].shape[0], b.items.length);
    b.dispose();
  }
  assert.deepEqual(sizes, [12, 12, C.last_batch]);
  assert.equal(mk(true).batchesPerEpoch, 2);
});

Deno.test("sdclr: one step on the epoch's last batch of 7 images equals PyTorch (≤1e-3)", async () => {
  const sd = await loadStateDict(`${FIX}sdclr_init.pt`);
  const cfg = inferArch(sd);
  const model = new ResNet(cfg, torchToHost(buildArch(cfg), sd));
  const opt = makeSgd(model.namedParameters(), C.momentum, C.weight_decay);
  await pruneModel(model, C.prune);
  const lr = lrAt(C.iteration, {
    lr: C.lr,
    epochs: C.epochs,
    itersPerEpoch: C.iters_per_epoch,
    warmupEpochs: C.warmup_epochs,
    minLr: C.min_lr,
  });
  const refLr = golden.tensors.lr.data[0];
  assert.ok(Math.abs(lr - refLr) <= 1e-6 * refLr, `lr ${lr} vs ${refLr}`);
  const shape = [C.last_batch, 3, C.size, C.size];
  const x1 = Tensor.from(golden.tensors.x1.data, shape);
  const x2 = Tensor.from(golden.tensors.x2.data, shape);
  const loss = trainStep(model, opt, { method: "sdclr", x1, x2, lr, temperature: C.temperature });
  const v = (await loss.read())[0];
  const refLoss = golden.tensors.loss.data[0];
  const rel = Math.abs(v - refLoss) / Math.abs(refLoss);
  assert.ok(rel <= 1e-4, `loss ${v} vs ${refLoss}`);
  const ref = torchToHost(model.arch, await loadStateDict(`${FIX}sdclr_odd7_step.pt`));
  const ours = await model.toHost();
  let worst = { key: "", rel: 0 };
  for (const [k, r] of ref.tensors) {
    const { maxRel } = errors(ours.tensors.get(k)!.data, r.data);
    if (maxRel > worst.rel) worst = { key: k, rel: maxRel };
    assert.ok(maxRel <= 1e-3, `${k}: max|ours−ref|/max|ref| = ${maxRel.toExponential(3)}`);
  }
  for (const [k, c] of ref.counters) assert.equal(ours.counters.get(k), c, k);
  console.log(
    `odd batch: loss rel ${rel.toExponential(1)}; worst ${worst.key} ${worst.rel.toExponential(1)}`,
  );
  for (const t of [loss, x1, x2]) t.dispose();
  model.dispose();
  opt.dispose();
});
