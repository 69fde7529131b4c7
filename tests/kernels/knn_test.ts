import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { KNN_MAX_K, knnMaxClasses, knnVote } from "../../kernels/knn/mod.ts";
import { knnVoteRef } from "../../kernels/knn/reference.ts";
import { type KnnCase, knnCaseRow } from "../../kernels/knn/check.ts";

await initEngine({ quiet: true });

Deno.test("knnVote: equals the f64 reference at odd shapes, with and without ties", async () => {
  const cases: KnnCase[] = [
    { rows: 1, n: 1, k: 1, classes: 1, t: 0.1, step: 0 },
    { rows: 5, n: 13, k: 4, classes: 3, t: 0.1, step: 0 },
    { rows: 3, n: 255, k: 255, classes: 7, t: 1, step: 1 / 8 },
    { rows: 17, n: 771, k: 200, classes: 10, t: 0.1, step: 0 },
    { rows: 6, n: 2053, k: KNN_MAX_K, classes: 37, t: 0.05, step: 1 / 32 },
    { rows: 11, n: 600, k: 129, classes: 4, t: 0.1, step: 1 / 2 },
  ];
  for (const c of cases) {
    const row = await knnCaseRow(c, 42);
    assert.equal(row.maxAbs, 0, `${row.shape}: a prediction differs from the reference`);
    assert.ok(row.clear >= 0.8 * c.rows, `${row.shape}: too few clear rows to compare`);
  }
});

Deno.test("knnVote: ties lowest index first, +0 above −0, class ties lowest class", async () => {
  // One query row; T = 1 keeps the weights readable. Returns [GPU class, reference class].
  const run = async (sim: number[], labels: number[], k: number) => {
    const n = sim.length;
    const ts = Tensor.from(new Float32Array(sim), [1, n]);
    const tl = Tensor.from(new Uint32Array(labels), [n]);
    const pred = knnVote(ts, tl, { k, classes: 3, temperature: 1 });
    const got = (await pred.readU32())[0];
    for (const x of [ts, tl, pred]) x.dispose();
    return [got, knnVoteRef(sim, labels, { rows: 1, n, k, classes: 3, t: 1 })[0].pred];
  };
  const sim = [0.5, 0.2, 0.5, 0.5, -0, 0], labels = [2, 0, 1, 1, 0, 2];
  // k = 1: rows 0, 2, 3 tie at 0.5; row 0 (class 2) is taken, not row 3 (class 1).
  assert.deepEqual(await run(sim, labels, 1), [2, 2]);
  // k = 2: rows 0, 2 → classes 2 and 1 with e^0.5 each → the lower class, 1.
  assert.deepEqual(await run(sim, labels, 2), [1, 1]);
  // k = n = 6: class 0 e^0.2 + 1 = 2.22, class 1 2·e^0.5 = 3.30, class 2 e^0.5 + 1 = 2.65.
  assert.deepEqual(await run(sim, labels, 6), [1, 1]);
  // +0 ranks above −0 (the kernel's key order): k = 1 takes row 1.
  assert.deepEqual(await run([-0, 0], [0, 1], 1), [1, 1]);
});

Deno.test("knnVote: rows past 65535 (2-D grid), a partial batch into a given pred", async () => {
  const rows = 65535 + 3, n = 3;
  // Row r prefers bank row r % 3, whose label is (r % 3 + 1) % 3.
  const sim = Float32Array.from({ length: rows * n }, (_, i) => {
    const r = Math.floor(i / n), j = i % n;
    return j === r % 3 ? 0.9 : -0.1 * j;
  });
  const labels = new Uint32Array([1, 2, 0]);
  const ts = Tensor.from(sim, [rows, n]), tl = Tensor.from(labels, [n]);
  const pred = knnVote(ts, tl, { k: 1, classes: 3, temperature: 0.1 });
  const got = await pred.readU32();
  assert.equal(got.length, rows);
  for (let r = 0; r < rows; r++) {
    if (got[r] !== (r % 3 + 1) % 3) assert.fail(`row ${r}: class ${got[r]}`);
  }
  // Only the first 4 rows are voted for; the rest of `given` keeps its value.
  const given = Tensor.from(new Uint32Array(8).fill(9), [8]);
  knnVote(ts, tl, { k: 1, classes: 3, temperature: 0.1, rows: 4, pred: given });
  assert.deepEqual([...await given.readU32()], [1, 2, 0, 1, 9, 9, 9, 9]);
  for (const x of [ts, tl, pred, given]) x.dispose();
});

Deno.test("knnVote: rejects what the kernel cannot do, naming the limit", () => {
  const ts = Tensor.from(new Float32Array(2 * 5), [2, 5]);
  const tl = Tensor.from(new Uint32Array(5), [5]);
  const fl = Tensor.from(new Float32Array(5), [5]);
  const o = { k: 3, classes: 2, temperature: 0.1 };
  assert.throws(() => knnVote(ts, tl, { ...o, k: 6 }), /k must be in \[1, 5\], got 6/);
  assert.throws(() => knnVote(ts, tl, { ...o, k: 0 }), /k must be in/);
  assert.throws(() => knnVote(ts, fl, o), /labels must be u32 \[5\]/);
  assert.throws(() => knnVote(ts, tl, { ...o, rows: 3 }), /3 rows asked/);
  assert.throws(() => knnVote(ts, tl, { ...o, temperature: 0 }), /temperature must be > 0/);
  const max = knnMaxClasses(3);
  assert.ok(max >= 1000, `only ${max} classes fit`);
  assert.throws(() => knnVote(ts, tl, { ...o, classes: max + 1 }), /classes must be in/);
  for (const x of [ts, tl, fl]) x.dispose();
});
