import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { UserError } from "../../core/errors.ts";
import { cachedBatches, type TrainBatches, trainLinearProbe } from "../../src/eval/linear_probe.ts";
import { FeatureBank } from "../../src/eval/probe_features.ts";
import { errors } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

interface ProbeParams {
  batch: number;
  epochs: number;
  lr: number;
  milestones: number[];
  classes: number;
}

Deno.test("linear probe at lr 30 follows PyTorch's SGD trajectory (losses, kept classifier)", async () => {
  const g = loadGolden("probe")[0];
  const p = g.params as unknown as ProbeParams;
  const [n, dim] = g.tensors.x.shape;
  const x = g.tensors.x.data;
  const y = Uint32Array.from(g.tensors.y.data);
  // The fixture's fixed batch order, every epoch (PyTorch ran the same).
  const batches: TrainBatches = {
    size: n,
    async *epoch(_e: number, batchSize: number) {
      for (let s = 0; s < n; s += batchSize) {
        const m = Math.min(batchSize, n - s);
        yield {
          x: Tensor.from(x.slice(s * dim, (s + m) * dim), [m, dim]),
          y: Tensor.from(y.slice(s, s + m), [m]),
          n: m,
        };
      }
    },
  };
  const val = FeatureBank.fromHost(x, n, dim, Int32Array.from(y));
  const hyper = {
    epochs: p.epochs,
    lr: p.lr,
    milestones: p.milestones,
    batchSize: p.batch,
    momentum: 0.9,
    seed: 0,
  };
  const init = { weight: g.tensors.w0.data, bias: new Float32Array(p.classes) };
  const out = await trainLinearProbe(hyper, {
    classes: p.classes,
    dim,
    train: batches,
    val,
    init,
  });
  val.dispose();
  const ref = g.tensors.losses.data;
  out.epochs.forEach((e, i) => {
    const rel = Math.abs(e.trainLoss - ref[i]) / Math.abs(ref[i]);
    assert.ok(rel <= 1e-4, `epoch ${i + 1}: loss ${e.trainLoss} vs PyTorch ${ref[i]}`);
  });
  // The loss climbs at lr 30 on features of this size, in PyTorch too.
  assert.ok(ref[1] > ref[0]);
  // The kept classifier is PyTorch's after that epoch.
  const per = p.classes * dim, e = out.bestEpoch - 1;
  const w = errors(out.weight, g.tensors.weights.data.slice(e * per, (e + 1) * per)).maxRel;
  const b = errors(out.bias, g.tensors.biases.data.slice(e * p.classes, (e + 1) * p.classes))
    .maxRel;
  assert.ok(w <= 1e-4 && b <= 1e-4, `epoch ${out.bestEpoch}: weight ${w}, bias ${b}`);
});

Deno.test("linear probe: a diverging classifier stops with a UserError naming the epoch", async () => {
  const dim = 4, n = 8;
  const x = new Float32Array(n * dim).map((_, i) => (i % 5) * 1e18);
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  const bank = FeatureBank.fromHost(x, n, dim, y);
  await assert.rejects(
    () =>
      trainLinearProbe(
        { epochs: 3, lr: 30, milestones: [], batchSize: 4, momentum: 0.9, seed: 1 },
        { classes: 2, dim, train: cachedBatches(bank, 1), val: bank },
      ),
    (e: Error) => e instanceof UserError && /diverged in epoch \d/.test(e.message),
  );
  bank.dispose();
});
