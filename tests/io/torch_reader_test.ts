import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import { loadTorch, parseTorch } from "../../src/io/torch_file.ts";
import { assertMatches, FIXTURES, readExpected } from "./torch_expected.ts";

const expected = await readExpected(`${FIXTURES}/expected.json`);

function assertUserError(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${e}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"), "error must be one line");
    return true;
  });
}

Deno.test("zip state_dict (dual-BN keys, _metadata) matches PyTorch exactly", async () => {
  const v = await loadTorch(`${FIXTURES}/sd_zip.pt`);
  assertMatches(expected.sd, v);
  assert.ok(v instanceof Map && v.has("module.layer1.0.bn1.bn_list.1.running_mean"));
});

Deno.test("legacy (non-zip) state_dict matches PyTorch exactly", async () => {
  assertMatches(expected.sd, await loadTorch(`${FIXTURES}/sd_legacy.pt`));
});

Deno.test("deflated zip entries are read", async () => {
  assertMatches(expected.sd, await loadTorch(`${FIXTURES}/sd_deflated.pt`));
});

Deno.test("wrapped checkpoint with SGD optimizer state (int keys, param_groups)", async () => {
  const v = await loadTorch(`${FIXTURES}/wrapped.pt`);
  assert.ok(v instanceof Map);
  assertMatches(expected.sd, v.get("state_dict"), "state_dict");
  const rest = new Map([...v].filter(([k]) => k !== "state_dict"));
  assertMatches(expected.wrapped_rest, rest);
});

Deno.test("non-contiguous view saved directly honours offset and strides", async () => {
  const v = await loadTorch(`${FIXTURES}/view_direct.pt`);
  assertMatches(expected.view_direct, v);
});

Deno.test("legacy views sharing one storage (offset, stride 0, step) are exact", async () => {
  assertMatches(expected.views, await loadTorch(`${FIXTURES}/views_legacy.pt`));
});

Deno.test("protocol 4 with every dtype, f16/bf16 widening, big ints, numpy scalars, bytes", async () => {
  assertMatches(expected.misc, await loadTorch(`${FIXTURES}/misc_p4.pt`));
});

Deno.test("a disallowed global (os.system) is refused without running it", async () => {
  const bytes = await Deno.readFile(`${FIXTURES}/evil.pt`);
  assertUserError(
    () => parseTorch(bytes, "evil.pt"),
    /^checkpoint evil\.pt uses unsupported pickle global '(os|posix)\.system'; it may not be a PyTorch state_dict$/,
  );
});

Deno.test("truncated zip and truncated legacy files say so", async () => {
  const zip = await Deno.readFile(`${FIXTURES}/sd_zip.pt`);
  for (const cut of [zip.length - 10, Math.floor(zip.length / 2), 100]) {
    assertUserError(() => parseTorch(zip.subarray(0, cut), "cut.pt"), /truncated/);
  }
  const legacy = await Deno.readFile(`${FIXTURES}/sd_legacy.pt`);
  for (const cut of [legacy.length - 3, Math.floor(legacy.length / 2), 400]) {
    assertUserError(() => parseTorch(legacy.subarray(0, cut), "cut.pt"), /truncated/);
  }
});

Deno.test("a flipped byte in tensor data fails the CRC check", async () => {
  const zip = (await Deno.readFile(`${FIXTURES}/sd_zip.pt`)).slice();
  const dv = new DataView(zip.buffer);
  const dec = new TextDecoder();
  let flipped = false;
  // Find the local header (signature PK\x03\x04) of the entry ".../data/0".
  for (let i = 0; i + 30 < zip.length && !flipped; i++) {
    if (dv.getUint32(i, true) !== 0x04034b50) continue;
    const nameLen = dv.getUint16(i + 26, true), extraLen = dv.getUint16(i + 28, true);
    if (!dec.decode(zip.subarray(i + 30, i + 30 + nameLen)).endsWith("/data/0")) continue;
    zip[i + 30 + nameLen + extraLen] ^= 0xff;
    flipped = true;
  }
  assert.ok(flipped);
  assertUserError(() => parseTorch(zip, "flip.pt"), /CRC mismatch/);
});

Deno.test("random bytes, empty files and plain pickles are not PyTorch checkpoints", () => {
  let seed = 12345;
  const rnd = Uint8Array.from(
    { length: 512 },
    () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24,
  );
  assertUserError(() => parseTorch(rnd, "noise.bin"), /^noise\.bin is not a PyTorch checkpoint/);
  assertUserError(() => parseTorch(new Uint8Array(0), "empty.pt"), /is not a PyTorch checkpoint/);
  // pickle.dumps({'a': 1}, protocol=2): a valid pickle, but not torch.save's stream.
  const plain = new Uint8Array([
    0x80,
    2,
    0x7d,
    0x71,
    0,
    0x58,
    1,
    0,
    0,
    0,
    0x61,
    0x71,
    1,
    0x4b,
    1,
    0x73,
    0x2e,
  ]);
  assertUserError(() => parseTorch(plain, "plain.pkl"), /plain\.pkl is not a PyTorch checkpoint/);
});

Deno.test("a missing file is a one-line UserError", async () => {
  await assert.rejects(() => loadTorch(`${FIXTURES}/nope.pt`), /nope\.pt: file not found/);
});
