/**
 * SHA-256 of bytes as lowercase hex (what `sha256sum` prints): the identity of split files,
 * checkpoints and other inputs in manifests and run records.
 * @module
 */

/** Hex sha256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}
