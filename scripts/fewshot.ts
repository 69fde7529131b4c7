/**
 * `deno task fewshot`: the few-shot linear probe of a pretrained checkpoint (docs/method.md §7); see
 * `deno task fewshot --help` and src/eval/probe_stage.ts.
 * @module
 */
import { callerCwd, runMain } from "../src/cli.ts";
import { parseProbeArgs } from "../src/eval/probe_cli.ts";
import { runProbeStage } from "../src/eval/probe_stage.ts";

async function main() {
  // `deno task` runs in the project root; relative paths are relative to where it was typed.
  const cwd = callerCwd();
  const o = parseProbeArgs("fewshot", Deno.args, cwd);
  const r = await runProbeStage({ ...o, invocation: { task: "fewshot", args: Deno.args, cwd } });
  if (r.skipped) {
    console.log(
      `fewshot: ${r.path} is complete (test ${
        r.results.test_acc.toFixed(2)
      }%); skipped (--force reruns)`,
    );
  }
}

if (import.meta.main) await runMain(main);
