/**
 * Shared helpers of the data tests: temp folders and "this throws a UserError whose message
 * matches" assertions.
 * @module
 */
import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";

/** Runs `fn` with a fresh temp folder, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sdclr_data_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts `fn` throws a one-line UserError whose message matches every pattern. */
export async function assertUserError(
  fn: () => unknown,
  ...patterns: RegExp[]
): Promise<string> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
  const msg = (err as Error).message;
  assert.ok(!msg.includes("\n"), `error message is not one line: ${msg}`);
  for (const p of patterns) assert.match(msg, p);
  return msg;
}

/** The CIFAR fixture pixel rule of tests/golden/gen_data_fixtures.py (flat CHW index j). */
export function fixturePixel(i: number, j: number): number {
  return (i * 31 + j * 7 + Math.floor(j / 1024) * 85) % 256;
}

/** Path of a committed data fixture. */
export const FIXTURES = new URL("../golden/fixtures/data/", import.meta.url).pathname;
