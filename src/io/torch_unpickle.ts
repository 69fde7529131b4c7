/**
 * A safe unpickler for what `torch.save` writes (pickle protocols 2–5). It interprets opcodes
 * and never runs code: a GLOBAL resolves only through an allow-list (OrderedDict, PyTorch's
 * tensor/parameter rebuild functions, storage classes, dtypes, `_codecs.encode` for bytes and
 * NumPy scalars); anything else is a UserError. Tensors come back as `PendingTensor`s because a
 * legacy (pre-zip) file only stores the tensor bytes after the pickle; the caller materialises
 * them once the storages are known.
 * @module
 */
import { UserError } from "../cli.ts";
import type { PyKey } from "./torch_types.ts";
import {
  allowList,
  build,
  describe,
  fail,
  GlobalRef,
  type Item,
  toPyInt,
} from "./torch_globals.ts";

export { GlobalRef, type Item, PendingTensor, StorageRef } from "./torch_globals.ts";

/** Options: the file name for messages, and how to turn a persistent id into a storage. */
export interface UnpickleOptions {
  /** File name used in error messages. */
  name: string;
  /** Maps a BINPERSID id (PyTorch: a storage tuple) to the object it stands for. */
  persistentLoad?: (pid: Item) => Item;
}

const DEC = new TextDecoder("utf-8");

/**
 * Unpickles one pickle starting at `start` in `bytes`; returns the value and the offset just
 * past its STOP opcode (legacy checkpoints hold several pickles back to back).
 */
export function unpickle(
  bytes: Uint8Array,
  start: number,
  opts: UnpickleOptions,
): { value: Item; end: number } {
  const name = opts.name;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const globals = allowList(name);
  const stack: Item[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Item>();
  let pos = start;

  const need = (n: number) => {
    if (pos + n > bytes.length) {
      fail(name, "the file is truncated (pickle data ends early); re-download or re-save it");
    }
  };
  const take = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const u8 = () => take(1)[0];
  const u16 = () => (need(2), pos += 2, dv.getUint16(pos - 2, true));
  const u32 = () => (need(4), pos += 4, dv.getUint32(pos - 4, true));
  const i32 = () => (need(4), pos += 4, dv.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    pos += 8;
    const v = dv.getBigUint64(pos - 8, true);
    if (v > BigInt(bytes.length)) fail(name, "the file is truncated (pickle data ends early)");
    return Number(v);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(name, "the file is truncated (pickle data ends early)");
    const s = DEC.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): Item => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) {
      fail(name, "malformed pickle (stack underflow)");
    }
    return stack.pop()!;
  };
  const popMark = (): Item[] => {
    const m = marks.pop();
    if (m === undefined) fail(name, "malformed pickle (missing MARK)");
    return stack.splice(m);
  };
  const top = (): Item => {
    if (stack.length === 0) fail(name, "malformed pickle (empty stack)");
    return stack[stack.length - 1];
  };
  const resolveGlobal = (mod: string, nm: string): GlobalRef => {
    const q = `${mod}.${nm}`;
    const g = globals.get(q);
    if (!g) {
      throw new UserError(
        `checkpoint ${name} uses unsupported pickle global '${q}'; it may not be a PyTorch state_dict`,
      );
    }
    return g;
  };
  const callGlobal = (f: Item, args: Item): Item => {
    if (!(f instanceof GlobalRef) || !f.call) {
      fail(name, `malformed pickle: cannot call ${describe(f)}`);
    }
    if (!Array.isArray(args)) fail(name, "malformed pickle: call arguments are not a tuple");
    return f.call(args);
  };
  const setItems = (d: Item, kv: Item[]) => {
    if (!(d instanceof Map)) fail(name, `malformed pickle: SETITEM on ${describe(d)}`);
    if (kv.length % 2) fail(name, "malformed pickle: odd number of dict items");
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (k !== null && typeof k === "object") {
        fail(name, `dict key of type ${describe(k)} is not supported`);
      }
      (d as Map<PyKey, Item>).set(k as PyKey, kv[i + 1]);
    }
  };
  const append = (l: Item, items: Item[]) => {
    if (!Array.isArray(l)) fail(name, `malformed pickle: APPEND on ${describe(l)}`);
    (l as Item[]).push(...items);
  };
  const long = (b: Uint8Array): number | bigint => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return toPyInt(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(name, "pickle protocol newer than 5 is not supported");
        break;
      case 0x95: // FRAME: frames are only a buffering hint
        u64();
        break;
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail(name, "malformed pickle at STOP");
        return { value: stack[0], end: pos };
      }
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const d = new Map<PyKey, Item>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop(), a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop(), a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x8f: // EMPTY_SET: sets become arrays
        stack.push([]);
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
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
      case 0x58: // BINUNICODE
        stack.push(DEC.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(DEC.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(DEC.decode(take(u64())));
        break;
      case 0x54: { // BINSTRING (Python 2 str; torch.load decodes it as UTF-8)
        const n = i32();
        if (n < 0) fail(name, "malformed pickle: negative string length");
        stack.push(DEC.decode(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(DEC.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
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
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail(name, "malformed pickle: negative integer length");
        stack.push(long(take(n)));
        break;
      }
      case 0x49: { // INT (text): "I01\n"/"I00\n" are True/False
        const s = line();
        if (s === "01" || s === "00") stack.push(s === "01");
        else {
          const v = BigInt(s);
          stack.push(toPyInt(v));
        }
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(toPyInt(BigInt(line().replace(/L$/, ""))));
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number(line()));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        pos += 8;
        stack.push(dv.getFloat64(pos - 8, false));
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x63: { // GLOBAL
        const mod = line();
        stack.push(resolveGlobal(mod, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const nm = pop(), mod = pop();
        if (typeof nm !== "string" || typeof mod !== "string") {
          fail(name, "malformed pickle: STACK_GLOBAL needs two strings");
        }
        stack.push(resolveGlobal(mod, nm));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const f = pop();
        stack.push(callGlobal(f, args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(callGlobal(cls, args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop(), args = pop(), cls = pop();
        if (!(kwargs instanceof Map) || kwargs.size) {
          fail(name, "keyword arguments to a constructor are not supported");
        }
        stack.push(callGlobal(cls, args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(top(), state, name);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail(name, "unexpected persistent id in pickle");
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT (text)
        memo.set(Number(line()), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: { // GET (text)
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(k)) fail(name, `malformed pickle: memo entry ${k} is missing`);
        stack.push(memo.get(k)!);
        break;
      }
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
      default:
        fail(
          name,
          `unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}; ` +
            "only what torch.save writes is understood",
        );
    }
  }
}
