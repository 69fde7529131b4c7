/**
 * Test helper: checks a value loaded by our reader against the tagged encoding that
 * tests/golden/gen_torch_fixtures.py writes (`enc()` there), exactly: tensors byte for byte,
 * floats bit for bit, ints as decimal strings, dict order and OrderedDict-ness included.
 * @module
 */
import { OrderedDict, type PyValue, type TorchTensor } from "../../src/io/torch_types.ts";
import { isTensor } from "../../src/io/torch_types.ts";

/** The tagged JSON encoding of one Python value. */
export type Expected =
  | null
  | { tensor: { dtype: string; shape: number[]; hex: string; f32hex?: string } }
  | { bool: boolean }
  | { int: string }
  | { float: string }
  | { str: string }
  | { bytes: string }
  | { list: Expected[] }
  | { dict: [Expected, Expected][]; ordered: boolean; metadata?: Expected };

/** Lower-case hex of a typed array's bytes. */
export function hexOf(a: ArrayBufferView): string {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function float64Hex(v: number): string {
  return hexOf(new Float64Array([v]));
}

/** Throws (with the path) unless `actual` is exactly what `exp` describes. */
export function assertMatches(exp: Expected, actual: PyValue | undefined, path = "<root>"): void {
  const bad = (why: string): never => {
    throw new Error(`${path}: ${why}`);
  };
  if (exp === null) {
    if (actual !== null) bad(`expected None, got ${String(actual)}`);
  } else if ("tensor" in exp) {
    if (!isTensor(actual)) return bad("expected a tensor");
    const t = actual as TorchTensor;
    const e = exp.tensor;
    if (t.dtype !== e.dtype) bad(`dtype ${t.dtype} != ${e.dtype}`);
    if (JSON.stringify(t.shape) !== JSON.stringify(e.shape)) {
      bad(`shape [${t.shape}] != [${e.shape}]`);
    }
    if (hexOf(t.data) !== (e.f32hex ?? e.hex)) bad("tensor bytes differ");
  } else if ("bool" in exp) {
    if (actual !== exp.bool) bad(`expected ${exp.bool}, got ${String(actual)}`);
  } else if ("int" in exp) {
    const ok = (typeof actual === "number" && Number.isInteger(actual)) ||
      typeof actual === "bigint";
    if (!ok || String(actual) !== exp.int) bad(`expected int ${exp.int}, got ${String(actual)}`);
  } else if ("float" in exp) {
    if (typeof actual !== "number" || float64Hex(actual) !== exp.float) {
      bad(`expected float bits ${exp.float}, got ${String(actual)}`);
    }
  } else if ("str" in exp) {
    if (actual !== exp.str) bad(`expected "${exp.str}", got ${String(actual)}`);
  } else if ("bytes" in exp) {
    if (!(actual instanceof Uint8Array) || hexOf(actual) !== exp.bytes) bad("bytes differ");
  } else if ("list" in exp) {
    if (!Array.isArray(actual) || actual.length !== exp.list.length) {
      return bad(`expected a list of ${exp.list.length}`);
    }
    exp.list.forEach((e, i) => assertMatches(e, actual[i], `${path}[${i}]`));
  } else if ("dict" in exp) {
    if (!(actual instanceof Map)) return bad("expected a dict");
    if ((actual instanceof OrderedDict) !== exp.ordered) bad("OrderedDict-ness differs");
    if (actual.size !== exp.dict.length) {
      bad(`dict has ${actual.size} items, expected ${exp.dict.length}`);
    }
    const items = [...actual];
    exp.dict.forEach(([ek, ev], i) => {
      const [k, v] = items[i];
      assertMatches(ek, k, `${path}.<key ${i}>`);
      assertMatches(ev, v, `${path}.${String(k)}`);
    });
    if (exp.metadata !== undefined) {
      if (!(actual instanceof OrderedDict)) return bad("expected _metadata on an OrderedDict");
      assertMatches(exp.metadata, actual.attrs.get("_metadata"), `${path}._metadata`);
    }
  } else bad(`unknown expectation ${JSON.stringify(exp)}`);
}

/** Reads the generated expectations file. */
export async function readExpected(file: string): Promise<Record<string, Expected>> {
  return JSON.parse(await Deno.readTextFile(file));
}

/** Fixture folder (absolute, so tests work from any working directory). */
export const FIXTURES: string = new URL("../golden/fixtures/torch", import.meta.url).pathname;
