import assert from "node:assert/strict";
import { engine, initEngine } from "../../core/engine.ts";
import { makeStepRunner } from "../../src/bench/step_runner.ts";

await initEngine({ quiet: true });

Deno.test("GPU memory stays flat over 1,000 SDCLR steps (buffer and texture pools, loader included)", async () => {
  const e = engine();
  const runner = await makeStepRunner({
    method: "sdclr",
    depth: 10,
    width: 4,
    batchSize: 8,
    imageSize: 8,
    loader: true,
  });
  try {
    const held = () => ({
      buffers: e.pool.liveBytes + e.pool.idleBytes,
      textures: e.textures.liveBytes + e.textures.idleBytes,
      texturesCreated: e.textures.created,
    });
    for (let i = 0; i < 10; i++) await runner.step();
    await e.sync();
    const base = held();
    const seen = [];
    for (let i = 1; i <= 1000; i++) {
      await runner.step();
      if (i % 100 === 0) {
        await e.sync();
        seen.push(held());
      }
    }
    for (const [k, s] of seen.entries()) {
      assert.deepEqual(s, base, `after ${100 * (k + 1)} more steps: ${JSON.stringify(s)}`);
    }
    assert.ok(base.buffers > 0);
  } finally {
    runner.dispose();
  }
});
