/**
 * The values the safe unpickler (safe_unpickle.ts) builds, and the only "calls" it makes:
 * the allow-listed numpy / codecs globals that serialise arrays, implemented here as plain
 * constructors of typed data. Nothing is ever looked up or executed by name.
 * @module
 */
import { UserError } from "../../../core/errors.ts";

/** Python `bytes` (or a Python 2 `str`, which is bytes too). */
export class PyBytes {
  /** Wraps raw bytes. */
  constructor(readonly bytes: Uint8Array) {}
}

/** Python `tuple`. */
export class PyTuple {
  /** Wraps the tuple's items. */
  constructor(readonly items: PyValue[]) {}
}

/**
 * Python `dict`. Keys are normalised to JS strings: `str` as is, `bytes` decoded as Latin-1
 * (so CIFAR's `b"data"` and a Python 3 `"data"` are the same key), numbers via `String`.
 */
export class PyDict {
  /** The entries by normalised key. */
  readonly map = new Map<string, PyValue>();
  /** Looks up a key. */
  get(key: string): PyValue | undefined {
    return this.map.get(key);
  }
}

/** A numpy dtype: `descr` like "u1", "i8", "f4"; `byteorder` "|", "<", ">" or "=". */
export class PyDtype {
  /** A dtype as reconstructed from `numpy.dtype(descr, align, copy)`. */
  constructor(public descr: string, public byteorder: string) {}
}

/** A numpy array: its raw C-order bytes, dtype and shape. */
export class NdArray {
  /** An array; `raw` holds prod(shape)·itemsize bytes. */
  constructor(public dtype: PyDtype, public shape: number[], public raw: Uint8Array) {}
}

/** A reference to an allowed Python global (only ever one of ALLOWED). */
export class PyGlobal {
  /** A resolved `module.name`. */
  constructor(readonly module: string, readonly name: string) {}
}

/** Anything the interpreter can produce. Lists are JS arrays. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyBytes
  | PyTuple
  | PyDict
  | PyDtype
  | NdArray
  | PyGlobal
  | PyValue[];

const ALLOWED = new Set([
  "numpy.core.multiarray._reconstruct",
  "numpy._core.multiarray._reconstruct",
  "numpy.ndarray",
  "numpy.dtype",
  "numpy.core.numeric._frombuffer",
  "numpy._core.numeric._frombuffer",
  "_codecs.encode",
]);

const ITEMSIZE: Record<string, number> = {
  b1: 1,
  u1: 1,
  i1: 1,
  u2: 2,
  i2: 2,
  u4: 4,
  i4: 4,
  u8: 8,
  i8: 8,
  f4: 4,
  f8: 8,
};

/** Bytes per element of a numpy dtype, or a UserError for dtypes we do not read. */
export function itemsize(dt: PyDtype, where: string): number {
  const s = ITEMSIZE[dt.descr];
  if (!s) throw new UserError(`${where}: numpy dtype "${dt.descr}" is not supported here`);
  return s;
}

/** Converts an int or float NdArray to JS numbers (little or big endian). */
export function ndToNumbers(a: NdArray, where: string): number[] {
  const size = itemsize(a.dtype, where);
  const le = a.dtype.byteorder !== ">";
  const v = new DataView(a.raw.buffer, a.raw.byteOffset, a.raw.byteLength);
  const n = a.raw.length / size;
  const out = new Array<number>(n);
  const k = a.dtype.descr;
  for (let i = 0; i < n; i++) {
    const o = i * size;
    out[i] = k === "u1" || k === "b1"
      ? v.getUint8(o)
      : k === "i1"
      ? v.getInt8(o)
      : k === "u2"
      ? v.getUint16(o, le)
      : k === "i2"
      ? v.getInt16(o, le)
      : k === "u4"
      ? v.getUint32(o, le)
      : k === "i4"
      ? v.getInt32(o, le)
      : k === "u8"
      ? Number(v.getBigUint64(o, le))
      : k === "i8"
      ? Number(v.getBigInt64(o, le))
      : k === "f4"
      ? v.getFloat32(o, le)
      : v.getFloat64(o, le);
  }
  return out;
}

/** Normalises a dict key (see PyDict). */
export function keyOf(k: PyValue, where: string): string {
  if (typeof k === "string") return k;
  if (k instanceof PyBytes) return latin1(k.bytes);
  if (typeof k === "number" || typeof k === "bigint") return String(k);
  throw new UserError(`${where}: unsupported dict key type in pickle`);
}

/** Decodes bytes as Latin-1 (one char per byte), as Python 2 `str` keys need. */
export function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

function dimsOf(v: PyValue, where: string): number[] {
  if (!(v instanceof PyTuple)) throw new UserError(`${where}: array shape is not a tuple`);
  return v.items.map((d) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new UserError(`${where}: bad array dimension ${String(d)}`);
    }
    return d;
  });
}

function makeArray(dtype: PyValue, shapeV: PyValue, raw: PyValue, fortran: boolean, where: string) {
  if (!(dtype instanceof PyDtype)) throw new UserError(`${where}: array without a numpy dtype`);
  const shape = dimsOf(shapeV, where);
  if (!(raw instanceof PyBytes)) {
    throw new UserError(`${where}: array data is not raw bytes (object arrays are not supported)`);
  }
  if (fortran && shape.length > 1) {
    throw new UserError(`${where}: Fortran-order arrays are not supported`);
  }
  const need = shape.reduce((a, b) => a * b, 1) * itemsize(dtype, where);
  if (raw.bytes.length !== need) {
    throw new UserError(
      `${where}: array [${shape}] of ${dtype.descr} needs ${need} bytes, pickle holds ${raw.bytes.length} (truncated or corrupt)`,
    );
  }
  return new NdArray(dtype, shape, raw.bytes);
}

/** Applies an allow-listed global to its REDUCE arguments. */
export function callGlobal(fn: PyGlobal, args: PyValue, where: string): PyValue {
  const a = args instanceof PyTuple ? args.items : [];
  switch (fn.name) {
    case "_reconstruct":
      // ndarray.__reduce__: an empty array whose contents come in the following BUILD.
      return new NdArray(new PyDtype("u1", "|"), [0], new Uint8Array(0));
    case "dtype": {
      const d = a[0];
      const descr = d instanceof PyBytes ? latin1(d.bytes) : d;
      if (typeof descr !== "string") throw new UserError(`${where}: bad numpy dtype argument`);
      const m = /^([<>|=]?)([a-z]\d+)$/.exec(descr);
      if (!m) throw new UserError(`${where}: numpy dtype "${descr}" is not supported here`);
      return new PyDtype(m[2], m[1] || (m[2].endsWith("1") ? "|" : "<"));
    }
    case "encode": {
      // Python 3 pickles `bytes` at protocol 2 as _codecs.encode(latin-1 text, "latin1").
      const [s, enc] = a;
      if (typeof s !== "string" || (enc !== "latin1" && enc !== "latin-1")) {
        throw new UserError(`${where}: unsupported _codecs.encode call in pickle`);
      }
      const b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 255) throw new UserError(`${where}: non-Latin-1 text in an encoded bytes value`);
        b[i] = c;
      }
      return new PyBytes(b);
    }
    case "_frombuffer": {
      // Protocol 5 arrays: _frombuffer(buffer, dtype, shape, order).
      const [buf, dt, shape, order] = a;
      return makeArray(dt, shape, buf, order === "F", where);
    }
    default:
      throw new UserError(`${where}: numpy.${fn.name} cannot be called while unpickling`);
  }
}

/** Applies a BUILD (`__setstate__`) to an ndarray or dtype under construction. */
export function build(obj: PyValue, state: PyValue, where: string): void {
  if (obj instanceof NdArray && state instanceof PyTuple) {
    // ndarray.__setstate__: (version, shape, dtype, is_fortran, rawdata) or without version.
    const s = state.items.length === 5 ? state.items.slice(1) : state.items;
    if (s.length !== 4) throw new UserError(`${where}: unexpected ndarray state in pickle`);
    const a = makeArray(s[1], s[0], s[3], s[2] === true || s[2] === 1, where);
    obj.dtype = a.dtype;
    obj.shape = a.shape;
    obj.raw = a.raw;
    return;
  }
  if (obj instanceof PyDtype && state instanceof PyTuple) {
    const order = state.items[1];
    if (typeof order === "string") obj.byteorder = order;
    else if (order instanceof PyBytes) obj.byteorder = latin1(order.bytes);
    return;
  }
  throw new UserError(`${where}: pickle BUILD on an unsupported object`);
}

/** Checks `module.name` against the allow-list; refuses everything else. */
export function resolveGlobal(module: string, name: string, where: string): PyGlobal {
  const full = `${module}.${name}`;
  if (!ALLOWED.has(full)) {
    throw new UserError(
      `${where}: pickle refers to ${full}, which this safe reader refuses to load ` +
        `(only numpy arrays and plain containers are allowed); it is not a CIFAR data file`,
    );
  }
  return new PyGlobal(module, name);
}
