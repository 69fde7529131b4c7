import { engine, initEngine } from "../../core/engine.ts";
import { assertClose } from "../../core/testing.ts";
import {
  type Batch,
  callbackSource,
  evalLoader,
  imageSetSource,
  type ImageSource,
  Loader,
  pretrainLoader,
} from "../../src/data/loader.ts";
import type { ImageSet } from "../../src/data/readers/types.ts";
import type { RawImage } from "../../core/image.ts";
import { drawViewFor, recipe } from "../../kernels/augment/params.ts";
import { augment } from "../../kernels/augment/mod.ts";
import { augmentRef } from "../../kernels/augment/reference.ts";
import { randomImage } from "../../kernels/augment/check.ts";

await initEngine({ quiet: true });

function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

/** n images h×w×c; image i is random with seed i, or constant (i·5) mod 256 when `flat`. */
function makeSet(n: number, h: number, w: number, c: number, flat = false): ImageSet {
  const size = h * w * c;
  const images = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    if (flat) images.fill((i * 5) % 256, i * size, (i + 1) * size);
    else images.set(randomImage([h, w, c], i).data, i * size);
  }
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 3) % 7);
  return { images, labels, n, height: h, width: w, channels: c, classes: 7 };
}

async function collect(loader: Loader, epoch: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

Deno.test("loader: seeded order is reproducible; every item once per epoch; drop_last", async () => {
  const set = makeSet(37, 8, 8, 3);
  const src = imageSetSource(set);
  const mk = (seed: number, views: 1 | 2, dropLast?: boolean) =>
    new Loader(src, { recipe: recipe("cifar", 8), batchSize: 8, seed, views, dropLast });
  const a = mk(1, 2, true), b = mk(1, 2, true), c = mk(2, 2, true);
  check(a.batchesPerEpoch === 4, `drop_last: ${a.batchesPerEpoch} batches`);
  check(String(a.order(0)) === String(b.order(0)), "same seed, same order");
  check(String(a.order(0)) !== String(a.order(1)), "epochs reshuffle");
  check(String(a.order(0)) !== String(c.order(0)), "seeds differ");
  const batches = await collect(a, 3);
  check(batches.length === 4 && batches.every((x) => x.items.length === 8), "full batches only");
  const seen = batches.flatMap((x) => [...x.items]);
  check(new Set(seen).size === 32, "no item twice in an epoch");
  batches.forEach((x) => x.dispose());
  // Without drop_last (the default, as the authors' loaders), one view or two.
  for (const ev of [mk(1, 1), mk(1, 2)]) {
    check(ev.batchesPerEpoch === 5, "the last batch is kept by default");
    const all = await collect(ev, 0);
    check(all[4].items.length === 5, `last batch has ${all[4].items.length}`);
    check(new Set(all.flatMap((x) => [...x.items])).size === 37, "every item once");
    all.forEach((x) => x.dispose());
  }
});

Deno.test("loader: shapes, one upload per batch, views differ and equal the kernel's", async () => {
  const set = makeSet(20, 28, 28, 1);
  const loader = pretrainLoader(imageSetSource(set), { batchSize: 6, seed: 5, size: 32 });
  const e = engine();
  const write = e.write;
  let writes = 0;
  e.write = function (...args: Parameters<typeof write>) {
    writes++;
    return write.apply(e, args);
  };
  let batches: Batch[];
  try {
    batches = await collect(loader, 2);
  } finally {
    e.write = write;
  }
  check(batches.length === 4 && writes === 4 && loader.uploads === 4, `${writes} writes`);
  check(String(batches[3].views[1].shape) === "2,3,32,32", "last batch: the 2 left over");
  const b = batches[1];
  check(b.views.length === 2 && b.labels === null, "two views, no labels");
  for (const v of b.views) check(String(v.shape) === "6,3,32,32", `shape ${v.shape}`);
  const [x1, x2] = [await b.views[0].read(), await b.views[1].read()];
  let diff = 0;
  for (let i = 0; i < x1.length; i++) diff = Math.max(diff, Math.abs(x1[i] - x2[i]));
  check(diff > 0.1, "the two views of a batch must differ");
  // The same draws through the plain launcher give bit-identical views.
  const images: RawImage[] = [...b.items].map((i) => ({
    data: set.images.subarray(i * 784, (i + 1) * 784),
    height: 28,
    width: 28,
    channels: 1,
  }));
  const views = [0, 1].flatMap((v) =>
    images.map((_im, k) => ({
      image: k,
      view: drawViewFor(recipe("cifar", 32), { height: 28, width: 28 }, {
        seed: 5,
        epoch: 2,
        index: b.ids[k],
        view: v,
      }),
    }))
  );
  const direct = augment(images, views, { outH: 32, outW: 32 });
  const d = await direct.read();
  direct.dispose();
  check(d.subarray(0, x1.length).every((x, i) => x === x1[i]), "view 0 = kernel output");
  check(d.subarray(x1.length).every((x, i) => x === x2[i]), "view 1 = kernel output");
  batches.forEach((x) => x.dispose());
});

Deno.test("loader: a view depends on (seed, epoch, id, view), not on the batch", async () => {
  const set = makeSet(12, 16, 16, 3);
  const src = imageSetSource(set);
  const view0 = async (batchSize: number) => {
    const l = new Loader(src, {
      recipe: recipe("cifar", 16),
      batchSize,
      seed: 9,
      layout: "interleaved",
    });
    const byId = new Map<number, Float32Array>();
    for await (const b of l.epoch(4)) {
      check(
        b.views.length === 1 && String(b.views[0].shape) === `${2 * batchSize},3,16,16`,
        "interleaved",
      );
      const x = await b.views[0].read();
      const s = 3 * 16 * 16;
      b.ids.forEach((id, k) => byId.set(id, x.slice(2 * k * s, (2 * k + 1) * s)));
      b.dispose();
    }
    return byId;
  };
  const [a, b] = [await view0(4), await view0(3)];
  for (const [id, x] of a) check(x.every((v, i) => v === b.get(id)![i]), `image ${id} differs`);
});

Deno.test("loader: labels align with images; test transform keeps the source order", async () => {
  const set = makeSet(11, 28, 28, 1, true);
  const loader = evalLoader(imageSetSource(set, [10, 3, 7, 0, 5]), {
    batchSize: 2,
    seed: 0,
    train: false,
  });
  const batches = await collect(loader, 0);
  check(batches.length === 3, "last batch kept");
  const got: number[] = [];
  for (const b of batches) {
    check(b.labels !== null && b.labels.dtype === "u32" && b.views.length === 1, "labels tensor");
    const lab = await b.labels!.readU32();
    const x = await b.views[0].read();
    const s = 3 * 32 * 32;
    b.ids.forEach((id, k) => {
      got.push(id);
      check(lab[k] === set.labels[id] && b.hostLabels[k] === set.labels[id], `label of ${id}`);
      // A flat image stays flat through Resize(32): every pixel is (id·5 mod 256)/255.
      const want = ((id * 5) % 256) / 255;
      assertClose(`image ${id}`, x.subarray(k * s, (k + 1) * s), new Float64Array(s).fill(want), {
        tol: 1e-5,
      });
    });
    b.dispose();
  }
  check(String(got) === "10,3,7,0,5", `order ${got}`);
});

Deno.test("loader: prefetches batch i+1 while the consumer awaits the GPU", async () => {
  const set = makeSet(16, 8, 8, 3);
  const base = imageSetSource(set);
  const asked: number[] = [];
  const src: ImageSource = { ...base, image: (i) => (asked.push(i), base.image(i)) };
  const loader = new Loader(src, { recipe: recipe("cifar", 8), batchSize: 4, seed: 1 });
  const it = loader.epoch(0);
  const first = await it.next();
  check(asked.length === 4, `only batch 0 gathered before it is handed out (${asked.length})`);
  // The consumer's step: it awaits the GPU (here a read), during which batch 1 is prepared.
  await (first.value as Batch).views[0].read();
  await new Promise((r) => setTimeout(r, 0));
  check(asked.length === 8, `batch 1 should be gathered during the wait (${asked.length})`);
  (first.value as Batch).dispose();
  for await (const b of it) b.dispose();
  check(asked.length === 16, "every image gathered once");
});

Deno.test("loader: async decode callback with images of different sizes", async () => {
  const sizes: [number, number][] = [[20, 30], [17, 13], [40, 24], [9, 9], [31, 18]];
  const imgs = sizes.map(([h, w], i) => randomImage([h, w, 3], 50 + i));
  const src = callbackSource(imgs.length, (i) => i, async (i) => {
    await new Promise((r) => setTimeout(r, 1));
    return imgs[i];
  });
  const l = new Loader(src, { recipe: recipe("cifar", 12), batchSize: 5, seed: 3, views: 2 });
  const [b] = await collect(l, 0);
  const x = await b.views[1].read();
  const s = 3 * 12 * 12;
  for (let k = 0; k < 5; k++) {
    const id = b.ids[k];
    const v = drawViewFor(recipe("cifar", 12), imgs[id], {
      seed: 3,
      epoch: 0,
      index: id,
      view: 1,
    });
    assertClose(
      `image ${id}`,
      x.subarray(k * s, (k + 1) * s),
      augmentRef(imgs[id], v, { outH: 12, outW: 12 }).data,
    );
  }
  b.dispose();
});

Deno.test("loader with BCL boost: item positions on the GPU; weights 0 leave the views as without BCL, weight 1 boosts by the drawn ops", async () => {
  const set = makeSet(21, 12, 12, 3);
  const src = imageSetSource(set, Uint32Array.from({ length: 15 }, (_, i) => 20 - i));
  let weights = new Float32Array(15);
  const opts = { recipe: recipe("cifar", 12), batchSize: 6, seed: 3 };
  const plain = new Loader(src, opts);
  const boosted = new Loader(src, {
    ...opts,
    boost: { k: 2, strength: 30, weights: () => weights },
  });
  const a = await plain.batch(1, 2), b = await boosted.batch(1, 2);
  check(a.itemsOnGpu === null, "no items without boost");
  check(String(await b.itemsOnGpu!.readU32()) === String(b.items), "item positions uploaded");
  for (let v = 0; v < 2; v++) {
    assertClose(`weight 0, view ${v}`, await b.views[v].read(), await a.views[v].read(), {
      tol: 0,
    });
  }
  b.dispose();
  weights = new Float32Array(15).fill(1);
  const c = await boosted.batch(1, 2);
  const [x, y] = [await a.views[0].read(), await c.views[0].read()];
  check(x.some((v, i) => v !== y[i]), "weight 1 changes the views");
  // Boosted views are 8-bit levels.
  check(y.every((v) => Math.abs(Math.round(v * 255) - v * 255) < 1e-4), "levels/255");
  a.dispose();
  c.dispose();
});
