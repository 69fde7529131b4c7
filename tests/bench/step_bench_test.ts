import assert from "node:assert/strict";
import { engine, initEngine } from "../../core/engine.ts";
import {
  type BenchCase,
  benchCases,
  formatStepTable,
  median,
  stepBench,
} from "../../src/bench/step_bench.ts";
import { startTorchSteps } from "../../src/bench/torch_steps.ts";

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

Deno.test("step bench: a tiny step on both kernel paths, PyTorch's trials alternating with ours when it is installed", async () => {
  const cases: BenchCase[] = [
    { ...tiny, method: "sdclr", loader: false, path: "default" },
    { ...tiny, method: "sdclr", loader: false, path: "buffers" },
  ];
  const { rows, note } = await stepBench({ steps: 1, trials: 3, warmup: 1, torch: true, cases });
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((r) => r.path), ["default", "buffers"]);
  for (const r of rows) {
    assert.equal(r.ours_trials.length, 3);
    assert.ok(r.ours_trials.every((s) => s > 0 && Number.isFinite(s)));
    assert.equal(r.ours_s, median(r.ours_trials));
    assert.ok(Math.abs(r.ours_img_s * r.ours_s - 4) < 1e-9);
    if (note === undefined) {
      assert.equal(r.torch_trials!.length, 3);
      assert.equal(r.torch_s, median(r.torch_trials!));
      // The ratio is the median of the paired trials' ratios, inside their range.
      const ratios = r.ours_trials.map((s, i) => s / r.torch_trials![i]);
      assert.equal(r.ratio, median(ratios));
      assert.deepEqual(r.ratio_range, [Math.min(...ratios), Math.max(...ratios)]);
    } else {
      assert.match(note, /PyTorch|python3/);
      assert.equal(r.torch_s, null);
      assert.equal(r.ratio, null);
    }
  }
  // The override is undone afterwards.
  assert.equal(engine().profile.preferTextureLoads, engine().gpu.isSoftware);
  assert.match(formatStepTable(rows), /sdclr w4 b4 +no +buffers/);
});

Deno.test("step bench: median of odd and even lists", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

Deno.test("step bench: without python3 or without torch, PyTorch's column is skipped with one line", async () => {
  const c = { ...tiny, method: "sdclr" as const, loader: false };
  const missing = await startTorchSteps(c, 1, "no-such-python-here");
  assert.deepEqual(missing, { note: "no-such-python-here not found: PyTorch column skipped" });
  // A stand-in that exits as the script does without torch (code 3, reason on stderr), before
  // reading its input: the broken pipe must not escape.
  const dir = await Deno.makeTempDir();
  const fake = `${dir}/python3`;
  await Deno.writeTextFile(fake, "#!/bin/sh\necho 'python3 has no torch module' >&2\nexit 3\n");
  await Deno.chmod(fake, 0o755);
  const noTorch = await startTorchSteps(c, 1, fake);
  assert.deepEqual(noTorch, { note: "PyTorch column skipped: python3 has no torch module" });
  await Deno.remove(dir, { recursive: true });
});
