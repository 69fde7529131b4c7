/**
 * Safe unpickling of data files (CIFAR's python batches): the suite's one pickle interpreter
 * (src/io/unpickle.ts) with an allow-list of numpy/codecs array serialisers
 * (pickle_values.ts), which it "calls" by building plain typed data; nothing is executed.
 * Python 2 `str` stays bytes (cPickle files), and dict keys are normalised by `keyOf` so
 * `b"data"` and `"data"` are the same key.
 * @module
 */
import { UserError } from "../../../core/errors.ts";
import { runPickle } from "../../io/unpickle.ts";
import {
  build,
  callGlobal,
  keyOf,
  PyBytes,
  PyDict,
  PyGlobal,
  PyTuple,
  type PyValue,
  resolveGlobal,
} from "./pickle_values.ts";

/**
 * Unpickles `bytes` safely. `where` (usually the file path) prefixes every error. Throws a
 * UserError on truncation, an unknown opcode, or a global outside the allow-list.
 */
export function safeUnpickle(bytes: Uint8Array, where: string): PyValue {
  return runPickle<PyValue>(bytes, 0, {
    where,
    hint: "the file is corrupt or not a pickle; download it again",
    python2Str: "bytes",
    tuple: (items) => new PyTuple(items),
    dict: () => new PyDict(),
    isDict: (v) => v instanceof PyDict,
    setItem: (d, k, v) => void (d as PyDict).map.set(keyOf(k, where), v),
    bytes: (raw) => new PyBytes(raw),
    global: (module, name) => resolveGlobal(module, name, where),
    call: (fn, args, kwargs) => {
      if (!(fn instanceof PyGlobal) || kwargs !== undefined) {
        throw new UserError(`${where}: pickle makes a call this reader does not support`);
      }
      return callGlobal(fn, args, where);
    },
    build: (obj, state) => build(obj, state, where),
  }).value;
}
