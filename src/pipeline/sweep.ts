/**
 * A pipeline invocation as a sweep: one configuration per method (`--methods simclr,sdclr,
 * bcl-i,bcl-d` or `all`, else the one `--prune` and `--bcl` pick) times its splits, in
 * split-major order (task i of a sweep of
 * M methods is split ⌊i / M⌋, method i mod M); `--slurm-task I` runs one task, and
 * `--slurm` turns the sweep into a Slurm job array (slurm.ts).
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { parseCommand, type Parsed, takeConfigFlag } from "../cli.ts";
import { replayedArgs } from "./replay.ts";
import { buildConfig, type PipelineConfig, type SplitJob } from "./options.ts";
import { pipelineSpec } from "./pipeline_spec.ts";
import { runDirOf } from "./plan.ts";
import { type MethodName, methodParts, parseMethods } from "./methods.ts";
import { shellQuote } from "../provenance.ts";
import type { ScriptName } from "./profiles.ts";
import { jobArgs, joinSlurmArgs, shellWords, type SweepSpec } from "./slurm.ts";

/** One task of a sweep: a configuration and one of its splits. */
export interface SweepJob {
  c: PipelineConfig;
  job: SplitJob;
}

/** A parsed pipeline invocation. */
export interface Sweep {
  /** One configuration per method, in --methods order. */
  configs: PipelineConfig[];
  /** Every task, split-major. */
  tasks: SweepJob[];
  slurm: boolean;
  sbatchArgs: string[];
  /** Run only this task (0-based), without the analysis. */
  slurmTask: number | null;
  analysisOnly: boolean;
  dryRun: boolean;
}

/** The options of method `m` in a --methods sweep (prune and BCL set per run). */
function methodOptions(v: Parsed, m: MethodName): Parsed {
  const { method, bcl } = methodParts(m);
  // --methods decides per run: SDCLR's --prune_* flags apply to its runs only, BCL's
  // --bcl-* flags to the BCL runs.
  const given = (v.given ?? []).filter((k) =>
    (method === "sdclr" || !k.startsWith("prune")) && (bcl || !k.startsWith("bcl"))
  );
  const out: Parsed = { ...v, bcl, given };
  if (method === "sdclr") return { ...out, prune: "True" };
  return { ...out, prune: "False", prune_dual_bn: undefined, prune_percent: undefined };
}

/** The sweep of parsed options (`cwd`: where relative paths resolve). */
export function sweepOf(name: ScriptName, v: Parsed, cwd: string): Sweep {
  const methods = v.methods === undefined ? null : parseMethods(String(v.methods));
  if (methods !== null && v.bcl === true) {
    throw new UserError("--bcl with --methods: name the BCL methods in the list (bcl-i, bcl-d)");
  }
  const configs = methods === null
    ? [buildConfig(name, v, cwd)]
    : methods.map((m) => buildConfig(name, methodOptions(v, m), cwd));
  const tasks = configs[0].jobs.flatMap((_, j) => configs.map((c) => ({ c, job: c.jobs[j] })));
  let slurmTask: number | null = null;
  if (v["slurm-task"] !== undefined) {
    slurmTask = Number(v["slurm-task"]);
    if (!Number.isInteger(slurmTask) || slurmTask < 0 || slurmTask >= tasks.length) {
      throw new UserError(
        `--slurm-task ${v["slurm-task"]}: this sweep has tasks 0..${tasks.length - 1}`,
      );
    }
  }
  const sweep: Sweep = {
    configs,
    tasks,
    slurm: v.slurm === true,
    sbatchArgs: v["slurm-args"] === undefined ? [] : shellWords(String(v["slurm-args"])),
    slurmTask,
    analysisOnly: v["analysis-only"] === true,
    dryRun: v["dry-run"] === true,
  };
  if (sweep.slurm && (slurmTask !== null || sweep.analysisOnly)) {
    throw new UserError("--slurm-task and --analysis-only are what --slurm's jobs run; not both");
  }
  if (sweep.sbatchArgs.length && !sweep.slurm) {
    throw new UserError("--slurm-args needs --slurm");
  }
  return sweep;
}

/** Parses a script's command line into a Sweep. */
export function parseSweep(name: ScriptName, args: string[], cwd: string): Sweep {
  const { file, rest } = takeConfigFlag(joinSlurmArgs(args), cwd);
  const all = file === undefined ? rest : replayedArgs(name, file, rest);
  return sweepOf(name, parseCommand(pipelineSpec(name), all), cwd);
}

/** Folder of the sweep's analysis: the configuration's label, or the labels joined by "+". */
export function analysisDir(sweep: Sweep): string {
  const c = sweep.configs[0];
  return `${c.out}/${c.dataset}/analysis/${sweep.configs.map((x) => x.label).join("+")}`;
}

/** What the Slurm jobs of a sweep run (`deno`: the Deno binary; `repo`: the checkout). */
export function sweepSpec(
  name: ScriptName,
  args: string[],
  sweep: Sweep,
  where: { deno: string; repo: string; cwd: string },
): SweepSpec {
  const c = sweep.configs[0];
  const labels = sweep.configs.map((x) => x.label).join("+");
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const script = `scripts/${name.replace(/-/g, "_")}.ts`;
  const rerun = [where.deno, "run", "-A", script, ...jobArgs(args)];
  return {
    name: `sdclr-${name}`,
    dir: `${c.out}/${c.dataset}/slurm/${labels}_${stamp}`,
    tasks: sweep.tasks.map(({ c, job }) => ({
      runDir: runDirOf(c, job),
      what: `${job.split} ${c.methodName}`,
    })),
    command: rerun,
    analysis: [...rerun, "--analysis-only"],
    repo: where.repo,
    cwd: where.cwd,
    sbatchArgs: sweep.sbatchArgs,
    origin: ["deno", "task", name, ...args].map(shellQuote).join(" "),
  };
}
