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
    if (forceTimed) {
      assert.equal(r.timing, "timed submissions");
      // Completion callbacks arrive in batches; the submit call's own time is each dispatch's
      // floor, so no kernel is timed as 0 (that once left a conv op without a rate).
      for (const k of r.kernels) assert.ok(k.ms > 0, `${k.kernel} ${k.shape}: ${k.ms} ms`);
    }
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
    // The engine is shared by the tests in this file: the first one compiles the step's kernels.
    assert.ok(r.compile.pipelines >= (forceTimed ? 0 : 10) && r.compile.ms >= 0);
    assert.match(formatProfile(r), /kernels compiled \(process\)\s+\d+ pipelines in [\d.]+ s/);
    const pct = r.byFamily.reduce((a, x) => a + x.pct, 0);
    assert.ok(Math.abs(pct - 100) < 1e-6, `family shares sum to ${pct}`);
    assert.ok(r.memory.peakBytes >= r.memory.steadyBytes && r.memory.steadyBytes > 0);
    // Every convolution pass is one op row with its shape and a GFLOP/s rate; the conv2d
    // family's time is exactly the conv ops' time (their relayouts and reductions included).
    const convOps = r.ops.filter((o) => o.op.startsWith("conv2d."));
    for (const pass of ["forward", "input_grad", "weight_grad"]) {
      assert.ok(convOps.some((o) => o.op === `conv2d.${pass}`), `conv2d.${pass} rows`);
    }
    for (const o of convOps) {
      assert.equal(o.unit, "GFLOP/s");
      assert.ok(o.rate! > 0 && /^x\[\d+,\d+,\d+,\d+\] w\[/.test(o.shape), o.shape);
    }
    const convMs = convOps.reduce((a, o) => a + o.ms, 0);
    const famMs = r.byFamily.find((x) => x.name === "conv2d")!.ms;
    assert.ok(Math.abs(convMs - famMs) <= 1e-9 * famMs + 1e-9, `${convMs} vs ${famMs}`);
    assert.ok(r.ops.some((o) => o.op === "batchnorm.backward" && o.unit === "GB/s"));
    assert.ok(r.kernels.some((k) => k.kernel === "matmul" && k.unit === "GFLOP/s"));
    const text = formatProfile(r, 5);
    assert.match(text, /^conv2d\.\w+ +(forward|backward) +\d/m);
    assert.match(text, /GPU times from (timestamp-query|timed submissions)/);
    assert.match(text, /^backward +\d/m);
  });
}
