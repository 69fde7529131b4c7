import assert from "node:assert/strict";
import { Autotuner, tuneCacheFile, type TuneTrial } from "../../core/autotune.ts";

/** A candidate that takes about `ms` of CPU per run (the "GPU" here is the wait). */
function busy(ms: number) {
  return () => {
    const t = performance.now();
    while (performance.now() - t < ms) { /* spin */ }
  };
}

const timing = { sync: () => Promise.resolve(), batchMs: 5, trials: 2 };

function trial(log: string[]): TuneTrial {
  return {
    candidates: [
      { id: "slow", run: busy(3) },
      { id: "fast", run: busy(0.5) },
      {
        id: "broken",
        run: () => {
          throw new Error("compile failed");
        },
      },
    ],
    dispose: () => log.push("disposed"),
  };
}

Deno.test("autotune: the fastest candidate wins, a failing one is skipped, the file keeps every time", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/sub/adapter.json`;
  const t = await Autotuner.open({ adapter: "test adapter", file });
  assert.equal(t.choice("k"), undefined);
  const log: string[] = [];
  t.request("k", () => trial(log));
  t.request("k", () => trial(log)); // queued once
  assert.equal(t.pendingCount, 1);
  assert.equal(await t.tunePending(timing), 1);
  assert.equal(t.pendingCount, 0);
  assert.deepEqual(log, ["disposed"]);
  assert.equal(t.choice("k"), "fast");
  const saved = JSON.parse(await Deno.readTextFile(file));
  assert.equal(saved.adapter, "test adapter");
  assert.equal(saved.entries.k.choice, "fast");
  assert.equal(saved.entries.k.ms.broken, null);
  assert.ok(saved.entries.k.ms.slow > saved.entries.k.ms.fast);
  // A later run starts tuned; a known key is not queued again.
  const again = await Autotuner.open({ adapter: "test adapter", file });
  assert.equal(again.choice("k"), "fast");
  again.request("k", () => trial(log));
  assert.equal(again.pendingCount, 0);
  // --retune ignores the file.
  const re = await Autotuner.open({ adapter: "test adapter", file, retune: true });
  assert.equal(re.choice("k"), undefined);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("autotune: saving merges with winners another process wrote meanwhile", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/a.json`;
  const a = await Autotuner.open({ adapter: "x", file });
  const b = await Autotuner.open({ adapter: "x", file });
  a.request("ka", () => trial([]));
  b.request("kb", () => trial([]));
  await a.tunePending(timing);
  await b.tunePending(timing);
  const c = await Autotuner.open({ adapter: "x", file });
  assert.equal(c.choice("ka"), "fast");
  assert.equal(c.choice("kb"), "fast");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("autotune: a corrupt or foreign cache is reported and ignored, then rewritten", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/a.json`;
  for (
    const body of [
      "{not json",
      JSON.stringify({
        format: "sdclr-webgpu-autotune/1",
        adapter: "other",
        entries: { k: { choice: "slow" } },
      }),
    ]
  ) {
    await Deno.writeTextFile(file, body);
    const warned: string[] = [];
    const t = await Autotuner.open({ adapter: "x", file, warn: (l) => warned.push(l) });
    assert.equal(warned.length, 1);
    assert.match(
      warned[0],
      /^autotune: ignoring .*a\.json: (unreadable JSON|written for another adapter)/,
    );
    assert.equal(t.choice("k"), undefined);
    t.request("k", () => trial([]));
    await t.tunePending(timing);
    assert.equal(JSON.parse(await Deno.readTextFile(file)).entries.k.choice, "fast");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("autotune: the cache file is per adapter, under SDCLR_TUNE_DIR or the user's cache", () => {
  assert.equal(
    tuneCacheFile("webgpu: llvmpipe (LLVM 15.0.6, 256 bits) [fallback adapter]", "/c"),
    "/c/webgpu-llvmpipe-llvm-15-0-6-256-bits-fallback-adapter.json",
  );
  const prev = Deno.env.get("SDCLR_TUNE_DIR");
  Deno.env.set("SDCLR_TUNE_DIR", "/tmp/tune-here");
  try {
    assert.equal(tuneCacheFile("NVIDIA H200"), "/tmp/tune-here/nvidia-h200.json");
  } finally {
    if (prev === undefined) Deno.env.delete("SDCLR_TUNE_DIR");
    else Deno.env.set("SDCLR_TUNE_DIR", prev);
  }
});
