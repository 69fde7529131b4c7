/**
 * The experiment pipeline behind `deno task cifar10-lt | cifar100-lt | imagenet100-lt |
 * imagenet-lt`, replacing the authors' shell scripts: for every split, pretraining → full-shot
 * linear probe → few-shot probe, each a separate `deno task` process (a crash stays in its
 * stage; every stage resumes or skips on a rerun), one run folder per split named like the
 * authors' `pretrain_name`, and at the end the analysis table of this configuration.
 * Each run folder gets `pipeline.json` (the configuration, split files and provenance it was
 * made with, and the arguments `--config` replays; a rerun with different split files is
 * refused) and `commands.log` (every pipeline and stage command, as the authors' bash_log.txt).
 * Nothing is created before every flag, split file and the data folder check out.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import { loadCheckpoint } from "../io/checkpoint.ts";
import { analyse } from "../eval/analyse.ts";
import { readResults, resultsPath, type Stage } from "../eval/results.ts";
import type { PipelineConfig, SplitJob } from "./options.ts";
import { replayableArgs } from "./replay.ts";
import { ensureGeneratedSplits } from "./auto_splits.ts";
import { describeProvenance, splitProvenance, splitRecord } from "../data/authors_splits.ts";
import { fileExists, planJob, pretrainDir, runDirOf, type StagePlan } from "./plan.ts";
import { analysisDir, parseSweep, type Sweep, type SweepJob, sweepSpec } from "./sweep.ts";
import { submitSweep } from "./slurm.ts";
import { type StageEnd, StageRunner } from "./stage_runner.ts";
import { PREEMPTED_EXIT } from "../train/stop.ts";
import type { ScriptName } from "./profiles.ts";
import { type Provenance, provenance, REPO_ROOT, shellQuote } from "../provenance.ts";
import { type DatasetName, locateDataset } from "../data/readers/load_dataset.ts";

/** State of a run's pretraining. */
export type PretrainState = "none" | "partial" | "done";

/**
 * Whether pretraining of a run is complete: the epoch-<epochs> checkpoint exists, or the
 * last checkpoint reached the epoch count (or the --max-steps limit).
 */
export async function pretrainState(runDir: string, c: PipelineConfig): Promise<PretrainState> {
  const dir = pretrainDir(runDir);
  if (fileExists(`${dir}/checkpoint_epoch${c.epochs}.pt`)) return "done";
  if (!fileExists(`${dir}/checkpoint_last.pt`)) return "none";
  const ck = await loadCheckpoint(`${dir}/checkpoint_last.pt`);
  if (ck.epoch >= c.epochs) return "done";
  if (c.maxSteps !== undefined && ck.step >= c.maxSteps) return "done";
  return "partial";
}

/** Whether a probe stage already has results for this configuration's protocol. */
export async function probeDone(runDir: string, stage: Stage, c: PipelineConfig): Promise<boolean> {
  try {
    const r = await readResults(resultsPath(runDir, stage));
    return r.protocol === (c.cachedFeatures ? "cached-features" : "paper");
  } catch {
    return false;
  }
}

function display(args: string[]): string {
  return ["deno", "task", ...args].map(shellQuote).join(" ");
}

async function runStage(runner: StageRunner, plan: StagePlan, args: string[]): Promise<StageEnd> {
  const line = display(args);
  console.log(`$ ${line}`);
  await Deno.writeTextFile(`${plan.runDir}/commands.log`, `${new Date().toISOString()} ${line}\n`, {
    append: true,
  });
  return await runner.run(["task", ...args], REPO_ROOT);
}

const OUTCOME: Record<StageEnd, "ran" | "failed" | "stopped"> = {
  ok: "ran",
  failed: "failed",
  stopped: "stopped",
};

/** How this invocation was typed, for pipeline.json and commands.log. */
export interface Invocation {
  args: string[];
  cwd: string;
  provenance: Provenance;
}

/** Writes pipeline.json, or checks that an existing one used the same split files. */
async function claimRunDir(plan: StagePlan, c: PipelineConfig, inv: Invocation): Promise<void> {
  await Deno.mkdir(plan.runDir, { recursive: true });
  const p = inv.provenance;
  await Deno.writeTextFile(
    `${plan.runDir}/commands.log`,
    `${p.created} # ${p.command} (in ${p.cwd}; commit ${p.git.commit.slice(0, 12)}` +
      `${p.git.dirty === true ? ", uncommitted changes" : ""})\n`,
    { append: true },
  );
  const path = `${plan.runDir}/pipeline.json`;
  let prev: { files?: Record<string, string> } | null = null;
  try {
    prev = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw new UserError(`${path}: unreadable (${e})`);
  }
  if (prev?.files) {
    for (const [k, v] of Object.entries(plan.files)) {
      if (prev.files[k] !== undefined && prev.files[k] !== v) {
        throw new UserError(
          `${plan.runDir} was made with ${k} split ${prev.files[k]}, not ${v}; use another --out ` +
            "to keep runs on different split files apart",
        );
      }
    }
    return;
  }
  const record = {
    script: c.profile.name,
    authors_script: c.profile.authorsScript,
    dataset: c.dataset,
    method: c.methodName,
    label: c.label,
    split: plan.job.split,
    seed: c.seed,
    probe_seed: c.probeSeed,
    files: plan.files,
    splits: await splitRecord({ ...plan.files }),
    provenance: inv.provenance,
    // What `--config <this file>` replays (path options absolute).
    replay_args: replayableArgs(inv.args, inv.cwd),
    created: new Date().toISOString(),
  };
  await writeFileAtomic(path, JSON.stringify(record, null, 2) + "\n");
}

/** Outcome of one split. */
export interface JobOutcome {
  runDir: string;
  /** Per stage: ran, skipped (already done / not selected) or failed. */
  stages: Record<
    "pretrain" | "linear" | "fewshot",
    "ran" | "skipped" | "failed" | "blocked" | "off" | "stopped"
  >;
}

async function runJob(
  runner: StageRunner,
  plan: StagePlan,
  c: PipelineConfig,
  inv: Invocation,
): Promise<JobOutcome> {
  const out: JobOutcome = {
    runDir: plan.runDir,
    stages: { pretrain: "off", linear: "off", fewshot: "off" },
  };
  await claimRunDir(plan, c, inv);
  let pretrained = true;
  if (c.stages.pretrain) {
    const state = await pretrainState(plan.runDir, c);
    if (state === "done") {
      console.log(`pretrain: complete in ${pretrainDir(plan.runDir)}; skipped`);
      out.stages.pretrain = "skipped";
    } else {
      const args = state === "partial" ? [...plan.pretrain, "--resume"] : plan.pretrain;
      out.stages.pretrain = OUTCOME[await runStage(runner, plan, args)];
      pretrained = out.stages.pretrain === "ran";
    }
  }
  for (const stage of ["linear", "fewshot"] as const) {
    if (!c.stages[stage] || runner.stop.requested) continue;
    if (!c.stages.testOnly && await probeDone(plan.runDir, stage, c)) {
      console.log(`${stage}: ${resultsPath(plan.runDir, stage)} is complete; skipped`);
      out.stages[stage] = "skipped";
      continue;
    }
    const checkpoint = plan.checkpoints.find(fileExists);
    if (!pretrained || checkpoint === undefined) {
      console.error(
        `${stage}: no pretrained checkpoint (looked for ${
          plan.checkpoints.join(", ")
        }); stage not run`,
      );
      out.stages[stage] = "blocked";
      continue;
    }
    let args = plan[stage].map((a, i, all) => (all[i - 1] === "--checkpoint" ? checkpoint : a));
    // The authors' --test_only evaluates saved classifiers; where none was saved yet (e.g.
    // probing downloaded pretrained models), the probe has to be trained first.
    if (c.stages.testOnly && !fileExists(`${plan.runDir}/${stage}/best_classifier.pt`)) {
      console.log(`${stage}: no saved classifier yet; training the probe instead of --test-only`);
      args = args.filter((a) => a !== "--test-only");
    }
    out.stages[stage] = OUTCOME[await runStage(runner, plan, args)];
  }
  return out;
}

/** Run folders of this configuration for every split found under `<out>/<dataset>/`. */
export async function configRunDirs(
  c: PipelineConfig,
  plans: { job: SplitJob; runDir: string }[],
): Promise<string[]> {
  const parent = `${c.out}/${c.dataset}`;
  const first = plans[0].job;
  if (first.k === null) return plans.map((p) => p.runDir);
  const esc = first.runName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^${esc.replace(`split${first.k}_`, "split\\d+_")}$`);
  const dirs: string[] = [];
  try {
    for await (const e of Deno.readDir(parent)) {
      if (e.isDirectory && re.test(e.name)) dirs.push(`${parent}/${e.name}`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return dirs.sort();
}

/**
 * Problems with the data folder that would make a stage fail (none when only probing
 * downloaded checkpoints needs no data either way): checked before anything is created.
 */
export function dataProblem(c: PipelineConfig): string | null {
  if (!c.stages.pretrain && !c.stages.linear && !c.stages.fewshot) return null;
  if (c.profile.family === "cifar") {
    try {
      locateDataset(c.dataset as DatasetName, c.data);
    } catch (e) {
      if (e instanceof UserError) return e.message;
      throw e;
    }
    return null;
  }
  if (c.data === undefined) return null; // reported by the options already
  try {
    if (Deno.statSync(c.data).isDirectory) return null;
  } catch { /* reported below */ }
  return `--data ${c.data}: no such folder (the ImageNet root the list paths start from)`;
}

/** Prints the stage commands of the selected tasks (--dry-run without --slurm). */
function dryRun(sweep: Sweep, tasks: SweepJob[]): number {
  const problem = dataProblem(sweep.configs[0]);
  if (problem) console.error(`warning: ${problem} (dry run: the commands are shown anyway)`);
  const many = sweep.configs.length > 1;
  for (const { c, job } of tasks) {
    const what = many ? `${job.split} ${c.methodName}` : job.split;
    let p: StagePlan;
    try {
      p = planJob(c, job);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      console.log(`# ${what} → ${runDirOf(c, job)}`);
      console.error(`warning: ${e.message} (dry run: no stage commands for this split)`);
      continue;
    }
    console.log(`# ${what} → ${p.runDir}`);
    if (c.stages.pretrain) {
      console.log(display(p.pretrain) + " [--resume when a checkpoint exists]");
    }
    if (c.stages.linear) console.log(display(p.linear));
    if (c.stages.fewshot) console.log(display(p.fewshot));
  }
  if (sweep.slurmTask === null && tasks.length) {
    const what = many ? "split and method" : "split of this configuration";
    console.log(`# then the analysis of every ${what} → ${analysisDir(sweep)}/`);
  }
  return 0;
}

/** The analysis of every run folder of the sweep's configurations that has probe results. */
async function analyseSweep(sweep: Sweep, cwd: string): Promise<void> {
  const dirs: string[] = [];
  for (const c of sweep.configs) {
    const plans = sweep.tasks.filter((t) => t.c === c).map((t) => ({
      job: t.job,
      runDir: runDirOf(c, t.job),
    }));
    for (const d of await configRunDirs(c, plans)) {
      if (fileExists(resultsPath(d, "linear")) || fileExists(resultsPath(d, "fewshot"))) {
        dirs.push(d);
      }
    }
  }
  if (dirs.length === 0) {
    console.log("\nno probe results yet: nothing to analyse");
    return;
  }
  const out = analysisDir(sweep);
  const report = await analyse({ inputs: dirs, stage: "both", out, cwd });
  for (const w of report.warnings) console.error(`warning: ${w}`);
  console.log(`\n${report.table}\n\nanalysis files in ${out}/`);
  const c = sweep.configs[0];
  console.log(
    `all configurations side by side: deno task analyse --stage both ${c.out}/${c.dataset}`,
  );
}

/** Submits the sweep to Slurm (or prints its scripts with --dry-run); returns the exit code. */
async function submit(
  name: ScriptName,
  args: string[],
  sweep: Sweep,
  cwd: string,
): Promise<number> {
  const c = sweep.configs[0];
  if (c.data !== undefined && !fileExists(c.data) && !dirExists(c.data)) {
    console.error(`warning: --data ${c.data} does not exist here; the jobs need it where they run`);
  }
  if (!sweep.dryRun) {
    const generated = await ensureGeneratedSplits(c);
    if (generated) console.error(`note: ${generated}`);
  }
  // Resolve the split files now: a missing one fails here, not in every task.
  for (const { c, job } of sweep.tasks) {
    try {
      planJob(c, job);
    } catch (e) {
      if (!(e instanceof UserError) || !sweep.dryRun) throw e;
      console.error(`warning: ${e.message}`);
      break;
    }
  }
  const spec = sweepSpec(name, args, sweep, { deno: Deno.execPath(), repo: REPO_ROOT, cwd });
  await submitSweep(spec, sweep.dryRun);
  return 0;
}

function dirExists(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Runs a whole pipeline invocation; returns the process exit code. */
export async function runPipeline(name: ScriptName, args: string[], cwd: string): Promise<number> {
  const sweep = parseSweep(name, args, cwd);
  const c = sweep.configs[0];
  for (const n of new Set(sweep.configs.flatMap((x) => x.notes))) console.error(`note: ${n}`);
  if (sweep.slurm) return await submit(name, args, sweep, cwd);
  const tasks = sweep.analysisOnly
    ? []
    : sweep.slurmTask === null
    ? sweep.tasks
    : [sweep.tasks[sweep.slurmTask]];
  if (sweep.dryRun) return dryRun(sweep, tasks);
  if (tasks.length) {
    const problem = dataProblem(c);
    if (problem) throw new UserError(problem);
    const generated = await ensureGeneratedSplits(c);
    if (generated) console.error(`note: ${generated}`);
  }
  // Every task's split files resolve before the first run folder is made.
  const plans = tasks.map(({ c, job }) => ({ c, p: planJob(c, job) }));
  const inv: Invocation = {
    args,
    cwd,
    provenance: await provenance({ task: name, args, cwd, seed: c.seed }),
  };
  const runner = new StageRunner();
  const outcomes: JobOutcome[] = [];
  try {
    for (const { c, p } of plans) {
      if (runner.stop.requested) break;
      console.log(`\n=== ${name} ${p.job.split} (${c.label}) → ${p.runDir}`);
      console.log(`splits: ${describeProvenance(await splitProvenance(p.files.pretrain))}`);
      outcomes.push(await runJob(runner, p, c, inv));
    }
  } finally {
    runner.dispose();
  }
  if (outcomes.length) {
    console.log("\n=== summary");
    for (const o of outcomes) {
      const s = Object.entries(o.stages).map(([k, v]) => `${k} ${v}`).join(", ");
      console.log(`${o.runDir}: ${s}`);
    }
  }
  if (runner.stop.requested || outcomes.some((o) => Object.values(o.stages).includes("stopped"))) {
    console.error(
      `stopped by ${runner.stop.signal ?? "a stage's stop"}: rerun the same command to continue ` +
        `(pretraining resumes from its checkpoint); exit ${PREEMPTED_EXIT}`,
    );
    return PREEMPTED_EXIT;
  }
  if (sweep.slurmTask === null) await analyseSweep(sweep, cwd);
  const failed = outcomes.some((o) =>
    Object.values(o.stages).some((v) => v === "failed" || v === "blocked")
  );
  return failed ? 1 : 0;
}
