import { engine, initEngine } from "../../core/engine.ts";
import { Tensor, tidy } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import { gemm, linear, matmul } from "../../kernels/linear/mod.ts";
import { linearBwdRef, linearRef, matmulRef } from "../../kernels/linear/reference.ts";
import { type GemmConfig, gemmDefines } from "../../kernels/linear/codegen.ts";
import { assertClose, finiteDiff, randn } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

Deno.test("linear: forward and backward equal PyTorch (with/without bias, odd shapes)", async () => {
  const cases = loadGolden("linear").filter((c) => c.name.startsWith("linear_"));
  if (cases.length < 4) throw new Error("linear fixtures missing");
  for (const c of cases) {
    const t = c.tensors;
    const x = Tensor.from(t.x.data, t.x.shape, { requiresGrad: true });
    const w = Tensor.from(t.w.data, t.w.shape, { requiresGrad: true });
    const b = t.b ? Tensor.from(t.b.data, t.b.shape, { requiresGrad: true }) : null;
    const y = linear(x, w, b);
    assertClose(`${c.name} y`, await y.read(), t.y.data);
    backward(y, Tensor.from(t.gy.data, t.gy.shape));
    assertClose(`${c.name} gx`, await x.grad!.read(), t.gx.data);
    assertClose(`${c.name} gw`, await w.grad!.read(), t.gw.data);
    if (b) assertClose(`${c.name} gb`, await b.grad!.read(), t.gb.data);
    for (const z of [x, w, b, y]) z?.dispose();
  }
});

Deno.test("matmul: all four transpose variants equal PyTorch", async () => {
  const cases = loadGolden("linear").filter((c) => c.name.startsWith("matmul_"));
  if (cases.length !== 8) throw new Error("matmul fixtures missing");
  for (const c of cases) {
    const t = c.tensors;
    const a = Tensor.from(t.a.data, t.a.shape), b = Tensor.from(t.b.data, t.b.shape);
    const y = matmul(a, b, {
      transA: c.params.transA as boolean,
      transB: c.params.transB as boolean,
    });
    if (y.shape.join() !== t.c.shape.join()) throw new Error(`${c.name}: shape [${y.shape}]`);
    assertClose(c.name, await y.read(), t.c.data);
    for (const z of [a, b, y]) z.dispose();
  }
});

Deno.test("linear: CPU reference gradients agree with finite differences", () => {
  const [n, i, o] = [3, 4, 2];
  const x = Float64Array.from(randn(n * i, 1)), w = Float64Array.from(randn(o * i, 2));
  const b = Float64Array.from(randn(o, 3)), gy = Float64Array.from(randn(n * o, 4));
  const dot = (y: Float64Array) => y.reduce((s, v, j) => s + v * gy[j], 0);
  const dims = { n, inF: i, outF: o };
  const ref = linearBwdRef(gy, { ...dims, x, w });
  const fx = finiteDiff((v) => dot(linearRef(v, w, { ...dims, bias: b })), x.slice());
  const fw = finiteDiff((v) => dot(linearRef(x, v, { ...dims, bias: b })), w.slice());
  const fb = finiteDiff((v) => dot(linearRef(x, w, { ...dims, bias: v })), b.slice());
  assertClose("gx", ref.gx, fx, { tol: 1e-6 });
  assertClose("gw", ref.gw, fw, { tol: 1e-6 });
  assertClose("gb", ref.gb, fb, { tol: 1e-6 });
});

Deno.test("gemm: strided views, offsets, alpha and accumulate (odd and aligned)", async () => {
  // C[r0.., c0..] (+)= alpha · A[sub] · B[sub] inside larger row-major buffers.
  for (const [m, n, k, vec] of [[5, 7, 9, false], [24, 20, 36, true]] as const) {
    const lda = k + (vec ? 4 : 3), ldb = n + (vec ? 8 : 1), ldc = n + (vec ? 4 : 5);
    const offA = vec ? 8 : 3, offB = vec ? 4 : 2, offC = vec ? 12 : 1;
    const A = randn(offA + m * lda, 11), B = randn(offB + k * ldb, 12);
    const C0 = randn(offC + m * ldc, 13);
    const [ta, tb, tc] = [
      Tensor.from(A, [A.length]),
      Tensor.from(B, [B.length]),
      Tensor.from(C0, [C0.length]),
    ];
    gemm({
      a: ta.buffer,
      b: tb.buffer,
      c: tc.buffer,
      m,
      n,
      k,
      lda,
      ldb,
      ldc,
      offA,
      offB,
      offC,
      alpha: 0.5,
      accumulate: true,
    });
    // The dense [rows, cols] view at element `off` with row stride `ld`.
    const sub = (src: Float32Array, v: { off: number; ld: number; rows: number; cols: number }) =>
      Float64Array.from(
        { length: v.rows * v.cols },
        (_, j) => src[v.off + Math.floor(j / v.cols) * v.ld + (j % v.cols)],
      );
    const subA = sub(A, { off: offA, ld: lda, rows: m, cols: k });
    const prod = matmulRef(subA, sub(B, { off: offB, ld: ldb, rows: k, cols: n }), {
      m,
      n,
      k,
      alpha: 0.5,
    });
    const want = Float64Array.from(C0);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) want[offC + r * ldc + c] += prod[r * n + c];
    }
    assertClose(`gemm ${m}×${n}×${k} strided`, await tc.read(), want, { tol: 1e-5 });
    for (const t of [ta, tb, tc]) t.dispose();
  }
});

Deno.test("linear: a frozen input gets no gradient work; memory returns to the pool", async () => {
  const x = Tensor.from(randn(6 * 8, 5), [6, 8]);
  const w = Tensor.from(randn(4 * 8, 6), [4, 8], { requiresGrad: true });
  const before = engine().pool.liveCount;
  tidy(() => backward(linear(x, w)));
  if (x.grad !== null) throw new Error("x got a gradient");
  const ref = linearBwdRef(new Float64Array(24).fill(1), {
    x: await x.read(),
    w: await w.read(),
    n: 6,
    inF: 8,
    outF: 4,
  });
  assertClose("gw", await w.grad!.read(), ref.gw);
  w.grad!.dispose();
  w.grad = null;
  if (engine().pool.liveCount > before) throw new Error("leaked buffers");
  x.dispose();
  w.dispose();
});

Deno.test("gemm: more rows than one dispatch can cover run as row bands", async () => {
  // A 4×4 tile with 8 invocations covers 65535·4 rows per dispatch; go past it.
  const [m, n, k] = [65535 * 4 + 9, 3, 2];
  const A = randn(m * k, 91), B = randn(k * n, 92);
  const ta = Tensor.from(A, [m, k]), tb = Tensor.from(B, [k, n]), tc = Tensor.empty([m, n]);
  const before = engine().dispatchCount;
  gemm({ a: ta.buffer, b: tb.buffer, c: tc.buffer, m, n, k }, { rows: 4, cols: 4, wgx: 8, wgy: 1 });
  if (engine().dispatchCount - before !== 2) throw new Error("expected two row bands");
  const out = await tc.read();
  const rows = [0, 1, 65535 * 4 - 1, 65535 * 4, m - 1];
  const pick = (src: ArrayLike<number>, w: number) =>
    rows.flatMap((r) => Array.from({ length: w }, (_, j) => src[r * w + j]));
  const want = matmulRef(pick(A, k), B, { m: rows.length, n, k });
  assertClose("band edges", pick(out, n), want, { tol: 1e-6 });
  for (const t of [ta, tb, tc]) t.dispose();
});

const TILE_SIDES = [4, 8, 16] as const;

Deno.test("gemm codegen: each 4×4 block of a tile is declared, loaded, updated, stored once", () => {
  const flags = { transA: false, transB: false, vecA: true, vecB: true, vecC: true };
  for (const rows of TILE_SIDES) {
    for (const cols of TILE_SIDES) {
      const cfg: GemmConfig = {
        rows,
        cols,
        wgx: 8,
        wgy: 1,
        ...flags,
        bias: false,
        accumulate: false,
      };
      const d = gemmDefines(cfg);
      const step = String(d.STEP).split("\n").map((l) => l.trim());
      const count = (text: unknown, line: string) =>
        String(text).split("\n").filter((l) => l.trim() === line).length;
      const at = (base: string, block: number) => (block ? `${base} + ${4 * block}u` : base);
      const where = `${rows}×${cols}`;
      const lines = (rows / 4) * (cols / 4);
      for (const [name, text] of [["DECLS", d.DECLS], ["STORE", d.STORE]]) {
        const n = String(text).split("\n").length;
        if (n !== lines) throw new Error(`${where}: ${name} has ${n} lines, expected ${lines}`);
      }
      for (let i = 0; i < rows / 4; i++) {
        const load = `let a${i} = a_block(${at("m0", i)}, k);`;
        if (count(d.STEP, load) !== 1) throw new Error(`${where}: "${load}" not once`);
      }
      for (let j = 0; j < cols / 4; j++) {
        const load = `let b${j} = b_block(${at("n0", j)}, k);`;
        if (count(d.STEP, load) !== 1) throw new Error(`${where}: "${load}" not once`);
      }
      for (let i = 0; i < rows / 4; i++) {
        for (let j = 0; j < cols / 4; j++) {
          const acc = `acc${i}${j}`, fma = `${acc} += b${j} * a${i};`;
          const expect: [unknown, string][] = [
            [d.DECLS, `var ${acc} = mat4x4<f32>();`],
            [d.STEP, fma],
            [d.STORE, `store_block(${at("m0", i)}, ${at("n0", j)}, ${acc});`],
          ];
          for (const [text, line] of expect) {
            if (count(text, line) !== 1) throw new Error(`${where}: "${line}" not once`);
          }
          // Both operands are loaded before the product that reads them.
          const use = step.indexOf(fma);
          if (!(step.findIndex((l) => l.startsWith(`let a${i} =`)) < use)) {
            throw new Error(`${where}: a${i} used before it is loaded`);
          }
          if (!(step.findIndex((l) => l.startsWith(`let b${j} =`)) < use)) {
            throw new Error(`${where}: b${j} used before it is loaded`);
          }
        }
      }
      if (step.length !== rows / 4 + cols / 4 + lines) throw new Error(`${where}: extra lines`);
    }
  }
});

Deno.test("gemm: every register tile (4, 8, 16 rows × columns) equals the reference", async () => {
  // A vec4 layout with bias and alpha, and a transposed scalar one, neither a multiple of the
  // tile (clamped edge blocks), for each of the nine generated tiles.
  const cases = [
    { m: 36, n: 44, k: 20, transA: false, transB: true, bias: true, alpha: 0.75 },
    { m: 19, n: 23, k: 13, transA: true, transB: false, bias: false, alpha: 1 },
  ];
  for (const c of cases) {
    const A = randn(c.m * c.k, c.m + c.k), B = randn(c.k * c.n, c.n), bias = randn(c.n, 7);
    const ta = Tensor.from(A, [A.length]), tb = Tensor.from(B, [B.length]);
    const tbias = Tensor.from(bias, [c.n]);
    const want = matmulRef(A, B, { ...c, bias: c.bias ? bias : undefined });
    for (const rows of TILE_SIDES) {
      for (const cols of TILE_SIDES) {
        const tc = Tensor.empty([c.m, c.n]);
        gemm({
          a: ta.buffer,
          b: tb.buffer,
          c: tc.buffer,
          m: c.m,
          n: c.n,
          k: c.k,
          transA: c.transA,
          transB: c.transB,
          alpha: c.alpha,
          bias: c.bias ? tbias.buffer : undefined,
        }, { rows, cols, wgx: 2, wgy: 4 });
        assertClose(`${c.m}×${c.n}×${c.k} tile ${rows}×${cols}`, await tc.read(), want, {
          tol: 1e-5,
        });
        tc.dispose();
      }
    }
    for (const t of [ta, tb, tbias]) t.dispose();
  }
});
