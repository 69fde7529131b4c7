import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import {
  expectKeys,
  findStateDict,
  formatCheckpoint,
  loadCheckpoint,
  loadStateDict,
  parseCheckpoint,
  saveCheckpoint,
} from "../../src/io/checkpoint.ts";
import { formatTorch } from "../../src/io/torch_file.ts";
import type { PyWritable } from "../../src/io/torch_pickle.ts";
import type { PyKey, PyValue, TorchTensor } from "../../src/io/torch_types.ts";
import { FIXTURES, hexOf, readExpected } from "./torch_expected.ts";
import { f32, sampleCheckpoint } from "./torch_samples.ts";

const expected = await readExpected(`${FIXTURES}/expected.json`);

/** Expected state dict keys (prefix stripped) and tensor hex from the PyTorch dump. */
function expectedSd(): Map<string, { shape: number[]; hex: string }> {
  const sd = expected.sd;
  assert.ok(sd && "dict" in sd);
  return new Map(sd.dict.map(([k, v]) => {
    assert.ok(k && "str" in k && v && "tensor" in v);
    return [k.str.replace(/^module\./, ""), { shape: v.tensor.shape, hex: v.tensor.hex }];
  }));
}

function userError(re: RegExp) {
  return (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes("\n");
}

Deno.test("loadStateDict finds the weights in plain, legacy and wrapped files, strips module.", async () => {
  const want = expectedSd();
  for (const f of ["sd_zip.pt", "sd_legacy.pt", "wrapped.pt", "sd_deflated.pt"]) {
    const sd = await loadStateDict(`${FIXTURES}/${f}`);
    assert.deepEqual([...sd.keys()], [...want.keys()], f);
    assert.ok(sd.has("layer1.0.bn1.bn_list.1.running_mean") && sd.has("fc.fc1.weight"));
    for (const [k, t] of sd) {
      assert.deepEqual(t.shape, want.get(k)!.shape, k);
      assert.equal(hexOf(t.data), want.get(k)!.hex, k);
    }
  }
});

Deno.test("findStateDict looks under model/net and names the keys it saw when it fails", () => {
  const sd = new Map([["module.w", f32([1], [1])], ["b", f32([1], [2])]]);
  for (const key of ["model", "net"]) {
    const found = findStateDict(new Map<PyKey, PyValue>([[key, sd], ["epoch", 1]]));
    assert.deepEqual([...found.keys()], ["w", "b"]);
  }
  assert.throws(
    () => findStateDict(new Map<PyKey, PyValue>([["weights", 3], ["epoch", 1]]), "x.pt"),
    userError(/^x\.pt: no state_dict found .*top-level keys: weights, epoch\)$/),
  );
});

Deno.test("expectKeys reports missing keys and shape mismatches in PyTorch terms", async () => {
  const sd = await loadStateDict(`${FIXTURES}/sd_zip.pt`);
  const model = new Map<string, number[]>([...sd].map(([k, t]) => [k, t.shape]));
  assert.deepEqual(expectKeys(sd, model), []);

  const missing = new Map(model).set("layer1.0.bn1.bn_list.0.extra", [2]);
  assert.throws(
    () => expectKeys(sd, missing),
    userError(/missing key 'layer1\.0\.bn1\.bn_list\.0\.extra'/),
  );
  const wrongShape = new Map(model).set("conv1.weight", [32, 3, 3, 3]);
  assert.throws(
    () => expectKeys(sd, wrongShape, { source: "a.pt" }),
    userError(
      /^a\.pt: shape mismatch for 'conv1\.weight': checkpoint \[2,3,3,3\], model \[32,3,3,3\]/,
    ),
  );
  const fewer = new Map(model);
  fewer.delete("fc.fc2.weight");
  assert.throws(() => expectKeys(sd, fewer), userError(/unexpected key 'fc\.fc2\.weight'/));
  assert.deepEqual(expectKeys(sd, fewer, { allowUnexpected: true }), ["fc.fc2.weight"]);
});

function assertSameTensors(a: Map<string, TorchTensor>, b: Map<string, TorchTensor>) {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, t] of a) {
    const u = b.get(k)!;
    assert.equal(u.dtype, t.dtype, k);
    assert.deepEqual(u.shape, t.shape, k);
    assert.equal(hexOf(u.data), hexOf(t.data), k);
  }
}

Deno.test("saveCheckpoint → loadCheckpoint round-trips every field bit-exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ck = sampleCheckpoint();
    await saveCheckpoint(`${dir}/ck.pt`, ck);
    const back = await loadCheckpoint(`${dir}/ck.pt`);
    assertSameTensors(ck.stateDict, back.stateDict);
    assertSameTensors(ck.momentum, back.momentum);
    assertSameTensors(ck.masks, back.masks);
    assert.deepEqual(
      [back.epoch, back.step, back.rng, back.config],
      [ck.epoch, ck.step, ck.rng, ck.config],
    );
    assert.equal(hexOf(formatCheckpoint(back)), hexOf(formatCheckpoint(ck)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint writer and reader refuse malformed content", async () => {
  const ck = sampleCheckpoint();
  assert.throws(
    () => formatCheckpoint({ ...ck, masks: new Map([["w", f32([1], [1])]]) }),
    userError(/mask 'w' must be uint8 or bool, got float32/),
  );
  assert.throws(
    () => formatCheckpoint({ ...ck, epoch: 1.5 }),
    userError(/epoch must be an integer/),
  );
  const noMomentum = formatTorch(
    new Map<PyKey, PyWritable>([["state_dict", new Map()], ["epoch", 1]]),
  );
  assert.throws(
    () => parseCheckpoint(noMomentum, "old.pt"),
    userError(
      /^old\.pt: 'momentum' is missing or not a dict; it is not a checkpoint of this suite/,
    ),
  );
  await assert.rejects(
    () => loadCheckpoint(`${FIXTURES}/sd_zip.pt`),
    userError(/not a checkpoint of this suite/),
  );
  await assert.rejects(() => loadCheckpoint(`${FIXTURES}/missing.pt`), userError(/file not found/));
});
