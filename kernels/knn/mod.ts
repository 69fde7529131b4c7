/**
 * k-NN family: the weighted k-NN vote of the contrastive-pretraining monitor (spec §9; the
 * InstDisc / SimCLR k-NN monitor). Given the similarities of query rows to a labelled bank
 * (one GEMM of L2-normalised features, done by the caller so that a bank split into chunks
 * fills one [rows, n] matrix), one workgroup per query row selects the k most similar bank
 * rows exactly (radix select; equal similarities lowest bank index first), weights each by
 * exp(sim / T), sums the weights per class and writes the winning class (lowest on a tie).
 * Forward only: an evaluation op, never recorded on the tape, so the family has no rules.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { Tensor } from "../../core/tensor.ts";

/** The vote kernel; defines KMAX (selection slots) and CLASSES size its workgroup arrays. */
export const KNN_VOTE = defineKernel({
  name: "knn",
  file: new URL("./knn.wgsl", import.meta.url),
  params: { rows: "u32", n: "u32", k: "u32", classes: "u32", inv_t: "f32" },
  bindings: {
    sim: { access: "read", type: "f32" },
    labels: { access: "read", type: "u32" },
    pred: { access: "read_write", type: "u32" },
  },
});

/** Largest k the kernel supports (its selection lives in workgroup memory). */
export const KNN_MAX_K = 1024;

/** Options of {@link knnVote}. */
export interface KnnVoteOptions {
  /** Neighbours per query row, 1 ≤ k ≤ min(n, KNN_MAX_K). */
  k: number;
  /** Number of classes; bank labels must be below it (a larger label never votes). */
  classes: number;
  /** Vote temperature T in exp(sim / T). */
  temperature: number;
  /** Query rows to vote for, from the top of sim (default: all of sim's rows). */
  rows?: number;
  /** Where to write the classes (u32, ≥ rows entries); default: a new u32 [rows] tensor. */
  pred?: Tensor;
}

/** Selection capacity compiled into the kernel: k rounded up so nearby k share a pipeline. */
export function knnSlots(k: number): number {
  return Math.max(32, 2 ** Math.ceil(Math.log2(k)));
}

/** Largest class count whose vote array still fits the workgroup memory next to k slots. */
export function knnMaxClasses(k: number): number {
  const limit = engine().device.limits.maxComputeWorkgroupStorageSize;
  // histogram + scan (256 u32 each), state (4 u32), k weights and k labels, then the votes.
  return Math.floor((limit - 4 * (256 + 256 + 4) - 8 * knnSlots(k)) / 4);
}

/**
 * Launcher: for each of the first `rows` rows of `sim` ([rows', n] f32, query · bankᵀ), the
 * class voted by its k most similar bank rows, whose labels are `labels` (u32 [n]). Writes
 * u32 classes into `o.pred` (a new u32 [rows] tensor unless given) and returns it; no readback.
 */
export function knnVote(sim: Tensor, labels: Tensor, o: KnnVoteOptions): Tensor {
  if (sim.shape.length !== 2 || sim.dtype !== "f32") {
    throw new Error(`knnVote: sim must be f32 [rows, n], got ${sim.dtype} [${sim.shape}]`);
  }
  const [simRows, n] = sim.shape;
  const rows = o.rows ?? simRows;
  if (!Number.isInteger(rows) || rows < 0 || rows > simRows) {
    throw new Error(`knnVote: ${rows} rows asked of a [${sim.shape}] similarity matrix`);
  }
  if (labels.dtype !== "u32" || labels.size !== n) {
    throw new Error(`knnVote: labels must be u32 [${n}], got ${labels.dtype} [${labels.shape}]`);
  }
  const { k, classes } = o;
  if (!Number.isInteger(k) || k < 1 || k > Math.min(n, KNN_MAX_K)) {
    throw new Error(`knnVote: k must be in [1, ${Math.min(n, KNN_MAX_K)}], got ${k}`);
  }
  const maxClasses = knnMaxClasses(k);
  if (!Number.isInteger(classes) || classes < 1 || classes > maxClasses) {
    throw new Error(`knnVote: classes must be in [1, ${maxClasses}] at k = ${k}, got ${classes}`);
  }
  if (!(o.temperature > 0)) throw new Error(`knnVote: temperature must be > 0`);
  const out = o.pred ?? Tensor.empty([rows], "u32");
  if (out.dtype !== "u32" || out.size < rows) {
    throw new Error(`knnVote: pred must be u32 with ≥ ${rows} entries, got [${out.shape}]`);
  }
  const e = engine();
  e.run(e.compile(KNN_VOTE, { KMAX: knnSlots(k), CLASSES: classes }, "main"), {
    params: { rows, n, k, classes, inv_t: 1 / o.temperature },
    bindings: { sim: sim.buffer, labels: labels.buffer, pred: out.buffer },
    groups: [Math.min(rows, 65535), Math.ceil(rows / 65535)],
  });
  return out;
}
