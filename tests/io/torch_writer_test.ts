import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import { formatCheckpoint } from "../../src/io/checkpoint.ts";
import { formatTorch, parseTorch, saveTorch } from "../../src/io/torch_file.ts";
import type { PyWritable } from "../../src/io/torch_pickle.ts";
import { isTensor, OrderedDict, type PyValue } from "../../src/io/torch_types.ts";
import { assertMatches, type Expected, FIXTURES, hexOf } from "./torch_expected.ts";
import { f32, sampleCheckpoint, sampleValue } from "./torch_samples.ts";

const REGEN = Deno.env.get("REGEN_FIXTURES") === "1";

/** Compares two loaded values exactly (tensor bytes, float bits, dict order and kind). */
function assertSameValue(a: PyValue, b: PyValue, path = "<root>"): void {
  if (isTensor(a) || isTensor(b)) {
    assert.ok(isTensor(a) && isTensor(b), path);
    assert.equal(a.dtype, b.dtype, path);
    assert.deepEqual(a.shape, b.shape, path);
    assert.equal(a.data.constructor, b.data.constructor, path);
    assert.equal(hexOf(a.data), hexOf(b.data), path);
  } else if (a instanceof Map) {
    assert.ok(b instanceof Map && (a instanceof OrderedDict) === (b instanceof OrderedDict), path);
    assert.deepEqual([...a.keys()], [...b.keys()], path);
    for (const [k, v] of a) assertSameValue(v, b.get(k)!, `${path}.${String(k)}`);
  } else if (Array.isArray(a)) {
    assert.ok(Array.isArray(b) && a.length === b.length, path);
    a.forEach((v, i) => assertSameValue(v, b[i], `${path}[${i}]`));
  } else if (typeof a === "number") {
    assert.equal(hexOf(Float64Array.of(a)), hexOf(Float64Array.of(b as number)), path);
  } else assert.deepEqual(a, b, path);
}

Deno.test("writer output is byte-identical to the committed files PyTorch accepted", async () => {
  const files: [string, Uint8Array][] = [
    ["ours_written.pt", formatTorch(sampleValue())],
    ["ours_checkpoint.pt", formatCheckpoint(sampleCheckpoint())],
  ];
  for (const [name, bytes] of files) {
    if (REGEN) await Deno.writeFile(`${FIXTURES}/${name}`, bytes);
    const committed = await Deno.readFile(`${FIXTURES}/${name}`);
    assert.equal(hexOf(bytes), hexOf(committed), `${name} changed; see gen_torch_fixtures.py`);
  }
});

Deno.test("torch.load(weights_only=True) saw exactly what we wrote", async () => {
  const seen: Record<string, Expected> = JSON.parse(
    await Deno.readTextFile(`${FIXTURES}/ours_torch.json`),
  );
  const written = seen["ours_written.pt"];
  assertMatches(written, parseTorch(formatTorch(sampleValue())));
  assertMatches(seen["ours_checkpoint.pt"], parseTorch(formatCheckpoint(sampleCheckpoint())));
  // JS numbers do not say int or float; check the Python types PyTorch got.
  assert.ok(written && "dict" in written);
  const tag = (key: string) =>
    Object.keys(written.dict.find(([k]) => k && "str" in k && k.str === key)![1]!)[0];
  assert.equal(tag("epoch"), "int");
  assert.equal(tag("huge"), "int");
  assert.equal(tag("lr"), "float");
  assert.equal(tag("lr_one"), "float");
});

Deno.test("write → read → write is bit-identical for sample and PyTorch-made files", async () => {
  const sample = sampleValue();
  const back = parseTorch(formatTorch(sample), "sample");
  assertSameValue(back, parseTorch(formatTorch(back as PyWritable)));
  // An integral Python float reads back as a plain JS number, which is written as an int;
  // everything else re-serialises to the very same bytes.
  assert.ok(back instanceof Map && back.get("lr_one") === 1);
  sample.delete("lr_one");
  back.delete("lr_one");
  assert.equal(hexOf(formatTorch(back as PyWritable)), hexOf(formatTorch(sample)));
  for (const f of ["sd_zip.pt", "sd_legacy.pt", "misc_p4.pt"]) {
    const v = parseTorch(await Deno.readFile(`${FIXTURES}/${f}`), f);
    if (f === "misc_p4.pt") {
      // float16/bfloat16 are widened on read and bytes/tuples have no writer form.
      assert.ok(v instanceof Map);
      for (const k of ["f16", "bf16", "bytes"]) v.delete(k);
    }
    assertSameValue(v, parseTorch(formatTorch(v as PyWritable), f), f);
  }
});

Deno.test("saveTorch writes atomically to the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/x.pt`;
    await saveTorch(path, new Map([["w", f32([2], [1, 2])]]));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["x.pt"]);
    const v = parseTorch(await Deno.readFile(path));
    assert.ok(v instanceof Map && isTensor(v.get("w")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tensor payloads start at 64-byte offsets in the zip", () => {
  const bytes = formatTorch(sampleValue());
  const dv = new DataView(bytes.buffer);
  let n = 0;
  for (let i = 0; i + 30 < bytes.length; i++) {
    if (dv.getUint32(i, true) !== 0x04034b50) continue;
    const start = i + 30 + dv.getUint16(i + 26, true) + dv.getUint16(i + 28, true);
    assert.equal(start % 64, 0);
    n++;
  }
  assert.equal(n, 12); // data.pkl, byteorder, 9 storages, version
});

Deno.test("writer rejects values it cannot represent", () => {
  const bad: [PyWritable, RegExp][] = [
    [{ dtype: "float32", shape: [2], data: Float64Array.of(1, 2) }, /must hold a Float32Array/],
    [f32([3], [1, 2]), /does not match its 2 elements/],
    [{ dtype: "float16", shape: [1], data: Float32Array.of(1) }, /cannot write a float16/],
    [{ a: 1 } as unknown as PyWritable, /use Map\/OrderedDict/],
  ];
  const cyc: PyWritable[] = [];
  cyc.push(cyc);
  bad.push([cyc, /cyclic/]);
  for (const [v, re] of bad) {
    assert.throws(
      () => formatTorch(v),
      (e: unknown) => e instanceof UserError && re.test(e.message),
    );
  }
});
