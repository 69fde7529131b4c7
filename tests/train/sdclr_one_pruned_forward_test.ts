import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { Tensor, tidy, zeroGrad } from "../../core/tensor.ts";
import { noGrad } from "../../core/tape.ts";
import { backward } from "../../kernels/backward.ts";
import { detach } from "../../kernels/elementwise/mod.ts";
import { ntXent } from "../../kernels/loss/mod.ts";
import { initState } from "../../src/nn/init.ts";
import { type ArchConfig, buildArch } from "../../src/nn/arch.ts";
import { pruneModel } from "../../src/nn/prune.ts";
import { ResNet } from "../../src/nn/resnet.ts";
import { makeSgd } from "../../src/train/optim_ops.ts";
import { type Optimizer, sdclrStep } from "../../src/train/steps.ts";

await initEngine({ quiet: true });

/** The spec's §5 order literally: a no-grad pruned forward, then a second, taped one. */
function literalSdclrStep(model: ResNet, opt: Optimizer, x1: Tensor, x2: Tensor): Tensor {
  return tidy(() => {
    zeroGrad(model.parameters());
    const f2 = noGrad(() => model.forward(x2, { branch: "pruned", training: true }));
    const f1 = model.forward(x1, { branch: "dense", training: true });
    const f1d = detach(f1);
    const l1 = ntXent(f1, f2, 0.2);
    backward(l1);
    const l2 = ntXent(f1d, model.forward(x2, { branch: "pruned", training: true }), 0.2);
    backward(l2);
    opt.step(0.1);
    return l1;
  });
}

Deno.test("sdclr: the step's one pruned forward (running statistics moved twice) equals the spec's two forwards bit for bit", async () => {
  const arch: ArchConfig = {
    depth: 10,
    width: 4,
    stem: "cifar",
    dualBn: true,
    headLayers: 3,
    projDim: 8,
  };
  const host = initState(buildArch(arch), 5);
  const models = [0, 1].map(() => new ResNet(arch, host));
  const opts = models.map((m) => makeSgd(m.namedParameters(), 0.9, 1e-4));
  const views = [7, 8].map((s) =>
    Tensor.from(Float32Array.from({ length: 6 * 3 * 8 * 8 }, (_, i) => ((i * s) % 97) / 97), [
      6,
      3,
      8,
      8,
    ]).keep()
  );
  for (const m of models) await pruneModel(m, 0.5);
  const losses: number[][] = [[], []];
  for (let step = 0; step < 2; step++) {
    const l0 = literalSdclrStep(models[0], opts[0], views[0], views[1]);
    const l1 = sdclrStep(models[1], opts[1], {
      x1: views[0],
      x2: views[1],
      lr: 0.1,
      temperature: 0.2,
    });
    losses[0].push((await l0.read())[0]);
    losses[1].push((await l1.read())[0]);
    l0.dispose();
    l1.dispose();
  }
  assert.deepEqual(losses[1], losses[0]);
  const [a, b] = await Promise.all(models.map((m) => m.toHost()));
  for (const [k, t] of a.tensors) {
    assert.deepEqual(b.tensors.get(k)!.data, t.data, `${k} differs`);
  }
  assert.deepEqual([...b.counters], [...a.counters]); // num_batches_tracked: 2 per pruned BN
  views.forEach((v) => v.dispose());
  opts.forEach((o) => o.dispose());
  models.forEach((m) => m.dispose());
});
