/**
 * Frozen features on the GPU for the probes and the k-NN monitor: a `FeatureBank` holds N
 * feature rows (in chunks, each under the storage-binding limit) with their labels, and two
 * kernels work on banks: `gatherRows` (a shuffled training batch out of a bank, the
 * elementwise family's gather launched per chunk) and `argmaxRows` (class predictions from
 * logits, the loss family's). Because the backbone is frozen and in inference mode, features
 * of un-augmented images never change, so validation and test features are computed once and
 * every epoch only runs the linear layer over them.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { readAll, Tensor } from "../../core/tensor.ts";
import { gemm } from "../../kernels/linear/matmul.ts";
import { gatherRowsInto } from "../../kernels/elementwise/mod.ts";
import { argmaxRows } from "../../kernels/loss/mod.ts";

/** Largest chunk, in bytes: half the binding limit, never above 64 MiB. */
export function chunkBytes(): number {
  const lim = engine().device.limits.maxStorageBufferBindingSize;
  return Math.min(64 * 2 ** 20, Math.floor(lim / 2));
}

/** N labelled feature rows of width `dim`, stored in GPU chunks of `rowsPerChunk` rows. */
export class FeatureBank {
  /** Number of rows. */
  readonly n: number;
  readonly dim: number;
  readonly rowsPerChunk: number;
  /** Chunk tensors [rows_i, dim]; the last one may be shorter. */
  readonly chunks: Tensor[];
  /** Class label of each row. */
  readonly labels: Int32Array;

  /** Allocates an uninitialised bank (fill it with `write`). */
  constructor(n: number, dim: number, labels: ArrayLike<number>, rowsPerChunk?: number) {
    if (labels.length !== n) throw new Error(`FeatureBank: ${labels.length} labels for ${n} rows`);
    this.n = n;
    this.dim = dim;
    this.rowsPerChunk = Math.max(1, rowsPerChunk ?? Math.floor(chunkBytes() / (4 * dim)));
    this.labels = Int32Array.from(labels);
    this.chunks = [];
    for (let s = 0; s < n; s += this.rowsPerChunk) {
      this.chunks.push(Tensor.empty([Math.min(this.rowsPerChunk, n - s), dim]).keep());
    }
  }

  /** A bank holding host features (row-major [n, dim]). */
  static fromHost(
    features: Float32Array,
    n: number,
    dim: number,
    labels: ArrayLike<number>,
    rowsPerChunk?: number,
  ): FeatureBank {
    if (features.length !== n * dim) {
      throw new Error(`FeatureBank.fromHost: ${features.length} values for [${n}, ${dim}]`);
    }
    const bank = new FeatureBank(n, dim, labels, rowsPerChunk);
    bank.chunks.forEach((c, i) => {
      const s = i * bank.rowsPerChunk * dim;
      engine().write(c.buffer, features.subarray(s, s + c.size));
    });
    return bank;
  }

  /**
   * Copies the first `m` rows of `rows` ([≥m, dim], a batch of features; all of them by
   * default) into rows [start, start + m) of the bank (split across chunk boundaries as
   * needed). Records copies only.
   */
  write(rows: Tensor, start: number, m = rows.shape[0]): void {
    if (rows.size !== rows.shape[0] * this.dim || m > rows.shape[0] || start + m > this.n) {
      throw new Error(
        `FeatureBank.write: [${rows.shape}] at ${start} into [${this.n}, ${this.dim}]`,
      );
    }
    let done = 0;
    while (done < m) {
      const g = start + done;
      const ci = Math.floor(g / this.rowsPerChunk);
      const local = g - ci * this.rowsPerChunk;
      const take = Math.min(m - done, this.chunks[ci].shape[0] - local);
      engine().copy(
        rows.buffer,
        this.chunks[ci].buffer,
        take * this.dim * 4,
        done * this.dim * 4,
        local * this.dim * 4,
      );
      done += take;
    }
  }

  /** First global row of chunk i. */
  chunkStart(i: number): number {
    return i * this.rowsPerChunk;
  }

  /** Reads all rows back (one GPU round trip). */
  async read(): Promise<Float32Array> {
    const out = new Float32Array(this.n * this.dim);
    (await readAll(this.chunks)).forEach((v, i) => out.set(v, this.chunkStart(i) * this.dim));
    return out;
  }

  /** Frees the GPU memory. */
  dispose(): void {
    for (const c of this.chunks) c.dispose();
  }
}

/** Which entries of the index tensor `gatherRows` takes. */
export interface GatherRowsOptions {
  /** First entry of `perm` to take. */
  offset: number;
  /** How many entries (= rows of the result). */
  rows: number;
}

/**
 * Gathers rows `perm[offset .. offset + rows)` of `bank` into a new [rows, dim] tensor.
 * `perm` is a u32 tensor of global row indices (e.g. one epoch's shuffle).
 */
export function gatherRows(bank: FeatureBank, perm: Tensor, o: GatherRowsOptions): Tensor {
  const { offset, rows } = o;
  const out = Tensor.empty([rows, bank.dim]);
  bank.chunks.forEach((c, i) =>
    gatherRowsInto(out, c, perm, { permOffset: offset, srcStart: bank.chunkStart(i) })
  );
  return out;
}

/**
 * Class predictions of the linear classifier (weight [C, dim], bias [C]) for every row of a
 * bank, read back as one array. Works chunk by chunk; nothing is recorded on the tape.
 */
export async function predictBank(
  bank: FeatureBank,
  weight: Tensor,
  bias: Tensor,
): Promise<Uint32Array> {
  const C = weight.shape[0];
  const out = new Uint32Array(bank.n);
  for (let i = 0; i < bank.chunks.length; i++) {
    const c = bank.chunks[i];
    const m = c.shape[0];
    const logits = Tensor.empty([m, C]);
    gemm({
      a: c.buffer,
      b: weight.buffer,
      c: logits.buffer,
      m,
      n: C,
      k: bank.dim,
      transB: true,
      bias: bias.buffer,
    });
    const pred = argmaxRows(logits);
    out.set(await pred.readU32(), bank.chunkStart(i));
    logits.dispose();
    pred.dispose();
  }
  return out;
}

/** Overall and per-class accuracy (percent) of predictions against labels. */
export interface Accuracy {
  /** Correct / total × 100. */
  overall: number;
  /** Per class: correct_c / count_c × 100 (0 for a class without samples). */
  perClass: number[];
  /** Samples per class. */
  counts: number[];
  correct: number;
}

/** Computes {@link Accuracy} on the CPU. */
export function accuracyOf(
  pred: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): Accuracy {
  if (pred.length !== labels.length) {
    throw new Error(`accuracyOf: ${pred.length} predictions for ${labels.length} labels`);
  }
  const hit = new Array<number>(classes).fill(0);
  const counts = new Array<number>(classes).fill(0);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    counts[y]++;
    if (pred[i] === y) {
      hit[y]++;
      correct++;
    }
  }
  return {
    overall: labels.length ? (100 * correct) / labels.length : 0,
    perClass: hit.map((h, c) => (counts[c] ? (100 * h) / counts[c] : 0)),
    counts,
    correct,
  };
}
