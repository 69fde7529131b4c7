/**
 * Unpickling what `torch.save` writes: the shared safe interpreter (unpickle.ts) with
 * PyTorch's allow-list (torch_globals.ts: OrderedDict, the tensor/parameter rebuild functions,
 * storage classes, dtypes, `_codecs.encode` for bytes and NumPy scalars); any other GLOBAL is a
 * UserError. Tuples and sets become arrays, dicts `Map`s, bytes `Uint8Array`s. Tensors come
 * back as `PendingTensor`s because a legacy (pre-zip) file only stores the tensor bytes after
 * the pickle; the caller materialises them once the storages are known.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import type { PyKey } from "./torch_types.ts";
import { allowList, build, describe, fail, GlobalRef, type Item } from "./torch_globals.ts";
import { runPickle } from "./unpickle.ts";

export { GlobalRef, type Item, PendingTensor, StorageRef } from "./torch_globals.ts";

/** Options: the file name for messages, and how to turn a persistent id into a storage. */
export interface UnpickleOptions {
  /** File name used in error messages. */
  name: string;
  /** Maps a BINPERSID id (PyTorch: a storage tuple) to the object it stands for. */
  persistentLoad?: (pid: Item) => Item;
}

/**
 * Unpickles one pickle starting at `start` in `bytes`; returns the value and the offset just
 * past its STOP opcode (legacy checkpoints hold several pickles back to back).
 */
export function unpickle(
  bytes: Uint8Array,
  start: number,
  opts: UnpickleOptions,
): { value: Item; end: number } {
  const name = opts.name;
  const globals = allowList(name);
  return runPickle<Item>(bytes, start, {
    where: `checkpoint ${name}`,
    hint: "the file is corrupt or not from torch.save; re-download or re-save it",
    python2Str: "utf8", // what torch.load passes to pickle for Python 2 files
    tuple: (items) => items,
    dict: () => new Map<PyKey, Item>(),
    isDict: (v) => v instanceof Map,
    setItem: (d, k, v) => {
      if (k !== null && typeof k === "object") {
        fail(name, `dict key of type ${describe(k)} is not supported`);
      }
      (d as Map<PyKey, Item>).set(k as PyKey, v);
    },
    bytes: (raw) => raw.slice(),
    global: (mod, nm) => {
      const g = globals.get(`${mod}.${nm}`);
      if (g) return g;
      throw new UserError(
        `checkpoint ${name} uses unsupported pickle global '${mod}.${nm}'; it may not be a PyTorch state_dict`,
      );
    },
    call: (f, args, kwargs) => {
      if (!(f instanceof GlobalRef) || !f.call) {
        return fail(name, `malformed pickle: cannot call ${describe(f)}`);
      }
      if (!Array.isArray(args)) fail(name, "malformed pickle: call arguments are not a tuple");
      if (kwargs !== undefined && (!(kwargs instanceof Map) || kwargs.size)) {
        fail(name, "keyword arguments to a constructor are not supported");
      }
      return f.call(args as Item[]);
    },
    build: (obj, state) => build(obj, state, name),
    persistent: opts.persistentLoad,
  });
}
