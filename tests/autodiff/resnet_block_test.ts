/**
 * The composed check: a tiny ResNet block with a strided downsample, pooled, projected and fed
 * to NT-Xent, built from the suite's ops; the loss and every parameter gradient must equal
 * PyTorch's (tests/golden/gen_resnet_block.py) within 1e-3 relative per tensor.
 */
import { initEngine } from "../../core/engine.ts";
import { Tensor, tidy } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import { add, relu, sliceRows } from "../../kernels/elementwise/mod.ts";
import { conv2d } from "../../kernels/conv2d/mod.ts";
import { batchNorm, createBatchNorm } from "../../kernels/batchnorm/mod.ts";
import { globalAvgPool } from "../../kernels/pool/mod.ts";
import { linear } from "../../kernels/linear/mod.ts";
import { ntXent } from "../../kernels/loss/mod.ts";
import { assertClose } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

Deno.test("composed: ResNet block + pool + linear + NT-Xent: loss and all gradients equal PyTorch", async () => {
  const [c] = loadGolden("resnet_block");
  const t = c.tensors;
  const param = (k: string) => Tensor.from(t[k].data, t[k].shape, { requiresGrad: true });
  const bnOf = (g: string, b: string) => {
    const bn = createBatchNorm(t[g].shape[0]);
    bn.weight.dispose();
    bn.bias.dispose();
    bn.weight = param(g).keep();
    bn.bias = param(b).keep();
    return bn;
  };
  const w1 = param("w1"), w2 = param("w2"), wd = param("wd"), wl = param("wl"), bl = param("bl");
  const bn1 = bnOf("g1", "b1"), bn2 = bnOf("g2", "b2"), bnd = bnOf("gd", "bd");
  const x = Tensor.from(t.x.data, t.x.shape);
  const n = t.x.shape[0];
  const loss = tidy(() => {
    let y = relu(batchNorm(conv2d(x, w1, { stride: 2, padding: 1 }), bn1, true));
    y = batchNorm(conv2d(y, w2, { stride: 1, padding: 1 }), bn2, true);
    const sc = batchNorm(conv2d(x, wd, { stride: 2, padding: 0 }), bnd, true);
    const z = linear(globalAvgPool(relu(add(y, sc))), wl, bl);
    const l = ntXent(sliceRows(z, 0, n / 2), sliceRows(z, n / 2, n / 2), c.params.t as number);
    backward(l);
    return l;
  });
  assertClose("loss", await loss.read(), t.loss.data, { tol: 1e-4 });
  const grads: [string, Tensor][] = [
    ["w1", w1],
    ["w2", w2],
    ["wd", wd],
    ["wl", wl],
    ["bl", bl],
    ["g1", bn1.weight],
    ["b1", bn1.bias],
    ["g2", bn2.weight],
    ["b2", bn2.bias],
    ["gd", bnd.weight],
    ["bd", bnd.bias],
  ];
  for (const [k, p] of grads) {
    if (!p.grad) throw new Error(`no gradient reached ${k}`);
    assertClose(`grad ${k}`, await p.grad.read(), t[`grad_${k}`].data, { tol: 1e-3 });
  }
  for (const [, p] of grads) p.dispose();
  for (const bn of [bn1, bn2, bnd]) {
    bn.runningMean.dispose();
    bn.runningVar.dispose();
  }
  x.dispose();
  loss.dispose();
});
