/**
 * The values a PyTorch checkpoint holds once unpickled, as plain JavaScript: tensors with a
 * contiguous typed-array copy of their data, dicts as `Map` (`OrderedDict` for
 * `collections.OrderedDict`), lists and tuples as arrays, Python ints as `number` (or `bigint`
 * beyond 2^53), floats as `number` (so 1.0 and 1 look alike once loaded), `bytes` as
 * `Uint8Array`, sets as arrays. Also the dtype tables shared by the reader and the writer.
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** Tensor element types the checkpoint reader understands. */
export type TorchDtype =
  | "float32"
  | "float64"
  | "int64"
  | "int32"
  | "uint8"
  | "bool"
  | "float16"
  | "bfloat16";

/** Typed array holding a tensor's elements (float16/bfloat16 are widened to Float32Array). */
export type TorchData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** A tensor: dtype, shape and a C-contiguous copy of its elements (bool as 0/1 bytes). */
export interface TorchTensor {
  /** Element type as PyTorch names it (without "torch."). */
  dtype: TorchDtype;
  /** Sizes per dimension; [] for a scalar. */
  shape: number[];
  /** Elements in C order. */
  data: TorchData;
}

/** A Python `collections.OrderedDict`; `attrs` keeps instance attributes such as `_metadata`. */
export class OrderedDict<K = PyKey, V = PyValue> extends Map<K, V> {
  /** Attributes restored by pickle's BUILD (PyTorch puts `_metadata` on state dicts). */
  attrs: Map<string, PyValue> = new Map();
}

/** Forces a JavaScript number to be written as a Python float even when it is integral. */
export class PyFloat {
  /** Creates a PyFloat. */
  constructor(
    /** The float to write. */
    readonly value: number,
  ) {}
}

/** Keys a Python dict may have in a checkpoint. */
export type PyKey = string | number | bigint | boolean | null;

/** Any value a checkpoint may hold after unpickling. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | TorchTensor
  | PyValue[]
  | Map<PyKey, PyValue>;

/** Per-dtype facts: bytes per element in storage and the legacy storage class name. */
export const DTYPE_INFO: Record<TorchDtype, { bytes: number; storage: string }> = {
  float32: { bytes: 4, storage: "FloatStorage" },
  float64: { bytes: 8, storage: "DoubleStorage" },
  int64: { bytes: 8, storage: "LongStorage" },
  int32: { bytes: 4, storage: "IntStorage" },
  uint8: { bytes: 1, storage: "ByteStorage" },
  bool: { bytes: 1, storage: "BoolStorage" },
  float16: { bytes: 2, storage: "HalfStorage" },
  bfloat16: { bytes: 2, storage: "BFloat16Storage" },
};

/** `torch.<Name>Storage` class name → dtype. */
export const STORAGE_DTYPE: Map<string, TorchDtype> = new Map(
  (Object.entries(DTYPE_INFO) as [TorchDtype, { storage: string }][]).map((
    [d, i],
  ) => [i.storage, d]),
);

/** True when `v` is a tensor produced by the reader or meant for the writer. */
export function isTensor(v: unknown): v is TorchTensor {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Map) return false;
  const t = v as Partial<TorchTensor>;
  return typeof t.dtype === "string" && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** How a tensor views its storage, as PyTorch records it (offset and strides in elements). */
export interface StorageView {
  /** Element type of the storage. */
  dtype: TorchDtype;
  /** Index of the tensor's first element in the storage. */
  offset: number;
  /** Sizes per dimension. */
  shape: number[];
  /** Storage step per dimension. */
  stride: number[];
}

/**
 * Builds a contiguous tensor from raw little-endian storage bytes, honouring the view's
 * offset and strides. `what` names the tensor in errors about a view reaching outside its
 * storage.
 */
export function tensorFromStorage(
  storage: Uint8Array,
  view: StorageView,
  what: string,
): TorchTensor {
  const { dtype, offset, shape, stride } = view;
  const esz = DTYPE_INFO[dtype].bytes;
  const storageNumel = Math.floor(storage.length / esz);
  const n = numel(shape);
  if (shape.length !== stride.length || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new UserError(`${what}: malformed tensor: size [${shape}] and stride [${stride}]`);
  }
  // Largest storage index the view touches must lie inside the storage.
  let maxIndex = offset;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] > 0) maxIndex += (shape[i] - 1) * Math.max(stride[i], 0);
  }
  if (n > 0 && (offset < 0 || stride.some((s) => s < 0) || maxIndex >= storageNumel)) {
    throw new UserError(
      `${what}: tensor of size [${shape}] stride [${stride}] offset ${offset} reaches outside ` +
        `its storage of ${storageNumel} elements; the checkpoint is corrupt`,
    );
  }
  const out = new Uint8Array(n * esz);
  let contiguous = true;
  for (let i = shape.length - 1, expect = 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) contiguous = false;
    expect *= shape[i];
  }
  if (contiguous) {
    out.set(storage.subarray(offset * esz, (offset + n) * esz));
  } else {
    const idx = new Array(shape.length).fill(0);
    let src = offset;
    for (let k = 0; k < n; k++) {
      out.set(storage.subarray(src * esz, (src + 1) * esz), k * esz);
      for (let d = shape.length - 1; d >= 0; d--) {
        idx[d]++;
        src += stride[d];
        if (idx[d] < shape[d]) break;
        src -= stride[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
  return { dtype, shape: [...shape], data: typedFromBytes(dtype, out) };
}

/** Interprets contiguous little-endian element bytes (an owned, aligned buffer) as `dtype`. */
export function typedFromBytes(dtype: TorchDtype, bytes: Uint8Array): TorchData {
  const b = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const n = b.length / DTYPE_INFO[dtype].bytes;
  switch (dtype) {
    case "float32":
      return new Float32Array(b.buffer, b.byteOffset, n);
    case "float64":
      return new Float64Array(b.buffer, b.byteOffset, n);
    case "int64":
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    case "int32":
      return new Int32Array(b.buffer, b.byteOffset, n);
    case "uint8":
    case "bool":
      return b;
    case "float16": {
      const h = new Uint16Array(b.buffer, b.byteOffset, n);
      const f = new Float32Array(n);
      for (let i = 0; i < n; i++) f[i] = f16ToF32(h[i]);
      return f;
    }
    case "bfloat16": {
      const h = new Uint16Array(b.buffer, b.byteOffset, n);
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = h[i] << 16;
      return new Float32Array(u.buffer);
    }
  }
}

/** Typed-array constructor each writable dtype must use. */
export const WRITE_ARRAY: Partial<
  Record<TorchDtype, { name: string; ok: (d: TorchData) => boolean }>
> = {
  float32: { name: "Float32Array", ok: (d) => d instanceof Float32Array },
  float64: { name: "Float64Array", ok: (d) => d instanceof Float64Array },
  int64: { name: "BigInt64Array", ok: (d) => d instanceof BigInt64Array },
  int32: { name: "Int32Array", ok: (d) => d instanceof Int32Array },
  uint8: { name: "Uint8Array", ok: (d) => d instanceof Uint8Array },
  bool: { name: "Uint8Array", ok: (d) => d instanceof Uint8Array },
};
