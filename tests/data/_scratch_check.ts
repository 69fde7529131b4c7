import { initEngine } from "../../src/gpu/engine.ts";
import { augmentKernels } from "../../kernels/augment/check.ts";
await initEngine({ quiet: true });
for (const k of augmentKernels) {
  const t0 = performance.now();
  for (const r of await k.check()) console.log(k.name, r.shape, r.maxAbs.toExponential(2), r.maxRel.toExponential(2));
  console.log("  ", (performance.now() - t0).toFixed(0), "ms");
}
