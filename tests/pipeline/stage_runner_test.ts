import assert from "node:assert/strict";
import { labelLines, sideBySide } from "../../src/pipeline/stage_runner.ts";

Deno.test("sideBySide: at most `jobs` at once, in order; a failure cancels nothing", async () => {
  let running = 0, most = 0;
  const started: number[] = [], finished: number[] = [];
  const errors = await sideBySide([1, 2, 3, 4, 5], 2, async (i) => {
    started.push(i);
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 5 * (6 - i)));
    running--;
    if (i === 2) throw new Error("two failed");
    finished.push(i);
  });
  assert.equal(most, 2);
  assert.deepEqual(started, [1, 2, 3, 4, 5]);
  assert.deepEqual(finished.sort(), [1, 3, 4, 5]);
  assert.deepEqual(errors.map((e) => (e as Error).message), ["two failed"]);
  assert.deepEqual(await sideBySide([], 2, () => Promise.resolve()), []);
});

Deno.test("labelLines: every line prefixed, lines split across chunks kept whole", async () => {
  const enc = new TextEncoder();
  const parts = ["epoch 1 do", "ne\nepoch 2", " done\n", "héllo"];
  const from = new ReadableStream<Uint8Array>({
    start(c) {
      // "é" split between two chunks: decoded as one character.
      const bytes = enc.encode(parts.join(""));
      const cut = bytes.indexOf(0xc3) + 1;
      c.enqueue(bytes.subarray(0, 4));
      c.enqueue(bytes.subarray(4, cut));
      c.enqueue(bytes.subarray(cut));
      c.close();
    },
  });
  const out: Uint8Array[] = [];
  await labelLines(from, { writeSync: (b) => (out.push(b.slice()), b.length) }, "sdclr");
  const text = new TextDecoder().decode(new Uint8Array(out.flatMap((b) => [...b])));
  assert.equal(text, "[sdclr] epoch 1 done\n[sdclr] epoch 2 done\n[sdclr] héllo\n");
});
