/**
 * The results file that every linear / few-shot probe writes into its run folder
 * (`<run>/linear/results.json`, `<run>/fewshot/results.json`). It holds everything the
 * analysis needs (docs/method.md §7, §8), so `deno task analyse` never has to parse logs.
 * @module
 */
import { dirname } from "node:path";
import { UserError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";

/** Version tag of the results file; bump it when a field changes meaning. */
export const RESULTS_SCHEMA = "sdclr-results/1";

/** Which evaluation produced the file: full-shot linear probe or few-shot probe on S_b. */
export type Stage = "linear" | "fewshot";

/** The stages, in the order the analysis reports them. */
export const STAGES: readonly Stage[] = ["linear", "fewshot"];

/**
 * How classes are split into Many/Medium/Few groups (docs/method.md §8): thirds by D_i count rank
 * (CIFAR, Fashion-MNIST) or the ImageNet count thresholds.
 */
export type Grouping = "cifar-thirds" | "imagenet-thresholds";

/** The groupings a results file may name. */
export const GROUPINGS: readonly Grouping[] = ["cifar-thirds", "imagenet-thresholds"];

/**
 * How the probe was trained: `paper` = augmented images through the frozen backbone every
 * epoch (docs/method.md §7); `cached-features` = features extracted once without augmentation.
 */
export type Protocol = "paper" | "cached-features";

/** The protocols a results file may name. */
export const PROTOCOLS: readonly Protocol[] = ["paper", "cached-features"];

/** One probe-training epoch. */
export interface EpochRecord {
  epoch: number;
  /** Validation accuracy after this epoch, percent. */
  val_acc: number;
  /** Mean training loss over the epoch. */
  train_loss: number;
}

/** Contents of `<run>/<stage>/results.json` (schema `sdclr-results/1`). */
export interface Results {
  schema: typeof RESULTS_SCHEMA;
  stage: Stage;
  /** Pretraining method, e.g. "simclr" or "sdclr". */
  method: string;
  /** Optional display label; the analysis groups runs by `label ?? method`. */
  label?: string;
  /** Data set name, e.g. "cifar10", "cifar100", "imagenet100", "fashion-mnist". */
  dataset: string;
  /** Split name, e.g. "split1". */
  split: string;
  /** Number of classes C. */
  classes: number;
  /** Optional class names, length C. */
  class_names?: string[];
  /** Per-class image count in the split's PRETRAINING set D_i (what groups are ranked by). */
  train_counts: number[];
  grouping: Grouping;
  /** Epoch whose validation accuracy was best; its test accuracies are reported. */
  best_epoch: number;
  /** Validation accuracy at `best_epoch`, percent. */
  val_acc: number;
  /** Overall test accuracy at `best_epoch`, percent. */
  test_acc: number;
  /** Per-class test accuracy at `best_epoch`, percent, length C. */
  per_class_acc: number[];
  epochs: EpochRecord[];
  /** Path of the pretrained checkpoint that was probed. */
  checkpoint: string;
  protocol: Protocol;
  /** When the file was written, ISO 8601. */
  created: string;
}

type Obj = Record<string, unknown>;

function fail(source: string, msg: string): never {
  throw new UserError(`${source}: ${msg}`);
}

function field(o: Obj, key: string, source: string): unknown {
  if (!(key in o) || o[key] === undefined) fail(source, `missing field "${key}"`);
  return o[key];
}

function str(o: Obj, key: string, source: string): string {
  const v = field(o, key, source);
  if (typeof v !== "string" || v.length === 0) {
    fail(source, `field "${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, allowed: readonly T[], source: string): T {
  const v = str(o, key, source);
  if (!(allowed as readonly string[]).includes(v)) {
    fail(source, `field "${key}" must be one of ${allowed.join(", ")}, got "${v}"`);
  }
  return v as T;
}

function finite(v: unknown, what: string, source: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    fail(source, `${what} must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function percent(v: unknown, what: string, source: string): number {
  const x = finite(v, what, source);
  if (x < 0 || x > 100) fail(source, `${what} must be a percentage in [0, 100], got ${x}`);
  return x;
}

function int(v: unknown, what: string, source: string, min: number): number {
  const x = finite(v, what, source);
  if (!Number.isInteger(x) || x < min) {
    fail(source, `${what} must be an integer ≥ ${min}, got ${x}`);
  }
  return x;
}

function array(o: Obj, key: string, source: string, length?: number): unknown[] {
  const v = field(o, key, source);
  if (!Array.isArray(v)) fail(source, `field "${key}" must be an array`);
  if (length !== undefined && v.length !== length) {
    fail(source, `field "${key}" has length ${v.length}, expected ${length} (= classes)`);
  }
  return v;
}

/**
 * Checks that `x` is a valid results object and returns it typed. `source` (usually the file
 * path) prefixes every error. Unknown extra fields are kept, so later writers can add some.
 * Throws UserError naming the first problem found (missing field, wrong length, bad value).
 */
export function validateResults(x: unknown, source = "results"): Results {
  if (typeof x !== "object" || x === null || Array.isArray(x)) {
    fail(source, "expected a JSON object");
  }
  const o = x as Obj;
  const schema = field(o, "schema", source);
  if (schema !== RESULTS_SCHEMA) {
    fail(source, `unsupported schema ${JSON.stringify(schema)}, expected "${RESULTS_SCHEMA}"`);
  }
  oneOf(o, "stage", STAGES, source);
  str(o, "method", source);
  if (o.label !== undefined) str(o, "label", source);
  str(o, "dataset", source);
  str(o, "split", source);
  const classes = int(field(o, "classes", source), `field "classes"`, source, 1);
  if (o.class_names !== undefined) {
    array(o, "class_names", source, classes).forEach((n, i) => {
      if (typeof n !== "string") fail(source, `class_names[${i}] must be a string`);
    });
  }
  array(o, "train_counts", source, classes).forEach((n, i) =>
    int(n, `train_counts[${i}]`, source, 0)
  );
  oneOf(o, "grouping", GROUPINGS, source);
  const best = int(field(o, "best_epoch", source), `field "best_epoch"`, source, 0);
  percent(field(o, "val_acc", source), `field "val_acc"`, source);
  percent(field(o, "test_acc", source), `field "test_acc"`, source);
  array(o, "per_class_acc", source, classes).forEach((a, i) =>
    percent(a, `per_class_acc[${i}]`, source)
  );
  const epochs = array(o, "epochs", source);
  epochs.forEach((e, i) => {
    if (typeof e !== "object" || e === null) fail(source, `epochs[${i}] must be an object`);
    const r = e as Obj;
    int(field(r, "epoch", `${source}: epochs[${i}]`), `epochs[${i}].epoch`, source, 0);
    percent(field(r, "val_acc", `${source}: epochs[${i}]`), `epochs[${i}].val_acc`, source);
    finite(field(r, "train_loss", `${source}: epochs[${i}]`), `epochs[${i}].train_loss`, source);
  });
  // A best epoch that no epoch record mentions means the probe saved the wrong bookkeeping.
  if (epochs.length > 0 && !epochs.some((e) => (e as Obj).epoch === best)) {
    fail(source, `best_epoch ${best} does not appear in "epochs"`);
  }
  if (typeof field(o, "checkpoint", source) !== "string") {
    fail(source, `field "checkpoint" must be a string`);
  }
  oneOf(o, "protocol", PROTOCOLS, source);
  const created = str(o, "created", source);
  if (Number.isNaN(Date.parse(created))) {
    fail(source, `field "created" must be an ISO 8601 date, got "${created}"`);
  }
  return o as unknown as Results;
}

/** Path of the results file of `stage` inside run folder `runDir`. */
export function resultsPath(runDir: string, stage: Stage): string {
  return `${runDir.replace(/\/+$/, "")}/${stage}/results.json`;
}

/**
 * Reads and validates a results file. Throws UserError when the file is missing, is not
 * JSON, or fails validation (the message names the file and the problem).
 */
export async function readResults(path: string): Promise<Results> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(`${path}: not found; run deno task linear (or fewshot) first`);
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return validateResults(json, path);
}

/**
 * Validates `r` and writes it to `path` atomically (creating the parent folder), pretty-
 * printed so a person can read it. Throws UserError if `r` is invalid, before writing.
 */
export async function writeResults(path: string, r: Results): Promise<void> {
  validateResults(r, path);
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(r, null, 2) + "\n");
}
