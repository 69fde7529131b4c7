import assert from "node:assert/strict";
import { lrAt } from "../../src/train/schedule.ts";
import { magnitudeMasks, selectKth, thresholdIndex } from "../../src/nn/prune_cpu.ts";
import { Prng } from "../../core/prng.ts";
import { loadGolden } from "../golden/golden.ts";

const golden = loadGolden("sdclr_steps")[0];

Deno.test("schedule: per-iteration warm-up + cosine equals PyTorch LambdaLR", () => {
  const p = golden.params.lr_long as {
    lr: number;
    epochs: number;
    iters_per_epoch: number;
    warmup_epochs: number;
    min_lr: number;
  };
  const ref = golden.tensors.lr_long.data;
  const cfg = {
    lr: p.lr,
    epochs: p.epochs,
    itersPerEpoch: p.iters_per_epoch,
    warmupEpochs: p.warmup_epochs,
    minLr: p.min_lr,
  };
  for (let i = 0; i < ref.length; i++) {
    const ours = lrAt(i, cfg);
    assert.ok(
      Math.abs(ours - ref[i]) <= 1e-6 * Math.max(ref[i], 1e-6),
      `iter ${i}: ${ours} vs ${ref[i]}`,
    );
  }
  assert.equal(lrAt(ref.length - 1, cfg), 1e-6);
  const short = { ...cfg, epochs: 2, warmupEpochs: 10 };
  assert.ok(Number.isFinite(lrAt(5, short)));
});

Deno.test("rng: deterministic per seed and stream, roughly normal", () => {
  const draw = (r: Prng) => Array.from({ length: 5 }, () => r.uniform());
  const a = draw(Prng.named(42, "init"));
  assert.deepEqual(a, draw(Prng.named(42, "init")));
  assert.notDeepEqual(a, draw(Prng.named(42, "other")));
  assert.notDeepEqual(a, draw(Prng.named(43, "init")));
  const r = Prng.named(7);
  let m = 0, v = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    m += z / n;
    v += z * z / n;
  }
  assert.ok(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.05, `mean ${m} var ${v}`);
});

Deno.test("prune: selection equals sorting; ties at θ are kept", () => {
  const r = Prng.named(3);
  for (const n of [1, 2, 7, 1000]) {
    const a = Float32Array.from({ length: n }, () => Math.round(r.normal() * 4) / 4);
    const sorted = Float32Array.from(a).map(Math.abs).sort();
    for (const p of [0, 0.3, 0.9, 1]) {
      const k = thresholdIndex(p, n);
      assert.equal(selectKth(Float32Array.from(a).map(Math.abs), k), sorted[k]);
      const res = magnitudeMasks([a.subarray(0, n >> 1), a.subarray(n >> 1)], p);
      const kept = res.masks.reduce((s, m) => s + m.reduce((x, y) => x + y, 0), 0);
      assert.equal(kept, sorted.filter((x) => x >= sorted[k]).length);
    }
  }
});
