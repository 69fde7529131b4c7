// The backward's ReLU mask recomputed from x (fma(x, a, b) > 0) must be the forward's y > 0
// exactly, also where x·a + b is zero or nearly: there a forward and a backward that rounded
// differently (fused or not), or compared differently (> against >=), disagree.
import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import {
  batchNormBackward,
  batchNormForward,
  BN_TUNING_SOFTWARE,
  type BnTuning,
  createBatchNorm,
} from "../../kernels/batchnorm/mod.ts";
import { assertClose, randn } from "../../core/testing.ts";

await initEngine({ quiet: true });

Deno.test("batchnorm: the ReLU mask from x equals the one from y, bit for bit, at the rounding edge", async () => {
  const [N, C, H, W] = [4, 2, 4, 4], n = N * C * H * W;
  // Channel c holds ±k_c in equal numbers (k = 3, 5): mean 0 and variance k² exactly, so
  // a = invstd and b = β; β = −fround(k·a) puts x = k at x·a + b = k·a − fround(k·a): zero
  // when rounded after the multiply (lavapipe's fma), the tiny residual when fused.
  const ks = [3, 5];
  const xd = new Float32Array(n).map((_, i) => {
    const c = Math.floor(i / (H * W)) % C;
    return (i % 2 ? 1 : -1) * ks[c];
  });
  const gy = Tensor.from(randn(n, 9), [N, C, H, W]);
  const x = Tensor.from(xd, [N, C, H, W]);
  const tunings: BnTuning[] = [BN_TUNING_SOFTWARE, { chunk: 16, wg: 0 }];
  let edges = 0;
  for (const tuning of tunings) {
    for (const textures of [false, true]) {
      const t = { ...tuning, textures };
      const bn = createBatchNorm(C);
      const probe = batchNormForward(x, bn, { training: true, relu: true, tuning: t });
      const stats = await probe.stats.read();
      const bias = ks.map((k, c) => -Math.fround(k * stats[C + c]));
      bn.bias.dispose();
      bn.bias = Tensor.from(bias, [C]);
      const f = batchNormForward(x, bn, { training: true, relu: true, tuning: t });
      const common = {
        gy,
        x,
        weight: bn.weight,
        stats: f.stats,
        y: f.y,
        geom: f.geom,
        training: true,
        relu: true,
        needs: { x: true, weight: true, bias: true },
      };
      // The elements x = +k sit at the edge: y there is 0 or the residual.
      const y = await f.y.read();
      edges += xd.filter((v, i) => v > 0 && y[i] < 1e-6).length;
      const fromY = batchNormBackward(common);
      const fromX = batchNormBackward({ ...common, bias: bn.bias });
      for (const [j, name] of ["gx", "gγ", "gβ"].entries()) {
        const label = `${JSON.stringify(t)} ${name}`;
        assertClose(label, await fromX[j]!.read(), await fromY[j]!.read(), { tol: 0 });
      }
      for (const v of [probe.y, probe.stats, f.y, f.stats, ...fromY, ...fromX]) v?.dispose();
      for (const v of [bn.weight, bn.bias, bn.runningMean, bn.runningVar]) v.dispose();
    }
  }
  if (edges !== 4 * n / 2) throw new Error(`${edges} of ${2 * n} elements at the edge`);
  x.dispose();
  gy.dispose();
});
