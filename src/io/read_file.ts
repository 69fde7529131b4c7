/**
 * Reading a whole input file with a one-line UserError, naming the path, when it is missing
 * or a folder; shared by the `.npy`, `.pt` and checkpoint loaders.
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** Reads `path`; a missing file or a folder is a UserError, other failures pass through. */
export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new UserError(`${path}: file not found`);
    if (e instanceof Deno.errors.IsADirectory) {
      throw new UserError(`${path}: is a folder, expected a file`);
    }
    throw e;
  }
}
