import { engine, initEngine } from "../../src/gpu/engine.ts";
import { Tensor, tidy } from "../../src/autodiff/tensor.ts";
import { backward } from "../../src/autodiff/backward.ts";
import { add, relu, scale, sliceRows } from "../../kernels/elementwise/mod.ts";
import { addRef, reluBwdRef, reluRef, scaleRef } from "../../kernels/elementwise/reference.ts";
import { assertClose, finiteDiff } from "../../src/testing/compare.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

Deno.test("elementwise: relu(x + b)·α forward and backward equal PyTorch", async () => {
  for (const c of loadGolden("elementwise")) {
    const t = c.tensors;
    const x = Tensor.from(t.x.data, t.x.shape, { requiresGrad: true });
    const b = Tensor.from(t.b.data, t.b.shape, { requiresGrad: true });
    const y = scale(relu(add(x, b)), c.params.alpha as number);
    assertClose(`${c.name} y`, await y.read(), t.y.data);
    backward(y, Tensor.from(t.gy.data, t.gy.shape));
    assertClose(`${c.name} gx`, await x.grad!.read(), t.gx.data);
    assertClose(`${c.name} gb`, await b.grad!.read(), t.gb.data);
    for (const z of [x, b, y]) z.dispose();
  }
});

Deno.test("elementwise: CPU references agree with finite differences", () => {
  const x = Float64Array.from([-1.3, 0.4, 2.2, -0.1, 0.9]);
  const gy = Float64Array.from([0.3, -1.1, 0.7, 2.0, -0.4]);
  const f = (v: Float64Array) =>
    reluRef(scaleRef(addRef(v, x), 0.5)).reduce((s, y, i) => s + y * gy[i], 0);
  const fd = finiteDiff(f, Float64Array.from(x));
  const y = reluRef(addRef(x, x));
  const analytic = scaleRef(reluBwdRef(gy, y), 0.5);
  assertClose("d/dx", analytic, fd, 1e-6);
});

Deno.test("autodiff: two backward passes accumulate into .grad; tidy releases memory", async () => {
  const x = Tensor.from([1, -2, 3, -4], [4], { requiresGrad: true });
  const before = engine().pool.liveCount;
  tidy(() => {
    backward(relu(scale(x, 2)));
    backward(scale(x, 3));
  });
  // d/dx relu(2x) = 2·[x>0]; d/dx 3x = 3
  assertClose("grad", await x.grad!.read(), [5, 3, 5, 3], 0);
  x.grad!.dispose();
  x.grad = null;
  if (engine().pool.liveCount > before) {
    throw new Error(`leak: ${engine().pool.liveCount - before} buffers still live`);
  }
  x.dispose();
});

Deno.test("sliceRows: forward copies rows; backward scatters into a zeroed gradient", async () => {
  const x = Tensor.from(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3], {
    requiresGrad: true,
  });
  tidy(() => {
    const top = sliceRows(x, 0, 2);
    const bottom = sliceRows(x, 2, 2);
    backward(add(scale(top, 2), scale(bottom, -1)));
  });
  const y = sliceRows(x, 1, 2);
  assertClose("rows 1..2", await y.read(), [3, 4, 5, 6, 7, 8], 0);
  assertClose("grad", await x.grad!.read(), [2, 2, 2, 2, 2, 2, -1, -1, -1, -1, -1, -1], 0);
  for (const t of [x, y]) t.dispose();
});
