import assert from "node:assert/strict";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import {
  decodeImage,
  ListImageSource,
  parseImageList,
  readImageList,
} from "../../src/data/readers/image_list.ts";
import { centerCrop, resize, resizeShorter, roundHalfEven } from "../../src/data/readers/resize.ts";
import type { RawImage } from "../../core/image.ts";
import { assertUserError, withTempDir } from "./helpers.ts";

function solidJpeg(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  return new Uint8Array(jpeg.encode({ width: w, height: h, data }, 100).data);
}

function img(
  h: number,
  w: number,
  c: number,
  f: (y: number, x: number, k: number) => number,
): RawImage {
  const data = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = f(y, x, k);
    }
  }
  return { data, height: h, width: w, channels: c };
}

const COLORS: [number, number, number][] = [[200, 30, 40], [20, 180, 60], [90, 90, 220]];

Deno.test("image list: JPEGs load lazily with resize + center crop", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/train/a`, { recursive: true });
    const sizes = [[24, 16], [16, 40], [20, 20]];
    for (let i = 0; i < 3; i++) {
      const [w, h] = sizes[i];
      await Deno.writeFile(`${dir}/train/a/img${i}.JPEG`, solidJpeg(w, h, COLORS[i]));
    }
    await Deno.writeTextFile(
      `${dir}/list.txt`,
      "train/a/img0.JPEG 0\n\ntrain/a/img1.JPEG 2\r\n  train/a/img2.JPEG   1  \n\n",
    );
    const src = ListImageSource.open(`${dir}/list.txt`, dir, { resize: 10, crop: 8 });
    assert.equal(src.length, 3);
    assert.equal(src.classes, 3);
    assert.deepEqual([...src.labels()], [0, 2, 1]);
    assert.equal(src.label(1), 2);
    const raw = await src.loadRaw(1);
    assert.deepEqual([raw.height, raw.width, raw.channels], [40, 16, 3]);
    for (let i = 0; i < 3; i++) {
      const px = await src.load(i);
      assert.equal(px.length, 8 * 8 * 3);
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(px[(4 * 8 + 4) * 3 + k] - COLORS[i][k]) <= 3);
    }
    const noCrop = new ListImageSource(dir, src.entries, { resize: 10, interpolation: "bicubic" });
    const im = await noCrop.loadImage(1);
    assert.deepEqual([im.height, im.width], [25, 10]);
  });
});

Deno.test("image list: a PNG saved as .JPEG is decoded by its magic bytes", () => {
  const png = new PNG({ width: 3, height: 2 });
  for (let i = 0; i < 6; i++) png.data.set([i * 10, 100, 200 - i, 255], i * 4);
  const d = decodeImage(new Uint8Array(PNG.sync.write(png)), "x.JPEG");
  assert.deepEqual([d.width, d.height, d.channels], [3, 2, 3]);
  assert.deepEqual([...d.data.subarray(3, 6)], [10, 100, 199]);
});

Deno.test("image list: corrupt and truncated JPEGs are clear errors", async () => {
  const good = solidJpeg(16, 16, [1, 2, 3]);
  await assertUserError(
    () => decodeImage(good.subarray(0, 120), "t.JPEG"),
    /t\.JPEG: cannot decode JPEG/,
  );
  await assertUserError(
    () => decodeImage(new Uint8Array(64).fill(7), "g.JPEG"),
    /g\.JPEG: cannot decode JPEG \(SOI not found\)/,
  );
});

Deno.test("image list: line without label, bad label, duplicate, empty list are clear errors", async () => {
  await assertUserError(
    () => parseImageList("a.JPEG 1\n\nb.JPEG\n", "l.txt"),
    /l\.txt:3: "b\.JPEG" has no label/,
  );
  await assertUserError(
    () => parseImageList("a.JPEG -1\n", "l.txt"),
    /l\.txt:1: label "-1" is not a non-negative integer/,
  );
  await assertUserError(
    () => parseImageList("a.JPEG 1\na.JPEG 2\n", "l.txt"),
    /l\.txt:2: a\.JPEG is listed twice \(first on line 1\)/,
  );
  await assertUserError(
    () => parseImageList("a.JPEG 7\n", "l.txt", 5),
    /l\.txt:1: label 7 is outside \[0, 5\)/,
  );
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/empty.txt`, "\n  \n");
    await assertUserError(
      () => readImageList(`${dir}/empty.txt`),
      /empty\.txt: the list has no entries/,
    );
    await assertUserError(() => readImageList(`${dir}/none.txt`), /none\.txt: file not found/);
  });
});

Deno.test("image list: a listed image that is missing names the list line", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/l.txt`, "x/1.JPEG 0\nx/2.JPEG 1\n");
    const src = ListImageSource.open(`${dir}/l.txt`, dir);
    await assertUserError(
      () => src.load(1),
      /x\/2\.JPEG: image not found \(listed on .*l\.txt:2\)/,
    );
  });
});

Deno.test("resize: constants stay constant, same size is identity", () => {
  const c = img(7, 9, 3, (_y, _x, k) => [17, 128, 250][k]);
  for (const interp of ["bilinear", "bicubic"] as const) {
    for (const [h, w] of [[3, 4], [20, 31], [7, 9], [1, 1]]) {
      const r = resize(c, { height: h, width: w, interp });
      assert.ok(r.data.every((v, i) => v === [17, 128, 250][i % 3]), `${interp} ${h}x${w}`);
    }
  }
  const ramp = img(5, 6, 1, (y, x) => y * 40 + x * 7);
  assert.deepEqual([...resize(ramp, { height: 5, width: 6, interp: "bicubic" }).data], [
    ...ramp.data,
  ]);
});

Deno.test("resize: bilinear 2× up is half-pixel linear; 2× down uses the widened triangle", () => {
  const row = img(1, 2, 1, (_y, x) => [0, 100][x]);
  assert.deepEqual([...resize(row, { height: 1, width: 4, interp: "bilinear" }).data], [
    0,
    25,
    75,
    100,
  ]);
  // Pillow's antialiased 2× reduction weighs 3 taps (3/7, 3/7, 1/7) at the edges.
  const r4 = img(1, 4, 1, (_y, x) => [0, 70, 140, 210][x]);
  assert.deepEqual([...resize(r4, { height: 1, width: 2, interp: "bilinear" }).data], [50, 160]);
  const col = img(4, 1, 1, (y) => [0, 70, 140, 210][y]);
  assert.deepEqual([...resize(col, { height: 2, width: 1, interp: "bilinear" }).data], [50, 160]);
});

Deno.test("resizeShorter / centerCrop follow torchvision's size and offset rules", () => {
  const a = img(30, 40, 1, () => 5);
  const r = resizeShorter(a, 16, "bilinear");
  assert.deepEqual([r.height, r.width], [16, 21]);
  const t = resizeShorter(img(50, 20, 1, () => 5), 8, "bicubic");
  assert.deepEqual([t.height, t.width], [20, 8]);
  assert.deepEqual(
    [roundHalfEven(1.5), roundHalfEven(2.5), roundHalfEven(0.5), roundHalfEven(2.4)],
    [2, 2, 0, 2],
  );
  const g = img(7, 6, 1, (y, x) => y * 10 + x);
  const c = centerCrop(g, 2, 3); // top = round(2.5) = 2, left = round(1.5) = 2
  assert.deepEqual([...c.data], [22, 23, 24, 32, 33, 34]);
  const p = centerCrop(img(2, 2, 1, () => 9), 4, 3); // zero padding: 1 row above, 0 columns left
  assert.deepEqual([...p.data], [0, 0, 0, 9, 9, 0, 9, 9, 0, 0, 0, 0]);
});
