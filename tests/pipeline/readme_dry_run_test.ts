/**
 * The README's "Reproduce the paper" section shows what `--dry-run` prints; this test runs the
 * command it shows (without the data, as a new user would first) and checks the section still
 * matches the output line by line (the README abbreviates paths and the run name with `…`).
 */
import assert from "node:assert/strict";
import { runTask } from "./_task.ts";

const README = new URL("../../README.md", import.meta.url);

/** A README line as a pattern: `…` stands for anything, `~/` and relative paths for any prefix. */
function pattern(line: string): RegExp {
  const esc = line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/…/g, ".*");
  const paths = esc.replace(/~\//g, "\\S*/").replace(/(^| )(runs|splits)\//g, "$1\\S*$2/");
  return new RegExp(`^${paths}$`);
}

Deno.test("README: the reproduce section's --dry-run output matches what the pipeline prints", async () => {
  const text = await Deno.readTextFile(README);
  const m = /```\n\$ deno task (cifar10-lt [^\n]*--dry-run)\n([\s\S]*?)```/.exec(text);
  assert.ok(m, "the README shows a cifar10-lt --dry-run block");
  const [task, ...args] = m[1].split(/\s+/);
  const home = await Deno.makeTempDir({ prefix: "sdclr_readme_" });
  try {
    const r = await runTask(task, args.map((a) => a.replace(/^~\//, `${home}/`)), { cwd: home });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^warning: CIFAR-10 not found: .*dry run: the commands are shown anyway/m);
    const printed = r.out.split("\n").filter((l) => /^(#|deno task )/.test(l));
    const shown = m[2].trim().split("\n");
    assert.equal(printed.length, shown.length, r.out);
    shown.forEach((line, i) => assert.match(printed[i], pattern(line), `README line ${i + 1}`));
    assert.deepEqual([...Deno.readDirSync(home)], [], "a dry run creates nothing");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
