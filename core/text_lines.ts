/**
 * Line-by-line reading of a child process's byte stream.
 * @module
 */

/**
 * The UTF-8 lines of `stream`, without their "\n"; a last line without one is yielded too.
 * Lines split across chunks (and characters split across chunks) come out whole.
 */
export async function* textLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const text = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    const lines = (rest + text.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    yield* lines;
  }
  rest += text.decode();
  if (rest) yield rest;
}
