/**
 * File writing that never leaves a partial file where a good one was.
 * @module
 */

/**
 * Writes a file atomically: to `path.tmp-<pid>` first, then renames over `path`, so a crash
 * never leaves a partial file where a good one was.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}
