import assert from "node:assert/strict";
import { textLines } from "../../core/text_lines.ts";

/** A stream of the given byte chunks. */
function chunks(...parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(parts);
}

Deno.test("textLines: lines and characters split across chunks come out whole; a last line without a newline too", async () => {
  const bytes = new TextEncoder().encode("ready\n0.25\nμs ×2\nend");
  // Cut inside "μ" (2 bytes) and inside "0.25".
  const cut1 = 8, cut2 = bytes.indexOf(0xce) + 1;
  const out: string[] = [];
  for await (
    const l of textLines(chunks(bytes.slice(0, cut1), bytes.slice(cut1, cut2), bytes.slice(cut2)))
  ) {
    out.push(l);
  }
  assert.deepEqual(out, ["ready", "0.25", "μs ×2", "end"]);
  const empty: string[] = [];
  for await (const l of textLines(chunks(new TextEncoder().encode("a\n\nb\n")))) empty.push(l);
  assert.deepEqual(empty, ["a", "", "b"]);
});
