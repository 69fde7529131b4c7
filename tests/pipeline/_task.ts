/**
 * Runs `deno task NAME ARGS…` as a user would, for the end-to-end tests; returns the exit code
 * and stdout + stderr. By default from the repository root; with `cwd`, from that folder
 * through `deno task --config <repo>/deno.json` (so relative paths are the caller's).
 * @module
 */

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** Exit code and combined output of one `deno task` run. */
export async function runTask(
  name: string,
  args: string[],
  o: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string }> {
  const config = o.cwd === undefined ? [] : ["--config", `${ROOT}deno.json`];
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["task", ...config, name, ...args],
    cwd: o.cwd ?? ROOT,
    // deno task keeps an INIT_CWD it inherits (e.g. from `deno task test`), so say it here.
    env: { ...(o.cwd === undefined ? {} : { INIT_CWD: o.cwd }), ...o.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}
