/**
 * A safe, minimal Python unpickler for data files (CIFAR's python batches). It interprets the
 * pickle opcodes itself and never runs code: globals are checked against a short allow-list
 * of numpy/codecs array serialisers (pickle_values.ts), which it "calls" by building plain
 * typed data. Covers protocols 1–5 (Python 2 cPickle and Python 3 `pickle`, in-band
 * buffers only) and the simple text opcodes (INT, LONG, PUT, GET); protocol 0's quoted
 * STRING / UNICODE are refused.
 * @module
 */
import { UserError } from "../../cli.ts";
import {
  build,
  callGlobal,
  keyOf,
  PyBytes,
  PyDict,
  PyGlobal,
  PyTuple,
  type PyValue,
  resolveGlobal,
} from "./pickle_values.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Unpickles `bytes` safely. `where` (usually the file path) prefixes every error. Throws a
 * UserError on truncation, an unknown opcode, or a global outside the allow-list.
 */
export function safeUnpickle(bytes: Uint8Array, where: string): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;

  const fail = (msg: string): never => {
    throw new UserError(`${where}: ${msg} at byte ${pos}; the file is not a valid pickle`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) {
      throw new UserError(
        `${where}: truncated pickle (needs ${n} more bytes at byte ${pos}, file has ${bytes.length}); download it again`,
      );
    }
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), pos += 2, view.getUint16(pos - 2, true));
  const i32 = () => (need(4), pos += 4, view.getInt32(pos - 4, true));
  const u32 = () => (need(4), pos += 4, view.getUint32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail("absurd length");
    return Number(v);
  };
  const take = (n: number) => {
    if (n < 0) fail("negative length");
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("unterminated GLOBAL name");
    const s = new TextDecoder().decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      return fail("invalid UTF-8 in a string");
    }
  };
  const pop = (): PyValue => (stack.length === 0 ? fail("stack underflow") : stack.pop()!);
  const top =
    (): PyValue => (stack.length === 0 ? fail("stack underflow") : stack[stack.length - 1]);
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail("MARK expected");
    return stack.splice(m!);
  };
  const long = (b: Uint8Array): number | bigint => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  };
  const setItems = (d: PyValue, kv: PyValue[]) => {
    if (!(d instanceof PyDict)) fail("SETITEM on a non-dict");
    for (let i = 0; i + 1 < kv.length; i += 2) {
      (d as PyDict).map.set(keyOf(kv[i], where), kv[i + 1]);
    }
  };
  const append = (l: PyValue, items: PyValue[]) => {
    if (!Array.isArray(l)) fail("APPEND on a non-list");
    (l as PyValue[]).push(...items);
  };
  const textIndex = (t: string) =>
    /^\d+$/.test(t.trim()) ? Number(t.trim()) : fail(`bad memo index "${t}"`);
  const memoGet = (i: number) => memo.has(i) ? memo.get(i)! : fail(`memo entry ${i} missing`);

  while (true) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail("pickle protocol newer than 5");
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail("stack not empty at STOP");
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x6c: { // LIST
        stack.push(popMark());
        break;
      }
      case 0x64: { // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x49: { // INT (protocol 0/1 text; "01"/"00" are True/False)
        const t = line().trim();
        if (t === "01" || t === "00") stack.push(t === "01");
        else if (/^[-+]?\d+$/.test(t)) stack.push(Number(t));
        else fail(`bad INT "${t}"`);
        break;
      }
      case 0x4c: { // LONG (text, trailing "L")
        const t = line().trim().replace(/L$/, "");
        if (!/^[-+]?\d+$/.test(t)) fail(`bad LONG "${t}"`);
        const v = BigInt(t);
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(v)
            : v,
        );
        break;
      }
      case 0x70: // PUT (text memo index)
        memo.set(textIndex(line()), top());
        break;
      case 0x67: // GET
        stack.push(memoGet(textIndex(line())));
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(long(take(i32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x58: // BINUNICODE
        stack.push(text(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(take(u64())));
        break;
      case 0x54: // BINSTRING (Python 2 str: bytes)
        stack.push(new PyBytes(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(new PyBytes(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(new PyBytes(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(new PyBytes(take(u8())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(new PyBytes(take(u64())));
        break;
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        stack.push(resolveGlobal(module, line(), where));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof name !== "string" || typeof module !== "string") fail("bad STACK_GLOBAL");
        stack.push(resolveGlobal(module as string, name as string, where));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        if (!(fn instanceof PyGlobal)) fail("REDUCE on a non-callable");
        stack.push(callGlobal(fn as PyGlobal, args, where));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(top(), state, where);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x30: // POP
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail("out-of-band pickle buffers are not supported (save with protocol ≤ 5 in-band)");
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")}`);
    }
  }
}
