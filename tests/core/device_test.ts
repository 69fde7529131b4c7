// The llvmpipe defaults: two threads per core and, on AVX-512 CPUs, 512-bit vectors, unless the
// user set either.
import assert from "node:assert/strict";
import { llvmpipeThreads, llvmpipeVectorWidth } from "../../core/device.ts";
import { initEngine } from "../../core/engine.ts";

// What the environment held before any test here acquired the GPU (the first acquire sets both).
const startThreads = Deno.env.get("LP_NUM_THREADS");
const startWidth = Deno.env.get("LP_NATIVE_VECTOR_WIDTH");

Deno.test("device: llvmpipe gets two threads per core, a user's LP_NUM_THREADS wins", () => {
  assert.equal(llvmpipeThreads(undefined, 2), "4");
  assert.equal(llvmpipeThreads("", 16), "32");
  assert.equal(llvmpipeThreads(undefined, 0), "2");
  assert.equal(llvmpipeThreads("3", 2), null);
});

Deno.test("device: acquiring the GPU sets LP_NUM_THREADS before the driver starts", async () => {
  await initEngine({ quiet: true });
  const want = startThreads || String(2 * navigator.hardwareConcurrency);
  assert.equal(Deno.env.get("LP_NUM_THREADS"), want);
});

Deno.test("device: llvmpipe gets 512-bit vectors where the CPU has avx512f, a user's width wins", () => {
  assert.equal(llvmpipeVectorWidth(undefined, " fpu sse2 avx2 avx512f avx512dq"), "512");
  assert.equal(llvmpipeVectorWidth("", "avx512f"), "512");
  // avx512vl alone (or a longer flag that starts with avx512f) is not avx512f.
  assert.equal(llvmpipeVectorWidth(undefined, " avx2 avx512vl avx512fp16x"), null);
  assert.equal(llvmpipeVectorWidth(undefined, ""), null);
  assert.equal(llvmpipeVectorWidth("256", " avx512f"), null);
});

Deno.test("device: acquiring the GPU sets the vector width by the CPU's flags", async () => {
  await initEngine({ quiet: true });
  let flags = "";
  try {
    flags = /^flags\s*:(.*)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "";
  } catch { /* no /proc: no flags */ }
  const want = startWidth || (flags.split(/\s+/).includes("avx512f") ? "512" : undefined);
  assert.equal(Deno.env.get("LP_NATIVE_VECTOR_WIDTH"), want);
});
