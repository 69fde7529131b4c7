/**
 * Runs `deno task NAME ARGS…` from the repository root as a user would, for the pipeline
 * end-to-end tests; returns the exit code and stdout + stderr.
 * @module
 */

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** Exit code and combined output of one `deno task` run. */
export async function runTask(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["task", name, ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}
