/**
 * `deno task kernels check` inside the test suite: every kernel of every family against its
 * CPU f64 reference (quick mode: the small shapes), so a broken kernel or reference fails CI
 * even where no PyTorch golden covers it.
 */
import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { allKernels } from "../../kernels/registry.ts";

await initEngine({ quiet: true });

const families = [...new Set(allKernels.map((k) => k.family))];

for (const family of families) {
  Deno.test(`kernels check (quick): ${family} matches its CPU reference`, async () => {
    for (const k of allKernels.filter((k) => k.family === family)) {
      const rows = await k.check({ quick: true });
      assert.ok(rows.length > 0, `${k.name}: no check rows`);
      for (const r of rows) {
        assert.ok(
          r.maxRel <= r.tol,
          `${k.name} ${r.shape}: max rel error ${r.maxRel.toExponential(2)} > ${r.tol}`,
        );
      }
    }
  });
}
