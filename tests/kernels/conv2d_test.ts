import { engine, initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
} from "../../kernels/conv2d/mod.ts";
import {
  conv2dBackwardInputRef,
  conv2dBackwardWeightRef,
  conv2dRef,
  type ConvShape,
  outSize,
} from "../../kernels/conv2d/reference.ts";
import {
  backwardWeightPlan,
  convGeom,
  forwardPlan,
  planOptions,
  stridedPointwise,
  transposedDgrad,
} from "../../kernels/conv2d/plan.ts";
import { gatherStrided, transposeWeights } from "../../kernels/conv2d/prepass.ts";
import {
  stridedRead,
  textureCapable,
  textureOptions,
  useTextures,
} from "../../kernels/conv2d/texture.ts";
import { caseData } from "../../kernels/conv2d/check.ts";
import { assertClose, finiteDiff } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

Deno.test("conv2d: forward, dx and dw equal PyTorch (goldens, masks included)", async () => {
  for (const c of loadGolden("conv2d")) {
    const t = c.tensors;
    const stride = c.params.stride as number, padding = c.params.padding as number;
    const x = Tensor.from(t.x.data, t.x.shape, { requiresGrad: true });
    const w = Tensor.from(t.w.data, t.w.shape, { requiresGrad: true });
    const mask = t.mask ? Tensor.from(t.mask.data, t.mask.shape) : null;
    const y = conv2d(x, w, { stride, padding, mask });
    assertClose(`${c.name} y`, await y.read(), t.y.data);
    backward(y, Tensor.from(t.gy.data, t.gy.shape));
    assertClose(`${c.name} gx`, await x.grad!.read(), t.gx.data);
    assertClose(`${c.name} gw`, await w.grad!.read(), t.gw.data);
    if (mask && mask.grad) throw new Error(`${c.name}: the mask received a gradient`);
    for (const z of [x, w, y, mask]) z?.dispose();
  }
});

Deno.test("conv2d: CPU references agree with finite differences (stride 2, mask)", () => {
  const s: ConvShape = { N: 1, C: 2, H: 5, W: 4, O: 3, KH: 3, KW: 3, stride: 2, padding: 1 };
  const d = caseData(s, 3);
  const x = Float64Array.from(d.x), w = Float64Array.from(d.w), gy = Float64Array.from(d.gy);
  const loss = (xv: Float64Array, wv: Float64Array) =>
    conv2dRef(s, xv, wv, d.mask).reduce((acc, y, i) => acc + y * gy[i], 0);
  assertClose("d/dx", conv2dBackwardInputRef(s, gy, w, d.mask), finiteDiff((v) => loss(v, w), x));
  assertClose(
    "d/dw",
    conv2dBackwardWeightRef(s, gy, x, d.mask),
    finiteDiff((v) => loss(x, v), w),
  );
  // Pruned weights get exactly zero gradient.
  const gw = conv2dBackwardWeightRef(s, gy, x, d.mask);
  d.mask.forEach((m, i) => {
    if (m === 0 && gw[i] !== 0) throw new Error(`pruned weight ${i} has gradient ${gw[i]}`);
  });
});

Deno.test("conv2d: split-K weight gradient equals the unsplit one, mask in the sum", async () => {
  const s: ConvShape = { N: 3, C: 4, H: 6, W: 6, O: 4, KH: 3, KW: 3, stride: 1, padding: 1 };
  const { Ho, Wo } = outSize(s);
  const d = caseData(s, 11);
  const x = Tensor.from(d.x, [s.N, s.C, s.H, s.W]);
  const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]);
  const mask = Tensor.from(d.mask, [s.O, s.C, 3, 3]);
  const ref = conv2dBackwardWeightRef(s, d.gy, d.x, d.mask);
  for (const split of [1, 4, 18]) {
    const gw = conv2dBackwardWeight(gy, x, [s.O, s.C, 3, 3], { padding: 1, mask, split });
    assertClose(`split ${split}`, await gw.read(), ref);
    gw.dispose();
  }
  const g = convGeom(x.shape, [s.O, s.C, 3, 3], 1, 1);
  if (backwardWeightPlan(g, true, 4).split !== 4) throw new Error("forced split not honoured");
  for (const t of [x, gy, mask]) t.dispose();
});

Deno.test("conv2d: raw launchers with larger tiles: vec4 weight blocks, direct dw store", async () => {
  // Small shapes get small tiles; force a larger step budget so the 4-channel weight blocks
  // of the forward and the unsplit weight gradient stored straight into dw (mask fused in the
  // store) run too.
  planOptions.budget = 1152;
  try {
    for (
      const [s, split] of [
        [{ N: 2, C: 16, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 }, undefined],
        [{ N: 1, C: 64, H: 4, W: 4, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 }, 1],
      ] as [ConvShape, number | undefined][]
    ) {
      const { Ho, Wo } = outSize(s);
      const d = caseData(s, 21);
      const x = Tensor.from(d.x, [s.N, s.C, s.H, s.W]), w = Tensor.from(d.w, [s.O, s.C, 3, 3]);
      const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]), mask = Tensor.from(d.mask, w.shape);
      const opts = { padding: 1, mask };
      const g = convGeom(x.shape, w.shape, 1, 1);
      if (s.C === 16 && !forwardPlan(g, true).cfg.vecW) throw new Error("tile not forced");
      if (split === 1 && !backwardWeightPlan(g, true, 1).cfg.direct) throw new Error("not direct");
      const tag = `C${s.C}`;
      const y = conv2dForward(x, w, opts);
      assertClose(`${tag} y`, await y.read(), conv2dRef(s, d.x, d.w, d.mask));
      const gx = conv2dBackwardInput(gy, w, x.shape, opts);
      assertClose(`${tag} dx`, await gx.read(), conv2dBackwardInputRef(s, d.gy, d.w, d.mask));
      const gw = conv2dBackwardWeight(gy, x, w.shape, { ...opts, split });
      assertClose(`${tag} dw`, await gw.read(), conv2dBackwardWeightRef(s, d.gy, d.x, d.mask));
      for (const t of [x, w, gy, mask, y, gx, gw]) t.dispose();
    }
  } finally {
    planOptions.budget = null;
  }
});

Deno.test("conv2d: needsGrad is respected; shape errors are one line", async () => {
  const x = Tensor.from(new Float32Array(2 * 3 * 5 * 5).fill(1), [2, 3, 5, 5]);
  const w = Tensor.from(new Float32Array(4 * 3 * 3 * 3).fill(0.5), [4, 3, 3, 3], {
    requiresGrad: true,
  });
  const y = conv2d(x, w, { padding: 1 });
  backward(y);
  if (x.grad) throw new Error("x does not require grad but got one");
  // dL/dw[o, c, kh, kw] = Σ over the positions where the tap lands inside the 5×5 image:
  // 2 images × (5 − |kh − 1|·1)·(5 − |kw − 1|·1) ones.
  const gw = await w.grad!.read();
  const want = [16, 20, 16, 20, 25, 20, 16, 20, 16].map((v) => 2 * v);
  assertClose("dw", gw.slice(0, 9), want, 0);
  let threw = "";
  try {
    conv2d(x, Tensor.zeros([4, 2, 3, 3]));
  } catch (e) {
    threw = (e as Error).message;
  }
  if (!/3 channels but w expects 2/.test(threw)) throw new Error(`unexpected error: ${threw}`);
  // A grid larger than 65535 workgroups folds into z.
  const big = forwardPlan(convGeom([256, 8, 512, 512], [8, 8, 1, 1], 1, 0), false);
  if (!(big.groups[0] <= 65535 && big.groups[2] > 1)) throw new Error(`no fold: ${big.groups}`);
  for (const t of [x, w, y]) t.dispose();
});

Deno.test("conv2d: 1×1 strided forward runs on the gathered input (pair, vec4, scalar rows)", async () => {
  // [N, C, H, O, stride]: S = 2 with vec4 pairs, S = 3 with vec4 stores, odd Wo with scalars.
  for (const [N, C, H, O, S] of [[1, 8, 8, 4, 2], [1, 4, 12, 4, 3], [2, 3, 9, 5, 2]]) {
    const s: ConvShape = { N, C, H, W: H, O, KH: 1, KW: 1, stride: S, padding: 0 };
    const d = caseData(s, 31 + S);
    if (!stridedPointwise(convGeom([N, C, H, H], [O, C, 1, 1], S, 0))) {
      throw new Error(`C${C} s${S}: not planned as a gather`);
    }
    const { Ho, Wo } = outSize(s);
    const x = Tensor.from(d.x, [N, C, H, H]), w = Tensor.from(d.w, [O, C, 1, 1]);
    const xs = gatherStrided(x, S, Ho, Wo);
    const want = new Float32Array(N * C * Ho * Wo).map((_, i) => {
      const j = i % Wo, r = Math.floor(i / Wo) % Ho, p = Math.floor(i / (Wo * Ho));
      return d.x[(p * H + S * r) * H + S * j];
    });
    assertClose(`C${C} s${S} gather`, await xs.read(), want, 0);
    for (const m of [null, d.mask]) {
      const mask = m ? Tensor.from(m, w.shape) : null;
      const y = conv2dForward(x, w, { stride: S, mask });
      assertClose(`C${C} s${S} y${m ? " masked" : ""}`, await y.read(), conv2dRef(s, d.x, d.w, m));
      y.dispose();
      mask?.dispose();
    }
    for (const t of [x, w, xs]) t.dispose();
  }
});

Deno.test("conv2d: strided input gradient reads transposed, pre-masked weights", async () => {
  // O = 6: channel unroll 2 where 4 does not divide O; stride 3: nine one-tap classes.
  for (
    const s of [
      { N: 1, C: 8, H: 7, W: 7, O: 6, KH: 3, KW: 3, stride: 2, padding: 1 },
      { N: 2, C: 4, H: 10, W: 10, O: 8, KH: 3, KW: 3, stride: 3, padding: 1 },
    ] as ConvShape[]
  ) {
    const g = convGeom([s.N, s.C, s.H, s.W], [s.O, s.C, 3, 3], s.stride, s.padding);
    if (!transposedDgrad(g)) throw new Error(`s${s.stride}: not planned transposed`);
    const { Ho, Wo } = outSize(s);
    const d = caseData(s, 41 + s.stride);
    const w = Tensor.from(d.w, [s.O, s.C, 3, 3]), mask = Tensor.from(d.mask, w.shape);
    const wt = transposeWeights(w, mask);
    const want = new Float32Array(w.size).map((_, i) => {
      const c = i % s.C, o = Math.floor(i / s.C) % s.O, t = Math.floor(i / (s.C * s.O));
      const k = (o * s.C + c) * 9 + t;
      return d.w[k] * d.mask[k];
    });
    assertClose(`s${s.stride} wT`, await wt.read(), want, 0);
    const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]);
    for (const m of [null, mask]) {
      const opts = { stride: s.stride, padding: s.padding, mask: m };
      const gx = conv2dBackwardInput(gy, w, [s.N, s.C, s.H, s.W], opts);
      const ref = conv2dBackwardInputRef(s, d.gy, d.w, m ? d.mask : null);
      assertClose(`s${s.stride} dx${m ? " masked" : ""}`, await gx.read(), ref);
      gx.dispose();
    }
    for (const t of [w, mask, wt, gy]) t.dispose();
  }
});

Deno.test("conv2d: forward reads textures or buffers (forced), equal to the reference", async () => {
  // Budget 1152 gives the vec4 paths the texture variant needs; stride 1 and 2, 3×3 and the
  // 1×1 stride 2 (gathered on buffers, read in place from textures, also with an odd H, and
  // then bit-identical), masked and not; 9 rows of 4096 texels for x in the last case.
  planOptions.budget = 1152;
  const saved = textureOptions.mode;
  const e = engine();
  try {
    for (
      const s of [
        { N: 2, C: 16, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 },
        { N: 1, C: 8, H: 12, W: 12, O: 12, KH: 3, KW: 3, stride: 2, padding: 1 },
        { N: 1, C: 8, H: 8, W: 8, O: 8, KH: 1, KW: 1, stride: 2, padding: 0 },
        { N: 2, C: 8, H: 11, W: 16, O: 8, KH: 1, KW: 1, stride: 2, padding: 0 },
        { N: 9, C: 16, H: 64, W: 64, O: 4, KH: 1, KW: 1, stride: 1, padding: 0 },
      ] as ConvShape[]
    ) {
      const d = caseData(s, 51);
      const x = Tensor.from(d.x, [s.N, s.C, s.H, s.W]);
      const w = Tensor.from(d.w, [s.O, s.C, s.KH, s.KW]), mask = Tensor.from(d.mask, w.shape);
      const g = convGeom(x.shape, w.shape, s.stride, s.padding);
      const l = forwardPlan(stridedPointwise(g) ?? g, false);
      if (!textureCapable(l.cfg)) throw new Error(`C${s.C} s${s.stride}: no texture variant`);
      const inPlace = stridedRead(g) !== null;
      if (inPlace !== (s.KH === 1 && s.stride === 2)) throw new Error("stridedRead misapplied");
      const outs: Float32Array[] = [];
      for (const mode of ["always", "never"] as const) {
        textureOptions.mode = mode;
        if (useTextures(l, x, w) !== (mode === "always")) throw new Error(`${mode} not honoured`);
        for (const m of [null, mask]) {
          const tag = `${mode} k${s.KH} s${s.stride} H${s.H}${m ? " masked" : ""}`;
          const y = conv2dForward(x, w, { stride: s.stride, padding: s.padding, mask: m });
          outs.push(await y.read());
          assertClose(tag, outs.at(-1)!, conv2dRef(s, d.x, d.w, m ? d.mask : null));
          y.dispose();
        }
      }
      // Same per-output FMA order on both paths: the in-place read must move exact floats.
      if (inPlace && outs.slice(0, 2).some((o, i) => o.some((v, j) => v !== outs[i + 2][j]))) {
        throw new Error(`k1 s2 H${s.H}: in-place texture read differs from the gathered buffers`);
      }
      for (const t of [x, w, mask]) t.dispose();
    }
    if (e.textures.liveCount !== 0) throw new Error(`${e.textures.liveCount} textures leaked`);
    // "auto" follows the adapter; tensors beyond maxTextureDimension2D rows use buffers.
    textureOptions.mode = "auto";
    const x = Tensor.zeros([2, 16, 8, 8]), w = Tensor.zeros([8, 16, 3, 3]);
    const l = forwardPlan(convGeom(x.shape, w.shape, 1, 1), false);
    if (useTextures(l, x, w) !== e.gpu.isSoftware) throw new Error("auto ignores the adapter");
    const rows = e.device.limits.maxTextureDimension2D;
    if (e.textureFits(rows * 16384 + 4) || !e.textureFits(rows * 16384)) {
      throw new Error("textureFits disagrees with maxTextureDimension2D");
    }
    x.dispose();
    w.dispose();
  } finally {
    planOptions.budget = null;
    textureOptions.mode = saved;
  }
});
