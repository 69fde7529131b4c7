/**
 * Softmax cross-entropy (linear evaluation, spec §7), correct-prediction counting and class
 * predictions (row argmax) on the GPU.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { record, type RuleCtx } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";
import { sumScaled } from "./ntxent.ts";

/**
 * Softmax cross-entropy rows and gradient (entries ce_rows, ce_backward). Compiled with VEC
 * false: rows are read as f32 through the shared row reduction (kernels/shared).
 */
export const CROSS_ENTROPY = defineKernel({
  name: "cross_entropy",
  file: new URL("./cross_entropy.wgsl", import.meta.url),
  params: { n: "u32", c: "u32", inv_n: "f32" },
  bindings: {
    x: { access: "read", type: "f32" },
    labels: { access: "read", type: "u32" },
    out: { access: "read_write", type: "f32" },
    gy: { access: "read", type: "f32" },
  },
});

/** Per-class argmax-correct and total counters (entry count_correct). */
export const COUNT_CORRECT = defineKernel({
  name: "accuracy",
  file: new URL("./accuracy.wgsl", import.meta.url),
  params: { n: "u32", c: "u32" },
  bindings: {
    x: { access: "read", type: "f32" },
    labels: { access: "read", type: "u32" },
    counts: { access: "read_write", type: "atomic<u32>" },
  },
});

/** Row argmax, NaN never winning (entry argmax_rows). */
export const ARGMAX_ROWS = defineKernel({
  name: "argmax",
  file: new URL("./argmax.wgsl", import.meta.url),
  params: { rows: "u32", cols: "u32" },
  bindings: {
    x: { access: "read", type: "f32" },
    out: { access: "read_write", type: "u32" },
  },
});

/** The row-reduction variant cross_entropy.wgsl is compiled with (f32 rows). */
export const CE_DEFINES = { VEC: false };

declare module "../../core/tape.ts" {
  interface SavedMap {
    cross_entropy: Record<never, never>;
  }
}

function checkLogits(op: string, logits: Tensor, labels: Tensor): [number, number] {
  if (logits.shape.length !== 2 || logits.dtype !== "f32") {
    throw new Error(`${op}: logits must be f32 [N, C], got ${logits.dtype} [${logits.shape}]`);
  }
  const [n, c] = logits.shape;
  if (labels.dtype !== "u32" || labels.size !== n) {
    throw new Error(
      `${op}: labels must be u32 [${n}] (one class index per row), got ${labels.dtype} ` +
        `[${labels.shape}]`,
    );
  }
  if (c < 1) throw new Error(`${op}: no classes`);
  return [n, c];
}

/**
 * Mean softmax cross-entropy of logits [N, C] against labels (u32 [N], each < C), as PyTorch's
 * F.cross_entropy. Differentiable in the logits.
 */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const [n, c] = checkLogits("crossEntropy", logits, labels);
  const rows = Tensor.empty([n]);
  const e = engine();
  e.run(e.compile(CROSS_ENTROPY, CE_DEFINES, "ce_rows"), {
    params: { n, c, inv_n: 1 / n },
    bindings: { x: logits.buffer, labels: labels.buffer, out: rows.buffer },
    groups: [Math.ceil(n / 64)],
  });
  const loss = sumScaled(rows, 1 / n);
  rows.dispose();
  return record("cross_entropy", { inputs: [logits, labels], output: loss, saved: {} });
}

/** Launcher: gx = gy[0]/N · (softmax(logits) − onehot(labels)). */
export function crossEntropyBackward(gy: Tensor, logits: Tensor, labels: Tensor): Tensor {
  const [n, c] = checkLogits("crossEntropyBackward", logits, labels);
  const gx = Tensor.empty(logits.shape);
  const e = engine();
  e.run(e.compile(CROSS_ENTROPY, CE_DEFINES, "ce_backward"), {
    params: { n, c, inv_n: 1 / n },
    bindings: { x: logits.buffer, labels: labels.buffer, out: gx.buffer, gy: gy.buffer },
    groups: [Math.ceil(n / 64)],
  });
  return gx;
}

/** Backward rule of "cross_entropy" (labels get no gradient). */
export function crossEntropyRule(c: RuleCtx<"cross_entropy">, gy: Tensor): (Tensor | null)[] {
  return [c.needsGrad[0] ? crossEntropyBackward(gy, c.inputs[0], c.inputs[1]) : null, null];
}

/** Correct-prediction counts, overall and per class. */
export interface AccuracyCounts {
  /** Rows whose argmax equals the label. */
  correct: number;
  /** Rows counted (labels < C). */
  total: number;
  perClassCorrect: number[];
  perClassTotal: number[];
}

/**
 * Counts correct argmax predictions on the GPU, accumulating across batches (`add` records one
 * dispatch, no readback); `read` fetches the 2C counters once.
 */
export class AccuracyCounter {
  readonly numClasses: number;
  #counts: Tensor;

  constructor(numClasses: number) {
    if (!(numClasses >= 1)) throw new Error(`AccuracyCounter: numClasses must be ≥ 1`);
    this.numClasses = numClasses;
    this.#counts = Tensor.zeros([2 * numClasses], "u32").keep();
  }

  /** Adds a batch: logits [N, C] (C = numClasses), labels u32 [N]. */
  add(logits: Tensor, labels: Tensor): void {
    const [n, c] = checkLogits("AccuracyCounter.add", logits, labels);
    if (c !== this.numClasses) {
      throw new Error(`AccuracyCounter.add: logits have ${c} classes, expected ${this.numClasses}`);
    }
    const e = engine();
    e.run(e.compile(COUNT_CORRECT, {}, "count_correct"), {
      params: { n, c },
      bindings: { x: logits.buffer, labels: labels.buffer, counts: this.#counts.buffer },
      groups: [Math.ceil(n / 64)],
    });
  }

  /** Reads the counts accumulated so far. */
  async read(): Promise<AccuracyCounts> {
    const v = await this.#counts.readU32();
    const c = this.numClasses;
    const perClassTotal = Array.from(v.subarray(0, c));
    const perClassCorrect = Array.from(v.subarray(c, 2 * c));
    return {
      correct: perClassCorrect.reduce((a, b) => a + b, 0),
      total: perClassTotal.reduce((a, b) => a + b, 0),
      perClassCorrect,
      perClassTotal,
    };
  }

  /** Clears the counters. */
  reset(): void {
    engine().write(this.#counts.buffer, new Uint32Array(2 * this.numClasses));
  }

  /** Releases the counter buffer. */
  dispose(): void {
    this.#counts.dispose();
  }
}

/** One-shot count for a single batch (reads back 2C numbers). */
export async function countCorrect(logits: Tensor, labels: Tensor): Promise<AccuracyCounts> {
  const acc = new AccuracyCounter(logits.shape[1]);
  try {
    acc.add(logits, labels);
    return await acc.read();
  } finally {
    acc.dispose();
  }
}

/**
 * Class predictions: the row-wise argmax of logits [N, C] (first maximum, as torch.argmax; NaN
 * never wins over a number) as a new u32 [N] tensor. Not recorded; no readback.
 */
export function argmaxRows(logits: Tensor): Tensor {
  if (logits.shape.length !== 2 || logits.dtype !== "f32" || logits.shape[1] < 1) {
    throw new Error(
      `argmaxRows: logits must be f32 [N, C ≥ 1], got ${logits.dtype} [${logits.shape}]`,
    );
  }
  const [rows, cols] = logits.shape;
  const out = Tensor.empty([rows], "u32");
  const e = engine();
  const groups = Math.ceil(rows / 64);
  e.run(e.compile(ARGMAX_ROWS, {}, "argmax_rows"), {
    params: { rows, cols },
    bindings: { x: logits.buffer, out: out.buffer },
    groups: [Math.min(groups, 65535), Math.ceil(groups / 65535)],
  });
  return out;
}
