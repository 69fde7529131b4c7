import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import {
  AUTHORS_SPLITS_DIR,
  authorsManifest,
  describeProvenance,
  splitProvenance,
  splitRecord,
} from "../../src/data/authors_splits.ts";
import { readSplit, readSplitIndices, resolveSplit } from "../../src/data/split_read.ts";
import { sha256Hex } from "../../src/io/sha256.ts";
import { assertUserError, withTempDir } from "./helpers.ts";

Deno.test("shipped authors' splits: every file unpacks to the original's size and SHA-256", async () => {
  const m = authorsManifest();
  assert.equal(m.source.repository, "https://github.com/VITA-Group/SDCLR");
  assert.match(m.source.commit, /^[0-9a-f]{40}$/);
  // CIFAR-10 and -100: 5 splits × 3 sets + 2 lists each; ImageNet-100: 5 lists; ImageNet-LT: 3.
  assert.equal(m.files.length, 2 * (15 + 2) + 5 + 3);
  for (const f of m.files) {
    const raw = gunzipSync(await Deno.readFile(`${AUTHORS_SPLITS_DIR}/${f.stored}`));
    assert.equal(raw.length, f.bytes, f.file);
    assert.equal(await sha256Hex(new Uint8Array(raw)), f.sha256, f.file);
    const s = readSplit(`${AUTHORS_SPLITS_DIR}/${f.stored}`);
    assert.equal(s.kind === "list" ? s.entries.length : s.indices.length, f.entries, f.file);
  }
});

Deno.test("split names mean the paper's files for CIFAR: split 1 sizes as published", () => {
  const sizes = (ds: "cifar10" | "cifar100") =>
    ["D_i", "D_b", "S_b"].map((x) =>
      readSplitIndices(resolveSplit(`split1_${x}`, ds), { poolSize: 50000 }).length
    );
  assert.deepEqual(sizes("cifar10"), [11165, 11160, 450]);
  assert.deepEqual(sizes("cifar100"), [9754, 9700, 400]);
  assert.equal(
    resolveSplit("cifar100_split3_S_b", "cifar100"),
    `${AUTHORS_SPLITS_DIR}/cifar100_imbSub_with_subsets/cifar100_split3_S_b.npy.gz`,
  );
  assert.equal(resolveSplit("val", "cifar10"), `${AUTHORS_SPLITS_DIR}/cifar10/valIdxList.npy.gz`);
});

Deno.test("split names: bad split numbers and datasets without authors' splits explain", async () => {
  await assertUserError(
    () => resolveSplit("split7_D_i", "cifar10"),
    /the authors released splits 1–5 only, not 7; pass --split-source generated/,
  );
  await assertUserError(
    () => resolveSplit("split1_D_i", "fashion-mnist", { source: "authors" }),
    /the authors released no fashion-mnist splits; use --split-source generated/,
  );
});

Deno.test("provenance: the authors' file anywhere, our generated file, anything else", async () => {
  const shipped = resolveSplit("split2_D_b", "cifar10");
  const a = await splitProvenance(shipped);
  assert.equal(a.source, "authors");
  assert.equal(
    a.origin,
    "VITA-Group/SDCLR@34c932e:split/cifar10_imbSub_with_subsets/split2_D_b.npy",
  );
  assert.match(describeProvenance(a), /^split2_D_b\.npy\.gz: the paper's split, as the authors/);
  const g = await splitProvenance(resolveSplit("split1_D_i", "fashion-mnist"));
  assert.equal(g.source, "generated");
  assert.match(g.origin!, /seed 1, fashion-mnist/);
  await withTempDir(async (dir) => {
    // An uncompressed copy is still the authors' file (identified by content).
    await Deno.writeFile(`${dir}/split2_D_b.npy`, gunzipSync(await Deno.readFile(shipped)));
    const copy = await splitProvenance(`${dir}/split2_D_b.npy`);
    assert.deepEqual([copy.source, copy.sha256], ["authors", a.sha256]);
    await Deno.writeFile(`${dir}/mine.npy`, new Uint8Array([1, 2, 3]));
    const r = await splitRecord({ pretrain: `${dir}/mine.npy`, train: shipped, test: "/data/x" });
    assert.equal(r.source, "file");
    assert.deepEqual(Object.keys(r.files), ["pretrain", "train"]);
    assert.equal(r.files.train.source, "authors");
  });
});
