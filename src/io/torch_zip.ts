/**
 * The zip container of `torch.save` (the default since PyTorch 1.6). Reading follows the
 * central directory (PyTorch writes sizes only there and in data descriptors), supports zip64
 * and stored or deflated entries, and checks CRCs. Writing stores entries uncompressed with
 * the payload aligned to 64 bytes through an "FB" padding extra field, as PyTorch's own writer
 * does, and never needs data descriptors since sizes are known up front.
 * @module
 */
import { inflateSync } from "fflate";
import { UserError } from "../../core/errors.ts";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (zip/IEEE polynomial) of `data`. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One member of a zip archive; `read()` returns its (decompressed, CRC-checked) bytes. */
export interface ZipEntry {
  /** Full path inside the archive. */
  name: string;
  /** Uncompressed size in bytes. */
  size: number;
  /** Decompresses (if needed) and CRC-checks the member. */
  read(): Uint8Array;
}

/** True when `bytes` starts like a zip file (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 &&
    bytes[3] === 4;
}

/** Parses a zip archive's directory; `name` is used in error messages. */
export function readZip(bytes: Uint8Array, name: string): Map<string, ZipEntry> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncated = (what: string): never => {
    throw new UserError(
      `checkpoint ${name} is truncated or corrupt (${what}); re-download or re-save it`,
    );
  };
  // The end-of-central-directory record sits within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) truncated("no zip end-of-central-directory record");
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOff = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOff === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) truncated("missing zip64 locator");
    const z64 = Number(dv.getBigUint64(loc + 8, true));
    if (z64 + 56 > bytes.length || dv.getUint32(z64, true) !== 0x06064b50) {
      truncated("bad zip64 end record");
    }
    count = Number(dv.getBigUint64(z64 + 32, true));
    cdSize = Number(dv.getBigUint64(z64 + 40, true));
    cdOff = Number(dv.getBigUint64(z64 + 48, true));
  }
  if (cdOff + cdSize > bytes.length) truncated("central directory beyond end of file");
  const entries = new Map<string, ZipEntry>();
  let p = cdOff;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== 0x02014b50) {
      truncated("bad central directory entry");
    }
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nlen = dv.getUint16(p + 28, true);
    const xlen = dv.getUint16(p + 30, true);
    const clen = dv.getUint16(p + 32, true);
    let lho = dv.getUint32(p + 42, true);
    const ename = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nlen));
    // zip64 extra field: the 64-bit values appear only for fields saturated above.
    for (let x = p + 46 + nlen; x + 4 <= p + 46 + nlen + xlen;) {
      const id = dv.getUint16(x, true), len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const next = () => {
          const v = Number(dv.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = next();
        if (csize === 0xffffffff) csize = next();
        if (lho === 0xffffffff) lho = next();
      }
      x += 4 + len;
    }
    p += 46 + nlen + xlen + clen;
    entries.set(ename, {
      name: ename,
      size: usize,
      read(): Uint8Array {
        if (lho + 30 > bytes.length || dv.getUint32(lho, true) !== 0x04034b50) {
          truncated(`bad local header for ${ename}`);
        }
        const start = lho + 30 + dv.getUint16(lho + 26, true) + dv.getUint16(lho + 28, true);
        if (start + csize > bytes.length) truncated(`data of ${ename} ends early`);
        const raw = bytes.subarray(start, start + csize);
        let out: Uint8Array;
        if (method === 0) out = raw;
        else if (method === 8) {
          try {
            out = inflateSync(raw, { out: new Uint8Array(usize) });
          } catch {
            return truncated(`cannot inflate ${ename}`);
          }
        } else {
          throw new UserError(
            `checkpoint ${name}: zip entry ${ename} uses compression method ${method}; ` +
              "only stored and deflated entries are supported",
          );
        }
        if (out.length !== usize) truncated(`size of ${ename} does not match`);
        if (crc32(out) !== crc) truncated(`CRC mismatch in ${ename}`);
        return out;
      },
    });
  }
  return entries;
}

/** Serialises entries as a zip with stored members whose payloads start at 64-byte offsets. */
export function writeZip(entries: { name: string; data: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const nameBytes = enc.encode(e.name);
    // Same padding rule as PyTorch's writer: data begins at a multiple of 64.
    const start = offset + 30 + nameBytes.length + 4;
    const pad = (64 - (start % 64)) % 64;
    const extra = new Uint8Array(4 + pad).fill(0x5a); // 'Z' padding
    extra.set([0x46, 0x42, pad & 0xff, pad >> 8]); // "FB" + padding length
    const crc = crc32(e.data);
    const local = new Uint8Array(30 + nameBytes.length + extra.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint16(6, 0x0800, true); // UTF-8 names
    lv.setUint32(14, crc, true);
    lv.setUint32(18, e.data.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    lv.setUint16(28, extra.length, true);
    local.set(nameBytes, 30);
    local.set(extra, 30 + nameBytes.length);
    const cd = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, e.data.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    cd.set(nameBytes, 46);
    parts.push(local, e.data);
    central.push(cd);
    offset += local.length + e.data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  if (offset + cdSize >= 0xffffffff || entries.length >= 0xffff) {
    throw new UserError("checkpoint too large: the writer does not produce zip64 (≥ 4 GiB) files");
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const part of [...parts, ...central, end]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
