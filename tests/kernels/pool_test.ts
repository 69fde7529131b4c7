import { engine, initEngine } from "../../core/engine.ts";
import { Tensor, tidy } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import { globalAvgPool, maxPool2d, maxPoolForward } from "../../kernels/pool/mod.ts";
import {
  globalAvgPoolBwdRef,
  globalAvgPoolRef,
  maxPoolBwdRef,
  maxPoolRef,
} from "../../kernels/pool/reference.ts";
import { assertClose, finiteDiff, randn } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

function assertEqualU32(label: string, ours: ArrayLike<number>, ref: ArrayLike<number>): void {
  for (let i = 0; i < ref.length; i++) {
    if (ours[i] !== ref[i]) throw new Error(`${label}[${i}]: ${ours[i]} ≠ ${ref[i]}`);
  }
}

Deno.test("pool: global average pool and max pool equal PyTorch (values, argmax, grads)", async () => {
  for (const c of loadGolden("pool")) {
    const t = c.tensors;
    const x = Tensor.from(t.x.data, t.x.shape, { requiresGrad: true });
    let y: Tensor;
    if (c.params.op === "avg") {
      y = globalAvgPool(x);
    } else {
      const [k, s, pad] = [c.params.k, c.params.s, c.params.pad] as number[];
      y = maxPool2d(x, { k, s, pad });
      const f = maxPoolForward(x, { k, s, pad });
      assertEqualU32(`${c.name} indices`, await f.indices.readU32(), t.indices.data);
      f.y.dispose();
      f.indices.dispose();
    }
    assertClose(`${c.name} y`, await y.read(), t.y.data);
    if (y.shape.join() !== t.y.shape.join()) throw new Error(`${c.name}: shape [${y.shape}]`);
    backward(y, Tensor.from(t.gy.data, t.gy.shape));
    assertClose(`${c.name} gx`, await x.grad!.read(), t.gx.data);
    x.dispose();
    y.dispose();
  }
});

Deno.test("pool: CPU references equal the goldens and agree with finite differences", () => {
  for (const c of loadGolden("pool")) {
    const t = c.tensors;
    const [N, C, H, W] = t.x.shape;
    if (c.params.op === "avg") {
      assertClose(`${c.name} y`, globalAvgPoolRef(t.x.data, N * C, H * W), t.y.data, { tol: 1e-6 });
      assertClose(`${c.name} gx`, globalAvgPoolBwdRef(t.gy.data, H * W), t.gx.data, { tol: 1e-6 });
    } else {
      const g = { planes: N * C, H, W, k: c.params.k, s: c.params.s, pad: c.params.pad } as {
        planes: number;
        H: number;
        W: number;
        k: number;
        s: number;
        pad: number;
      };
      const r = maxPoolRef(t.x.data, g);
      assertEqualU32(`${c.name} indices`, r.indices, t.indices.data);
      assertClose(`${c.name} gx`, maxPoolBwdRef(t.gy.data, r.indices, g), t.gx.data, { tol: 1e-6 });
    }
  }
  // Finite differences at a point without ties (distinct values keep max pool smooth there).
  const g = { planes: 2, H: 5, W: 6, k: 3, s: 2, pad: 1 };
  const x = Float64Array.from(randn(60, 11));
  const gyMax = Float64Array.from(randn(2 * 3 * 3, 12));
  const lossMax = (v: Float64Array) => maxPoolRef(v, g).y.reduce((s, y, i) => s + y * gyMax[i], 0);
  const idx = maxPoolRef(x, g).indices;
  assertClose("maxpool d/dx", maxPoolBwdRef(gyMax, idx, g), finiteDiff(lossMax, x), { tol: 1e-6 });
  const gyAvg = Float64Array.from(randn(2, 13));
  const lossAvg = (v: Float64Array) =>
    globalAvgPoolRef(v, 2, 30).reduce((s, y, i) => s + y * gyAvg[i], 0);
  assertClose("avgpool d/dx", globalAvgPoolBwdRef(gyAvg, 30), finiteDiff(lossAvg, x), {
    tol: 1e-6,
  });
});

Deno.test("pool: ImageNet stem shape, 1×1 planes, and no leaks", async () => {
  const before = engine().pool.liveCount;
  const shape = [2, 3, 16, 16];
  const xd = randn(2 * 3 * 256, 21);
  const x = Tensor.from(xd, shape, { requiresGrad: true });
  const gyd = randn(2 * 3 * 64, 22);
  tidy(() => {
    const y = maxPool2d(x);
    if (y.shape.join() !== "2,3,8,8") throw new Error(`maxpool output [${y.shape}]`);
    backward(y, Tensor.from(gyd, y.shape));
  });
  const g = { planes: 6, H: 16, W: 16, k: 3, s: 2, pad: 1 };
  const ref = maxPoolRef(xd, g);
  assertClose("stem gx", await x.grad!.read(), maxPoolBwdRef(gyd, ref.indices, g));
  const one = Tensor.from(randn(6, 23), [2, 3, 1, 1]);
  const avg = globalAvgPool(one);
  assertClose("avg of 1×1", await avg.read(), await one.read(), { tol: 0 });
  for (const t of [x, one, avg]) t.dispose();
  if (engine().pool.liveCount > before) {
    throw new Error(`leak: ${engine().pool.liveCount - before} buffers still live`);
  }
});
