/**
 * NumPy `.npy` (format 1.0/2.0/3.0) reading and writing for the dtypes the suite exchanges:
 * float32, float64, int64, int32, uint8, int8, bool. C order only (Fortran order is rejected
 * with a clear error). Every malformed file gives a one-line UserError naming the file.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import { readInputFile } from "./read_file.ts";

/** Typed array per supported dtype. */
export type NpyData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Uint8Array
  | Int8Array;

/** A loaded array: numpy dtype string (e.g. "<f4"), shape and data. */
export interface NpyArray {
  dtype: string;
  shape: number[];
  data: NpyData;
}

const DTYPES: Record<
  string,
  { bytes: number; make: (b: ArrayBuffer, o: number, n: number) => NpyData }
> = {
  "<f4": { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  "<f8": { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  "<i8": { bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  "<i4": { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  "|u1": { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  "|i1": { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  "|b1": { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};

/** Parses `.npy` bytes. `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = "array"): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) {
    throw new UserError(
      `${name}: not a .npy file (bad magic); expected a NumPy array saved by np.save`,
    );
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  if (hstart + hlen > bytes.length) throw new UserError(`${name}: truncated .npy header`);
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeTxt = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeTxt === undefined) {
    throw new UserError(`${name}: malformed .npy header: ${header.trim()}`);
  }
  if (fortran === "True") {
    throw new UserError(
      `${name}: Fortran-order arrays are not supported; save with np.ascontiguousarray`,
    );
  }
  const dt = DTYPES[descr];
  if (!dt) {
    throw new UserError(
      `${name}: unsupported dtype ${descr} (supported: ${Object.keys(DTYPES).join(", ")})`,
    );
  }
  const shape = shapeTxt.split(",").map((s) => s.trim()).filter((s) => s.length).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const start = hstart + hlen;
  if (bytes.length - start < n * dt.bytes) {
    throw new UserError(
      `${name}: truncated .npy data: shape [${shape}] needs ${n * dt.bytes} bytes, file has ${
        bytes.length - start
      }`,
    );
  }
  // Copy so the typed array is aligned and owns its memory.
  const copy = bytes.slice(start, start + n * dt.bytes);
  return { dtype: descr, shape, data: dt.make(copy.buffer, 0, n) };
}

/** Reads a `.npy` file; a missing file is a UserError naming the path. */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readInputFile(path), path);
}

function dtypeOf(data: NpyData): string {
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Float64Array) return "<f8";
  if (data instanceof BigInt64Array) return "<i8";
  if (data instanceof Int32Array) return "<i4";
  if (data instanceof Int8Array) return "|i1";
  return "|u1";
}

/** Serialises an array as `.npy` version 1.0 bytes. */
export function formatNpy(data: NpyData, shape: number[]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) {
    throw new Error(`formatNpy: shape [${shape}] has ${n} elements, data has ${data.length}`);
  }
  const shapeTxt = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${dtypeOf(data)}', 'fortran_order': False, 'shape': ${shapeTxt}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const hb = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + hb.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, hb.length, true);
  out.set(hb, 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + hb.length);
  return out;
}

/** Writes a `.npy` file atomically (temp file, then rename). */
export async function writeNpy(path: string, data: NpyData, shape: number[]): Promise<void> {
  await writeFileAtomic(path, formatNpy(data, shape));
}
