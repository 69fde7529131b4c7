/**
 * Pickle (protocol 2) writer for checkpoints that `torch.load(path, weights_only=True)`
 * accepts: dicts (`Map`; `OrderedDict` for `collections.OrderedDict`), lists, strings, ints,
 * floats, bools, None and tensors, the latter as `torch._utils._rebuild_tensor_v2` calls on
 * persistent storage ids exactly as `torch.save` writes them. Output is deterministic, so the
 * same value always gives the same bytes. Integral JS numbers (except -0) become Python ints,
 * others floats; wrap a number in `PyFloat` to force a float (e.g. a learning rate of 1.0).
 * @module
 */
import { UserError } from "../../core/errors.ts";
import {
  DTYPE_INFO,
  isTensor,
  numel,
  OrderedDict,
  PyFloat,
  type PyKey,
  type TorchTensor,
  WRITE_ARRAY,
} from "./torch_types.ts";

/** A value the writer accepts. Plain objects are not dicts: use `Map`/`OrderedDict`. */
export type PyWritable =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | TorchTensor
  | PyWritable[]
  | Map<PyKey, PyWritable>;

/** A pickled object plus the raw storages its persistent ids name ("0", "1", …). */
export interface Pickled {
  /** The pickle stream (data.pkl). */
  pickle: Uint8Array;
  /** Raw little-endian tensor bytes, indexed by storage key. */
  storages: Uint8Array[];
}

class Out {
  private buf = new Uint8Array(1024);
  len = 0;
  private ensure(n: number) {
    if (this.len + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  bytes(...b: number[]) {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  raw(b: Uint8Array) {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  view(n: number, f: (v: DataView) => void) {
    this.ensure(n);
    f(new DataView(this.buf.buffer, this.len, n));
    this.len += n;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const ENC = new TextEncoder();
const BATCH = 1000; // Python's pickler batches SETITEMS/APPENDS the same way

/** Pickles `value`; tensors' bytes are returned separately as storages. */
export function pickleTorch(value: PyWritable): Pickled {
  const out = new Out();
  const storages: Uint8Array[] = [];
  const memo = new Map<string, number>();
  const active = new Set<object>();

  const global = (mod: string, name: string) => {
    const q = `${mod}\n${name}\n`;
    const m = memo.get(q);
    if (m !== undefined) {
      out.bytes(0x68, m); // BINGET
      return;
    }
    out.bytes(0x63);
    out.raw(ENC.encode(q));
    if (memo.size < 256) {
      memo.set(q, memo.size);
      out.bytes(0x71, memo.size - 1); // BINPUT
    }
  };
  const str = (s: string) => {
    const b = ENC.encode(s);
    out.bytes(0x58);
    out.view(4, (v) => v.setUint32(0, b.length, true));
    out.raw(b);
  };
  const int = (v: number | bigint) => {
    if (typeof v === "number" && v >= 0 && v < 256) out.bytes(0x4b, v);
    else if (typeof v === "number" && v >= 0 && v < 65536) {
      out.bytes(0x4d, v & 0xff, v >> 8);
    } else if (v >= -(2 ** 31) && v < 2 ** 31) {
      out.bytes(0x4a);
      out.view(4, (d) => d.setInt32(0, Number(v), true));
    } else {
      // LONG1: minimal little-endian two's complement.
      let b = BigInt(v);
      const bytes: number[] = [];
      for (;;) {
        bytes.push(Number(b & 0xffn));
        b >>= 8n;
        const signBit = bytes[bytes.length - 1] & 0x80;
        if ((b === 0n && !signBit) || (b === -1n && signBit)) break;
      }
      out.bytes(0x8a, bytes.length, ...bytes);
    }
  };
  const float = (v: number) => {
    out.bytes(0x47);
    out.view(8, (d) => d.setFloat64(0, v, false));
  };
  const tuple = (items: (() => void)[]) => {
    if (items.length === 0) return out.bytes(0x29);
    if (items.length > 3) out.bytes(0x28);
    for (const f of items) f();
    out.bytes(items.length > 3 ? 0x74 : [0, 0x85, 0x86, 0x87][items.length]);
  };
  const tensor = (t: TorchTensor) => {
    const w = WRITE_ARRAY[t.dtype];
    if (!w) {
      throw new UserError(`cannot write a ${t.dtype} tensor; convert it to float32 first`);
    }
    if (!w.ok(t.data)) {
      throw new UserError(
        `a ${t.dtype} tensor must hold a ${w.name}, got ${t.data.constructor.name}`,
      );
    }
    if (numel(t.shape) !== t.data.length || t.shape.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new UserError(`tensor shape [${t.shape}] does not match its ${t.data.length} elements`);
    }
    const key = String(storages.length);
    storages.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    const stride: number[] = new Array(t.shape.length);
    for (let i = t.shape.length - 1, s = 1; i >= 0; i--) {
      stride[i] = s;
      s *= t.shape[i];
    }
    global("torch._utils", "_rebuild_tensor_v2");
    out.bytes(0x28); // MARK: argument tuple
    tuple([
      () => str("storage"),
      () => global("torch", DTYPE_INFO[t.dtype].storage),
      () => str(key),
      () => str("cpu"),
      () => int(t.data.length),
    ]);
    out.bytes(0x51); // BINPERSID
    int(0);
    tuple(t.shape.map((s) => () => int(s)));
    tuple(stride.map((s) => () => int(s)));
    out.bytes(0x89); // requires_grad = False
    global("collections", "OrderedDict"); // backward hooks: empty OrderedDict
    out.bytes(0x29, 0x52);
    out.bytes(0x74, 0x52); // TUPLE, REDUCE
  };
  const value_ = (v: PyWritable, path: string): void => {
    if (v === null) return out.bytes(0x4e);
    if (v === true) return out.bytes(0x88);
    if (v === false) return out.bytes(0x89);
    if (typeof v === "string") return str(v);
    if (typeof v === "bigint") return int(v);
    if (v instanceof PyFloat) return float(v.value);
    if (typeof v === "number") {
      return Number.isInteger(v) && !Object.is(v, -0) ? int(v) : float(v);
    }
    if (active.has(v as object)) throw new UserError(`cannot write a cyclic value at ${path}`);
    active.add(v as object);
    if (Array.isArray(v)) {
      out.bytes(0x5d);
      for (let i = 0; i < v.length; i += BATCH) {
        const chunk = v.slice(i, i + BATCH);
        if (chunk.length > 1) out.bytes(0x28);
        chunk.forEach((x, j) => value_(x, `${path}[${i + j}]`));
        out.bytes(chunk.length > 1 ? 0x65 : 0x61);
      }
    } else if (v instanceof Map) {
      if (v instanceof OrderedDict) {
        global("collections", "OrderedDict");
        out.bytes(0x29, 0x52);
      } else out.bytes(0x7d);
      const items = [...v];
      for (let i = 0; i < items.length; i += BATCH) {
        const chunk = items.slice(i, i + BATCH);
        if (chunk.length > 1) out.bytes(0x28);
        for (const [k, x] of chunk) {
          if (k !== null && typeof k === "object") {
            throw new UserError(`dict key at ${path} must be a string, number, bool or null`);
          }
          value_(k as PyWritable, path);
          value_(x, `${path}.${String(k)}`);
        }
        out.bytes(chunk.length > 1 ? 0x75 : 0x73);
      }
    } else if (isTensor(v)) tensor(v);
    else {
      throw new UserError(
        `cannot write ${(v as object).constructor?.name ?? typeof v} at ${path}; ` +
          "use Map/OrderedDict for dicts",
      );
    }
    active.delete(v as object);
  };
  out.bytes(0x80, 2); // PROTO 2
  value_(value, "<root>");
  out.bytes(0x2e); // STOP
  return { pickle: out.result(), storages };
}
