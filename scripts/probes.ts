/**
 * `deno task probes`: several probe commands in one process, e.g. a checkpoint's full-shot and
 * few-shot probes:
 *
 *   deno task probes linear ARGS... --then fewshot ARGS...
 *
 * Each part means exactly `deno task linear ARGS` / `deno task fewshot ARGS` (and its
 * results.json records it so), but the backbone's kernels compile once per process instead of
 * once per probe (about 11 s of each probe at the demo's size on lavapipe) and the second probe
 * reads the first one's validation and test features from `<run>/feature_cache`. Every part is
 * parsed before the first runs, so a typo in the last one costs nothing.
 * @module
 */
import { callerCwd, runMain } from "../src/cli.ts";
import { UserError } from "../core/errors.ts";
import { type ProbeCommand, probeCommand, runProbeCommand } from "../src/eval/probe_cli.ts";
import type { Stage } from "../src/eval/results.ts";
import { engineStarted } from "../core/engine.ts";

const USAGE =
  "Usage: deno task probes linear|fewshot ARGS... [--then linear|fewshot ARGS...]...\n\n" +
  "Runs the probe commands in one process, in order: each part is what `deno task linear` or\n" +
  "`deno task fewshot` takes (see their --help); kernels compile once and the later probes\n" +
  "reuse the earlier ones' cached validation and test features.";

const STAGES: readonly Stage[] = ["linear", "fewshot"];

/** Splits the command line at `--then` into parsed probe commands. */
export function parseProbes(args: string[], cwd: string): ProbeCommand[] {
  const parts: string[][] = [[]];
  for (const a of args) {
    if (a === "--then") parts.push([]);
    else parts[parts.length - 1].push(a);
  }
  return parts.map(([stage, ...rest], i) => {
    if (!STAGES.includes(stage as Stage)) {
      throw new UserError(
        `deno task probes: part ${i + 1} starts with ${
          stage === undefined ? "nothing" : `"${stage}"`
        }; each part is linear|fewshot followed by that probe's options (--help)`,
      );
    }
    return probeCommand(stage as Stage, rest, cwd);
  });
}

async function main() {
  if (Deno.args.length === 0 || Deno.args[0] === "--help" || Deno.args[0] === "-h") {
    console.log(USAGE);
    return;
  }
  const cwd = callerCwd();
  for (const c of parseProbes(Deno.args, cwd)) await runProbeCommand(c, cwd);
  const e = engineStarted();
  if (e) console.log(`probes: ${e.compiledSummary()}`);
}

if (import.meta.main) await runMain(main);
