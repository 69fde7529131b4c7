import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { formatProfile, profileStep } from "../../src/bench/profile.ts";

await initEngine({ quiet: true });

const tiny = { depth: 10 as const, width: 4, batchSize: 4, imageSize: 8 };

for (const forceTimed of [false, true]) {
  const how = forceTimed ? "timed submissions" : "timestamps";
  Deno.test(`profile (${how}): every dispatch of a step is attributed and timed`, async () => {
    const r = await profileStep({ ...tiny, method: "sdclr", loader: true }, {
      steps: 1,
      warmup: 1,
      forceTimed,
    });
    if (forceTimed) assert.equal(r.timing, "timed submissions");
    const calls = r.kernels.reduce((a, k) => a + k.calls, 0);
    assert.equal(calls, r.dispatchesPerStep, "profiled dispatches = plain step's dispatches");
    assert.deepEqual(
      r.byPhase.map((p) => p.name).sort(),
      ["backward", "forward", "loader", "optimizer"],
    );
    for (const f of ["conv2d", "batchnorm", "loss", "optim", "augment"]) {
      assert.ok(r.byFamily.some((x) => x.name === f), `family ${f} appears`);
    }
    assert.ok(r.gpuMs > 0 && r.wallMs > 0);
    const pct = r.byFamily.reduce((a, x) => a + x.pct, 0);
    assert.ok(Math.abs(pct - 100) < 1e-6, `family shares sum to ${pct}`);
    assert.ok(r.memory.peakBytes >= r.memory.steadyBytes && r.memory.steadyBytes > 0);
    const text = formatProfile(r, 5);
    assert.match(text, /GPU times from (timestamp-query|timed submissions)/);
    assert.match(text, /^backward +\d/m);
  });
}
