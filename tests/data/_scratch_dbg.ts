import { initEngine } from "../../src/gpu/engine.ts";
import { caseBatch, compareBatch } from "../../kernels/augment/check.ts";
import { recipe } from "../../src/data/augment_params.ts";
await initEngine({ quiet: true });
const r = recipe("cifar");
const b = caseBatch(r, [[32, 32, 3], [28, 28, 1], [13, 17, 3], [19, 9, 3]], 32 * 7 + 32);
const res = await compareBatch(b.images, b.views, 32, 32);
const plane = 3 * 1024;
b.views.forEach((v, i) => {
  let m = 0, at = -1;
  for (let j = 0; j < plane; j++) { const d = Math.abs(res.gpu[i * plane + j] - res.ref[i * plane + j]); if (d > m) { m = d; at = j; } }
  if (m > 1e-4) console.log(i, m.toExponential(2), "at", at, "c", Math.floor(at / 1024), "y", Math.floor((at % 1024) / 32), "x", at % 32, JSON.stringify({ ...v.view }));
});
