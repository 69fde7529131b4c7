import { engine, initEngine } from "../../core/engine.ts";
import { Tensor, tidy, tidyAsync } from "../../core/tensor.ts";
import { noGrad } from "../../core/tape.ts";
import { backward } from "../../kernels/backward.ts";
import { add, relu } from "../../kernels/elementwise/mod.ts";
import {
  batchNorm,
  type BatchNormParams,
  BN_TUNING,
  BN_TUNING_SOFTWARE,
  type BnTuning,
  createBatchNorm,
  planeWorkgroup,
} from "../../kernels/batchnorm/mod.ts";
import { batchNormBwdRef, batchNormRef } from "../../kernels/batchnorm/reference.ts";
import { assertClose, finiteDiff, randn } from "../../core/testing.ts";
import { type GoldenCase, loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

function shapeOf(shape: readonly number[]) {
  return { N: shape[0], C: shape[1], HW: shape.slice(2).reduce((a, b) => a * b, 1) };
}

function bnFrom(t: GoldenCase["tensors"]): BatchNormParams {
  return {
    weight: Tensor.from(t.weight.data, t.weight.shape, { requiresGrad: true }),
    bias: Tensor.from(t.bias.data, t.bias.shape, { requiresGrad: true }),
    runningMean: Tensor.from(t.rm0.data, t.rm0.shape),
    runningVar: Tensor.from(t.rv0.data, t.rv0.shape),
    numBatchesTracked: 0,
    momentum: 0.1,
    eps: 1e-5,
  };
}

function disposeBn(bn: BatchNormParams): void {
  for (const t of [bn.weight, bn.bias, bn.runningMean, bn.runningVar]) t.dispose();
}

async function runGolden(c: GoldenCase, label: string, tuning: BnTuning): Promise<void> {
  const t = c.tensors;
  const training = c.params.training as boolean;
  const relu = c.params.relu as boolean;
  const bn = bnFrom(t);
  if (training) {
    // The first forward runs without a tape, as SDCLR's pruned branch does: it must still
    // update the running statistics.
    const y1 = noGrad(() =>
      batchNorm(Tensor.from(t.x1.data, t.x1.shape), bn, true, { relu, tuning })
    );
    assertClose(`${label} y1`, await y1.read(), t.y1.data);
    assertClose(`${label} running_mean 1`, await bn.runningMean.read(), t.rm1.data);
    assertClose(`${label} running_var 1`, await bn.runningVar.read(), t.rv1.data);
  }
  const x = Tensor.from(t.x.data, t.x.shape, { requiresGrad: true });
  const y = batchNorm(x, bn, training, { relu, tuning });
  assertClose(`${label} y`, await y.read(), t.y.data);
  assertClose(`${label} running_mean`, await bn.runningMean.read(), t.rm.data);
  assertClose(`${label} running_var`, await bn.runningVar.read(), t.rv.data);
  if (bn.numBatchesTracked !== c.params.batches) {
    throw new Error(`${label}: num_batches_tracked ${bn.numBatchesTracked}`);
  }
  backward(y, Tensor.from(t.gy.data, t.gy.shape));
  assertClose(`${label} gx`, await x.grad!.read(), t.gx.data);
  assertClose(`${label} gweight`, await bn.weight.grad!.read(), t.gw.data);
  assertClose(`${label} gbias`, await bn.bias.grad!.read(), t.gb.data);
  x.dispose();
  y.dispose();
  disposeBn(bn);
}

Deno.test("batchnorm: forward, running stats and backward equal PyTorch (all paths)", async () => {
  // GPU and software defaults; two-stage split with 64-wide groups; tiny chunks; one 256-wide
  // group per channel. Buffer and texture operands (the device profile picks one; both must
  // be right).
  const tunings = [
    BN_TUNING,
    BN_TUNING_SOFTWARE,
    { chunk: 40, wg: 0 },
    { chunk: 3, wg: 0 },
    { chunk: 1e9, wg: 256 },
  ]
    .flatMap((t) => [{ ...t, textures: false }, { ...t, textures: true }]);
  for (const tuning of tunings) {
    for (const c of loadGolden("batchnorm")) {
      await tidyAsync(() => runGolden(c, `${c.name} ${JSON.stringify(tuning)}`, tuning));
    }
  }
});

Deno.test("batchnorm: CPU reference equals the PyTorch goldens", () => {
  for (const c of loadGolden("batchnorm")) {
    const t = c.tensors;
    const o = { training: c.params.training as boolean, relu: c.params.relu as boolean };
    const s = shapeOf(t.x.shape);
    const affine = { weight: t.weight.data, bias: t.bias.data };
    let rm: ArrayLike<number> = t.rm0.data, rv: ArrayLike<number> = t.rv0.data;
    if (o.training) {
      const f1 = batchNormRef(t.x1.data, s, { ...affine, runningMean: rm, runningVar: rv, ...o });
      rm = f1.runningMean;
      rv = f1.runningVar;
    }
    const f = batchNormRef(t.x.data, s, { ...affine, runningMean: rm, runningVar: rv, ...o });
    assertClose(`${c.name} y`, f.y, t.y.data, { tol: 1e-5 });
    assertClose(`${c.name} rv`, f.runningVar, t.rv.data, { tol: 1e-5 });
    const g = batchNormBwdRef(t.gy.data, t.x.data, s, { weight: t.weight.data, fwd: f, ...o });
    assertClose(`${c.name} gx`, g.gx, t.gx.data, { tol: 1e-5 });
    assertClose(`${c.name} gw`, g.gw, t.gw.data, { tol: 1e-5 });
  }
});

Deno.test("batchnorm: CPU reference backward agrees with finite differences", () => {
  const s = { N: 3, C: 2, HW: 5 };
  const n = s.N * s.C * s.HW;
  const x = Float64Array.from(randn(n, 1)), gy = Float64Array.from(randn(n, 2));
  const w = Float64Array.from([1.3, -0.7]), b = Float64Array.from([0.2, -0.4]);
  const rm = Float64Array.from([0.1, -0.3]), rv = Float64Array.from([0.8, 1.7]);
  for (const training of [true, false]) {
    for (const relu of [false, true]) {
      const o = { training, relu, runningMean: rm, runningVar: rv };
      const loss = (xx: Float64Array, ww: Float64Array, bb: Float64Array) =>
        batchNormRef(xx, s, { weight: ww, bias: bb, ...o }).y
          .reduce((acc, v, i) => acc + v * gy[i], 0);
      const fwd = batchNormRef(x, s, { weight: w, bias: b, ...o });
      const g = batchNormBwdRef(gy, x, s, { weight: w, fwd, training, relu });
      const tag = `${training ? "train" : "eval"}${relu ? "+relu" : ""}`;
      const fd = (f: (v: Float64Array) => number, at: ArrayLike<number>) =>
        finiteDiff(f, Float64Array.from(at));
      assertClose(`${tag} gx`, g.gx, fd((v) => loss(v, w, b), x), { tol: 1e-6 });
      assertClose(`${tag} gw`, g.gw, fd((v) => loss(x, v, b), w), { tol: 1e-6 });
      assertClose(`${tag} gb`, g.gb, fd((v) => loss(x, w, v), b), { tol: 1e-6 });
    }
  }
});

Deno.test("batchnorm: partial gradients (only γ/β, only x) and no leaks", async () => {
  const shape = [4, 3, 6, 6];
  const s = shapeOf(shape);
  const n = shape.reduce((a, b) => a * b, 1);
  const xd = randn(n, 5, 2), gyd = randn(n, 6);
  const before = engine().pool.liveCount;
  for (const chunk of [BN_TUNING.chunk, 50]) {
    const tuning = { chunk, wg: 0 };
    {
      for (const training of [true, false]) {
        const bn = createBatchNorm(3);
        const ones = new Float64Array(3).fill(1), zeros = new Float64Array(3);
        const f = batchNormRef(xd, s, {
          weight: ones,
          bias: zeros,
          runningMean: zeros,
          runningVar: ones,
          training,
        });
        const ref = batchNormBwdRef(gyd, xd, s, { weight: ones, fwd: f, training });
        // x without grad: only γ and β gradients.
        tidy(() =>
          backward(
            batchNorm(Tensor.from(xd, shape), bn, training, { tuning }),
            Tensor.from(gyd, shape),
          )
        );
        assertClose(`gw chunk ${chunk} ${training}`, await bn.weight.grad!.read(), ref.gw);
        assertClose(`gb chunk ${chunk} ${training}`, await bn.bias.grad!.read(), ref.gb);
        // Frozen affine parameters: only x's gradient.
        bn.weight.requiresGrad = bn.bias.requiresGrad = false;
        const x = Tensor.from(xd, shape, { requiresGrad: true });
        tidy(() => backward(batchNorm(x, bn, training, { tuning }), Tensor.from(gyd, shape)));
        assertClose(`gx chunk ${chunk} ${training}`, await x.grad!.read(), ref.gx);
        x.dispose();
        disposeBn(bn);
      }
    }
  }
  if (engine().pool.liveCount > before) {
    throw new Error(`leak: ${engine().pool.liveCount - before} buffers still live`);
  }
});

Deno.test("batchnorm: plane-wide workgroups (software default) are powers of two in 8…256", () => {
  // H·W/vec → workgroup: 1d and 2×2 planes 8, 8×8 (16 vec4) 16, 7×7 (49 scalars) 64, 32×32 256.
  const got = [1, 4, 9, 16, 36, 45, 49, 64, 256, 1024].map(planeWorkgroup);
  if (got.join() !== "8,8,8,16,32,32,64,64,256,256") throw new Error(`got ${got}`);
});

Deno.test("batchnorm: a fused residual + ReLU equals BN, add, ReLU (values and all gradients)", async () => {
  const shape = [6, 4, 8, 8];
  const n = shape.reduce((a, b) => a * b, 1);
  const xd = randn(n, 11, 2), rd = randn(n, 12), gyd = randn(n, 13);
  const tunings: BnTuning[] = [{ chunk: 16384, wg: 0 }, { chunk: 50, wg: 0 }, BN_TUNING_SOFTWARE];
  for (const tuning of tunings) {
    for (const textures of [false, true]) {
      const t = { ...tuning, textures };
      const run = async (fused: boolean) => {
        const bn = createBatchNorm(4);
        const x = Tensor.from(xd, shape, { requiresGrad: true });
        const r = Tensor.from(rd, shape, { requiresGrad: true });
        const y = fused
          ? batchNorm(x, bn, true, { relu: true, residual: r, tuning: t })
          : relu(add(batchNorm(x, bn, true, { tuning: t }), r));
        const out = await y.read();
        backward(y, Tensor.from(gyd, shape));
        const got = [out, await x.grad!.read(), await r.grad!.read(), await bn.weight.grad!.read()];
        for (const v of [x, r, y]) v.dispose();
        disposeBn(bn);
        return got;
      };
      const [a, b] = [await run(true), await run(false)];
      const names = ["y", "gx", "gresidual", "gweight"];
      a.forEach((v, i) => assertClose(`${names[i]} ${JSON.stringify(t)}`, v, b[i], { tol: 1e-5 }));
    }
  }
});
