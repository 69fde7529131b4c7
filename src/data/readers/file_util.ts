/**
 * File helpers shared by the readers: reading with a "where to get it" hint on a missing
 * file, transparent gzip, and label range checks with one-line errors.
 * @module
 */
import { gunzipSync } from "node:zlib";
import { UserError } from "../../../core/errors.ts";

/** True when `path` exists (file or folder). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Joins path parts with "/" (the readers only run on POSIX-style paths). */
export function join(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join("/").replace(/\/+/g, "/");
}

/**
 * Reads a whole file. A missing file is a UserError naming the path followed by `hint`
 * (where to get the data); a folder or unreadable file is a UserError too.
 */
export function readBytes(path: string, hint = ""): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    const tail = hint ? `; ${hint}` : "";
    if (e instanceof Deno.errors.NotFound) throw new UserError(`${path}: file not found${tail}`);
    if (e instanceof Deno.errors.IsADirectory) {
      throw new UserError(`${path}: is a folder, expected a file${tail}`);
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new UserError(`${path}: permission denied; check the file's permissions`);
    }
    throw e;
  }
}

/** Gunzips `bytes` when they start with the gzip magic (1f 8b); otherwise returns them. */
export function maybeGunzip(bytes: Uint8Array, path: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new UserError(
      `${path}: corrupt or truncated gzip data (${(e as Error).message}); download the file again`,
    );
  }
}

/**
 * Throws a UserError naming `path` and the first label outside [0, classes).
 * `labels` may hold any numbers (pickled lists can carry negatives or huge ints).
 */
export function checkLabels(labels: ArrayLike<number>, classes: number, path: string): void {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new UserError(
        `${path}: label ${l} of image ${i} is outside [0, ${classes}); the file is corrupt or not this dataset`,
      );
    }
  }
}
