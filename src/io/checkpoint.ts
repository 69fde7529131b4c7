/**
 * High-level checkpoint helpers. `loadStateDict` pulls the weights out of any common PyTorch
 * checkpoint layout (the authors' files included). The suite's own checkpoints use ONE format,
 * a `.pt` zip that PyTorch users can `torch.load(path, weights_only=True)`:
 * `{state_dict: OrderedDict, momentum: OrderedDict, masks: OrderedDict, epoch: int, step: int,
 * rng: [int], config: str (JSON)}`, plus `bcl: OrderedDict` (the loss memory and the weights)
 * in BCL runs. Tensors round-trip bit-exactly.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import { formatTorch, loadTorch, parseTorch } from "./torch_file.ts";
import type { PyWritable } from "./torch_pickle.ts";
import { readInputFile } from "./read_file.ts";
import {
  isTensor,
  OrderedDict,
  type PyKey,
  type PyValue,
  type TorchTensor,
} from "./torch_types.ts";

/** Keys under which training scripts commonly nest the state dict, tried in this order. */
const WRAPPER_KEYS = ["state_dict", "model", "net", "model_state_dict"];

function tensorMap(v: PyValue | undefined): Map<string, TorchTensor> | null {
  if (!(v instanceof Map) || v.size === 0) return null;
  for (const [k, x] of v) if (typeof k !== "string" || !isTensor(x)) return null;
  return v as Map<string, TorchTensor>;
}

/**
 * Finds the state dict in an unpickled checkpoint (plain, or under `state_dict`/`model`/
 * `net`/`model_state_dict`) and strips a DataParallel `module.` prefix from its keys.
 */
export function findStateDict(value: PyValue, name = "checkpoint"): Map<string, TorchTensor> {
  let sd = tensorMap(value);
  if (!sd && value instanceof Map) {
    for (const k of WRAPPER_KEYS) {
      sd = tensorMap(value.get(k));
      if (sd) break;
    }
  }
  if (!sd) {
    const keys = value instanceof Map ? [...value.keys()].slice(0, 8).map(String) : [];
    throw new UserError(
      `${name}: no state_dict found (looked for a dict of tensors at the top level and under ` +
        `${WRAPPER_KEYS.join("/")}; top-level keys: ${keys.join(", ") || "none"})`,
    );
  }
  const out = new Map<string, TorchTensor>();
  for (const [k, t] of sd) {
    const key = k.startsWith("module.") ? k.slice("module.".length) : k;
    if (out.has(key)) {
      throw new UserError(`${name}: key '${key}' appears twice after removing 'module.'`);
    }
    out.set(key, t);
  }
  return out;
}

/** Loads a checkpoint file and returns its state dict (see `findStateDict`). */
export async function loadStateDict(path: string): Promise<Map<string, TorchTensor>> {
  return findStateDict(await loadTorch(path), path);
}

/** How `expectKeys` reports. */
export interface ExpectKeysOptions {
  /** Names the checkpoint in the error (e.g. its path). */
  source?: string;
  /** Return keys the model does not have instead of failing on them. */
  allowUnexpected?: boolean;
}

/** A state dict: tensors by key. */
export type StateDict = Map<string, TorchTensor>;

/** Shapes the model expects, by state_dict key. */
export type ExpectedShapes = Map<string, readonly number[]>;

/**
 * Checks a state dict against the model's expected names and shapes. Throws one UserError
 * listing missing keys, shape mismatches and (unless `allowUnexpected`) unexpected keys;
 * returns the unexpected keys otherwise.
 */
export function expectKeys(
  sd: StateDict,
  expected: ExpectedShapes,
  opts: ExpectKeysOptions = {},
): string[] {
  const problems: string[] = [];
  for (const [k, shape] of expected) {
    const t = sd.get(k);
    if (!t) problems.push(`missing key '${k}'`);
    else if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      problems.push(
        `shape mismatch for '${k}': checkpoint [${t.shape.join(",")}], model [${shape.join(",")}]`,
      );
    }
  }
  const unexpected = [...sd.keys()].filter((k) => !expected.has(k));
  if (!opts.allowUnexpected) {
    for (const k of unexpected) problems.push(`unexpected key '${k}' (not in the model)`);
  }
  if (problems.length) {
    const shown = problems.slice(0, 5).join("; ");
    const more = problems.length > 5 ? ` (+${problems.length - 5} more)` : "";
    const src = opts.source ? `${opts.source}: ` : "";
    throw new UserError(`${src}${shown}${more}; is this checkpoint for the same model?`);
  }
  return unexpected;
}

/** The suite's own training checkpoint. */
export interface Checkpoint {
  /** Model weights and buffers by PyTorch-style name. */
  stateDict: Map<string, TorchTensor>;
  /** SGD momentum buffers by parameter name. */
  momentum: Map<string, TorchTensor>;
  /** SDCLR pruning masks (uint8 or bool) by conv weight name. */
  masks: Map<string, TorchTensor>;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken (iterations). */
  step: number;
  /** RNG state words (integers). */
  rng: number[];
  /** Run configuration; stored as a JSON string. */
  config: unknown;
  /** BCL state (`memory`, `weights`: float32 [N]) of BCL runs; absent otherwise. */
  bcl?: Map<string, TorchTensor>;
}

function checkInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new UserError(`checkpoint ${what} must be an integer, got ${String(v)}`);
  }
  return v;
}

/** Serialises a checkpoint to `.pt` zip bytes. */
export function formatCheckpoint(ck: Checkpoint): Uint8Array {
  for (const [k, m] of ck.masks) {
    if (m.dtype !== "uint8" && m.dtype !== "bool") {
      throw new UserError(`mask '${k}' must be uint8 or bool, got ${m.dtype}`);
    }
  }
  const od = (m: Map<string, TorchTensor>) => new OrderedDict<PyKey, PyWritable>(m);
  const top = new Map<PyKey, PyWritable>([
    ["state_dict", od(ck.stateDict)],
    ["momentum", od(ck.momentum)],
    ["masks", od(ck.masks)],
    ["epoch", checkInt(ck.epoch, "epoch")],
    ["step", checkInt(ck.step, "step")],
    ["rng", ck.rng.map((r) => checkInt(r, "rng word"))],
    ["config", JSON.stringify(ck.config ?? null)],
  ]);
  if (ck.bcl) top.set("bcl", od(ck.bcl));
  return formatTorch(top);
}

/** Writes a checkpoint atomically. */
export async function saveCheckpoint(path: string, ck: Checkpoint): Promise<void> {
  await writeFileAtomic(path, formatCheckpoint(ck));
}

/** Parses a checkpoint written by `formatCheckpoint` (or by PyTorch in the same layout). */
export function parseCheckpoint(bytes: Uint8Array, name = "checkpoint"): Checkpoint {
  const top = parseTorch(bytes, name);
  const bad = (what: string): never => {
    throw new UserError(
      `${name}: ${what}; it is not a checkpoint of this suite (for foreign weights use loadStateDict)`,
    );
  };
  if (!(top instanceof Map)) return bad("top level is not a dict");
  const tensors = (key: string) => {
    const v = top.get(key);
    if (!(v instanceof Map)) return bad(`'${key}' is missing or not a dict`);
    for (const [k, t] of v) {
      if (typeof k !== "string" || !isTensor(t)) bad(`'${key}' holds a non-tensor entry`);
    }
    return new Map(v as Map<string, TorchTensor>);
  };
  const int = (key: string) => {
    const v = top.get(key);
    return typeof v === "number" && Number.isInteger(v) ? v : bad(`'${key}' is not an integer`);
  };
  const stateDict = tensors("state_dict");
  const momentum = tensors("momentum");
  const masks = tensors("masks");
  const epoch = int("epoch");
  const step = int("step");
  const rng = top.get("rng");
  if (!Array.isArray(rng) || rng.some((r) => typeof r !== "number" || !Number.isInteger(r))) {
    bad("'rng' is not a list of integers");
  }
  const cfg = top.get("config");
  if (typeof cfg !== "string") bad("'config' is not a string");
  let config: unknown;
  try {
    config = JSON.parse(cfg as string);
  } catch {
    bad("'config' is not valid JSON");
  }
  const ck: Checkpoint = { stateDict, momentum, masks, epoch, step, rng: rng as number[], config };
  if (top.has("bcl")) ck.bcl = tensors("bcl");
  return ck;
}

/** Loads a checkpoint written by `saveCheckpoint`. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  return parseCheckpoint(await readInputFile(path), path);
}
