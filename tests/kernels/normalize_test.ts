import { engine, initEngine } from "../../core/engine.ts";
import { Tensor, tidy } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  l2Normalize,
  normalizeChannels,
} from "../../kernels/normalize/mod.ts";
import {
  l2NormalizeBwdRef,
  l2NormalizeRef,
  normalizeChannelsBwdRef,
  normalizeChannelsRef,
} from "../../kernels/normalize/reference.ts";
import { assertClose, finiteDiff, randn } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

Deno.test("normalize: channel normalisation and F.normalize equal PyTorch (fwd and bwd)", async () => {
  for (const c of loadGolden("normalize")) {
    const t = c.tensors;
    const chan = c.params.op === "channels";
    const [inName, outName, gName, gxName] = chan ? ["x", "y", "gy", "gx"] : ["z", "u", "gu", "gz"];
    const x = Tensor.from(t[inName].data, t[inName].shape, { requiresGrad: true });
    const y = chan ? normalizeChannels(x) : l2Normalize(x);
    assertClose(`${c.name} ${outName}`, await y.read(), t[outName].data);
    backward(y, Tensor.from(t[gName].data, t[gName].shape));
    assertClose(`${c.name} ${gxName}`, await x.grad!.read(), t[gxName].data);
    x.dispose();
    y.dispose();
  }
});

Deno.test("normalize: CPU references equal the goldens and agree with finite differences", () => {
  for (const c of loadGolden("normalize")) {
    const t = c.tensors;
    if (c.params.op === "channels") {
      const [, C, H, W] = t.x.shape;
      const consts = { C, HW: H * W, mean: IMAGENET_MEAN, std: IMAGENET_STD };
      const y = normalizeChannelsRef(t.x.data, consts);
      assertClose(`${c.name} y`, y, t.y.data, { tol: 1e-6 });
      const gx = normalizeChannelsBwdRef(t.gy.data, consts);
      assertClose(`${c.name} gx`, gx, t.gx.data, { tol: 1e-6 });
    } else {
      const [N, d] = t.z.shape;
      assertClose(`${c.name} u`, l2NormalizeRef(t.z.data, { N, d }).u, t.u.data, { tol: 1e-6 });
      assertClose(`${c.name} gz`, l2NormalizeBwdRef(t.gu.data, t.z.data, { N, d }), t.gz.data, {
        tol: 1e-6,
      });
    }
  }
  const N = 3, d = 5;
  const z = Float64Array.from(randn(N * d, 31)), gu = Float64Array.from(randn(N * d, 32));
  const lossL2 = (v: Float64Array) =>
    l2NormalizeRef(v, { N, d }).u.reduce((s, u, i) => s + u * gu[i], 0);
  assertClose("l2 d/dz", l2NormalizeBwdRef(gu, z, { N, d }), finiteDiff(lossL2, z), { tol: 1e-6 });
  const x = Float64Array.from(randn(2 * 3 * 4, 33)), gy = Float64Array.from(randn(24, 34));
  const lossChan = (v: Float64Array) =>
    normalizeChannelsRef(v, { C: 3, HW: 4, mean: IMAGENET_MEAN, std: IMAGENET_STD }).reduce(
      (s, y, i) => s + y * gy[i],
      0,
    );
  const gxRef = normalizeChannelsBwdRef(gy, { C: 3, HW: 4, std: IMAGENET_STD });
  assertClose("channels d/dx", gxRef, finiteDiff(lossChan, x), { tol: 1e-6 });
});

Deno.test("normalize: custom constants, odd widths, no leaks", async () => {
  const before = engine().pool.liveCount;
  const shape = [3, 2, 3, 3];
  const xd = randn(54, 41);
  const mean = [0.1, -0.2], std = [0.5, 2];
  const x = Tensor.from(xd, shape, { requiresGrad: true });
  const gyd = randn(54, 42);
  const y = normalizeChannels(x, mean, std);
  assertClose("custom y", await y.read(), normalizeChannelsRef(xd, { C: 2, HW: 9, mean, std }));
  tidy(() => backward(y, Tensor.from(gyd, shape)));
  assertClose(
    "custom gx",
    await x.grad!.read(),
    normalizeChannelsBwdRef(gyd, { C: 2, HW: 9, std }),
  );
  // d = 70 > 64 invocations: several values per invocation, scalar path.
  const zd = randn(7 * 70, 43), gud = randn(7 * 70, 44);
  const z = Tensor.from(zd, [7, 70], { requiresGrad: true });
  tidy(() => backward(l2Normalize(z), Tensor.from(gud, [7, 70])));
  assertClose("l2 d=70 gz", await z.grad!.read(), l2NormalizeBwdRef(gud, zd, { N: 7, d: 70 }));
  for (const t of [x, y, z]) t.dispose();
  // The constants buffer is cached for the process: one live buffer per (mean, std) pair.
  if (engine().pool.liveCount > before + 1) {
    throw new Error(`leak: ${engine().pool.liveCount - before} buffers still live`);
  }
});
