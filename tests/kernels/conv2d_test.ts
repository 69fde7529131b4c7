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
  stridedPointwise,
  transposedDgrad,
} from "../../kernels/conv2d/plan.ts";
import { gatherStrided, transposeWeights } from "../../kernels/conv2d/prepass.ts";
import { stridedRead, textureCapable } from "../../kernels/conv2d/texture.ts";
import { chooseForward, chooseInputGrad, chooseWeightGrad } from "../../kernels/conv2d/versions.ts";
import { caseData } from "../../kernels/conv2d/check.ts";
import { assertClose, finiteDiff, seededRandom } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });
const profile = engine().profile;

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
    conv2dRef(s, xv, wv, { mask: d.mask }).reduce((acc, y, i) => acc + y * gy[i], 0);
  assertClose(
    "d/dx",
    conv2dBackwardInputRef(s, gy, w, { mask: d.mask }),
    finiteDiff((v) => loss(v, w), x),
  );
  assertClose(
    "d/dw",
    conv2dBackwardWeightRef(s, gy, x, { mask: d.mask }),
    finiteDiff((v) => loss(x, v), w),
  );
  // Pruned weights get exactly zero gradient.
  const gw = conv2dBackwardWeightRef(s, gy, x, { mask: d.mask });
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
  const ref = conv2dBackwardWeightRef(s, d.gy, d.x, { mask: d.mask });
  // Version 2 (unsplit), then version 3 (split-K) with 1, 4 and 18 splits.
  for (const o of [{ version: 2 }, { split: 1 }, { split: 4 }, { version: 3, split: 18 }]) {
    const gw = conv2dBackwardWeight(gy, x, [s.O, s.C, 3, 3], { padding: 1, mask, ...o });
    assertClose(JSON.stringify(o), await gw.read(), ref);
    gw.dispose();
  }
  const g = convGeom(x.shape, [s.O, s.C, 3, 3], { padding: 1 });
  const l = backwardWeightPlan(g, { profile, masked: true, split: 4 });
  // Four workgroup splits, each with its lanes' row groups (thin C: spare lanes take rows).
  if (l.groups[2] !== 4 || l.split % 4 !== 0) throw new Error("forced split not honoured");
  for (const t of [x, gy, mask]) t.dispose();
});

Deno.test("conv2d: raw launchers with larger tiles: vec4 weight blocks, direct dw store", async () => {
  // Small shapes get small tiles; force a larger step budget so the 4-channel weight blocks
  // of the forward and the unsplit weight gradient stored straight into dw (mask fused in the
  // store) run too.
  const budget = 1152;
  for (
    const [s, version] of [
      [{ N: 2, C: 16, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 }, undefined],
      [{ N: 1, C: 64, H: 4, W: 4, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 }, 2],
    ] as [ConvShape, number | undefined][]
  ) {
    const { Ho, Wo } = outSize(s);
    const d = caseData(s, 21);
    const x = Tensor.from(d.x, [s.N, s.C, s.H, s.W]), w = Tensor.from(d.w, [s.O, s.C, 3, 3]);
    const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]), mask = Tensor.from(d.mask, w.shape);
    const opts = { padding: 1, mask, budget };
    const g = convGeom(x.shape, w.shape, { padding: 1 });
    const plan = { profile, masked: true, budget };
    if (s.C === 16 && !forwardPlan(g, plan).cfg.vecW) throw new Error("tile not forced");
    if (version === 2 && !backwardWeightPlan(g, { ...plan, split: 1 }).cfg.direct) {
      throw new Error("not direct");
    }
    const tag = `C${s.C}`;
    const y = conv2dForward(x, w, opts);
    assertClose(`${tag} y`, await y.read(), conv2dRef(s, d.x, d.w, { mask: d.mask }));
    const gx = conv2dBackwardInput(gy, w, x.shape, opts);
    assertClose(
      `${tag} dx`,
      await gx.read(),
      conv2dBackwardInputRef(s, d.gy, d.w, { mask: d.mask }),
    );
    const gw = conv2dBackwardWeight(gy, x, w.shape, { ...opts, version });
    assertClose(
      `${tag} dw`,
      await gw.read(),
      conv2dBackwardWeightRef(s, d.gy, d.x, { mask: d.mask }),
    );
    for (const t of [x, w, gy, mask, y, gx, gw]) t.dispose();
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
  assertClose("dw", gw.slice(0, 9), want, { tol: 0 });
  let threw = "";
  try {
    conv2d(x, Tensor.zeros([4, 2, 3, 3]));
  } catch (e) {
    threw = (e as Error).message;
  }
  if (!/3 channels but w expects 2/.test(threw)) throw new Error(`unexpected error: ${threw}`);
  // A grid larger than the profile's workgroups per dimension folds into z.
  const bigG = convGeom([256, 8, 512, 512], [8, 8, 1, 1]);
  const big = forwardPlan(bigG, { profile });
  const max = profile.limits.maxWorkgroupsPerDimension;
  if (!(big.groups[0] <= max && big.groups[2] > 1)) throw new Error(`no fold: ${big.groups}`);
  const small = { ...profile, limits: { ...profile.limits, maxWorkgroupsPerDimension: 1000 } };
  const folded = forwardPlan(bigG, { profile: small }).groups;
  if (!(folded[0] <= 1000 && folded[2] > big.groups[2])) {
    throw new Error(`the profile's limit is not used: ${folded}`);
  }
  for (const t of [x, w, y]) t.dispose();
});

Deno.test("conv2d: 1×1 strided forward runs on the gathered input (pair, vec4, scalar rows)", async () => {
  // [N, C, H, O, stride]: S = 2 with vec4 pairs, S = 3 with vec4 stores, odd Wo with scalars.
  for (const [N, C, H, O, S] of [[1, 8, 8, 4, 2], [1, 4, 12, 4, 3], [2, 3, 9, 5, 2]]) {
    const s: ConvShape = { N, C, H, W: H, O, KH: 1, KW: 1, stride: S, padding: 0 };
    const d = caseData(s, 31 + S);
    if (!stridedPointwise(convGeom([N, C, H, H], [O, C, 1, 1], { stride: S }))) {
      throw new Error(`C${C} s${S}: not planned as a gather`);
    }
    const { Ho, Wo } = outSize(s);
    const x = Tensor.from(d.x, [N, C, H, H]), w = Tensor.from(d.w, [O, C, 1, 1]);
    const xs = gatherStrided(x, S);
    const want = new Float32Array(N * C * Ho * Wo).map((_, i) => {
      const j = i % Wo, r = Math.floor(i / Wo) % Ho, p = Math.floor(i / (Wo * Ho));
      return d.x[(p * H + S * r) * H + S * j];
    });
    assertClose(`C${C} s${S} gather`, await xs.read(), want, { tol: 0 });
    for (const m of [null, d.mask]) {
      const mask = m ? Tensor.from(m, w.shape) : null;
      const y = conv2dForward(x, w, { stride: S, mask, version: 3 });
      assertClose(
        `C${C} s${S} y${m ? " masked" : ""}`,
        await y.read(),
        conv2dRef(s, d.x, d.w, { mask: m }),
      );
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
    const g = convGeom([s.N, s.C, s.H, s.W], [s.O, s.C, 3, 3], s);
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
    assertClose(`s${s.stride} wT`, await wt.read(), want, { tol: 0 });
    const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]);
    for (const m of [null, mask]) {
      const opts = { stride: s.stride, padding: s.padding, mask: m, version: 3 };
      const gx = conv2dBackwardInput(gy, w, [s.N, s.C, s.H, s.W], opts);
      const ref = conv2dBackwardInputRef(s, d.gy, d.w, { mask: m ? d.mask : null });
      assertClose(`s${s.stride} dx${m ? " masked" : ""}`, await gx.read(), ref);
      gx.dispose();
    }
    for (const t of [w, mask, wt, gy]) t.dispose();
  }
});

Deno.test("conv2d: texture forward (version 4) equals the buffer versions and the reference", async () => {
  // Budget 1152 gives the vec4 paths the texture variant needs; stride 1 and 2, 3×3 and the
  // 1×1 stride 2 (gathered on buffers, read in place from textures, also with an odd H, and
  // then bit-identical), masked and not; 9 rows of 4096 texels for x in the last case.
  const budget = 1152;
  const e = engine(), live0 = e.textures.liveCount;
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
    const g = convGeom(x.shape, w.shape, s);
    const l = forwardPlan(stridedPointwise(g) ?? g, { profile, budget });
    if (!textureCapable(l.cfg)) throw new Error(`C${s.C} s${s.stride}: no texture variant`);
    const inPlace = stridedRead(g) !== null;
    if (inPlace !== (s.KH === 1 && s.stride === 2)) throw new Error("stridedRead misapplied");
    // On buffers: the gathered forward for 1×1 strided kernels, else the tiled one.
    const buffers = stridedPointwise(g) ? 3 : 2;
    const outs: Float32Array[] = [];
    for (const version of [4, buffers]) {
      for (const m of [null, mask]) {
        const tag = `v${version} k${s.KH} s${s.stride} H${s.H}${m ? " masked" : ""}`;
        const opts = { stride: s.stride, padding: s.padding, mask: m, version, budget };
        const y = conv2dForward(x, w, opts);
        outs.push(await y.read());
        assertClose(tag, outs.at(-1)!, conv2dRef(s, d.x, d.w, { mask: m ? d.mask : null }));
        y.dispose();
      }
    }
    // Same per-output FMA order on both paths: the in-place read must move exact floats.
    if (inPlace && outs.slice(0, 2).some((o, i) => o.some((v, j) => v !== outs[i + 2][j]))) {
      throw new Error(`k1 s2 H${s.H}: in-place texture read differs from the gathered buffers`);
    }
    for (const t of [x, w, mask]) t.dispose();
  }
  // Textures are cached copies of live tensors: disposing this test's tensors gives theirs back.
  if (e.textures.liveCount !== live0) throw new Error(`${e.textures.liveCount - live0} leaked`);
  const rows = e.device.limits.maxTextureDimension2D;
  if (e.textureFits(rows * 16384 + 4) || !e.textureFits(rows * 16384)) {
    throw new Error("textureFits disagrees with maxTextureDimension2D");
  }
});

Deno.test("conv2d: swapped forward (versions 5, 6) equals versions 2 and 4 bit for bit, masked too", async () => {
  // Same FMA order per output (channel by channel, taps in order) and the mask multiplied into
  // the same weights (in the swap instead of at each load): the floats must be identical.
  // 3×3 s1, 3×3 s2, 5×5 s2 (textures), a 9×9 input (buffers only; against scalar weights),
  // an RGB stem (C = 3: swapped one channel at a time; version 4 needs C % 4), production
  // budgets too.
  const e = engine(), live0 = e.textures.liveCount;
  for (
    const [s, budget] of [
      [{ N: 2, C: 16, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 }, 1152],
      [{ N: 1, C: 8, H: 12, W: 12, O: 12, KH: 3, KW: 3, stride: 2, padding: 1 }, 1152],
      [{ N: 1, C: 4, H: 8, W: 8, O: 4, KH: 5, KW: 5, stride: 2, padding: 2 }, 1152],
      [{ N: 1, C: 16, H: 16, W: 16, O: 16, KH: 3, KW: 3, stride: 1, padding: 1 }, 4608],
      [{ N: 2, C: 8, H: 9, W: 9, O: 12, KH: 3, KW: 3, stride: 2, padding: 1 }, 0],
      [{ N: 2, C: 3, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 }, 0],
    ] as [ConvShape, number][]
  ) {
    const d = caseData(s, 61);
    const x = Tensor.from(d.x, [s.N, s.C, s.H, s.W]);
    const w = Tensor.from(d.w, [s.O, s.C, s.KH, s.KW]), mask = Tensor.from(d.mask, w.shape);
    const vec = s.W % 4 === 0;
    const pairs = !vec ? [[5, 2]] : s.C % 4 ? [[5, 2], [6, 5]] : [[5, 2], [6, 4], [6, 5]];
    for (const m of [null, mask]) {
      const outs = new Map<number, Float32Array>();
      for (const version of new Set(pairs.flat())) {
        const opts = {
          stride: s.stride,
          padding: s.padding,
          mask: m,
          version,
          budget: budget || undefined,
        };
        const y = conv2dForward(x, w, opts);
        outs.set(version, await y.read());
        y.dispose();
      }
      const tag = `k${s.KH} s${s.stride} H${s.H} budget ${budget}${m ? " masked" : ""}`;
      assertClose(`${tag} v5`, outs.get(5)!, conv2dRef(s, d.x, d.w, { mask: m ? d.mask : null }));
      for (const [a, b] of pairs) {
        const [ya, yb] = [outs.get(a)!, outs.get(b)!];
        const i = ya.findIndex((v, j) => v !== yb[j]);
        if (i >= 0) throw new Error(`${tag}: v${a} differs from v${b} at ${i}: ${ya[i]} ${yb[i]}`);
      }
    }
    for (const t of [x, w, mask]) t.dispose();
  }
  // Textures are cached copies of live tensors: disposing this test's tensors gives theirs back.
  if (e.textures.liveCount !== live0) throw new Error(`${e.textures.liveCount - live0} leaked`);
});

Deno.test("conv2d: the default version follows the device profile and the shape", () => {
  const q = (x: number[], w: number[], o: { stride?: number; padding?: number } = {}) => ({
    g: convGeom(x, w, o),
    plan: { profile, budget: 1152 },
  });
  const s1 = q([2, 16, 8, 8], [8, 16, 3, 3], { padding: 1 });
  const pw = q([2, 16, 8, 8], [8, 16, 1, 1], { stride: 2 });
  const odd = q([1, 3, 5, 7], [5, 3, 3, 3]);
  const s2odd = q([2, 8, 9, 9], [12, 8, 3, 3], { stride: 2, padding: 1 });
  const o6 = q([2, 8, 8, 8], [6, 8, 3, 3], { padding: 1 });
  // Textures where the profile prefers them (software adapters) and the tile has vec4 paths;
  // swapped weights for multi-tap kernels with C, O % 4 == 0.
  const tex = profile.preferTextureLoads;
  const want: [string, number, number][] = [
    ["3×3 s1", chooseForward(s1), tex ? 6 : 5],
    ["1×1 s2", chooseForward(pw), tex ? 4 : 3],
    ["3×3 C3 W7", chooseForward(odd), 2],
  ];
  for (const prefer of [true, false]) {
    const p = { ...profile, preferTextureLoads: prefer };
    const with_ = (x: typeof s1) => ({ ...x, plan: { ...x.plan, profile: p } });
    want.push(
      [`3×3 s1 prefer=${prefer}`, chooseForward(with_(s1)), prefer ? 6 : 5],
      [`1×1 s2 prefer=${prefer}`, chooseForward(with_(pw)), prefer ? 4 : 3],
      // W 9: no vec4 rows, so no textures, but swapped weights on buffers.
      [`3×3 s2 W9 prefer=${prefer}`, chooseForward(with_(s2odd)), 5],
      // O 6: no vec4 rows of swapped weights.
      [`3×3 O6 prefer=${prefer}`, chooseForward(with_(o6)), prefer ? 4 : 2],
    );
  }
  for (const prefer of [true, false]) {
    const p = { ...profile, preferTextureLoads: prefer };
    const at = (x: typeof s1) => ({ ...x, plan: { ...x.plan, profile: p } });
    const t = (v: number) => (prefer ? 4 : v);
    const s2 = q([2, 8, 9, 9], [8, 8, 3, 3], { stride: 2 });
    const c3 = q([2, 3, 9, 9], [8, 3, 3, 3], { stride: 2 });
    want.push(
      [`dgrad 3×3 s2 prefer=${prefer}`, chooseInputGrad(at(s2)), t(3)],
      [`dgrad 3×3 s1 prefer=${prefer}`, chooseInputGrad(at(s1)), t(2)],
      [`dgrad 3×3 s2 C3 prefer=${prefer}`, chooseInputGrad(at(c3)), 2],
      // 8 channels at 4×4: few output tiles, many rows → split; one dy row: no split.
      [
        `wgrad few tiles prefer=${prefer}`,
        chooseWeightGrad(at(q([64, 8, 4, 4], [8, 8, 3, 3], { padding: 1 }))),
        t(3),
      ],
      [`wgrad one row prefer=${prefer}`, chooseWeightGrad(at(q([1, 8, 1, 8], [8, 8, 1, 1]))), t(2)],
      [`wgrad W 7 prefer=${prefer}`, chooseWeightGrad(at(odd)), 2],
    );
  }
  for (const [name, got, expected] of want) {
    if (got !== expected) throw new Error(`${name}: version ${got}, expected ${expected}`);
  }
  // The tiled kernels' workgroup is the profile's: one subgroup (8 or 16 on lavapipe).
  const wgs = forwardPlan(s1.g, s1.plan).cfg.WGS;
  if (wgs !== profile.tiledWorkgroupSize) throw new Error(`WGS ${wgs}`);
  const p16 = { ...profile, tiledWorkgroupSize: 16 };
  if (backwardWeightPlan(s1.g, { profile: p16 }).cfg.WGS !== 16) throw new Error("WGS not used");
});

Deno.test("conv2d: explicit versions are checked against the shape; errors are one line", () => {
  const x = Tensor.zeros([1, 3, 5, 7]), w = Tensor.zeros([5, 3, 3, 3]);
  const gy = Tensor.zeros([1, 5, 3, 5]);
  const cases: [string, () => Tensor, RegExp][] = [
    ["gathered on 3×3", () => conv2dForward(x, w, { version: 3 }), /version 3 \(gathered\)/],
    ["texture on C3", () => conv2dForward(x, w, { version: 4 }), /vec4 input rows/],
    ["unknown", () => conv2dForward(x, w, { version: 9 }), /versions are 1 \(naive\), 2/],
    ["transposed s1", () => conv2dBackwardInput(gy, w, x.shape, { version: 3 }), /strided/],
    [
      "split on v2",
      () => conv2dBackwardWeight(gy, x, w.shape, { version: 2, split: 4 }),
      /split is an option of versions 3 and 4/,
    ],
  ];
  for (const [name, run, re] of cases) {
    let msg = "";
    try {
      run().dispose();
    } catch (e) {
      msg = (e as Error).message;
    }
    if (!re.test(msg) || msg.includes("\n")) throw new Error(`${name}: "${msg}"`);
  }
  for (const t of [x, w, gy]) t.dispose();
});

Deno.test("conv2d: default versions agree with version 1 (differential oracle), random shapes", async () => {
  // Seeded random shapes (odd sizes, strides 1–3, kernels 1–5, masks); every pass's default
  // version against version 1, the one-output-per-invocation kernel, both on this GPU.
  const r = seededRandom(2024);
  const int = (lo: number, hi: number) => lo + Math.floor(r.uniform() * (hi - lo + 1));
  for (let i = 0; i < 8; i++) {
    const K = [1, 3, 5][int(0, 2)], stride = int(1, 3), padding = int(0, (K - 1) / 2);
    const H = int(K, 11), W = int(K, 11);
    const s: ConvShape = {
      N: int(1, 2),
      C: int(1, 9),
      H,
      W,
      O: int(1, 9),
      KH: K,
      KW: K,
      stride,
      padding,
    };
    const { Ho, Wo } = outSize(s);
    const d = caseData(s, 60 + i);
    const x = Tensor.from(d.x, [s.N, s.C, H, W]), w = Tensor.from(d.w, [s.O, s.C, K, K]);
    const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]);
    const mask = i % 2 ? Tensor.from(d.mask, w.shape) : null;
    const tag = `x[${s.N},${s.C},${H},${W}] w[${s.O},${s.C},${K},${K}] s${stride} p${padding}` +
      (mask ? " masked" : "");
    const pairs: [string, (version?: number) => Tensor][] = [
      ["y", (version) => conv2dForward(x, w, { stride, padding, mask, version })],
      ["dx", (version) => conv2dBackwardInput(gy, w, x.shape, { stride, padding, mask, version })],
      ["dw", (version) => conv2dBackwardWeight(gy, x, w.shape, { stride, padding, mask, version })],
    ];
    for (const [name, run] of pairs) {
      const oracle = run(1), got = run();
      assertClose(`${tag} ${name}`, await got.read(), await oracle.read());
      oracle.dispose();
      got.dispose();
    }
    for (const t of [x, w, gy, mask]) t?.dispose();
  }
});

Deno.test("conv2d: weight gradient walks 2 dy rows per step where the output height is even, whole 4×4 images", async () => {
  // The full budget of the width-64 layers: 2 rows per step at stride 1 and 2 (8×8), one
  // where Ho is odd, and 4×4 stride-1 images whole (one step each, padding skipped); direct and
  // split, masked and not, buffers and textures (versions 2-4); thin channel tiles keep the
  // compile short.
  const budget = 4608;
  for (
    const [s, rows, whole] of [
      [{ N: 2, C: 4, H: 4, W: 4, O: 4, KH: 3, KW: 3, stride: 1, padding: 1 }, 4, true],
      [{ N: 3, C: 8, H: 4, W: 4, O: 12, KH: 3, KW: 3, stride: 1, padding: 1 }, 4, true],
      [{ N: 2, C: 4, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 }, 2, false],
      [{ N: 2, C: 4, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 2, padding: 1 }, 2, false],
      [{ N: 2, C: 4, H: 5, W: 8, O: 4, KH: 3, KW: 3, stride: 1, padding: 1 }, 1, false],
    ] as [ConvShape, number, boolean][]
  ) {
    const { Ho, Wo } = outSize(s);
    const g = convGeom([s.N, s.C, s.H, s.W], [s.O, s.C, 3, 3], s);
    const cfg = backwardWeightPlan(g, { profile, budget }).cfg;
    if (cfg.BH !== rows || Boolean(cfg.whole) !== whole) {
      throw new Error(`H${s.H}: ${cfg.BH} dy rows per step (whole ${cfg.whole}), expected ${rows}`);
    }
    const d = caseData(s, 5);
    const x = Tensor.from(d.x, [s.N, s.C, s.H, s.W]), gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]);
    const mask = Tensor.from(d.mask, [s.O, s.C, 3, 3]);
    for (const [version, split, m] of [[2, undefined, null], [3, 3, mask], [4, undefined, mask]]) {
      const gw = conv2dBackwardWeight(gy, x, [s.O, s.C, 3, 3], {
        ...s,
        mask: m as Tensor | null,
        version: version as number,
        split: split as number | undefined,
        budget,
      });
      const ref = conv2dBackwardWeightRef(s, d.gy, d.x, { mask: m ? d.mask : undefined });
      assertClose(`H${s.H} v${version} dw`, await gw.read(), ref);
      gw.dispose();
    }
    for (const t of [x, gy, mask]) t.dispose();
  }
});
