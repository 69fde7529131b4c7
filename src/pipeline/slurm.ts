/**
 * Sweeps on Slurm (`--slurm` on the experiment pipelines and the demo): one job-array script
 * with one task per split × method, each running the pipeline for just that task (`--slurm-task
 * I`: pretrain → linear → few-shot, finished stages skipped), and one analysis job that depends
 * on the whole array (`--dependency=afterok`). Both scripts are written next to the task logs
 * under `<out>/<dataset>/slurm/<sweep>/`; each task also logs into its run folder
 * (`slurm-<array job>_<task>.log`, appended across restarts).
 *
 * Preemption and time limits: the array script asks for `--requeue` and
 * `--signal=B:USR1@300` (USR1 to the batch shell five minutes before the limit). The shell
 * forwards USR1 and TERM to the pipeline, whose running pretraining finishes its step, saves
 * checkpoint_last.pt and exits with PREEMPTED_EXIT; the shell then requeues its own task
 * (`scontrol requeue`), and the next start resumes from that checkpoint.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import type { OptionSpec } from "../cli.ts";
import { PREEMPTED_EXIT } from "../train/stop.ts";
import { shellQuote } from "../provenance.ts";

/** The sweep options every pipeline (and the demo) takes. */
export const SWEEP_OPTIONS: Record<string, OptionSpec> = {
  methods: {
    type: "string",
    help: "run several methods as one sweep: simclr, sdclr, bcl-i (SimCLR + BCL), bcl-d " +
      "(SDCLR + BCL), e.g. simclr,sdclr, or all (sets --prune and --bcl per method; SDCLR " +
      "and BCL-D keep --prune_percent and --prune_dual_bn as given)",
  },
  slurm: {
    type: "boolean",
    help: "submit the run as a Slurm job array (one task per split × method) plus an analysis " +
      "job after it, instead of running here",
  },
  "slurm-args": {
    type: "string",
    help: 'extra sbatch options for both jobs, e.g. "--partition=gpu --gres=gpu:1 ' +
      "--time=24:00:00 --account=lab\" (they override the scripts' #SBATCH lines)",
  },
  "slurm-task": {
    type: "string",
    help: "run only task I of the sweep (0-based, split-major), without the analysis; the " +
      "array script passes it",
  },
  "analysis-only": {
    type: "boolean",
    help: "only build the analysis from the results that exist (the sweep's analysis job)",
  },
};

/** Options that select what the array and analysis jobs run; dropped from their commands. */
const SUBMIT_ONLY = new Set(["--slurm", "--no-slurm", "--dry-run", "--no-dry-run"]);
const WITH_VALUE = new Set(["--slurm-args"]);
const REFUSED = ["--slurm-task", "--analysis-only", "--no-analysis-only"];

/**
 * The user's arguments without the submission options (`--slurm`, `--slurm-args …`,
 * `--dry-run`), as the jobs re-run them. Refuses `--slurm-task` and `--analysis-only` there.
 */
export function jobArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i], name = a.split("=")[0];
    if (REFUSED.includes(name)) throw new UserError(`${name} cannot be combined with --slurm`);
    if (SUBMIT_ONLY.has(a)) continue;
    if (WITH_VALUE.has(name)) {
      if (!a.includes("=")) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * `--slurm-args "--partition=gpu …"` as `--slurm-args=--partition=gpu …`: the option parser
 * refuses a separate value that starts with "-" (it could be an option).
 */
export function joinSlurmArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--slurm-args" && i + 1 < args.length) out.push(`--slurm-args=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

/** Splits a `--slurm-args` string into words as a POSIX shell would (quotes, backslashes). */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur = "", inWord = false, quote: "'" | '"' | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote === "'") {
      if (ch === "'") quote = null;
      else cur += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === "\\" && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) cur += s[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new UserError(`--slurm-args "${s}": unterminated ${quote} quote`);
  if (inWord) out.push(cur);
  return out;
}

/** One array task: where it logs and what it is. */
export interface SweepTask {
  /** Its run folder (the task log goes there). */
  runDir: string;
  /** e.g. "split3_D_i sdclr". */
  what: string;
}

/** Everything the two scripts need. */
export interface SweepSpec {
  /** Job name prefix, e.g. "sdclr-cifar10-lt". */
  name: string;
  /** Folder for array.sh, analysis.sh and logs/. */
  dir: string;
  tasks: SweepTask[];
  /** Command line of a task; `--slurm-task <index>` is appended. */
  command: string[];
  /** Command line of the analysis job. */
  analysis: string[];
  /** Folder the jobs run in (the repository root). */
  repo: string;
  /** Where the user typed the command (relative paths resolve against it: INIT_CWD). */
  cwd: string;
  /** Extra sbatch options (for both jobs). */
  sbatchArgs: string[];
  /** The command that made the sweep, for the scripts' header. */
  origin: string;
}

/** Requeues allowed per task, against a task that can never finish. */
export const MAX_REQUEUES = 50;

const q = shellQuote;

function header(s: SweepSpec, what: string): string[] {
  return [
    "#!/bin/bash",
    `# ${what}`,
    `# Written by: ${s.origin}`,
    `# Resubmit by hand: sbatch ${[...s.sbatchArgs.map(q), "<this file>"].join(" ")}`,
  ];
}

function envLines(s: SweepSpec): string[] {
  return [
    `cd ${q(s.repo)} || exit 1`,
    `export INIT_CWD=${q(s.cwd)}`,
    'export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"',
  ];
}

/** The job-array script: one task per entry of `s.tasks`. */
export function arrayScript(s: SweepSpec): string {
  const cases = s.tasks.map((t, i) => `  ${i}) run_dir=${q(t.runDir)}; what=${q(t.what)} ;;`);
  const cmd = s.command.map(q).join(" ");
  return [
    ...header(s, `Slurm job array: ${s.tasks.length} tasks, pretrain → linear → few-shot each`),
    `#SBATCH --job-name=${s.name}`,
    `#SBATCH --array=0-${s.tasks.length - 1}`,
    `#SBATCH --output=${s.dir}/logs/%A_%a.out`,
    "#SBATCH --open-mode=append",
    "#SBATCH --requeue",
    "#SBATCH --signal=B:USR1@300",
    "#SBATCH --ntasks=1",
    "",
    "# Signals first, so that none arriving during start-up kills this shell: USR1 comes from",
    "# --signal before the time limit, TERM on preemption. Both go to the pipeline, whose",
    `# pretraining saves checkpoint_last.pt at its current step and exits with ${PREEMPTED_EXIT}.`,
    'got=""; sigs=0; child=""',
    'on_signal() { got=$1; sigs=$((sigs + 1)); [ -z "$child" ] || kill -s "$1" "$child" 2>/dev/null; }',
    "trap 'on_signal USR1' USR1",
    "trap 'on_signal TERM' TERM",
    'task="${SLURM_ARRAY_TASK_ID:?submit this file with sbatch: it is a job array}"',
    'case "$task" in',
    ...cases,
    '  *) echo "this sweep has no task $task" >&2; exit 2 ;;',
    "esac",
    'mkdir -p "$run_dir"',
    'exec >>"$run_dir/slurm-${SLURM_ARRAY_JOB_ID}_${task}.log" 2>&1',
    'echo "== $(date -Is) task $task ($what), start $((${SLURM_RESTART_COUNT:-0} + 1)), job ' +
    "${SLURM_ARRAY_JOB_ID}_${task} on $(hostname); GPUs: SLURM_JOB_GPUS=${SLURM_JOB_GPUS:-none} " +
    'CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-unset}"',
    ...envLines(s),
    `${cmd} --slurm-task "$task" &`,
    "child=$!",
    '[ -z "$got" ] || kill -s "$got" "$child" 2>/dev/null',
    "# A trapped signal interrupts `wait` (status > 128) while the child runs on: wait again.",
    "while :; do",
    "  seen=$sigs",
    '  wait "$child"; rc=$?',
    '  if [ "$sigs" != "$seen" ] && [ "$rc" -gt 128 ] && kill -0 "$child" 2>/dev/null; then continue; fi',
    "  break",
    "done",
    `if [ "$rc" = ${PREEMPTED_EXIT} ] || { [ -n "$got" ] && [ "$rc" != 0 ]; }; then`,
    `  if [ "\${SLURM_RESTART_COUNT:-0}" -ge ${MAX_REQUEUES} ]; then`,
    `    echo "== stopped (exit $rc) after ${MAX_REQUEUES} requeues: not requeueing again"; exit ${PREEMPTED_EXIT}`,
    "  fi",
    '  echo "== $(date -Is) stopped by ${got:-a signal to the pipeline} (exit $rc): requeueing ' +
    '${SLURM_ARRAY_JOB_ID}_${task}; its next start resumes from the last checkpoint"',
    '  scontrol requeue "${SLURM_ARRAY_JOB_ID}_${task}" && exit 0',
    `  echo "== requeue failed: resubmit this task with sbatch --array=$task ${s.dir}/array.sh"; ` +
    `exit ${PREEMPTED_EXIT}`,
    "fi",
    'echo "== $(date -Is) task $task exited with status $rc"',
    'exit "$rc"',
    "",
  ].join("\n");
}

/** The analysis job's script (run after every array task succeeded). */
export function analysisScript(s: SweepSpec): string {
  return [
    ...header(s, "Slurm job: the analysis table of the sweep, after its array job"),
    `#SBATCH --job-name=${s.name}-analysis`,
    `#SBATCH --output=${s.dir}/logs/analysis_%j.out`,
    "#SBATCH --open-mode=append",
    "#SBATCH --ntasks=1",
    "",
    ...envLines(s),
    `exec ${s.analysis.map(q).join(" ")}`,
    "",
  ].join("\n");
}

/** Runs `sbatch --parsable ARGS`; returns the job id. */
async function sbatch(args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("sbatch", { args: ["--parsable", ...args], stdin: "null" })
      .output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(
        "sbatch not found: --slurm submits from a Slurm login node (add --dry-run to only " +
          "print the scripts)",
      );
    }
    throw e;
  }
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout).trim();
  const m = /^(\d+)/.exec(text);
  if (out.code !== 0 || !m) {
    const err = dec.decode(out.stderr).trim().split("\n").filter(Boolean).pop() ?? text;
    throw new UserError(`sbatch ${args.join(" ")} failed: ${err || `exit ${out.code}`}`);
  }
  return m[1];
}

/** What a submission printed and made. */
export interface Submitted {
  arrayId: string;
  analysisId: string;
}

/**
 * Prints the scripts (`dryRun`: and the sbatch commands, nothing written or submitted), or
 * writes them under `s.dir`, submits the array, then the analysis depending on it, and
 * prints the job ids and how to watch them.
 */
export async function submitSweep(s: SweepSpec, dryRun: boolean): Promise<Submitted | null> {
  if (/\s/.test(s.dir)) {
    throw new UserError(
      `${s.dir}: --slurm needs an output folder without spaces (#SBATCH lines cannot quote)`,
    );
  }
  const array = `${s.dir}/array.sh`, analysis = `${s.dir}/analysis.sh`;
  const extra = s.sbatchArgs.map(q);
  const arrayCmd = ["sbatch", "--parsable", ...extra, q(array)].join(" ");
  const depCmd = (id: string) =>
    ["sbatch", "--parsable", `--dependency=afterok:${id}`, "--kill-on-invalid-dep=yes", ...extra]
      .concat(q(analysis)).join(" ");
  if (dryRun) {
    console.log(`# --dry-run: nothing written or submitted. ${s.tasks.length} array tasks:`);
    s.tasks.forEach((t, i) => console.log(`#   ${i}: ${t.what} → ${t.runDir}`));
    console.log(`\n# ${array}\n${arrayScript(s)}\n# ${analysis}\n${analysisScript(s)}`);
    console.log(`# would run:\n${arrayCmd}\n${depCmd("<array job id>")}`);
    return null;
  }
  await Deno.mkdir(`${s.dir}/logs`, { recursive: true });
  await writeFileAtomic(array, arrayScript(s));
  await writeFileAtomic(analysis, analysisScript(s));
  await Deno.chmod(array, 0o755);
  await Deno.chmod(analysis, 0o755);
  const arrayId = await sbatch([...s.sbatchArgs, array]);
  console.log(`submitted job array ${arrayId}: ${s.tasks.length} tasks (${arrayCmd})`);
  let analysisId: string;
  try {
    analysisId = await sbatch([
      `--dependency=afterok:${arrayId}`,
      "--kill-on-invalid-dep=yes",
      ...s.sbatchArgs,
      analysis,
    ]);
  } catch (e) {
    throw new UserError(
      `${(e as Error).message}; the array ${arrayId} runs on: submit the analysis later with ` +
        `sbatch --dependency=afterok:${arrayId} ${analysis}`,
    );
  }
  console.log(`submitted analysis job ${analysisId}, after every task of ${arrayId} succeeds`);
  await writeFileAtomic(
    `${s.dir}/jobs.json`,
    JSON.stringify({ array: arrayId, analysis: analysisId, tasks: s.tasks }, null, 2) + "\n",
  );
  console.log(
    [
      "watch:",
      `  squeue -j ${arrayId},${analysisId}`,
      `  scontrol show job ${arrayId}`,
      `  tail -f ${
        s.tasks[0].runDir
      }/slurm-${arrayId}_0.log   (task i: <run>/slurm-${arrayId}_i.log)`,
      `  ls ${s.dir}/logs/`,
      `cancel: scancel ${arrayId} ${analysisId}`,
    ].join("\n"),
  );
  return { arrayId, analysisId };
}
