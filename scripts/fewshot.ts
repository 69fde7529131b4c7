/**
 * `deno task fewshot`: the few-shot linear probe of a pretrained checkpoint (docs/method.md §7); see
 * `deno task fewshot --help` and src/eval/probe_stage.ts.
 * @module
 */
import { callerCwd, runMain } from "../src/cli.ts";
import { probeCommand, runProbeCommand } from "../src/eval/probe_cli.ts";

async function main() {
  // `deno task` runs in the project root; relative paths are relative to where it was typed.
  const cwd = callerCwd();
  await runProbeCommand(probeCommand("fewshot", Deno.args, cwd), cwd);
}

if (import.meta.main) await runMain(main);
