import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { Sgd } from "../../kernels/optim/mod.ts";
import { sgdRef } from "../../kernels/optim/reference.ts";
import { assertClose, randn } from "../../core/testing.ts";
import { type GoldenCase, loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

function setGrad(p: Tensor, g: Float32Array | null): void {
  p.grad?.dispose();
  p.grad = g ? Tensor.from(g, p.shape).keep() : null;
}

async function replay(c: GoldenCase, sgd: Sgd, params: Tensor[], from = 0): Promise<void> {
  const lrs = c.params.lrs as number[];
  for (let s = from; s < lrs.length; s++) {
    params.forEach((p, i) => setGrad(p, c.tensors[`g${s}_${i}`]?.data ?? null));
    sgd.step(lrs[s]);
    const bufs = sgd.momentumBuffers();
    for (const [i, p] of params.entries()) {
      assertClose(
        `${c.name} step ${s + 1} p${i}`,
        await p.read(),
        c.tensors[`p${s + 1}_${i}`].data,
      );
      const want = c.tensors[`buf${s + 1}_${i}`];
      if (want) assertClose(`${c.name} step ${s + 1} buf${i}`, await bufs[i]!.read(), want.data);
      else if (bufs[i]) throw new Error(`${c.name}: p${i} has a momentum buffer PyTorch lacks`);
    }
  }
}

Deno.test("Sgd: three steps equal torch.optim.SGD (momentum, wd, lr per step, skipped grad)", async () => {
  const cases = loadGolden("optim");
  if (cases.length !== 3) throw new Error("optim fixtures missing");
  for (const c of cases) {
    const n = c.params.count as number;
    const params = Array.from({ length: n }, (_, i) => {
      const t = c.tensors[`p0_${i}`];
      return Tensor.from(t.data, t.shape, { requiresGrad: true });
    });
    const sgd = new Sgd(params, {
      momentum: c.params.momentum as number,
      weightDecay: c.params.weightDecay as number,
    });
    await replay(c, sgd, params);
    sgd.dispose();
    for (const p of params) p.dispose();
  }
});

Deno.test("Sgd: momentum buffers survive a checkpoint round trip (loadMomentum)", async () => {
  const c = loadGolden("optim").find((x) => x.name === "pretrain")!;
  const n = c.params.count as number;
  const make = (key: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => {
      const t = c.tensors[key(i)];
      return Tensor.from(t.data, t.shape, { requiresGrad: true });
    });
  // Resume after step 1 from the golden state: parameters p1 and buffers buf1.
  const params = make((i) => `p1_${i}`);
  const sgd = new Sgd(params, { momentum: 0.9, weightDecay: c.params.weightDecay as number });
  sgd.loadMomentum(Array.from({ length: n }, (_, i) => c.tensors[`buf1_${i}`].data));
  await replay(c, sgd, params, 1);
  // Buffers as tensors (another optimizer's state) load too.
  const other = new Sgd(params, { momentum: 0.9 });
  other.loadMomentum(sgd.momentumBuffers());
  for (const [i, b] of other.momentumBuffers().entries()) {
    assertClose(`copied buf${i}`, await b!.read(), await sgd.momentumBuffers()[i]!.read(), {
      tol: 0,
    });
  }
  other.dispose();
  sgd.dispose();
  for (const p of params) p.dispose();
});

Deno.test("Sgd: matches the f64 reference over many steps; zeroGrad drops gradients", async () => {
  const n = 1001;
  const p0 = randn(n, 71);
  const p = Tensor.from(p0, [n], { requiresGrad: true });
  const sgd = new Sgd([p], { momentum: 0.9, weightDecay: 1e-4 });
  let ref = { p: Float64Array.from(p0) as Float64Array, buf: null as Float64Array | null };
  for (let s = 0; s < 6; s++) {
    const g = randn(n, 80 + s);
    setGrad(p, g);
    const lr = 0.5 * (s + 1) / 6;
    sgd.step(lr);
    ref = sgdRef(ref.p, g, {
      buf: ref.buf,
      lr: Math.fround(lr),
      momentum: Math.fround(0.9),
      weightDecay: Math.fround(1e-4),
    }) as typeof ref;
  }
  assertClose("p after 6 steps", await p.read(), ref.p);
  sgd.zeroGrad();
  if (p.grad !== null) throw new Error("zeroGrad kept the gradient");
  const before = await p.read();
  sgd.step(1); // no gradient: nothing moves
  assertClose("untouched without grad", await p.read(), before, { tol: 0 });
  sgd.dispose();
  p.dispose();
});
