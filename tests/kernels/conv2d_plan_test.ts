// Tile plans follow the device profile: the software cap on stride-1 multi-tap direct kernels.
import assert from "node:assert/strict";
import { engine, initEngine } from "../../core/engine.ts";
import { backwardInputPlans, convGeom, forwardPlan } from "../../kernels/conv2d/plan.ts";

await initEngine({ quiet: true });
const profile = engine().profile;

Deno.test("conv2d plan: directBudgetCap bounds stride-1 multi-tap tiles only", () => {
  const tile = (p: typeof profile, x: number[], w: number[], stride: number) => {
    const g = convGeom(x, w, { stride, padding: w[2] === 3 ? 1 : 0 });
    const f = forwardPlan(g, { profile: p, swapped: w[2] > 1 && stride === 1 }).cfg;
    const d = backwardInputPlans(g, { profile: p, transposed: false })[0].cfg;
    return `${f.TM}/${f.BH}/${f.BW} ${d.TM}/${d.BH}/${d.BW}`;
  };
  const capped = { ...profile, directBudgetCap: 576 }, free = { ...profile, directBudgetCap: null };
  // ResNet-18 width 64, 32×32 (a 2³⁰-flop layer: the full budget without the cap).
  const s1: [number[], number[]] = [[64, 64, 32, 32], [64, 64, 3, 3]];
  assert.equal(tile(free, ...s1, 1), "32/4/16 16/4/16");
  assert.equal(tile(capped, ...s1, 1), "8/4/8 8/4/8");
  // Strided and 1×1 kernels keep the flops rule's budget.
  const strided: [number[], number[], number][] = [
    [[64, 64, 32, 32], [128, 64, 3, 3], 2],
    [[64, 64, 32, 32], [128, 64, 1, 1], 2],
  ];
  for (const [x, w, s] of strided) assert.equal(tile(capped, x, w, s), tile(free, x, w, s));
  assert.equal(profile.directBudgetCap, profile.isSoftware ? 576 : null);
});
