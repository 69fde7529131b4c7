import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { boostBatch, compareBoost } from "../../kernels/augment/randaug_check.ts";
import { opFromValue, RANDAUG_OPS, resolveBoost } from "../../kernels/augment/randaug.ts";
import { drawBoost } from "../../kernels/augment/params.ts";
import { Prng } from "../../core/prng.ts";

await initEngine({ quiet: true });

for (const pass of ["second", "fused"] as const) {
  Deno.test(`randaug (${pass} pass): every op and k-op chains equal the CPU reference exactly`, async () => {
    for (const [seed, size] of [[4, 20], [5, 32]]) {
      const b = boostBatch(seed, size, 4);
      const e = await compareBoost(b, pass);
      assert.equal(e.mismatched, 0, `${size}×${size}: ${e.mismatched} values differ`);
      const withOps = b.views.filter((v) => v.boost.length > 0).length;
      assert.ok(e.changed >= withOps - 2, `only ${e.changed} of ${withOps} boosted views changed`);
    }
  });
}

Deno.test("randaug draws: weight 0 applies nothing; weight 1 applies every op at strength S·u", () => {
  const rng = Prng.keyed("test", 9);
  const ctx = { strength: 30, width: 32, height: 32 };
  for (let i = 0; i < 50; i++) {
    const d = drawBoost(rng, 2);
    assert.equal(resolveBoost(d, { ...ctx, weight: 0 }).length, 0);
    const all = resolveBoost(d, { ...ctx, weight: 1 });
    assert.equal(all.length, 2);
    all.forEach((op, q) => {
      const spec = RANDAUG_OPS[d.ops[q].op];
      const v = (30 * d.u / 30) * (spec.hi - spec.lo) + spec.lo;
      assert.equal(Math.abs(op.value), v, spec.name);
      assert.equal(op.value < 0, spec.signed && d.ops[q].negate && v !== 0);
    });
  }
  // Half the weight: an op applies when its draw is below it, at half the strength.
  const d = { u: 0.8, ops: [{ op: 10, r: 0.4, negate: false, cx: 0, cy: 0 }] };
  const [op] = resolveBoost(d, { ...ctx, weight: 0.5 });
  assert.ok(Math.abs(op.value - (0.1 + 1.8 * (30 * 0.5 * 0.8) / 30)) < 1e-12);
  assert.equal(
    resolveBoost({ ...d, ops: [{ ...d.ops[0], r: 0.6 }] }, { ...ctx, weight: 0.5 }).length,
    0,
  );
});

Deno.test("randaug values: solarize threshold, posterize bits and cutout box as the released code", () => {
  const c = { width: 32, height: 32 };
  assert.deepEqual(opFromValue(8, 37.2, c).words.slice(0, 1), [38]);
  assert.deepEqual(opFromValue(8, 37, c).words.slice(0, 1), [37]);
  assert.deepEqual(opFromValue(9, 4.9, c).words.slice(0, 1), [0xf0]);
  assert.deepEqual(opFromValue(9, 8, c).words.slice(0, 1), [0xff]);
  // Side 0.25·32 = 8 around a centre uniform in (1, 32]: draw 0 gives centre 32.
  assert.deepEqual(opFromValue(14, 0.25, { ...c, cx: 0, cy: 1 }).words.slice(0, 4), [28, 0, 31, 8]);
});
