// The input gradient added into a gradient the tape already holds (`into`), in the kernels'
// stores: bit for bit the separate add it replaces, for every version and stride class.
import assert from "node:assert/strict";
import { engine, initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import { conv2d, conv2dBackwardInput } from "../../kernels/conv2d/mod.ts";
import { type ConvShape, outSize } from "../../kernels/conv2d/reference.ts";
import { convGeom } from "../../kernels/conv2d/plan.ts";
import { INPUT_GRAD_VERSIONS } from "../../kernels/conv2d/versions.ts";
import { caseData } from "../../kernels/conv2d/check.ts";
import { add, scale } from "../../kernels/elementwise/mod.ts";
import { assertClose, seededRandom } from "../../core/testing.ts";

await initEngine({ quiet: true });

Deno.test("conv2d: input gradient into an existing gradient equals the separate add, every version", async () => {
  const shapes: ConvShape[] = [
    // stride 1, vec4 rows and blocks (the texture version applies)
    { N: 2, C: 8, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 },
    // stride 2 multi-tap (transposed weights, four parity classes)
    { N: 2, C: 8, H: 8, W: 8, O: 16, KH: 3, KW: 3, stride: 2, padding: 1 },
    // 1×1 stride 2: three of the four classes have no tap (cleared when not adding)
    { N: 2, C: 4, H: 8, W: 8, O: 8, KH: 1, KW: 1, stride: 2, padding: 0 },
    // odd sizes, scalar rows
    { N: 1, C: 3, H: 7, W: 5, O: 5, KH: 3, KW: 3, stride: 1, padding: 1 },
  ];
  const r = seededRandom(77);
  let versionsRun = 0;
  for (const [k, s] of shapes.entries()) {
    const { Ho, Wo } = outSize(s);
    const d = caseData(s, 90 + k);
    const xShape = [s.N, s.C, s.H, s.W];
    const w = Tensor.from(d.w, [s.O, s.C, s.KH, s.KW]), mask = Tensor.from(d.mask, w.shape);
    const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]);
    const prev = Float32Array.from({ length: s.N * s.C * s.H * s.W }, () => r.normal());
    const g = convGeom(xShape, w.shape, s);
    for (const v of INPUT_GRAD_VERSIONS) {
      const q = { g, plan: { profile: engine().profile, masked: true } };
      if (v.unsupported(q)) continue;
      const opts = { stride: s.stride, padding: s.padding, mask, version: v.version };
      const fresh = conv2dBackwardInput(gy, w, xShape, opts);
      const want = (await fresh.read()).map((gx, i) => Math.fround(prev[i] + gx));
      const into = Tensor.from(prev, xShape);
      const got = conv2dBackwardInput(gy, w, xShape, { ...opts, into });
      assert.equal(got, into, "the launcher returns the tensor it added into");
      assertClose(`shape ${k} version ${v.version}`, await got.read(), want, { tol: 0 });
      fresh.dispose();
      into.dispose();
      versionsRun++;
    }
    for (const t of [w, mask, gy]) t.dispose();
  }
  assert.ok(versionsRun >= 12, `only ${versionsRun} (shape, version) pairs ran`);
});

Deno.test("conv2d: backward adds a skip path's gradient in the convolution's stores", async () => {
  // h feeds a convolution and a skip add (a residual block): dL/dh = gy + conv's dx.
  const s: ConvShape = { N: 2, C: 4, H: 8, W: 8, O: 4, KH: 3, KW: 3, stride: 1, padding: 1 };
  const d = caseData(s, 5);
  const x = Tensor.from(d.x, [2, 4, 8, 8], { requiresGrad: true });
  const w = Tensor.from(d.w, [4, 4, 3, 3]);
  const h = scale(x, 1);
  const y = add(conv2d(h, w, { padding: 1 }), h);
  backward(y);
  const ones = Tensor.fill(y.shape, 1);
  const dx = conv2dBackwardInput(ones, w, x.shape, { padding: 1 });
  const want = (await dx.read()).map((v) => Math.fround(1 + v));
  assertClose("dL/dx", await x.grad!.read(), want, { tol: 0 });
  for (const t of [x, w, y, ones, dx]) t.dispose();
});
