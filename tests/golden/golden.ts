/**
 * Loads the committed PyTorch golden fixtures (tests/golden/fixtures/<family>.json, written by
 * tests/golden/gen_<family>.py).
 * @module
 */

/** A fixture tensor. */
export interface GoldenTensor {
  shape: number[];
  data: Float32Array;
}

/** One golden case. */
export interface GoldenCase {
  name: string;
  params: Record<string, unknown>;
  tensors: Record<string, GoldenTensor>;
}

function decode(b64: string): Float32Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** Reads every case of a family's fixture file. */
export function loadGolden(family: string): GoldenCase[] {
  const url = new URL(`./fixtures/${family}.json`, import.meta.url);
  const json = JSON.parse(Deno.readTextFileSync(url));
  return json.cases.map((
    c: {
      name: string;
      params: Record<string, unknown>;
      tensors: Record<string, { shape: number[]; f32: string }>;
    },
  ) => ({
    name: c.name,
    params: c.params,
    tensors: Object.fromEntries(
      Object.entries(c.tensors).map(([k, v]) => [k, { shape: v.shape, data: decode(v.f32) }]),
    ),
  }));
}
