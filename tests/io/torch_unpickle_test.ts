import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import { tensorFromStorage } from "../../src/io/torch_types.ts";
import { unpickle } from "../../src/io/torch_unpickle.ts";

/** Pickle bytes from a string of byte-valued characters (as Python's bytes repr shows them). */
function pk(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function refuses(bytes: Uint8Array, re: RegExp): void {
  assert.throws(
    () => unpickle(bytes, 0, { name: "t.pkl" }),
    (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes("\n"),
  );
}

Deno.test("globals outside the allow-list are refused by GLOBAL and STACK_GLOBAL", () => {
  refuses(
    pk("\x80\x02cos\nsystem\nX\x02\x00\x00\x00hiR."),
    /unsupported pickle global 'os\.system'/,
  );
  refuses(
    pk("\x80\x04\x8c\x08builtins\x8c\x04eval\x93."),
    /unsupported pickle global 'builtins\.eval'/,
  );
});

Deno.test("allow-listed globals that are not callable cannot be called", () => {
  refuses(pk("\x80\x02ctorch\nFloatStorage\n)R."), /cannot call global 'torch\.FloatStorage'/);
});

Deno.test("opcodes torch.save never writes (INST, EXT) are refused before resolving names", () => {
  refuses(pk("(ios\nsystem\n."), /unsupported pickle opcode 0x69/);
  refuses(pk("\x80\x02\x82\x01."), /unsupported pickle opcode 0x82/);
});

Deno.test("malformed and truncated pickles give one-line errors", () => {
  refuses(pk("\x80\x02h\x05."), /memo entry 5 is missing/);
  refuses(pk("\x80\x02X\x10\x00\x00\x00abc"), /truncated/);
  refuses(pk("\x80\x02K\x01"), /truncated/);
  refuses(pk("\x80\x02s."), /stack underflow/);
  refuses(pk("\x80\x02(K\x01."), /malformed pickle at STOP/);
  refuses(pk("\x80\x02I12x\n."), /bad INT "12x"/);
  refuses(pk("\x80\x02X\x02\x00\x00\x00\xff\xfe."), /invalid UTF-8/);
  refuses(pk("\x80\x02\x95\xff\x00\x00\x00\x00\x00\x00\x00N."), /truncated pickle/);
});

Deno.test("generic opcodes build the expected values", () => {
  // {'a': [1, -2, 2.5, True, None], 'b': b'\x00\xff'} with MARK/DICT/LIST/DUP/POP variants.
  const bytes = pk(
    "\x80\x02(X\x01\x00\x00\x00a(K\x01J\xfe\xff\xff\xffG\x40\x04\x00\x00\x00\x00\x00\x00" +
      "\x88Nl\x8c\x01bC\x02\x00\xff2\x30d.",
  );
  const { value, end } = unpickle(bytes, 0, { name: "t.pkl" });
  assert.equal(end, bytes.length);
  assert.ok(value instanceof Map);
  assert.deepEqual(value.get("a"), [1, -2, 2.5, true, null]);
  assert.deepEqual(value.get("b"), Uint8Array.of(0, 255));
});

Deno.test("a tensor view reaching outside its storage is reported as corrupt", () => {
  const storage = new Uint8Array(16); // 4 float32 elements
  assert.throws(
    () =>
      tensorFromStorage(
        storage,
        { dtype: "float32", offset: 0, shape: [2, 3], stride: [3, 1] },
        "x.pt",
      ),
    (e: unknown) =>
      e instanceof UserError && /reaches outside its storage of 4 elements/.test(e.message),
  );
  const ok = tensorFromStorage(
    storage,
    { dtype: "float32", offset: 1, shape: [3], stride: [1] },
    "x.pt",
  );
  assert.deepEqual(ok.shape, [3]);
});
