// The texture cache (core/texture_cache.ts) through a kernel that reads a texture: eval-mode
// batch norm with unit statistics, y = x / sqrt(1 + eps), forced onto textures. A stale copy
// would give the old values, so each write path must make the next read copy again.
import { engine, initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { batchNormForward } from "../../kernels/batchnorm/launch.ts";
import { conv2dForward } from "../../kernels/conv2d/mod.ts";
import { conv2dRef } from "../../kernels/conv2d/reference.ts";
import { caseData } from "../../kernels/conv2d/check.ts";
import { assertClose, randn } from "../../core/testing.ts";

await initEngine({ quiet: true });
const e = engine();
const SHAPE = [2, 4, 8, 8];
const n = 2 * 4 * 8 * 8;

const state = {
  weight: Tensor.fill([4], 1).keep(),
  bias: Tensor.fill([4], 0).keep(),
  runningMean: Tensor.fill([4], 0).keep(),
  runningVar: Tensor.fill([4], 1).keep(),
  momentum: 0.1,
  eps: 1e-5,
};

/** y read back from a texture-reading batch norm of x, and what it should be. */
async function check(tag: string, x: Tensor, want: Float32Array): Promise<void> {
  const tuning = { chunk: 16384, wg: 0, textures: true };
  const { y, stats } = batchNormForward(x, state, { training: false, relu: false, tuning });
  const s = 1 / Math.sqrt(1 + 1e-5);
  assertClose(tag, await y.read(), Float64Array.from(want, (v) => v * s));
  y.dispose();
  stats.dispose();
}

Deno.test("texture cache: a current copy is reused; every write path makes the next read copy again", async () => {
  const c = e.textureCache;
  const a = randn(n, 1), b = randn(n, 2);
  const x = Tensor.from(a, SHAPE);
  let copies = c.copies, hits = c.hits;
  await check("first read", x, a);
  await check("second read", x, a);
  if (c.copies - copies !== 1 || c.hits - hits !== 1) {
    throw new Error(`two reads: ${c.copies - copies} copies, ${c.hits - hits} hits (want 1, 1)`);
  }
  // An upload.
  e.write(x.buffer, b);
  await check("after an upload", x, b);
  // A copy into it.
  const src = Tensor.from(a, SHAPE);
  e.copy(src.buffer, x.buffer, x.bytes);
  await check("after a buffer copy", x, a);
  // A clear.
  e.clear(x.buffer);
  await check("after a clear", x, new Float32Array(n));
  // A dispatch that binds it read_write: batch norm writing its output into x's buffer.
  const { y, stats } = batchNormForward(src, state, { training: false, relu: false });
  e.copy(y.buffer, x.buffer, x.bytes);
  copies = c.copies;
  hits = c.hits;
  await check("after a dispatch wrote it", x, Float32Array.from(a, (v) => v / Math.sqrt(1 + 1e-5)));
  if (c.copies - copies !== 1) throw new Error("a written buffer was not copied again");
  for (const t of [y, stats, src]) t.dispose();
  // Disposing the tensor gives its texture back.
  const live = e.textures.liveCount, size = c.size;
  x.dispose();
  if (e.textures.liveCount !== live - 1 || c.size !== size - 1) {
    throw new Error("disposing a tensor kept its cached texture");
  }
});

Deno.test("texture cache: over maxBytes the least recently used go, never an operand of the pending dispatch", async () => {
  // A budget below one texture: every conv operand must still survive until its dispatch.
  const c = e.textureCache, max = c.maxBytes;
  c.maxBytes = 1;
  try {
    const s = { N: 2, C: 8, H: 8, W: 8, O: 8, KH: 3, KW: 3, stride: 1, padding: 1 };
    const d = caseData(s, 7);
    const x = Tensor.from(d.x, [2, 8, 8, 8]), w = Tensor.from(d.w, [8, 8, 3, 3]);
    const mask = Tensor.from(d.mask, w.shape);
    for (const version of [4, 6]) {
      const y = conv2dForward(x, w, { padding: 1, mask, version, budget: 1152 });
      assertClose(`v${version}`, await y.read(), conv2dRef(s, d.x, d.w, { mask: d.mask }));
      y.dispose();
    }
    if (c.size > 3) throw new Error(`${c.size} copies cached under a 1-byte budget`);
    for (const t of [x, w, mask]) t.dispose();
  } finally {
    c.maxBytes = max;
  }
});
