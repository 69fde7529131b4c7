/**
 * Reading and writing whole PyTorch checkpoint files without Python: the zip format that
 * `torch.save` writes by default since 1.6 and the legacy stream format (`torch < 1.6` or
 * `_use_new_zipfile_serialization=False`), which the authors' 2021 checkpoints may use.
 * Tensors are materialised as contiguous copies; storages shared between views are read once.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import { pickleTorch, type PyWritable } from "./torch_pickle.ts";
import { readInputFile } from "./read_file.ts";
import {
  DTYPE_INFO,
  OrderedDict,
  type PyKey,
  type PyValue,
  tensorFromStorage,
  type TorchTensor,
} from "./torch_types.ts";
import { GlobalRef, type Item, PendingTensor, StorageRef, unpickle } from "./torch_unpickle.ts";
import { looksLikeZip, readZip, writeZip } from "./torch_zip.ts";

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function storageFromPid(pid: Item, name: string, legacy: boolean): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== "storage") {
    throw new UserError(
      `checkpoint ${name} holds a persistent object of kind '${
        Array.isArray(pid) ? String(pid[0]) : typeof pid
      }' (only tensor storages are supported); it may not be a PyTorch state_dict`,
    );
  }
  const [, cls, key, , size, view] = pid;
  if (!(cls instanceof GlobalRef) || !cls.storageDtype) {
    throw new UserError(
      `checkpoint ${name}: unsupported tensor storage ${
        cls instanceof GlobalRef ? `'${cls.qualname}'` : "type"
      }; supported dtypes: ${Object.keys(DTYPE_INFO).join(", ")}`,
    );
  }
  if (typeof key !== "string" || typeof size !== "number") {
    throw new UserError(`checkpoint ${name}: malformed storage id`);
  }
  if (legacy && Array.isArray(view)) {
    // Old (< 1.0) files: a storage view shares view[0]'s bytes from element view[1] on.
    const [root, off] = view;
    if (typeof root !== "string" || typeof off !== "number") {
      throw new UserError(`checkpoint ${name}: malformed storage view id`);
    }
    return new StorageRef(cls.storageDtype, root, size, off);
  }
  return new StorageRef(cls.storageDtype, key, size);
}

/** Replaces pending tensors and dtype globals in an unpickled value, in place. */
function materialise(root: Item, name: string): PyValue {
  const done = new Map<object, PyValue>();
  const seen = new Set<object>();
  const fix = (v: Item): PyValue => {
    if (v instanceof PendingTensor) {
      let t = done.get(v);
      if (!t) {
        const s = v.storage;
        if (!s.bytes) throw new UserError(`checkpoint ${name}: storage '${s.key}' is missing`);
        const view = { dtype: s.dtype, offset: v.offset, shape: v.size, stride: v.stride };
        t = tensorFromStorage(s.bytes, view, `checkpoint ${name}`);
        done.set(v, t);
      }
      return t;
    }
    if (v instanceof GlobalRef) {
      if (v.qualname.startsWith("torch.") && !v.storageDtype && !v.call) return v.qualname;
      throw new UserError(
        `checkpoint ${name} holds a bare '${v.qualname}' object, which is not supported`,
      );
    }
    if (v instanceof StorageRef) {
      throw new UserError(`checkpoint ${name} holds a bare storage (not a tensor); not supported`);
    }
    if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v as PyValue;
    if (seen.has(v)) return v as PyValue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = fix(v[i]);
    } else if (v instanceof Map) {
      for (const [k, x] of v) v.set(k, fix(x));
      if (v instanceof OrderedDict) { for (const [k, x] of v.attrs) v.attrs.set(k, fix(x)); }
    } else if (!("dtype" in v)) {
      throw new UserError(`checkpoint ${name}: unsupported object in pickle`);
    }
    return v as PyValue;
  };
  return fix(root);
}

function parseZipCheckpoint(bytes: Uint8Array, name: string): PyValue {
  const entries = readZip(bytes, name);
  const pkl = [...entries.keys()].find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (!pkl) {
    throw new UserError(
      `${name} is a zip file without <folder>/data.pkl; it is not a PyTorch checkpoint`,
    );
  }
  const prefix = pkl.slice(0, -"data.pkl".length);
  const order = entries.get(`${prefix}byteorder`);
  if (order) {
    const bo = new TextDecoder().decode(order.read());
    if (bo !== "little") {
      throw new UserError(`checkpoint ${name} is ${bo}-endian; only little-endian is supported`);
    }
  }
  const storages = new Map<string, StorageRef>();
  const { value } = unpickle(entries.get(pkl)!.read(), 0, {
    name,
    persistentLoad: (pid) => {
      const s = storageFromPid(pid, name, false);
      const known = storages.get(s.key);
      if (known) return known;
      const entry = entries.get(`${prefix}data/${s.key}`);
      if (!entry) {
        throw new UserError(
          `checkpoint ${name} is truncated or corrupt (no ${prefix}data/${s.key}); re-save it`,
        );
      }
      s.bytes = entry.read();
      if (s.bytes.length < s.numel * DTYPE_INFO[s.dtype].bytes) {
        throw new UserError(`checkpoint ${name}: storage ${s.key} is shorter than recorded`);
      }
      storages.set(s.key, s);
      return s;
    },
  });
  return materialise(value, name);
}

function parseLegacyCheckpoint(bytes: Uint8Array, name: string): PyValue {
  const notTorch = () =>
    new UserError(`${name} is not a PyTorch checkpoint (neither a zip nor a legacy torch.save)`);
  let head;
  try {
    head = unpickle(bytes, 0, { name });
  } catch {
    throw notTorch();
  }
  if (head.value !== Number(LEGACY_MAGIC) && head.value !== LEGACY_MAGIC) throw notTorch();
  const proto = unpickle(bytes, head.end, { name });
  if (proto.value !== 1001) {
    throw new UserError(
      `checkpoint ${name}: legacy protocol version ${String(proto.value)} is not supported`,
    );
  }
  const sys = unpickle(bytes, proto.end, { name });
  if (sys.value instanceof Map && sys.value.get("little_endian") === false) {
    throw new UserError(`checkpoint ${name} is big-endian; only little-endian is supported`);
  }
  const refs: StorageRef[] = [];
  const obj = unpickle(bytes, sys.end, {
    name,
    persistentLoad: (pid) => {
      const s = storageFromPid(pid, name, true);
      refs.push(s);
      return s;
    },
  });
  const keys = unpickle(bytes, obj.end, { name });
  if (!Array.isArray(keys.value) || keys.value.some((k) => typeof k !== "string")) {
    throw new UserError(`checkpoint ${name}: malformed legacy storage key list`);
  }
  const dtypeOf = new Map(refs.map((r) => [r.key, r.dtype]));
  const data = new Map<string, Uint8Array>();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const dt = dtypeOf.get(key);
    if (!dt) throw new UserError(`checkpoint ${name}: storage '${key}' has no type`);
    if (pos + 8 > bytes.length) {
      throw new UserError(`checkpoint ${name} is truncated (storage '${key}' missing)`);
    }
    const n = Number(dv.getBigInt64(pos, true));
    const nb = n * DTYPE_INFO[dt].bytes;
    if (n < 0 || pos + 8 + nb > bytes.length) {
      throw new UserError(`checkpoint ${name} is truncated (storage '${key}' ends early)`);
    }
    data.set(key, bytes.slice(pos + 8, pos + 8 + nb));
    pos += 8 + nb;
  }
  for (const r of refs) r.bytes = data.get(r.key) ?? null;
  return materialise(obj.value, name);
}

/**
 * Parses checkpoint bytes (zip or legacy format). `name` (usually the path) appears in every
 * error. Never executes anything from the file.
 */
export function parseTorch(bytes: Uint8Array, name = "checkpoint"): PyValue {
  if (looksLikeZip(bytes)) return parseZipCheckpoint(bytes, name);
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2) {
    return parseLegacyCheckpoint(bytes, name);
  }
  throw new UserError(
    `${name} is not a PyTorch checkpoint (neither a zip nor a legacy torch.save)`,
  );
}

/** Reads and parses a `.pt`/`.pth`/`.tar` checkpoint file. */
export async function loadTorch(path: string): Promise<PyValue> {
  return parseTorch(await readInputFile(path), path);
}

/** Serialises `value` as a zip checkpoint that `torch.load(..., weights_only=True)` reads. */
export function formatTorch(value: PyWritable): Uint8Array {
  const { pickle, storages } = pickleTorch(value);
  return writeZip([
    { name: "archive/data.pkl", data: pickle },
    { name: "archive/byteorder", data: new TextEncoder().encode("little") },
    ...storages.map((data, i) => ({ name: `archive/data/${i}`, data })),
    { name: "archive/version", data: new TextEncoder().encode("3\n") },
  ]);
}

/** Writes `value` as a PyTorch zip checkpoint, atomically. */
export async function saveTorch(path: string, value: PyWritable): Promise<void> {
  await writeFileAtomic(path, formatTorch(value));
}

/** Narrowing helper: true when `v` is a dict (`Map`, including `OrderedDict`). */
export function isDict(v: PyValue | undefined): v is Map<PyKey, PyValue> {
  return v instanceof Map;
}

/** Re-export for callers that only import this module. */
export type { PyValue, PyWritable, TorchTensor };
