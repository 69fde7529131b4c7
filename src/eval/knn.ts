/**
 * Weighted k-NN accuracy on frozen features: the cheap monitor of contrastive pretraining
 * (docs/method.md §9). The choice follows the instance-discrimination monitors (Wu et al. 2018,
 * "InstDisc", and the k-NN monitor common in SimCLR/MoCo code): features are L2-normalised,
 * similarity is the cosine (a dot product), the k = 200 most similar training rows vote for
 * their class with weight exp(sim / 0.1), votes are summed per class and the largest total
 * wins (lowest class on an exact tie; among equal similarities the lower training index is
 * a neighbour first).
 *
 * All of it runs on the GPU: per batch of query rows, one GEMM gives the similarities to all
 * training rows (chunk by chunk into one [B, N] matrix), and the knn family's vote kernel
 * (one workgroup per query row) selects the top k exactly (radix select) and votes; only the
 * predicted class per query row is read back. Rows are normalised by the normalize family's
 * l2NormalizeForward (F.normalize, eps 1e-12).
 * @module
 */
import { Tensor } from "../../core/tensor.ts";
import { gemm } from "../../kernels/linear/matmul.ts";
import { l2NormalizeForward } from "../../kernels/normalize/mod.ts";
import { KNN_MAX_K, knnVote } from "../../kernels/knn/mod.ts";
import { type Accuracy, accuracyOf, chunkBytes, type FeatureBank } from "./probe_features.ts";

/** Defaults of the monitor (InstDisc / SimCLR k-NN monitors). */
export const KNN_DEFAULTS = { k: 200, temperature: 0.1 } as const;

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

/**
 * L2-normalises every row of a bank (x / max(‖x‖, 1e-12), as F.normalize). Each chunk is
 * replaced by its normalised copy rather than overwritten: the same peak memory (one chunk
 * more) as a copy back, without the copy.
 */
export function normalizeBank(bank: FeatureBank): void {
  bank.chunks.forEach((c, i) => {
    const { u, norm } = l2NormalizeForward(c);
    norm.dispose();
    bank.chunks[i] = u.keep();
    c.dispose();
  });
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
        knnVote(sim, labels, { k, classes, temperature: t, rows: m, pred });
        out.set((await pred.readU32()).subarray(0, m), query.chunkStart(qc) + r0);
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
