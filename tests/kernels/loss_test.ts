import { engine, initEngine } from "../../core/engine.ts";
import { Tensor, tidy } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import { noGrad } from "../../core/tape.ts";
import { detach } from "../../kernels/elementwise/mod.ts";
import {
  AccuracyCounter,
  argmaxRows,
  countCorrect,
  crossEntropy,
  ntXent,
  ntXentWithSamples,
} from "../../kernels/loss/mod.ts";
import { invTemperature } from "../../kernels/loss/ntxent.ts";
import {
  accuracyRef,
  argmaxRowsRef,
  crossEntropyRef,
  ntXentRef,
} from "../../kernels/loss/reference.ts";
import { assertClose, finiteDiff, randn, seededRandom } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

const ntCases = () => loadGolden("loss").filter((c) => c.name.startsWith("ntxent_"));

Deno.test("ntXent: symmetric SimCLR form equals PyTorch (loss, ∂z1, ∂z2)", async () => {
  const cases = ntCases();
  if (cases.length !== 4) throw new Error("ntxent fixtures missing");
  for (const c of cases) {
    const t = c.tensors, temp = c.params.temperature as number;
    const z1 = Tensor.from(t.z1.data, t.z1.shape, { requiresGrad: true });
    const z2 = Tensor.from(t.z2.data, t.z2.shape, { requiresGrad: true });
    const loss = ntXent(z1, z2, temp);
    assertClose(`${c.name} loss`, await loss.read(), t.loss.data);
    backward(loss, Tensor.fill([1], c.params.gy as number));
    assertClose(`${c.name} g1`, await z1.grad!.read(), t.g1.data);
    assertClose(`${c.name} g2`, await z2.grad!.read(), t.g2.data);
    for (const x of [z1, z2, loss]) x.dispose();
  }
});

Deno.test("ntXent: SDCLR one-sided forms equal PyTorch with the other view detached", async () => {
  for (const c of ntCases()) {
    const t = c.tensors, temp = c.params.temperature as number, gy = c.params.gy as number;
    // L1 = NT-Xent(f1, stop_grad(f2)): only f1 gets a gradient, through all 2B rows.
    const f1 = Tensor.from(t.z1.data, t.z1.shape, { requiresGrad: true });
    const f2 = Tensor.from(t.z2.data, t.z2.shape, { requiresGrad: true });
    const l1 = ntXent(f1, detach(f2), temp);
    assertClose(`${c.name} L1`, await l1.read(), t.loss.data);
    backward(l1, Tensor.fill([1], gy));
    assertClose(`${c.name} g1_only`, await f1.grad!.read(), t.g1_only.data);
    if (f2.grad) throw new Error("stop_grad view received a gradient");
    // L2 = NT-Xent(stop_grad(f1), f2)
    const f1d = tidy(() => detach(f1));
    const l2 = ntXent(f1d, f2, temp);
    backward(l2, Tensor.fill([1], gy));
    assertClose(`${c.name} g2_only`, await f2.grad!.read(), t.g2_only.data);
    for (const x of [f1, f2, f1d, l1, l2]) x.dispose();
  }
});

Deno.test("ntXent: CPU reference agrees with finite differences in both views", () => {
  const [b, d, t] = [3, 4, 0.3];
  const z1 = Float64Array.from(randn(b * d, 21, 1.5)), z2 = Float64Array.from(randn(b * d, 22));
  const ref = ntXentRef(z1, z2, { b, d, t });
  // ∂/∂z1 with z2 held fixed is the gradient of ntXent(z1, stop_grad(z2)), and vice versa.
  const fd1 = finiteDiff((v) => ntXentRef(v, z2, { b, d, t }).loss, z1.slice());
  const fd2 = finiteDiff((v) => ntXentRef(z1, v, { b, d, t }).loss, z2.slice());
  assertClose("∂L/∂z1", ref.g1, fd1, { tol: 1e-6 });
  assertClose("∂L/∂z2", ref.g2, fd2, { tol: 1e-6 });
});

Deno.test("ntXent: stable at a tiny temperature (|S| up to 200) and B = 64", async () => {
  const [b, d, t] = [64, 32, 0.005];
  const a = randn(b * d, 31), c = randn(b * d, 32);
  const z1 = Tensor.from(a, [b, d], { requiresGrad: true }), z2 = Tensor.from(c, [b, d]);
  const loss = ntXent(z1, z2, t);
  const ref = ntXentRef(a, c, { b, d, t });
  const got = await loss.read();
  if (!Number.isFinite(got[0])) throw new Error(`loss is ${got[0]}`);
  assertClose("loss", got, [ref.loss]);
  backward(loss);
  assertClose("g1", await z1.grad!.read(), ref.g1);
  for (const x of [z1, z2, loss]) x.dispose();
});

Deno.test("ntXent: no tape without grad; backward frees its saved buffers", async () => {
  const a = randn(40, 41), c = randn(40, 42);
  const z1 = Tensor.from(a, [8, 5], { requiresGrad: true });
  const z2 = Tensor.from(c, [8, 5], { requiresGrad: true });
  const before = engine().pool.liveCount;
  const l = noGrad(() => ntXent(z1, z2, 0.5));
  if (l.node !== null || l.requiresGrad) throw new Error("recorded under noGrad");
  l.dispose();
  if (engine().pool.liveCount !== before) throw new Error("noGrad forward leaked");
  tidy(() => backward(ntXent(z1, z2, 0.5)));
  const ref = ntXentRef(a, c, { b: 8, d: 5, t: 0.5 });
  assertClose("g1", await z1.grad!.read(), ref.g1);
  assertClose("g2", await z2.grad!.read(), ref.g2);
  for (const z of [z1, z2]) {
    z.grad!.dispose();
    z.grad = null;
  }
  if (engine().pool.liveCount > before) {
    throw new Error(`leak: ${engine().pool.liveCount - before} buffers`);
  }
  z1.dispose();
  z2.dispose();
});

Deno.test("crossEntropy: loss and ∂logits equal PyTorch", async () => {
  const cases = loadGolden("loss").filter((c) => c.name.startsWith("cross_entropy_"));
  if (cases.length !== 3) throw new Error("cross-entropy fixtures missing");
  for (const c of cases) {
    const t = c.tensors;
    const x = Tensor.from(t.logits.data, t.logits.shape, { requiresGrad: true });
    const y = Tensor.from(Uint32Array.from(t.labels.data), [t.labels.shape[0]]);
    const loss = crossEntropy(x, y);
    assertClose(`${c.name} loss`, await loss.read(), t.loss.data);
    backward(loss, Tensor.fill([1], c.params.gy as number));
    assertClose(`${c.name} gx`, await x.grad!.read(), t.gx.data);
    for (const z of [x, y, loss]) z.dispose();
  }
});

Deno.test("crossEntropy: CPU reference agrees with finite differences", () => {
  const [n, c] = [4, 5];
  const x = Float64Array.from(randn(n * c, 51, 2));
  const labels = [0, 4, 2, 2];
  const fd = finiteDiff((v) => crossEntropyRef(v, labels, { n, c }).loss, x.slice());
  assertClose("∂L/∂logits", crossEntropyRef(x, labels, { n, c }).grad, fd, { tol: 1e-6 });
});

Deno.test("accuracy: per-class correct counts accumulate on the GPU and reset", async () => {
  const [n, c] = [50, 7];
  const r = seededRandom(61);
  const logits = randn(n * c, 62);
  const labels = Uint32Array.from({ length: n }, () => Math.floor(r.uniform() * c));
  // Make some rows certainly right so the check is not vacuous.
  for (let i = 0; i < n; i += 3) logits[i * c + labels[i]] = 10;
  const x = Tensor.from(logits, [n, c]), y = Tensor.from(labels, [n]);
  const want = accuracyRef(logits, labels, { n, c });
  const one = await countCorrect(x, y);
  assertClose("per-class correct", one.perClassCorrect, want.perClassCorrect, { tol: 0 });
  assertClose("per-class total", one.perClassTotal, want.perClassTotal, { tol: 0 });
  if (one.total !== n || one.correct < Math.ceil(n / 3)) throw new Error(JSON.stringify(one));
  const acc = new AccuracyCounter(c);
  acc.add(x, y);
  acc.add(x, y);
  const two = await acc.read();
  if (two.correct !== 2 * one.correct || two.total !== 2 * n) throw new Error("no accumulation");
  acc.reset();
  acc.add(x, y);
  if ((await acc.read()).correct !== one.correct) throw new Error("reset did not clear");
  acc.dispose();
  x.dispose();
  y.dispose();
});

Deno.test("argmaxRows: first maximum per row, NaN never wins, at odd shapes", async () => {
  for (const [n, c] of [[1, 1], [3, 2], [65, 7], [257, 1000], [1000, 3]]) {
    // Halves give tied maxima; NaNs land first, last and in between.
    const x = randn(n * c, 7 * n + c).map((v) => Math.round(2 * v) / 2);
    for (let i = 0; i < n; i += 5) x[i * c + (i % 3 === 0 ? 0 : (i * 13) % c)] = NaN;
    const t = Tensor.from(x, [n, c]);
    const pred = argmaxRows(t);
    assertClose(`N${n} C${c}`, await pred.readU32(), argmaxRowsRef(x, n, c), { tol: 0 });
    t.dispose();
    pred.dispose();
  }
  // Hand-made rows: ties, a leading NaN, all NaN, −∞.
  const x = new Float32Array([1, 3, 3, NaN, 1, 2, 1, NaN, 2, NaN, NaN, NaN, -Infinity, -5, -5]);
  const t = Tensor.from(x, [5, 3]), pred = argmaxRows(t);
  assertClose("hand", await pred.readU32(), [1, 2, 2, 0, 1], { tol: 0 });
  assertClose("reference", argmaxRowsRef(x, 5, 3), [1, 2, 2, 0, 1], { tol: 0 });
  t.dispose();
  pred.dispose();
});

Deno.test("argmaxRows: more than 65535 workgroups of rows (2-D grid)", async () => {
  const n = 65535 * 64 + 70, c = 2;
  // Row i picks column (i >> 3) & 1, so neighbouring workgroups differ.
  const x = new Float32Array(n * c);
  for (let i = 0; i < n; i++) x[i * c + ((i >> 3) & 1)] = 1;
  const t = Tensor.from(x, [n, c]), pred = argmaxRows(t);
  const got = await pred.readU32();
  for (let i = 0; i < n; i++) {
    if (got[i] !== ((i >> 3) & 1)) throw new Error(`row ${i}: ${got[i]}`);
  }
  t.dispose();
  pred.dispose();
});

Deno.test("ntXentWithSamples: per-sample losses equal PyTorch's rows (i, i+B) averaged; their mean is the loss", async () => {
  for (const c of ntCases()) {
    const t = c.tensors, temp = c.params.temperature as number;
    const z1 = Tensor.from(t.z1.data, t.z1.shape, { requiresGrad: true });
    const z2 = Tensor.from(t.z2.data, t.z2.shape);
    const { loss, samples } = ntXentWithSamples(z1, detach(z2), temp);
    const got = await samples.read();
    assertClose(`${c.name} samples`, got, t.samples.data);
    const mean = got.reduce((a, v) => a + v, 0) / got.length;
    assertClose(`${c.name} mean of samples`, [mean], await loss.read());
    assertClose(`${c.name} loss`, await loss.read(), t.loss.data);
    // The per-sample output leaves the gradient as it was.
    backward(loss, Tensor.fill([1], c.params.gy as number));
    assertClose(`${c.name} g1_only`, await z1.grad!.read(), t.g1_only.data);
    for (const x of [z1, z2, loss, samples]) x.dispose();
  }
});

Deno.test("ntXent: a changing temperature rewrites one buffer, no new uniform or pipeline per value", async () => {
  const a = randn(4 * 8, 3), c = randn(4 * 8, 4);
  const z1 = Tensor.from(a, [4, 8]), z2 = Tensor.from(c, [4, 8]);
  const e = engine();
  // Warm-up: compile the kernels and create the uniforms of this shape.
  noGrad(() => ntXent(z1, z2, 0.3)).dispose();
  const kernels = e.compiledKernels().length;
  const bufBefore = invTemperature(0.3);
  const create = e.device.createBuffer.bind(e.device);
  let uniforms = 0;
  e.device.createBuffer = (d: GPUBufferDescriptor) => {
    if (d.usage & GPUBufferUsage.UNIFORM) uniforms++;
    return create(d);
  };
  try {
    for (const t of [0.1, 0.25, 0.7, 1.0, 0.1]) {
      const l = noGrad(() => ntXent(z1, z2, t));
      assertClose(`t ${t}`, await l.read(), [ntXentRef(a, c, { b: 4, d: 8, t }).loss]);
      l.dispose();
    }
  } finally {
    e.device.createBuffer = create;
  }
  if (uniforms !== 0) throw new Error(`${uniforms} uniform buffers made for new temperatures`);
  if (e.compiledKernels().length !== kernels) throw new Error("a new pipeline per temperature");
  if (invTemperature(1.0) !== bufBefore) throw new Error("a new 1/t buffer per temperature");
  z1.dispose();
  z2.dispose();
});
