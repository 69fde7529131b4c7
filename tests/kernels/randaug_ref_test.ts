import assert from "node:assert/strict";
import { opFromValue, RANDAUG_OPS } from "../../kernels/augment/randaug.ts";
import { applyOpRef, type U8Image } from "../../kernels/augment/randaug_ref.ts";

interface U8Tensor {
  shape: number[];
  u8: string;
}

interface RandaugCase {
  image: string;
  op: number;
  name: string;
  value: number;
  cx: number;
  cy: number;
  out: U8Tensor;
}

/** The PIL fixture written by tests/golden/gen_randaug.py. */
export function loadRandaugGolden(): { images: Record<string, U8Image>; cases: RandaugCase[] } {
  const url = new URL("../golden/fixtures/randaug.json", import.meta.url);
  const doc = JSON.parse(Deno.readTextFileSync(url));
  const images: Record<string, U8Image> = {};
  for (const [k, v] of Object.entries(doc.images as Record<string, U8Tensor>)) images[k] = chw(v);
  return { images, cases: doc.cases };
}

/** An HWC uint8 fixture tensor as CHW planes. */
export function chw(t: U8Tensor): U8Image {
  const bin = atob(t.u8);
  const [h, w] = t.shape, n = h * w;
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) data[c * n + i] = bin.charCodeAt(i * 3 + c);
  }
  return { h, w, data };
}

Deno.test("randaug CPU references equal PIL on fixed images and values, every op", () => {
  const { images, cases } = loadRandaugGolden();
  const seen = new Set<string>();
  for (const c of cases) {
    const img = images[c.image];
    assert.equal(RANDAUG_OPS[c.op].name, c.name);
    const op = opFromValue(c.op, c.value, { width: img.w, height: img.h, cx: c.cx, cy: c.cy });
    const got = applyOpRef(img, op);
    const want = chw(c.out);
    let bad = 0;
    for (let i = 0; i < want.data.length; i++) if (got.data[i] !== want.data[i]) bad++;
    assert.equal(bad, 0, `${c.name}(${c.value}) on ${c.image}: ${bad} values differ from PIL`);
    seen.add(c.name);
  }
  assert.equal(seen.size, 15, "every op of the list is covered");
});
