import { initEngine } from "../../core/engine.ts";
import { assertClose } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";
import {
  type AugmentRecipe,
  centerOffset,
  drawView,
  drawViewFor,
  recipe,
  resizedShape,
  roundHalfEven,
  sampleResizedCrop,
  type ViewParams,
} from "../../kernels/augment/params.ts";
import { Prng } from "../../core/prng.ts";
import {
  adjustBrightnessRef,
  adjustContrastRef,
  adjustHueRef,
  adjustSaturationRef,
  cropRef,
  gaussianBlurRef,
  type Img,
  resizeRef,
  toFloat3,
} from "../../kernels/augment/reference.ts";
import { augmentKernels, caseBatch, compareBatch } from "../../kernels/augment/check.ts";
import { augment } from "../../kernels/augment/mod.ts";

await initEngine({ quiet: true });

function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

/** |observed rate − p| within 5 binomial standard errors. */
function checkRate(name: string, hits: number, n: number, p: number): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  check(Math.abs(hits / n - p) <= 5 * se, `${name}: rate ${hits / n} vs ${p} (n=${n})`);
}

Deno.test("augment reference: resize, blur and colour ops equal the PyTorch goldens", () => {
  for (const c of loadGolden("augment")) {
    const x = c.tensors.x;
    const [h, w] = x.shape;
    const img = toFloat3({ data: Uint8Array.from(x.data), height: h, width: w, channels: 3 });
    const p = c.params as Record<string, unknown>;
    let y: Img;
    if (p.op === "resize") {
      const [t, l, bh, bw] = p.box as number[];
      const [oh, ow] = p.size as number[];
      y = resizeRef(cropRef(img, { top: t, left: l, h: bh, w: bw }), {
        h: oh,
        w: ow,
        interp: p.mode as "bicubic" | "bilinear",
      });
    } else if (p.op === "blur") {
      y = gaussianBlurRef(img, p.k as number, p.sigma as number);
    } else {
      const f = p.factor as number;
      const op = {
        brightness: adjustBrightnessRef,
        contrast: adjustContrastRef,
        saturation: adjustSaturationRef,
        hue: adjustHueRef,
      }[p.op as string]!;
      y = op(img, f);
    }
    assertClose(c.name, y.data, c.tensors.y.data, { tol: 1e-6 });
  }
});

Deno.test("augment kernel: fused GPU pipeline equals the CPU reference (every check row)", async () => {
  for (const k of augmentKernels) {
    for (const r of await k.check()) {
      check(r.maxRel <= r.tol, `${k.name} ${r.shape}: ${r.maxRel} > ${r.tol}`);
    }
  }
});

Deno.test("augment params: roundHalfEven, Resize and CenterCrop geometry as torchvision", () => {
  const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [-0.5, 0], [2.4999, 2], [
    3.5,
    4,
  ]];
  for (const [x, want] of cases) check(roundHalfEven(x) === want, `round(${x}) ≠ ${want}`);
  check(String(resizedShape(375, 500, 256)) === "256,341", "Resize(256) of 375×500");
  check(String(resizedShape(500, 333, 256)) === "384,256", "Resize(256) of 500×333");
  check(centerOffset(256, 224) === 16 && centerOffset(27, 24) === 2, "center offsets");
  check(centerOffset(20, 25) === -2, "CenterCrop pads (25−20)//2 = 2 before");
  // (29 − 24)/2 = 2.5 rounds to even: 2.
  check(centerOffset(29, 24) === 2, "CenterCrop uses round-half-even");
});

Deno.test("augment params: RandomResizedCrop falls back to the central crop", () => {
  const rng = Prng.keyed(1);
  // scale > 1 can never fit: all 10 attempts fail.
  const never = { scale: [2, 3] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };
  const wide = sampleResizedCrop(rng, { height: 10, width: 40, ...never });
  check(JSON.stringify(wide) === '{"top":0,"left":13,"h":10,"w":13}', JSON.stringify(wide));
  const tall = sampleResizedCrop(rng, { height: 40, width: 10, ...never });
  check(JSON.stringify(tall) === '{"top":13,"left":0,"h":13,"w":10}', JSON.stringify(tall));
  const sq = sampleResizedCrop(rng, { height: 9, width: 10, ...never });
  check(JSON.stringify(sq) === '{"top":0,"left":0,"h":9,"w":10}', JSON.stringify(sq));
});

/** E[h·w/(H·W)] of the sampler by midpoint quadrature over (area, log ratio), 10 tries. */
function expectedAreaFraction(H: number, W: number, s: [number, number], r: [number, number]) {
  const M = 800, A = H * W, l0 = Math.log(r[0]), l1 = Math.log(r[1]);
  let pAcc = 0, eAcc = 0;
  for (let i = 0; i < M; i++) {
    const target = A * (s[0] + ((s[1] - s[0]) * (i + 0.5)) / M);
    for (let j = 0; j < M; j++) {
      const ar = Math.exp(l0 + ((l1 - l0) * (j + 0.5)) / M);
      const w = roundHalfEven(Math.sqrt(target * ar)), h = roundHalfEven(Math.sqrt(target / ar));
      if (w > 0 && w <= W && h > 0 && h <= H) {
        pAcc += 1;
        eAcc += (w * h) / A;
      }
    }
  }
  pAcc /= M * M;
  eAcc /= M * M;
  const fb = sampleResizedCrop(Prng.keyed(0), { height: H, width: W, scale: [2, 3], ratio: r });
  const miss = (1 - pAcc) ** 10;
  return (eAcc * (1 - miss)) / pAcc + (miss * fb.h * fb.w) / A;
}

Deno.test("augment params: crop area fractions match the sampler's analytic expectation", () => {
  for (const [H, W, s0] of [[32, 32, 0.1], [28, 40, 0.08]]) {
    const r: AugmentRecipe = {
      ...recipe("cifar"),
      crop: { kind: "random-resized", scale: [s0, 1], ratio: [3 / 4, 4 / 3] },
    };
    const n = 20000;
    const fr: number[] = [];
    // Rounding w and h to integers can shave at most half a pixel off each side.
    const lowest = (Math.sqrt((s0 * H * W * 3) / 4) - 0.5) *
      (Math.sqrt((s0 * H * W * 3) / 4) - 0.5) /
      (H * W);
    for (let i = 0; i < n; i++) {
      const v = drawViewFor(r, { height: H, width: W }, { seed: 7, epoch: 0, index: i, view: 0 });
      const f = (v.cropH * v.cropW) / (H * W);
      check(f <= 1 && f >= Math.min(lowest, s0), `area fraction ${f} outside [${s0}, 1]`);
      check(v.top >= 0 && v.left >= 0 && v.top + v.cropH <= H && v.left + v.cropW <= W, "box");
      fr.push(f);
    }
    const mean = fr.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(fr.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const want = expectedAreaFraction(H, W, [s0, 1], [3 / 4, 4 / 3]);
    check(Math.abs(mean - want) <= 5 * (sd / Math.sqrt(n)) + 2e-3, `mean ${mean} vs ${want}`);
    // The fraction is not simply U(s0, 1): large crops are rejected more often.
    check(want < (s0 + 1) / 2, `expectation ${want} should be below the uniform mean`);
  }
});

Deno.test("augment params: flip, jitter, grayscale, blur rates and factor ranges", () => {
  const r = recipe("imagenet");
  const src = { height: 64, width: 48 };
  const n = 24000;
  let flips = 0, jit = 0, gray = 0, grayGivenJit = 0, blur = 0;
  const perms = new Map<string, number>();
  const sums = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const v = drawViewFor(r, src, { seed: 3, epoch: 1, index: i, view: i % 2 });
    flips += +v.flip;
    gray += +v.gray;
    blur += +v.blur;
    if (v.blur) check(v.sigma >= 0.1 && v.sigma < 2 && v.kernelSize === 23, "blur σ/size");
    if (!v.jitter) continue;
    jit++;
    grayGivenJit += +v.gray;
    perms.set(v.order.join(""), (perms.get(v.order.join("")) ?? 0) + 1);
    const f = [v.brightness, v.contrast, v.saturation, v.hue];
    for (let k = 0; k < 3; k++) {
      check(f[k] >= 0.6 && f[k] < 1.4, `factor ${f[k]} outside [0.6, 1.4)`);
    }
    check(v.hue >= -0.1 && v.hue < 0.1, `hue ${v.hue}`);
    f.forEach((x, k) => sums[k] += x);
  }
  checkRate("flip", flips, n, 0.5);
  checkRate("jitter", jit, n, 0.8);
  checkRate("grayscale", gray, n, 0.2);
  checkRate("grayscale given jitter", grayGivenJit, jit, 0.2);
  checkRate("blur", blur, n, 0.5);
  // Means of U(0.6, 1.4) and U(−0.1, 0.1): standard errors 0.23/√n and 0.058/√n.
  for (let k = 0; k < 3; k++) {
    check(Math.abs(sums[k] / jit - 1) < 5 * 0.231 / Math.sqrt(jit), "mean factor");
  }
  check(Math.abs(sums[3] / jit) < 5 * 0.0578 / Math.sqrt(jit), "mean hue");
  // All 24 orders, uniformly: chi-square with 23 degrees of freedom (p ≈ 1e-5 at 60).
  check(perms.size === 24, `${perms.size} distinct orders`);
  const e = jit / 24;
  const chi2 = [...perms.values()].reduce((a, o) => a + (o - e) ** 2 / e, 0);
  check(chi2 < 60, `order chi-square ${chi2.toFixed(1)}`);
});

Deno.test("augment params: eval crop offsets uniform in [−4, 4]; test recipe deterministic", () => {
  const counts = new Map<number, number>();
  const src28 = { height: 28, width: 28 };
  const n = 9000;
  for (let i = 0; i < n; i++) {
    const v = drawViewFor(recipe("eval"), src28, { seed: 1, epoch: 0, index: i, view: 0 });
    check(
      v.resizeH === 32 && v.cropH === 28 && Math.abs(v.offY) <= 4 && Math.abs(v.offX) <= 4,
      "eval",
    );
    counts.set(v.offY, (counts.get(v.offY) ?? 0) + 1);
  }
  check(counts.size === 9, `offsets seen: ${[...counts.keys()]}`);
  for (const c of counts.values()) checkRate("eval offset", c, n, 1 / 9);
  const photo = { height: 375, width: 500 };
  const a = drawViewFor(recipe("test", 224), photo, { seed: 1, epoch: 0, index: 5, view: 0 });
  const b = drawViewFor(recipe("test", 224), photo, { seed: 9, epoch: 3, index: 5, view: 1 });
  check(JSON.stringify(a) === JSON.stringify(b), "test recipe must not be random");
  check(
    a.resizeH === 256 && a.resizeW === 341 && a.offY === 16 && a.offX === 58,
    JSON.stringify(a),
  );
});

Deno.test("augment: same seed → identical views; other seed, epoch or view → different", async () => {
  const keyed = (seed: number, epoch: number, view: number) =>
    drawViewFor(recipe("cifar"), { height: 32, width: 32 }, { seed, epoch, index: 11, view });
  check(JSON.stringify(keyed(5, 0, 0)) === JSON.stringify(keyed(5, 0, 0)), "same key");
  for (const [s, e, v] of [[6, 0, 0], [5, 1, 0], [5, 0, 1]]) {
    check(JSON.stringify(keyed(5, 0, 0)) !== JSON.stringify(keyed(s, e, v)), `key ${s},${e},${v}`);
  }
  const { images } = caseBatch(recipe("cifar"), [[32, 32, 3], [28, 28, 1]], {
    seed: 1,
    force: false,
  });
  const run = async (seed: number) => {
    const views = images.flatMap((im, i) =>
      [0, 1].map((view) => ({
        image: i,
        view: drawViewFor(recipe("cifar"), im, { seed, epoch: 0, index: i, view }),
      }))
    );
    const t = augment(images, views, { outH: 32, outW: 32 });
    const out = await t.read();
    t.dispose();
    return out;
  };
  const [a, b, c] = [await run(42), await run(42), await run(43)];
  check(a.every((x, i) => x === b[i]), "same seed must give bit-identical output");
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - c[i]));
  check(diff > 0.1, `a different seed should change the views (max diff ${diff})`);
  check(a.every((x) => x >= 0 && x <= 1), "outputs in [0, 1]");
});

Deno.test("augment kernel: a 1-channel source equals its 3-channel expansion", async () => {
  const { images } = caseBatch(recipe("cifar"), [[28, 28, 1]], { seed: 9, force: false });
  const g = images[0];
  const rgb = {
    ...g,
    channels: 3,
    data: Uint8Array.from({ length: g.data.length * 3 }, (_, i) => g.data[Math.floor(i / 3)]),
  };
  const rng = Prng.keyed(77);
  const views: ViewParams[] = Array.from(
    { length: 6 },
    () => drawView(recipe("cifar"), { height: 28, width: 28 }, rng),
  );
  const entries = views.map((view) => ({ image: 0, view }));
  const one = await compareBatch([g], entries, { outH: 32, outW: 32 });
  const three = await compareBatch([rgb], entries, { outH: 32, outW: 32 });
  assertClose("gray vs rgb", one.gpu, three.gpu, { tol: 1e-6 });
});
