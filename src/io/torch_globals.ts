/**
 * The object model and allow-list of the PyTorch unpickler (torch_unpickle.ts): which pickle
 * GLOBALs a checkpoint may name and what calling them produces. Nothing here runs code from
 * the file; each allowed global maps to a small pure function.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import {
  OrderedDict,
  type PyKey,
  type PyValue,
  STORAGE_DTYPE,
  type TorchDtype,
} from "./torch_types.ts";
import { toPyInt } from "./unpickle.ts";

/** A resolved allow-listed global; `call` is its behaviour under REDUCE/NEWOBJ. */
export class GlobalRef {
  /** Creates a GlobalRef. */
  constructor(
    /** `module.name` as the pickle spells it. */
    readonly qualname: string,
    /** What REDUCE/NEWOBJ on this global produces (absent: not callable). */
    readonly call?: (args: Item[]) => Item,
    /** Storage class dtype when this global is `torch.<X>Storage`. */
    readonly storageDtype?: TorchDtype,
  ) {}
}

/** A tensor storage named by a persistent id; `bytes` is filled in by the container reader. */
export class StorageRef {
  /** Raw little-endian storage bytes, once the container has read them. */
  bytes: Uint8Array | null = null;
  /** Creates a StorageRef. */
  constructor(
    /** Element type of the storage class. */
    readonly dtype: TorchDtype,
    /** Storage key (zip: `data/<key>`; legacy: position in the trailing list). */
    readonly key: string,
    /** Elements recorded in the persistent id. */
    readonly numel: number,
    /** For legacy storage views: element offset into the storage `key`. */
    readonly viewOffset = 0,
  ) {}
}

/** A `_rebuild_tensor(_v2)` call awaiting its storage bytes. */
export class PendingTensor {
  /** Creates a PendingTensor. */
  constructor(
    /** The storage the tensor views. */
    readonly storage: StorageRef,
    /** Storage offset in elements. */
    readonly offset: number,
    /** Sizes per dimension. */
    readonly size: number[],
    /** Strides per dimension, in elements. */
    readonly stride: number[],
  ) {}
}

/** A `numpy.dtype` object (only what NumPy scalars need). */
export class NpDtype {
  /** Creates a NpDtype. */
  constructor(
    /** NumPy type code such as "f8". */
    readonly code: string,
  ) {}
}

/** Anything that can sit on the unpickler's stack. */
export type Item =
  | PyValue
  | GlobalRef
  | StorageRef
  | PendingTensor
  | NpDtype
  | Item[]
  | Map<PyKey, Item>;

/** Throws the one-line error format shared by the unpickler. */
export function fail(name: string, msg: string): never {
  throw new UserError(`checkpoint ${name}: ${msg}`);
}

function asInt(v: Item, name: string, what: string): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  return fail(name, `expected an integer for ${what}, got ${describe(v)}`);
}

function asIntList(v: Item, name: string, what: string): number[] {
  if (!Array.isArray(v)) fail(name, `expected a tuple for ${what}, got ${describe(v)}`);
  return v.map((x) => asInt(x, name, what));
}

/** Short description of a stack item for error messages. */
export function describe(v: Item): string {
  if (v === null) return "None";
  if (Array.isArray(v)) return "a tuple/list";
  if (v instanceof GlobalRef) return `global '${v.qualname}'`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

function rebuildTensor(name: string) {
  return (args: Item[]): Item => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageRef)) {
      fail(name, `tensor rebuild expected a storage, got ${describe(storage)}`);
    }
    return new PendingTensor(
      storage,
      asInt(offset, name, "storage offset") + storage.viewOffset,
      asIntList(size, name, "tensor size"),
      asIntList(stride, name, "tensor stride"),
    );
  };
}

const NP_SCALAR: Record<string, (v: DataView) => PyValue> = {
  f8: (v) => v.getFloat64(0, true),
  f4: (v) => v.getFloat32(0, true),
  i8: (v) => toPyInt(v.getBigInt64(0, true)),
  i4: (v) => v.getInt32(0, true),
  u1: (v) => v.getUint8(0),
  b1: (v) => v.getUint8(0) !== 0,
};

function npScalar(name: string) {
  return (args: Item[]): Item => {
    const [dt, raw] = args;
    if (!(dt instanceof NpDtype) || !(raw instanceof Uint8Array)) {
      fail(name, "malformed numpy scalar");
    }
    const conv = NP_SCALAR[dt.code];
    if (!conv) fail(name, `unsupported numpy scalar dtype '${dt.code}'`);
    const copy = raw.slice();
    return conv(new DataView(copy.buffer));
  };
}

/** Builds the allow-list; a function so that error messages carry the file name. */
export function allowList(name: string): Map<string, GlobalRef> {
  const m = new Map<string, GlobalRef>();
  const add = (q: string, call?: (a: Item[]) => Item, dt?: TorchDtype) =>
    m.set(q, new GlobalRef(q, call, dt));
  add("collections.OrderedDict", (a) => {
    const d = new OrderedDict<PyKey, Item>();
    if (a.length > 0 && Array.isArray(a[0])) {
      for (const kv of a[0]) if (Array.isArray(kv)) d.set(kv[0] as PyKey, kv[1]);
    }
    return d as Item;
  });
  add("torch._utils._rebuild_tensor_v2", rebuildTensor(name));
  add("torch._utils._rebuild_tensor", rebuildTensor(name));
  add("torch._utils._rebuild_parameter", (a) => a[0]);
  add("torch._utils._rebuild_parameter_with_state", (a) => a[0]);
  for (const [cls, dt] of STORAGE_DTYPE) add(`torch.${cls}`, undefined, dt);
  for (const dt of STORAGE_DTYPE.values()) add(`torch.${dt}`, undefined);
  add("_codecs.encode", (a) => {
    const [s, enc] = a;
    if (typeof s !== "string") fail(name, "malformed bytes object");
    if (enc === "latin1" || enc === "latin-1") {
      return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
    }
    return new TextEncoder().encode(s);
  });
  for (const mod of ["numpy.core.multiarray", "numpy._core.multiarray"]) {
    add(`${mod}.scalar`, npScalar(name));
  }
  add("numpy.dtype", (a) => {
    if (typeof a[0] !== "string") fail(name, "malformed numpy dtype");
    return new NpDtype(a[0]);
  });
  return m;
}

/** Applies pickle BUILD (`__setstate__`) for the few objects that receive it. */
export function build(obj: Item, state: Item, name: string): void {
  if (obj instanceof OrderedDict) {
    // Protocol 2 passes instance attributes as a dict, or (dict, slots) as a tuple.
    const attrs = Array.isArray(state) ? state[0] : state;
    if (attrs instanceof Map) {
      for (const [k, v] of attrs) obj.attrs.set(String(k), v as PyValue);
    }
    return;
  }
  if (obj instanceof NpDtype) {
    const order = Array.isArray(state) ? state[1] : undefined;
    if (order === ">") fail(name, "big-endian numpy scalars are not supported");
    return;
  }
  if (obj instanceof PendingTensor) return; // tensor subclasses' extra Python state is ignored
  fail(name, `malformed pickle: BUILD on ${describe(obj)}`);
}
