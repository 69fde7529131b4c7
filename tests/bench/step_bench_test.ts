import assert from "node:assert/strict";
import { engine, initEngine } from "../../core/engine.ts";
import {
  type BenchCase,
  benchCases,
  formatStepTable,
  stepBench,
} from "../../src/bench/step_bench.ts";

await initEngine({ quiet: true });

const tiny = { depth: 10 as const, width: 4, batchSize: 4, imageSize: 8 };

Deno.test("step bench: the cases cover both methods, both sizes, loader on/off, and the buffer path on software adapters", () => {
  const cases = benchCases();
  const defaults = cases.filter((c) => c.path === "default");
  assert.equal(defaults.length, 8);
  const buffers = cases.filter((c) => c.path === "buffers");
  assert.equal(buffers.length, engine().profile.preferTextureLoads ? 4 : 0);
  assert.ok(buffers.every((c) => !c.loader));
});

Deno.test("step bench: a tiny step on both kernel paths, PyTorch beside when it is installed", async () => {
  const cases: BenchCase[] = [
    { ...tiny, method: "sdclr", loader: false, path: "default" },
    { ...tiny, method: "sdclr", loader: false, path: "buffers" },
  ];
  const { rows, note } = await stepBench({ steps: 1, warmup: 1, torch: true, cases });
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((r) => r.path), ["default", "buffers"]);
  for (const r of rows) {
    assert.ok(r.ours_s > 0 && Number.isFinite(r.ours_s));
    assert.ok(Math.abs(r.ours_img_s * r.ours_s - 4) < 1e-9);
    if (note === undefined) {
      // One PyTorch run serves both paths (the same step), and the ratio is ours / theirs.
      assert.ok(r.torch_s! > 0);
      assert.equal(r.torch_s, rows[0].torch_s);
      assert.ok(Math.abs(r.ratio! - r.ours_s / r.torch_s!) < 1e-12);
    } else {
      assert.match(note, /PyTorch|python3/);
      assert.equal(r.torch_s, null);
    }
  }
  // The override is undone afterwards.
  assert.equal(engine().profile.preferTextureLoads, engine().gpu.isSoftware);
  assert.match(formatStepTable(rows), /sdclr w4 b4 +no +buffers/);
});
