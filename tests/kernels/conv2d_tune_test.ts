import assert from "node:assert/strict";
import { Autotuner } from "../../core/autotune.ts";
import { engine, initEngine } from "../../core/engine.ts";
import { Profiler } from "../../core/profiler.ts";
import { Tensor } from "../../core/tensor.ts";
import { assertClose, seededRandom } from "../../core/testing.ts";
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
} from "../../kernels/conv2d/mod.ts";
import { convGeom } from "../../kernels/conv2d/plan.ts";
import { candidateChoices, choiceId, parseChoice, tuneKey } from "../../kernels/conv2d/tune.ts";

await initEngine({ quiet: true });
const e = engine();

function random(shape: number[], seed: number): Tensor {
  const r = seededRandom(seed), n = shape.reduce((a, b) => a * b, 1);
  return Tensor.from(Float32Array.from({ length: n }, () => r.normal()), shape);
}

/** Runs `fn` with `tuner` installed (and the previous one back afterwards). */
async function withTuner<T>(tuner: Autotuner, fn: () => Promise<T>): Promise<T> {
  const prev = e.tuner;
  e.tuner = tuner;
  try {
    return await fn();
  } finally {
    e.tuner = prev;
  }
}

/** The spec names of the kernels `fn` dispatches. */
async function kernelsOf(fn: () => void): Promise<string[]> {
  const prof = new Profiler(e.device);
  e.profiler = prof;
  try {
    fn();
    e.flush();
    await prof.collect();
  } finally {
    e.profiler = null;
    prof.destroy();
  }
  return [...new Set(prof.records.map((r) => r.spec))];
}

const xs = [2, 8, 8, 8], ws = [8, 8, 3, 3];
const opts = { stride: 1, padding: 1 };

Deno.test("conv2d autotune: a new shape runs the default and is queued; tuned, each pass keeps its fastest candidate and still equals version 1", async () => {
  const x = random(xs, 1), w = random(ws, 2), gy = random([2, 8, 8, 8], 3);
  const mask = Tensor.from(Float32Array.from({ length: 576 }, (_, i) => i % 3 ? 1 : 0), ws);
  const o = { ...opts, mask };
  const ref = [
    await conv2dForward(x, w, { ...o, version: 1 }).read(),
    await conv2dBackwardInput(gy, w, xs, { ...o, version: 1 }).read(),
    await conv2dBackwardWeight(gy, x, ws, { ...o, version: 1 }).read(),
  ];
  const tuner = await Autotuner.open({ adapter: e.profile.adapter, file: null });
  await withTuner(tuner, async () => {
    const run = () => [
      conv2dForward(x, w, o),
      conv2dBackwardInput(gy, w, xs, o),
      conv2dBackwardWeight(gy, x, ws, o),
    ];
    const first = run();
    assert.equal(tuner.pendingCount, 3);
    const lines: string[] = [];
    assert.equal(await e.tunePending((l) => lines.push(l)), 3);
    assert.equal(lines.length, 3);
    const g = convGeom(xs, ws, opts);
    const plan = { profile: e.profile, masked: true };
    for (const pass of ["forward", "input_grad", "weight_grad"] as const) {
      const entry = tuner.entries().get(tuneKey(pass, g, true))!;
      const ids = candidateChoices(pass, { g, plan }).map(choiceId);
      assert.deepEqual(Object.keys(entry.ms).sort(), ids.sort(), `${pass}: every candidate timed`);
      const best = Math.min(...Object.values(entry.ms).map((v) => v ?? Infinity));
      assert.equal(entry.ms[entry.choice], best, `${pass}: the winner is the fastest`);
    }
    const second = run();
    assert.equal(tuner.pendingCount, 0, "tuned shapes are not queued again");
    for (const [i, t] of [...first, ...second].entries()) {
      assertClose(`pass ${i % 3}`, await t.read(), ref[i % 3], { tol: 1e-5 });
      t.dispose();
    }
  });
  for (const t of [x, w, gy, mask]) t.dispose();
});

Deno.test("conv2d autotune: a cached winner is what runs; a stale one falls back to the default", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/t.json`;
  const key = tuneKey("forward", convGeom(xs, ws, opts), false);
  const write = (choice: string) =>
    Deno.writeTextFile(
      file,
      JSON.stringify({
        format: "sdclr-webgpu-autotune/1",
        adapter: e.profile.adapter,
        entries: { [key]: { choice, ms: {}, tuned: "2026-01-01T00:00:00Z" } },
      }),
    );
  const x = random(xs, 4), w = random(ws, 5);
  const ref = await conv2dForward(x, w, { ...opts, version: 1 }).read();
  for (const [choice, spec] of [["v1", "conv2d_naive"], ["v9", "conv2d_direct"]]) {
    await write(choice);
    const tuner = await Autotuner.open({ adapter: e.profile.adapter, file });
    await withTuner(tuner, async () => {
      let y: Tensor | null = null;
      const specs = await kernelsOf(() => (y = conv2dForward(x, w, opts)));
      assert.ok(specs.includes(spec), `${choice}: ran ${specs}`);
      assertClose(choice, await y!.read(), ref, { tol: 1e-5 });
      y!.dispose();
      assert.equal(tuner.pendingCount, 0);
    });
  }
  x.dispose();
  w.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("conv2d autotune: a cached weight-gradient tile runs and equals version 1; a tile that does not fit is refused in one line", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/t.json`;
  const g = convGeom(xs, ws, opts);
  const key = tuneKey("weight_grad", g, false);
  const x = random(xs, 6), gy = random([2, 8, 8, 8], 7);
  const ref = await conv2dBackwardWeight(gy, x, ws, { ...opts, version: 1 }).read();
  const plan = { profile: e.profile };
  const tiles = candidateChoices("weight_grad", { g, plan }).filter((c) => c.tile);
  assert.ok(tiles.length >= 2, "tile candidates at this shape");
  for (const c of tiles) {
    const choice = choiceId(c);
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        format: "sdclr-webgpu-autotune/1",
        adapter: e.profile.adapter,
        entries: { [key]: { choice, ms: {}, tuned: "2026-01-01T00:00:00Z" } },
      }),
    );
    const tuner = await Autotuner.open({ adapter: e.profile.adapter, file });
    await withTuner(tuner, async () => {
      const gw = conv2dBackwardWeight(gy, x, ws, opts);
      assertClose(choice, await gw.read(), ref, { tol: 1e-5 });
      gw.dispose();
    });
  }
  assert.throws(
    () => conv2dBackwardWeight(gy, x, ws, { ...opts, wgradTile: { TO: 8, TC: 4, BW: 4, BH: 3 } }),
    /tile .* does not fit .* output height 8/,
  );
  x.dispose();
  gy.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("conv2d autotune: choice names", () => {
  assert.deepEqual(parseChoice("v4"), { version: 4 });
  assert.deepEqual(parseChoice("v3s8"), { version: 3, split: 8 });
  assert.deepEqual(parseChoice("v4-narrow"), { version: 4, variant: { wide: false } });
  assert.deepEqual(parseChoice("v2-scalarw"), { version: 2, variant: { vecW: false } });
  assert.deepEqual(parseChoice("v4-t8x8x8x1"), {
    version: 4,
    tile: { TO: 8, TC: 8, BW: 8, BH: 1 },
  });
  for (const id of ["v4", "v3s8", "v4-narrow", "v2-scalarw", "v2-t4x8x4x2"]) {
    assert.equal(choiceId(parseChoice(id)!), id);
  }
  assert.equal(parseChoice("fast"), null);
});
