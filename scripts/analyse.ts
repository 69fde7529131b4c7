/**
 * `deno task analyse [--stage linear|fewshot|both] [--out DIR] RUN_DIR...`: the paper's
 * long-tail table (docs/method.md §8) and plots from the probes' results files.
 * @module
 */
import { type CommandSpec, parseCommand, runMain } from "../src/cli.ts";
import { analyse } from "../src/eval/analyse.ts";
import type { Stage } from "../src/eval/results.ts";

const spec: CommandSpec = {
  name: "analyse",
  description:
    "Reads <run>/linear/results.json (and/or fewshot/) from the given run folders, folders " +
    "holding run folders (searched up to 4 levels deep), results files or globs; groups runs " +
    "by method label; prints acc, Many/Major, Medium/Moderate, Few/Minor, std and variance " +
    "as mean ± population std over runs; writes analysis.csv, analysis_runs.csv, " +
    "analysis.md and SVG plots (per_class_<stage>.svg, groups_<stage>.svg) into --out.",
  options: {
    stage: {
      type: "string",
      default: "linear",
      choices: ["linear", "fewshot", "both"],
      help: "which probe's results to analyse",
    },
    out: {
      type: "string",
      default: "runs/analysis",
      help: "output folder (created if missing)",
    },
  },
  positionals: true,
  epilog: "Examples:\n  deno task analyse runs/cifar10\n" +
    "  deno task analyse --stage both --out runs/c10-analysis runs/cifar10/*/split*",
};

runMain(async () => {
  const p = parseCommand(spec);
  // `deno task` runs in the project root; paths on the command line are relative to where
  // the user typed them.
  const cwd = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const report = await analyse({
    inputs: p.positionals,
    stage: p.stage as Stage | "both",
    out: p.out as string,
    cwd,
  });
  for (const w of report.warnings) console.error(`warning: ${w}`);
  console.log(report.table);
  console.log("");
  console.log("wrote:");
  for (const f of report.files) console.log(`  ${f}`);
});
