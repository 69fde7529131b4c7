/**
 * Weighted k-NN accuracy on frozen features: the cheap monitor of contrastive pretraining
 * (spec §9). The choice follows the instance-discrimination monitors (Wu et al. 2018,
 * "InstDisc", and the k-NN monitor common in SimCLR/MoCo code): features are L2-normalised,
 * similarity is the cosine (a dot product), the k = 200 most similar training rows vote for
 * their class with weight exp(sim / 0.1), votes are summed per class and the largest total
 * wins (lowest class on an exact tie; among equal similarities the lower training index is
 * a neighbour first).
 *
 * All of it runs on the GPU: per batch of query rows, one GEMM gives the similarities to all
 * training rows (chunk by chunk into one [B, N] matrix), and one workgroup per query row
 * selects the top k exactly (radix select) and votes; only the predicted class per query
 * row is read back.
 * @module
 */
import { engine, Params } from "../gpu/engine.ts";
import { Tensor } from "../autodiff/tensor.ts";
import { gemm } from "../../kernels/linear/matmul.ts";
import { type Accuracy, accuracyOf, chunkBytes, type FeatureBank } from "./probe_features.ts";

const KNN = new URL("./wgsl/knn.wgsl", import.meta.url);
const NORMALIZE = new URL("./wgsl/normalize_rows.wgsl", import.meta.url);

/** Defaults of the monitor (InstDisc / SimCLR k-NN monitors). */
export const KNN_DEFAULTS = { k: 200, temperature: 0.1 } as const;

/** Largest k the kernel supports (its selection lives in workgroup memory). */
export const KNN_MAX_K = 1024;

/** Options of {@link knnPredict}. */
export interface KnnOptions {
  /** Neighbours (default 200; capped at the number of training rows). */
  k?: number;
  /** Vote temperature T in exp(sim / T) (default 0.1). */
  temperature?: number;
  /** Number of classes (default: 1 + the largest training label). */
  classes?: number;
  /** Query rows per GEMM (default: as many as a 64 MiB similarity block holds, ≤ 1024). */
  queryBatch?: number;
}

/** L2-normalises every row of a [rows, dim] tensor in place. */
export function normalizeRowsInPlace(x: Tensor): void {
  const [rows, dim] = x.shape;
  const e = engine();
  const groups = Math.ceil(rows / 64);
  e.dispatch(e.kernel(NORMALIZE, {}, "main"), new Params().u32(rows, dim), [x.buffer], [
    Math.min(groups, 65535),
    Math.ceil(groups / 65535),
  ]);
}

/** L2-normalises every row of a bank in place. */
export function normalizeBank(bank: FeatureBank): void {
  for (const c of bank.chunks) normalizeRowsInPlace(c);
}

/**
 * Predicts the class of every row of `query` by weighted k-NN over `train`. Both banks must
 * already be L2-normalised (normalizeBank) for the similarity to be the cosine.
 */
export async function knnPredict(
  train: FeatureBank,
  query: FeatureBank,
  opts: KnnOptions = {},
): Promise<Uint32Array> {
  if (train.dim !== query.dim) {
    throw new Error(`knn: train features have ${train.dim} dims, query features ${query.dim}`);
  }
  const n = train.n;
  if (n === 0) throw new Error("knn: empty training bank");
  const k = Math.min(opts.k ?? KNN_DEFAULTS.k, n);
  if (k < 1 || k > KNN_MAX_K) throw new Error(`knn: k must be in [1, ${KNN_MAX_K}], got ${k}`);
  let maxLabel = 0;
  for (const l of train.labels) maxLabel = Math.max(maxLabel, l);
  const classes = opts.classes ?? maxLabel + 1;
  if (maxLabel >= classes) throw new Error(`knn: label ${maxLabel} ≥ classes ${classes}`);
  const t = opts.temperature ?? KNN_DEFAULTS.temperature;
  const B = Math.max(
    1,
    Math.min(opts.queryBatch ?? Math.floor(chunkBytes() / (4 * n)), 1024, query.n),
  );
  const e = engine();
  // Rounded up so that monitors with nearby k share one compiled kernel.
  const kmax = Math.max(32, 2 ** Math.ceil(Math.log2(k)));
  const kern = e.kernel(KNN, { KMAX: kmax, CLASSES: classes }, "main");
  const labels = Tensor.from(Uint32Array.from(train.labels), [n]);
  const sim = Tensor.empty([B, n]);
  const pred = Tensor.empty([B], "u32");
  const out = new Uint32Array(query.n);
  try {
    for (let qc = 0; qc < query.chunks.length; qc++) {
      const chunk = query.chunks[qc];
      const rows = chunk.shape[0];
      for (let r0 = 0; r0 < rows; r0 += B) {
        const m = Math.min(B, rows - r0);
        train.chunks.forEach((tc, i) => {
          gemm({
            a: chunk.buffer,
            b: tc.buffer,
            c: sim.buffer,
            m,
            n: tc.shape[0],
            k: train.dim,
            transB: true,
            offA: r0 * train.dim,
            ldc: n,
            offC: train.chunkStart(i),
          });
        });
        const params = new Params().u32(m, n, k, classes).f32(1 / t).u32(0, 0, 0);
        e.dispatch(kern, params, [sim.buffer, labels.buffer, pred.buffer], [
          Math.min(m, 65535),
          Math.ceil(m / 65535),
        ]);
        const got = new Uint32Array(await e.read(pred.buffer, m * 4));
        out.set(got, query.chunkStart(qc) + r0);
      }
    }
  } finally {
    labels.dispose();
    sim.dispose();
    pred.dispose();
  }
  return out;
}

/** k-NN accuracy (overall and per class, percent) of `query` against `train`. */
export async function knnAccuracy(
  train: FeatureBank,
  query: FeatureBank,
  opts: KnnOptions = {},
): Promise<Accuracy> {
  let maxLabel = 0;
  for (const l of train.labels) maxLabel = Math.max(maxLabel, l);
  for (const l of query.labels) maxLabel = Math.max(maxLabel, l);
  const classes = opts.classes ?? maxLabel + 1;
  const pred = await knnPredict(train, query, { ...opts, classes });
  return accuracyOf(pred, query.labels, classes);
}
