/**
 * The one safe pickle interpreter of the suite, shared by the CIFAR python-batch reader
 * (src/data/readers/safe_unpickle.ts) and the PyTorch checkpoint reader (torch_unpickle.ts).
 * It runs the opcodes data files use (protocols 2–5 as `pickle`, cPickle and `torch.save`
 * write them, the simple text opcodes, memo, marks, frames, in-band buffers) and never
 * executes anything: GLOBAL, REDUCE/NEWOBJ, BUILD and persistent ids all go to a
 * `PickleDialect`, which maps them through its own allow-list. Tuples, dicts and bytes are
 * the dialect's too, so each reader gets the value shapes it already uses; lists (and sets)
 * are JS arrays, ints numbers (bigint beyond 2^53), None null.
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** What one reader allows and how it represents tuples, dicts and bytes. */
export interface PickleDialect<V> {
  /** Prefix of every error (the file name, or "checkpoint <name>"). */
  where: string;
  /** Ends the error for a malformed or truncated pickle: what the user can do about it. */
  hint: string;
  /** Python 2 `str` (BINSTRING): raw bytes (cPickle data files) or UTF-8 text (torch.load). */
  python2Str: "bytes" | "utf8";
  /** Builds a tuple. */
  tuple(items: V[]): V;
  /** Builds an empty dict. */
  dict(): V;
  /** True when SETITEM may add entries to `v`. */
  isDict(v: V): boolean;
  /** Adds one entry to a dict; throws a UserError for a key it cannot represent. */
  setItem(dict: V, key: V, value: V): void;
  /** Python `bytes`/`bytearray`; `raw` views the input (copy it to outlive the input). */
  bytes(raw: Uint8Array): V;
  /** GLOBAL / STACK_GLOBAL: throws a UserError for anything not allow-listed. */
  global(module: string, name: string): V;
  /** REDUCE and NEWOBJ; NEWOBJ_EX also passes its keyword-argument dict. */
  call(fn: V, args: V, kwargs?: V): V;
  /** BUILD (`__setstate__`) of `obj` with `state`. */
  build(obj: V, state: V): void;
  /** BINPERSID: what a persistent id stands for (absent: persistent ids are refused). */
  persistent?(pid: V): V;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Python int as a JS number when exactly representable, else a bigint. */
export function toPyInt(b: bigint): number | bigint {
  return b >= -(2n ** 53n) && b <= 2n ** 53n ? Number(b) : b;
}

function decodeLong(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return toPyInt(v);
}

/**
 * Interprets the pickle starting at `start` in `bytes`; returns its value and the offset just
 * past its STOP (legacy torch files hold several pickles back to back). Every problem is a
 * one-line UserError starting with `dialect.where`.
 */
export function runPickle<V>(
  bytes: Uint8Array,
  start: number,
  d: PickleDialect<V>,
): { value: V; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: V[] = [];
  const marks: number[] = [];
  const memo = new Map<number, V>();
  let pos = start;
  let at = start; // offset of the current opcode, for errors

  const fail = (msg: string): never => {
    throw new UserError(`${d.where}: ${msg} at byte ${at}; ${d.hint}`);
  };
  const truncated = (what: string): never => {
    throw new UserError(
      `${d.where}: truncated pickle (needs ${what} at byte ${pos} of ${bytes.length}); ${d.hint}`,
    );
  };
  const need = (n: number) => {
    if (n > bytes.length - pos) truncated(`${n} bytes`);
  };
  const take = (n: number): Uint8Array => {
    if (n < 0) fail("malformed pickle: negative length");
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), pos += 2, view.getUint16(pos - 2, true));
  const i32 = () => (need(4), pos += 4, view.getInt32(pos - 4, true));
  const u32 = () => (need(4), pos += 4, view.getUint32(pos - 4, true));
  const u64 = () => {
    need(8);
    pos += 8;
    const n = view.getBigUint64(pos - 8, true);
    return n > BigInt(bytes.length - pos) ? truncated(`${n} bytes`) : Number(n);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) truncated("a newline");
    const s = text(bytes.subarray(pos, end));
    pos = end + 1;
    return s.trim();
  };
  const text = (b: Uint8Array): string => {
    try {
      return UTF8.decode(b);
    } catch {
      return fail("invalid UTF-8 in a string");
    }
  };
  const int = (t: string, what: string): number | bigint =>
    /^[-+]?\d+$/.test(t) ? toPyInt(BigInt(t)) : fail(`malformed pickle: bad ${what} "${t}"`);
  const index = (t: string) =>
    /^\d+$/.test(t) ? Number(t) : fail(`malformed pickle: bad memo index "${t}"`);
  const push = (v: unknown) => void stack.push(v as V);
  const pop = (): V => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) {
      fail("malformed pickle: stack underflow");
    }
    return stack.pop()!;
  };
  const top = (): V =>
    stack.length ? stack[stack.length - 1] : fail("malformed pickle: empty stack");
  const popMark = (): V[] => {
    const m = marks.pop();
    return m === undefined ? fail("malformed pickle: MARK expected") : stack.splice(m);
  };
  const setItems = (dict: V, kv: V[]) => {
    if (!d.isDict(dict)) fail("malformed pickle: SETITEM on a non-dict");
    if (kv.length % 2) fail("malformed pickle: odd number of dict items");
    for (let i = 0; i < kv.length; i += 2) d.setItem(dict, kv[i], kv[i + 1]);
  };
  const append = (list: V, items: V[]) => {
    if (!Array.isArray(list)) fail("malformed pickle: APPEND on a non-list");
    (list as V[]).push(...items);
  };
  const memoGet = (k: number) =>
    memo.has(k) ? memo.get(k)! : fail(`malformed pickle: memo entry ${k} is missing`);
  const global = (module: unknown, name: unknown) =>
    typeof module === "string" && typeof name === "string"
      ? d.global(module, name)
      : fail("malformed pickle: STACK_GLOBAL needs two strings");

  for (;;) {
    at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail("pickle protocol newer than 5 is not supported");
        break;
      case 0x95: // FRAME: frames are only a buffering hint
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) {
          fail(
            `malformed pickle at STOP (${stack.length} values on the stack, ${marks.length} open MARKs)`,
          );
        }
        return { value: stack[0], end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        push(d.dict());
        break;
      case 0x64: { // DICT
        const dict = d.dict();
        setItems(dict, popMark());
        push(dict);
        break;
      }
      case 0x5d: // EMPTY_LIST
      case 0x8f: // EMPTY_SET: sets become lists
        push([]);
        break;
      case 0x6c: // LIST
      case 0x91: // FROZENSET
        push(popMark());
        break;
      case 0x29: // EMPTY_TUPLE
        push(d.tuple([]));
        break;
      case 0x74: // TUPLE
        push(d.tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(d.tuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        push(d.tuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop();
        push(d.tuple([pop(), b, c]));
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
      case 0x61: { // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: { // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x58: // BINUNICODE
        push(text(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(text(take(u64())));
        break;
      case 0x54: // BINSTRING (Python 2 str)
      case 0x55: { // SHORT_BINSTRING
        const raw = take(op === 0x54 ? i32() : u8());
        push(d.python2Str === "bytes" ? d.bytes(raw) : text(raw));
        break;
      }
      case 0x42: // BINBYTES
        push(d.bytes(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        push(d.bytes(take(u8())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(d.bytes(take(u64())));
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(decodeLong(take(u8())));
        break;
      case 0x8b: // LONG4
        push(decodeLong(take(i32())));
        break;
      case 0x49: { // INT (text): "01"/"00" are True/False
        const t = line();
        push(t === "01" || t === "00" ? t === "01" : int(t, "INT"));
        break;
      }
      case 0x4c: // LONG (text, trailing "L")
        push(int(line().replace(/L$/, ""), "LONG"));
        break;
      case 0x46: { // FLOAT (text, as repr() writes it)
        const t = line().trim();
        const v = /^[-+]?inf$/i.test(t) ? (t[0] === "-" ? -Infinity : Infinity) : Number(t);
        if (t === "" || (Number.isNaN(v) && !/^[-+]?nan$/i.test(t))) {
          fail(`malformed pickle: bad FLOAT "${t}"`);
        }
        push(v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        pos += 8;
        push(view.getFloat64(pos - 8, false));
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        push(global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        push(global(pop(), name));
        break;
      }
      case 0x52: // REDUCE
      case 0x81: { // NEWOBJ
        const args = pop();
        push(d.call(pop(), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop(), args = pop();
        push(d.call(pop(), args, kwargs));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        d.build(top(), state);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        push(d.persistent ? d.persistent(pid) : fail("unexpected persistent id in pickle"));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT (text)
        memo.set(index(line()), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x67: // GET (text)
        push(memoGet(index(line())));
        break;
      case 0x30: // POP (of a value, or of a MARK just pushed)
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail("out-of-band pickle buffers are not supported (pickle in-band instead)");
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")}`);
    }
  }
}
