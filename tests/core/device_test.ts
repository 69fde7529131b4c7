// The LP_NUM_THREADS default for llvmpipe: two threads per core unless the user set one.
import assert from "node:assert/strict";
import { llvmpipeThreads } from "../../core/device.ts";
import { initEngine } from "../../core/engine.ts";

Deno.test("device: llvmpipe gets two threads per core, a user's LP_NUM_THREADS wins", () => {
  assert.equal(llvmpipeThreads(undefined, 2), "4");
  assert.equal(llvmpipeThreads("", 16), "32");
  assert.equal(llvmpipeThreads(undefined, 0), "2");
  assert.equal(llvmpipeThreads("3", 2), null);
});

Deno.test("device: acquiring the GPU sets LP_NUM_THREADS before the driver starts", async () => {
  const before = Deno.env.get("LP_NUM_THREADS");
  await initEngine({ quiet: true });
  const want = before || String(2 * navigator.hardwareConcurrency);
  assert.equal(Deno.env.get("LP_NUM_THREADS"), want);
});
