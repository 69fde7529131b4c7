import { engine, initEngine } from "../../core/engine.ts";
import { Tensor, tidy } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import { add, gatherRowsInto, relu, scale, sliceRows } from "../../kernels/elementwise/mod.ts";
import {
  addRef,
  gatherRowsRef,
  reluBwdRef,
  reluRef,
  scaleRef,
} from "../../kernels/elementwise/reference.ts";
import { assertClose, finiteDiff, randn, seededRandom } from "../../core/testing.ts";
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
  assertClose("d/dx", analytic, fd, { tol: 1e-6 });
});

Deno.test("autodiff: two backward passes accumulate into .grad; tidy releases memory", async () => {
  const x = Tensor.from([1, -2, 3, -4], [4], { requiresGrad: true });
  const before = engine().pool.liveCount;
  tidy(() => {
    backward(relu(scale(x, 2)));
    backward(scale(x, 3));
  });
  // d/dx relu(2x) = 2·[x>0]; d/dx 3x = 3
  assertClose("grad", await x.grad!.read(), [5, 3, 5, 3], { tol: 0 });
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
  assertClose("rows 1..2", await y.read(), [3, 4, 5, 6, 7, 8], { tol: 0 });
  assertClose("grad", await x.grad!.read(), [2, 2, 2, 2, 2, 2, -1, -1, -1, -1, -1, -1], { tol: 0 });
  for (const t of [x, y]) t.dispose();
});

Deno.test("gatherRowsInto: equals the reference for chunked sources at odd shapes", async () => {
  // [source rows, row shape, gathered rows, perm offset, rows per chunk]
  const cases: [number, number[], number, number, number][] = [
    [1, [1], 1, 0, 1],
    [9, [5], 13, 3, 2],
    [300, [3, 7], 101, 0, 77],
    [2049, [17], 4099, 5, 1000],
  ];
  for (const [n, rowShape, rows, offset, chunk] of cases) {
    const dim = rowShape.reduce((a, b) => a * b, 1);
    const src = randn(n * dim, 3 * n + dim);
    const r = seededRandom(n + rows);
    // Indices up to n + 1: some fall past the source and must leave their rows alone.
    const perm = Uint32Array.from(
      { length: offset + rows + 2 },
      () => Math.floor(r.uniform() * (n + 2)),
    );
    const init = randn(rows * dim, rows + 1);
    const out = Tensor.from(init, [rows, ...rowShape]), tp = Tensor.from(perm, [perm.length]);
    let want: Float64Array = Float64Array.from(init);
    for (let s = 0; s < n; s += chunk) {
      const part = src.subarray(s * dim, Math.min(n, s + chunk) * dim);
      const tc = Tensor.from(part, [part.length / dim, ...rowShape]);
      gatherRowsInto(out, tc, tp, { permOffset: offset, srcStart: s });
      want = gatherRowsRef(want, part, perm, { rows, dim, permOffset: offset, srcStart: s });
      tc.dispose();
    }
    assertClose(`n${n} dim${dim} rows${rows}`, await out.read(), want, { tol: 0 });
    if (n > 1 && want.every((v, i) => v === init[i])) throw new Error("nothing was gathered");
    for (const t of [out, tp]) t.dispose();
  }
});

Deno.test("gatherRowsInto: rejects mismatched rows and a short index list", () => {
  const src = Tensor.from(new Float32Array(12), [4, 3]);
  const out = Tensor.empty([2, 3]), bad = Tensor.empty([2, 4]);
  const perm = Tensor.from(new Uint32Array([0, 1, 2]), [3]);
  const fperm = Tensor.from(new Float32Array(3), [3]);
  assertThrows(() => gatherRowsInto(bad, src, perm), /must be f32 of the same size/);
  assertThrows(() => gatherRowsInto(out, src, perm, { permOffset: 2 }), /≥ 4 entries/);
  assertThrows(() => gatherRowsInto(out, src, fperm), /perm must be u32/);
  for (const t of [src, out, bad, perm, fperm]) t.dispose();
});

function assertThrows(f: () => void, pattern: RegExp): void {
  try {
    f();
  } catch (e) {
    if (!pattern.test(String(e))) throw new Error(`wrong error: ${e}`);
    return;
  }
  throw new Error(`no error; expected ${pattern}`);
}
