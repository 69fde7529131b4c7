import assert from "node:assert/strict";
import { parseCifarBinary, readCifarBinary } from "../../src/data/readers/cifar_binary.ts";
import { readCifarPickle, readCifarPickleBatch } from "../../src/data/readers/cifar_pickle.ts";
import { loadDataset, locateDataset } from "../../src/data/readers/load_dataset.ts";
import { safeUnpickle } from "../../src/data/readers/safe_unpickle.ts";
import { imageAt } from "../../src/data/readers/types.ts";
import { assertUserError, fixturePixel, FIXTURES, withTempDir } from "./helpers.ts";

/** A CIFAR binary batch of n records: pixel (c, y, x) of record i = (i + 3c + y + 2x) % 256. */
function cifarBin(n: number, classes: 10 | 100, label: (i: number) => number): Uint8Array {
  const head = classes === 10 ? 1 : 2;
  const rec = head + 3072;
  const b = new Uint8Array(n * rec);
  for (let i = 0; i < n; i++) {
    if (classes === 100) b[i * rec] = Math.floor(label(i) / 5);
    b[i * rec + head - 1] = label(i);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          b[i * rec + head + c * 1024 + y * 32 + x] = (i + 3 * c + y + 2 * x) % 256;
        }
      }
    }
  }
  return b;
}

function checkHwc(img: Uint8Array, i: number) {
  for (const [y, x] of [[0, 0], [5, 7], [31, 31]]) {
    for (let c = 0; c < 3; c++) {
      assert.equal(img[(y * 32 + x) * 3 + c], (i + 3 * c + y + 2 * x) % 256, `px ${y},${x},${c}`);
    }
  }
}

Deno.test("CIFAR-10 binary: train batches concatenate, CHW becomes HWC", async () => {
  await withTempDir(async (dir) => {
    const bin = `${dir}/cifar-10-batches-bin`;
    await Deno.mkdir(bin);
    for (let k = 1; k <= 5; k++) {
      await Deno.writeFile(`${bin}/data_batch_${k}.bin`, cifarBin(2, 10, (i) => (i + k) % 10));
    }
    await Deno.writeFile(`${bin}/test_batch.bin`, cifarBin(3, 10, (i) => i));
    const train = readCifarBinary(bin, 10, "train");
    assert.equal(train.n, 10);
    assert.deepEqual([...train.labels], [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    checkHwc(imageAt(train, 1), 1);
    assert.equal(train.classNames?.[9], "truck");
    const viaLoad = loadDataset("cifar10", "test", dir);
    assert.equal(viaLoad.n, 3);
    assert.equal(locateDataset("cifar10", dir).format, "cifar-binary");
    checkHwc(imageAt(viaLoad, 2), 2);
  });
});

Deno.test("CIFAR-100 binary: fine and coarse labels", () => {
  const p = parseCifarBinary(cifarBin(4, 100, (i) => 99 - i * 7), 100, "train.bin");
  assert.deepEqual([...p.labels], [99, 92, 85, 78]);
  assert.deepEqual([...p.coarse!], [19, 18, 17, 15]);
  checkHwc(p.images.subarray(3072 * 3), 3);
});

Deno.test("CIFAR binary: truncated batch is a clear error", async () => {
  await assertUserError(
    () => parseCifarBinary(cifarBin(2, 10, () => 1).subarray(0, 3073 * 2 - 5), 10, "b.bin"),
    /b\.bin: 6141 bytes is not a whole number of 3073-byte CIFAR-10 records/,
  );
});

Deno.test("CIFAR binary: label byte out of range is a clear error", async () => {
  await assertUserError(
    () => parseCifarBinary(cifarBin(3, 10, (i) => (i === 2 ? 10 : 0)), 10, "b.bin"),
    /b\.bin: label 10 of image 2 is outside \[0, 10\)/,
  );
});

Deno.test("CIFAR: missing data says where to get it", async () => {
  await withTempDir(async (dir) => {
    await assertUserError(
      () => loadDataset("cifar10", "train", dir),
      /CIFAR-10 not found/,
      /cifar-10-python\.tar\.gz/,
      /--data DIR/,
    );
    await Deno.mkdir(`${dir}/cifar-100-python`);
    await Deno.writeFile(`${dir}/cifar-100-python/test`, new Uint8Array(0));
    await assertUserError(
      () => loadDataset("cifar100", "train", dir),
      /cifar-100-python\/train: file not found; CIFAR-100: download/,
    );
  });
});

Deno.test("CIFAR pickle fixtures (Python 2 style, protocols 1, 2, 4, 5) all read the same", () => {
  for (const f of ["cifar10_py2style", "cifar10_p1", "cifar10_p2", "cifar10_p4", "cifar10_p5"]) {
    const b = readCifarPickleBatch(`${FIXTURES}${f}.pkl`, 10);
    assert.deepEqual([...b.labels], [0, 3, 6, 9], f);
    for (let i = 0; i < 4; i++) {
      for (const [y, x] of [[0, 0], [3, 17], [31, 31]]) {
        for (let c = 0; c < 3; c++) {
          const j = c * 1024 + y * 32 + x;
          assert.equal(b.images[i * 3072 + (y * 32 + x) * 3 + c], fixturePixel(i, j), `${f} ${i}`);
        }
      }
    }
  }
  const c = readCifarPickleBatch(`${FIXTURES}cifar100_p2.pkl`, 100);
  assert.deepEqual([...c.labels], [0, 37, 74, 11]);
  assert.deepEqual([...c.coarse!], [0, 7, 14, 2]);
});

Deno.test("CIFAR python layout: loadDataset finds cifar-10-batches-py and its meta", async () => {
  await withTempDir(async (dir) => {
    const py = `${dir}/cifar-10-batches-py`;
    await Deno.mkdir(py);
    for (
      const n of ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    ) {
      await Deno.copyFile(`${FIXTURES}cifar10_p2.pkl`, `${py}/${n}`);
    }
    await Deno.copyFile(`${FIXTURES}cifar10_p4.pkl`, `${py}/test_batch`);
    await Deno.copyFile(`${FIXTURES}cifar10_meta_p2.pkl`, `${py}/batches.meta`);
    const train = loadDataset("cifar10", "train", dir);
    assert.equal(train.n, 20);
    assert.equal(train.classNames?.[1], "automobile");
    assert.equal(readCifarPickle(py, 10, "test").n, 4);
  });
});

Deno.test("safe unpickler refuses unknown globals (fixture and hand-made os.system)", async () => {
  await assertUserError(
    () => readCifarPickleBatch(`${FIXTURES}unknown_global.pkl`, 10),
    /pickle refers to fractions\.Fraction, which this safe reader refuses to load/,
  );
  const evil = Uint8Array.from(
    "\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.",
    (c) => c.charCodeAt(0),
  );
  await assertUserError(
    () => safeUnpickle(evil, "evil.pkl"),
    /evil\.pkl: pickle refers to os\.system/,
  );
});

Deno.test("CIFAR pickle: truncated file and negative label are clear errors", async () => {
  const bytes = await Deno.readFile(`${FIXTURES}cifar10_py2style.pkl`);
  await assertUserError(
    () => safeUnpickle(bytes.subarray(0, 5000), "cut.pkl"),
    /cut\.pkl: truncated pickle/,
  );
  // Python 2 style labels are "(K\0K\3K\6K\te": make the first one BININT -1.
  const find = [0x28, 0x4b, 0, 0x4b, 3, 0x4b, 6, 0x4b, 9, 0x65];
  const at = bytes.findIndex((_, i) => find.every((b, k) => bytes[i + k] === b));
  assert.ok(at > 0);
  const bad = new Uint8Array([
    ...bytes.subarray(0, at + 1),
    0x4a,
    0xff,
    0xff,
    0xff,
    0xff,
    ...bytes.subarray(at + 3),
  ]);
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/neg.pkl`, bad);
    await assertUserError(
      () => readCifarPickleBatch(`${dir}/neg.pkl`, 10),
      /neg\.pkl: label -1 of image 0 is outside \[0, 10\)/,
    );
  });
});
