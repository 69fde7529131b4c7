import assert from "node:assert/strict";
import { formatNpy } from "../../src/io/npy.ts";
import { FASHION_MNIST_DIR } from "../../src/data/readers/idx.ts";
import { loadDataset } from "../../src/data/readers/load_dataset.ts";
import { classCounts } from "../../src/data/readers/types.ts";
import { nestedBlocks } from "../../src/data/split_check.ts";
import { SPLIT_PROFILES, splitSizes } from "../../src/data/split_profiles.ts";
import {
  readSplit,
  readSplitIndices,
  resolveSplit,
  SHIPPED_SPLITS_DIR,
} from "../../src/data/split_read.ts";
import { perClass, type SplitManifest } from "../../src/data/split_write.ts";
import { sha256Hex } from "../../src/io/sha256.ts";
import { AUTHORS_SPLITS_DIR } from "../../src/data/authors_splits.ts";
import { assertUserError, withTempDir } from "./helpers.ts";

const REF = AUTHORS_SPLITS_DIR;
const i64 = (a: number[]) => formatNpy(BigInt64Array.from(a, BigInt), [a.length]);

Deno.test("readSplit: int64 and int32 .npy load; range, duplicate and list checks", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/a.npy`, i64([4, 0, 9]));
    await Deno.writeFile(`${dir}/b.npy`, formatNpy(Int32Array.from([1, 2]), [2]));
    const a = readSplit(`${dir}/a.npy`, { poolSize: 10 });
    assert.ok(a.kind === "indices");
    assert.deepEqual([...a.indices], [4, 0, 9]);
    assert.deepEqual([...readSplitIndices(`${dir}/b.npy`)], [1, 2]);
    await assertUserError(
      () => readSplit(`${dir}/a.npy`, { poolSize: 9 }),
      /a\.npy: index 9 at position 2 is outside \[0, 9\)/,
    );
    await assertUserError(
      () => readSplit(`${dir}/a.npy`, { trainList: [0, 4] }),
      /a\.npy: index 9 at position 2 is not in the train list/,
    );
    await assertUserError(
      () => readSplit(`${dir}/a.npy`, { exclude: [7, 0] }),
      /a\.npy: index 0 at position 1 is in the validation list/,
    );
  });
});

Deno.test("readSplit: out-of-range (negative) index is a clear error", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/neg.npy`, i64([3, -1]));
    await assertUserError(
      () => readSplit(`${dir}/neg.npy`),
      /neg\.npy: index -1 at position 1 is outside/,
    );
  });
});

Deno.test("readSplit: duplicate index is a clear error", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/dup.npy`, i64([5, 7, 1, 7]));
    await assertUserError(
      () => readSplit(`${dir}/dup.npy`, { poolSize: 50000 }),
      /dup\.npy: index 7 appears twice \(positions 1 and 3\)/,
    );
  });
});

Deno.test("readSplit: wrong dtype, 2-D, wrong extension, missing file are clear errors", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/f.npy`, formatNpy(Float64Array.from([1, 2]), [2]));
    await Deno.writeFile(`${dir}/m.npy`, formatNpy(BigInt64Array.from([1n, 2n, 3n, 4n]), [2, 2]));
    await Deno.writeFile(`${dir}/bad.npy`, new TextEncoder().encode("not numpy at all"));
    await assertUserError(
      () => readSplit(`${dir}/f.npy`),
      /f\.npy: dtype <f8, expected int64 \(or int32\) indices/,
    );
    await assertUserError(
      () => readSplit(`${dir}/m.npy`),
      /m\.npy: shape \[2,2\], expected a 1-D index array/,
    );
    await assertUserError(() => readSplit(`${dir}/bad.npy`), /bad\.npy: not a \.npy file/);
    await assertUserError(() => readSplit(`${dir}/x.csv`), /x\.csv: a split file must be \.npy/);
    await assertUserError(() => readSplit(`${dir}/gone.npy`), /gone\.npy: file not found/);
  });
});

Deno.test("readSplit: the authors' ImageNet .txt lists load as they are", () => {
  const lt = readSplit(`${REF}/imagenet-100/imageNet_100_LT_train.txt.gz`, { classes: 100 });
  assert.ok(lt.kind === "list");
  assert.equal(lt.entries.length, 12205);
  const counts = classCounts(lt.entries.map((e) => e.label), 100);
  assert.deepEqual([Math.max(...counts), Math.min(...counts)], [1280, 6]);
  const bl = readSplit(`${REF}/imagenet-100/imageNet_100_BL_train.txt.gz`, { classes: 100 });
  assert.ok(bl.kind === "list");
  assert.deepEqual(new Set(classCounts(bl.entries.map((e) => e.label), 100)), new Set([122]));
  const test = readSplit(`${REF}/ImageNet_LT/ImageNet_LT_test.txt.gz`, { classes: 1000 });
  assert.ok(test.kind === "list" && test.entries.length === 50000);
});

Deno.test("resolveSplit: names map to shipped files, paths pass through, bad names explain", async () => {
  assert.equal(
    resolveSplit("split1_D_i", "fashion-mnist"),
    `${SHIPPED_SPLITS_DIR}/fashion-mnist/fmnist_lt_split1_D_i.npy`,
  );
  assert.equal(
    resolveSplit("train", "fashion-mnist"),
    `${SHIPPED_SPLITS_DIR}/fashion-mnist/fmnist_train_idx.npy`,
  );
  assert.equal(resolveSplit("x/y.npy", "cifar10"), "x/y.npy");
  await assertUserError(
    () => resolveSplit("split1_Di", "fashion-mnist"),
    /--split "split1_Di": expected a file path, splitK_D_i/,
  );
  await withTempDir(async (dir) => {
    await assertUserError(
      () => resolveSplit("split2_S_b", "cifar10", { source: "generated", dir }),
      /cifar10_lt_split2_S_b\.npy does not exist; generate it with: deno task splits --dataset cifar10 --data DIR/,
    );
  });
});

Deno.test("shipped Fashion-MNIST splits: manifest hashes, sizes and nesting", async () => {
  const dir = `${SHIPPED_SPLITS_DIR}/fashion-mnist`;
  const m = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)) as SplitManifest;
  assert.equal(m.files.length, 17);
  for (const f of m.files) {
    assert.equal(await sha256Hex(await Deno.readFile(`${dir}/${f.name}`)), f.sha256, f.name);
  }
  const s = splitSizes(SPLIT_PROFILES["fashion-mnist"], 5400);
  const train = readSplitIndices(resolveSplit("train", "fashion-mnist"), { poolSize: 60000 });
  readSplitIndices(resolveSplit("val", "fashion-mnist"), { poolSize: 60000, exclude: train });
  let labels: Int32Array | undefined;
  try {
    Deno.statSync(`${FASHION_MNIST_DIR}/train-labels-idx1-ubyte.gz`);
    labels = loadDataset("fashion-mnist", "train").labels;
  } catch { /* labels absent: structure checks only */ }
  for (let k = 1; k <= 5; k++) {
    const [di, db, sb] = (["D_i", "D_b", "S_b"] as const).map((x) =>
      readSplitIndices(resolveSplit(`split${k}_${x}`, "fashion-mnist"), {
        poolSize: 60000,
        trainList: train,
      })
    );
    const blocks = nestedBlocks({ D_i: di, D_b: db, S_b: sb }, 10);
    assert.deepEqual([...blocks.longTail].sort((a, b) => b - a), s.longTail);
    assert.deepEqual([db.length, sb.length], [13390, 540]);
    if (labels) {
      assert.deepEqual(perClass(di, labels, 10), blocks.longTail, "blocks are the real classes");
    }
  }
});
