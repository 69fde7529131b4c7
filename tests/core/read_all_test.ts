import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { readAll, Tensor } from "../../core/tensor.ts";

await initEngine({ quiet: true });

Deno.test("readAll: several tensors in one round trip equal their own reads", async () => {
  const shapes = [[3], [2, 5], [1], [4, 4, 3]];
  const ts = shapes.map((s, k) => {
    const n = s.reduce((a, b) => a * b, 1);
    return Tensor.from(Float32Array.from({ length: n }, (_, i) => k * 1000 + i * 0.5 - 7), s);
  });
  const all = await readAll(ts);
  assert.equal(all.length, ts.length);
  for (const [i, t] of ts.entries()) assert.deepEqual(all[i], await t.read());
  assert.deepEqual(await readAll([]), []);
  for (const t of ts) t.dispose();
});
