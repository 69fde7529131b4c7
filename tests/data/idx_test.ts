import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { FASHION_MNIST_DIR, parseIdx, readIdxPair } from "../../src/data/readers/idx.ts";
import { loadDataset } from "../../src/data/readers/load_dataset.ts";
import { classCounts, imageAt, toRgb } from "../../src/data/readers/types.ts";
import { assertUserError, withTempDir } from "./helpers.ts";

function idx(dims: number[], data: ArrayLike<number>): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head.set([0, 0, 8, dims.length]);
  const v = new DataView(head.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

const N = 5, H = 4, W = 3;
const pixels = Uint8Array.from({ length: N * H * W }, (_, i) => (i * 11) % 256);
const labels = [3, 1, 4, 1, 5];

Deno.test("IDX: plain and gzipped Fashion-MNIST-style files read the same", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte`, idx([N, H, W], pixels));
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte`, idx([N], labels));
    const gz = `${dir}/gz`;
    await Deno.mkdir(gz);
    await Deno.writeFile(`${gz}/train-images-idx3-ubyte.gz`, gzipSync(idx([N, H, W], pixels)));
    await Deno.writeFile(`${gz}/train-labels-idx1-ubyte.gz`, gzipSync(idx([N], labels)));
    for (const d of [dir, gz]) {
      const s = loadDataset("fashion-mnist", "train", d);
      assert.equal(s.n, N);
      assert.equal(s.height, H);
      assert.equal(s.width, W);
      assert.equal(s.channels, 1);
      assert.deepEqual([...s.labels], labels);
      assert.deepEqual([...imageAt(s, 2)], [...pixels.subarray(2 * H * W, 3 * H * W)]);
      const rgb = toRgb(s);
      assert.equal(rgb.channels, 3);
      assert.deepEqual([...imageAt(rgb, 1).subarray(0, 6)], [
        pixels[12],
        pixels[12],
        pixels[12],
        pixels[13],
        pixels[13],
        pixels[13],
      ]);
    }
  });
});

Deno.test("IDX: wrong magic is a clear error", async () => {
  const b = idx([N], labels);
  b[0] = 0x1f; // neither IDX nor a complete gzip stream
  await assertUserError(
    () => parseIdx(b, "x-idx1-ubyte"),
    /x-idx1-ubyte: bad IDX magic 0x1f000801/,
  );
});

Deno.test("IDX: truncated data and trailing bytes are clear errors", async () => {
  const b = idx([N, H, W], pixels);
  await assertUserError(
    () => parseIdx(b.subarray(0, b.length - 1), "img"),
    /img: IDX header says \[5×4×3\] = 60 bytes of data, file has 59 \(truncated\)/,
  );
  await assertUserError(() => parseIdx(new Uint8Array([...b, 0]), "img"), /trailing garbage/);
});

Deno.test("IDX: image/label count mismatch and bad label are clear errors", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/i`, idx([N, H, W], pixels));
    await Deno.writeFile(`${dir}/l`, idx([N - 1], labels.slice(1)));
    await Deno.writeFile(`${dir}/l10`, idx([N], [0, 1, 2, 10, 3]));
    await assertUserError(
      () => readIdxPair(`${dir}/i`, `${dir}/l`, { classes: 10 }),
      /has 5 images but .*\/l has 4 labels/,
    );
    await assertUserError(
      () => readIdxPair(`${dir}/i`, `${dir}/l10`, { classes: 10 }),
      /l10: label 10 of image 3 is outside \[0, 10\)/,
    );
  });
});

Deno.test("IDX: corrupt gzip and missing Fashion-MNIST are clear errors", async () => {
  await withTempDir(async (dir) => {
    const gz = gzipSync(idx([N], labels));
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte.gz`, gz.subarray(0, gz.length - 12));
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte.gz`, gz);
    await assertUserError(
      () => loadDataset("fashion-mnist", "train", dir),
      /train-images-idx3-ubyte\.gz: corrupt or truncated gzip data/,
    );
    await assertUserError(
      () => loadDataset("fashion-mnist", "train", `${dir}/nowhere`),
      /Fashion-MNIST not found/,
      /apt-get install dataset-fashion-mnist/,
      /--data DIR/,
    );
  });
});

const haveFmnist = (() => {
  try {
    return Deno.statSync(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "real Fashion-MNIST: 60000×28×28, labels 0..9, 6000 each; test 10000",
  ignore: !haveFmnist,
  fn() {
    const s = loadDataset("fashion-mnist", "train");
    assert.equal(s.n, 60000);
    assert.equal(s.height, 28);
    assert.equal(s.width, 28);
    assert.equal(s.images.length, 60000 * 784);
    assert.deepEqual(classCounts(s.labels, 10), new Array(10).fill(6000));
    assert.equal(s.classNames?.[9], "Ankle boot");
    const t = loadDataset("fashion-mnist", "test");
    assert.equal(t.n, 10000);
    assert.deepEqual(classCounts(t.labels, 10), new Array(10).fill(1000));
  },
});
