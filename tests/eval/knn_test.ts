import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { FeatureBank } from "../../src/eval/probe_features.ts";
import { knnAccuracy, knnPredict, normalizeBank } from "../../src/eval/knn.ts";

await initEngine({ quiet: true });

/** Deterministic normal samples (Box–Muller over a small LCG). */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Clustered features: class c centred on 3·e_c plus unit noise. */
function clusters(n: number, dim: number, classes: number, noise: number, seed: number) {
  const g = gaussian(seed);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let f = 0; f < dim; f++) x[i * dim + f] = (f === y[i] ? 3 : 0) + noise * g();
  }
  return { x, y };
}

/** CPU reference of the documented rule, in f64: top k by (sim desc, index asc), votes. */
function reference(
  tx: Float32Array,
  ty: Int32Array,
  qx: Float32Array,
  dim: number,
  k: number,
  t: number,
  classes: number,
) {
  const norm = (a: Float32Array, i: number) => {
    let s = 0;
    for (let f = 0; f < dim; f++) s += a[i * dim + f] ** 2;
    return Math.max(Math.sqrt(s), 1e-12);
  };
  const n = ty.length, m = qx.length / dim;
  const tn = Array.from({ length: n }, (_, i) => norm(tx, i));
  const out: { pred: number; margin: number; gap: number }[] = [];
  for (let q = 0; q < m; q++) {
    const qn = norm(qx, q);
    const sims = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let f = 0; f < dim; f++) s += (qx[q * dim + f] / qn) * (tx[i * dim + f] / tn[i]);
      return { s, i };
    });
    sims.sort((a, b) => b.s - a.s || a.i - b.i);
    const votes = new Array<number>(classes).fill(0);
    for (let j = 0; j < k; j++) votes[ty[sims[j].i]] += Math.exp(sims[j].s / t);
    const order = votes.map((v, c) => ({ v, c })).sort((a, b) => b.v - a.v || a.c - b.c);
    out.push({
      pred: order[0].c,
      margin: (order[0].v - (order[1]?.v ?? 0)) / order[0].v,
      gap: k < n ? sims[k - 1].s - sims[k].s : 1,
    });
  }
  return out;
}

Deno.test("knn: clustered features are classified almost perfectly (k=200, T=0.1)", async () => {
  const dim = 16, classes = 4;
  const tr = clusters(800, dim, classes, 0.8, 1);
  const va = clusters(200, dim, classes, 0.8, 2);
  const train = FeatureBank.fromHost(tr.x, 800, dim, tr.y);
  const val = FeatureBank.fromHost(va.x, 200, dim, va.y);
  normalizeBank(train);
  normalizeBank(val);
  const acc = await knnAccuracy(train, val);
  assert.ok(acc.overall >= 97, `accuracy ${acc.overall}`);
  assert.equal(acc.perClass.length, classes);
  assert.deepEqual(acc.counts, [50, 50, 50, 50]);
  train.dispose();
  val.dispose();
});

Deno.test("knn: matches the f64 reference on overlapping clusters, chunked banks", async () => {
  const dim = 12, classes = 5, k = 37, t = 0.1;
  const tr = clusters(600, dim, classes, 2.5, 3);
  const va = clusters(150, dim, classes, 2.5, 4);
  // Small chunks and query batches exercise the GEMM offsets and chunk boundaries.
  const train = FeatureBank.fromHost(tr.x, 600, dim, tr.y, 128);
  const val = FeatureBank.fromHost(va.x, 150, dim, va.y, 64);
  normalizeBank(train);
  normalizeBank(val);
  const pred = await knnPredict(train, val, { k, temperature: t, classes, queryBatch: 40 });
  const ref = reference(tr.x, tr.y, va.x, dim, k, t, classes);
  let compared = 0, wrong = 0;
  ref.forEach((r, q) => {
    // Rounding can only matter where the k-th/(k+1)-th similarities or the two best votes
    // are within f32 noise; everywhere else the prediction must match exactly.
    if (r.gap < 1e-5 || r.margin < 1e-4) return;
    compared++;
    if (pred[q] !== r.pred) wrong++;
  });
  assert.ok(compared >= 140, `only ${compared} clear cases`);
  assert.equal(wrong, 0, `${wrong} of ${compared} predictions differ from the reference`);
  // The task is hard (noise 2.5): accuracy well below 100 shows votes are not trivial.
  const acc = ref.filter((r, q) => r.pred === va.y[q]).length / 150;
  assert.ok(acc < 0.95 && acc > 0.3, `reference accuracy ${acc}`);
  train.dispose();
  val.dispose();
});

Deno.test("knn: equal similarities are taken lowest training index first; k=1 is 1-NN", async () => {
  const dim = 4;
  // Rows 0..3 are identical to the query (sim 1); rows 4..5 are farther.
  const tx = new Float32Array([
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0.8,
    0.6,
    0,
    0,
    0.6,
    0.8,
    0,
    0,
  ]);
  const ty = new Int32Array([1, 1, 0, 0, 2, 2]);
  const train = FeatureBank.fromHost(tx, 6, dim, ty);
  const q = FeatureBank.fromHost(new Float32Array([1, 0, 0, 0, 0.7, 0.7, 0, 0]), 2, dim, [1, 2]);
  normalizeBank(train);
  normalizeBank(q);
  // k=3 among four ties: rows 0,1,2 → labels 1,1,0 → class 1 (highest-index-first gives 0).
  assert.deepEqual([...await knnPredict(train, q, { k: 3, classes: 3 })].slice(0, 1), [1]);
  // k=1: nearest row of the second query (0.7,0.7)/‖·‖ is row 4 or 5 (equal sims): row 4.
  assert.deepEqual([...await knnPredict(train, q, { k: 1, classes: 3 })], [1, 2]);
  // k=6 (all): class 1 has 2·e^10, class 0 2·e^10, class 2 e^8+e^6 → tie 0/1 → class 0.
  assert.equal((await knnPredict(train, q, { k: 6, classes: 3 }))[0], 0);
  // k larger than the bank is capped.
  assert.equal((await knnPredict(train, q, { k: 200, classes: 3 }))[0], 0);
  train.dispose();
  q.dispose();
});

Deno.test("knn: normalizeBank gives unit rows", async () => {
  const bank = FeatureBank.fromHost(new Float32Array([3, 4, 0, 0, 0, 0]), 3, 2, [0, 0, 0]);
  normalizeBank(bank);
  const v = await bank.read();
  assert.deepEqual([...v].map((x) => Math.round(x * 1e6) / 1e6), [0.6, 0.8, 0, 0, 0, 0]);
  bank.dispose();
});
