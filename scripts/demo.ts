/**
 * `deno task demo`: the suite's main job. On the embedded default data set (Fashion-MNIST from
 * Debian's dataset-fashion-mnist, our long-tail split 1) it pretrains SimCLR and SDCLR, runs
 * the full-shot linear probe and the few-shot probe on both, and prints the paper's
 * balancedness table (acc, Many/Medium/Few, std) side by side, with plots. `--methods all`
 * adds BCL-I and BCL-D (docs/method.md §10), `--tau-schedule cosine` the temperature schedule.
 *
 * Preset `cpu` (default) is sized for a 2-core machine without a GPU: a thin ResNet-18, a
 * stratified fraction of D_i, few epochs (with the warm-up scaled to them), probes on cached
 * features. It says so in its output: its numbers show the pipeline working, not the paper's
 * accuracy. Preset `full` is the paper recipe, for a GPU server.
 *
 * Every stage is a subprocess of the same `deno task` scripts a user runs by hand, and every
 * stage resumes or is skipped on a rerun (delete the output folder to start over).
 * @module
 */
import {
  callerCwd,
  type CommandSpec,
  num,
  optNum,
  parseCommand,
  runMain,
  userPath,
} from "../src/cli.ts";
import { UserError } from "../core/errors.ts";
import { writeNpy } from "../src/io/npy.ts";
import { analyse } from "../src/eval/analyse.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { loadDataset, locateDataset } from "../src/data/readers/load_dataset.ts";
import { readSplitIndices, resolveSplit } from "../src/data/split_read.ts";
import {
  jobArgs,
  joinSlurmArgs,
  shellWords,
  submitSweep,
  SWEEP_OPTIONS,
} from "../src/pipeline/slurm.ts";
import { sideBySide, StageRunner } from "../src/pipeline/stage_runner.ts";
import { shellQuote } from "../src/provenance.ts";
import { PREEMPTED_EXIT } from "../src/train/stop.ts";
import {
  BEYOND_OPTIONS,
  beyondPretrainArgs,
  beyondSettings,
  beyondTags,
  type MethodName,
  methodParts,
  parseMethods,
} from "../src/pipeline/methods.ts";

const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** The CPU preset's time, measured as the README says (keep the two in step). */
const DEMO_TIME = "about 2.5 minutes on a 2-core CPU once set up";

interface Preset {
  what: string;
  model: string;
  width: number;
  epochs: number;
  batchSize: number;
  lr: number;
  fraction: number;
  imageSize: number;
  probe: string[];
  fewshot: string[];
  /** Methods run side by side (--jobs). */
  jobs: number;
}

const PRESETS: Record<string, Preset> = {
  cpu: {
    what: "CPU preset: ResNet-18 at width 8, 12% of D_i per class, 32×32 views (the 28×28 " +
      "images resized), few epochs, probes on cached features with training " +
      "subsets. It exercises the whole pipeline in minutes on a 2-core CPU; its accuracies " +
      "are NOT the paper's (use --preset full on a GPU server).",
    model: "res18",
    width: 8,
    epochs: 3,
    batchSize: 128,
    lr: 0.5,
    fraction: 0.12,
    imageSize: 32,
    probe: ["--cached-features", "--max-train", "6000", "--epochs", "30"],
    fewshot: ["--cached-features", "--epochs", "100"],
    // Each stage leaves a core idle while it compiles kernels (one thread): two methods side
    // by side fill it (measured: both pretrainings in 100 s instead of 52 + 68 s one by one).
    jobs: 2,
  },
  full: {
    what: "full preset: the paper's CIFAR recipe on Fashion-MNIST (ResNet-18, 2000 epochs, " +
      "batch 512, lr 0.5, t 0.2, prune 0.9, the paper's linear and few-shot protocols). " +
      "Needs a GPU server: days on a CPU.",
    model: "res18",
    width: 64,
    epochs: 2000,
    batchSize: 512,
    lr: 0.5,
    fraction: 1,
    imageSize: 32,
    probe: [],
    fewshot: [],
    jobs: 1,
  },
};

const spec: CommandSpec = {
  name: "demo",
  description: "Pretrain SimCLR and SDCLR (--methods: also BCL-I, BCL-D) on long-tailed " +
    "Fashion-MNIST (our split 1), probe each (full-shot linear and few-shot), and print the " +
    "paper's table side by side.",
  options: {
    preset: {
      type: "string",
      default: "cpu",
      choices: Object.keys(PRESETS),
      help: "cpu: minutes on a 2-core CPU; full: the paper recipe for a GPU",
    },
    out: { type: "string", default: "runs/demo", help: "output folder" },
    data: { type: "string", help: "Fashion-MNIST folder [default: Debian's location]" },
    split: { type: "string", default: "1", help: "which of our 5 splits (1-5)" },
    epochs: { type: "string", help: "pretraining epochs [default: the preset's]" },
    width: { type: "string", help: "ResNet base width [default: the preset's]" },
    fraction: {
      type: "string",
      help: "fraction of D_i per class to pretrain on, in (0, 1] [default: the preset's]",
    },
    seed: { type: "string", default: "1", help: "seed of every stage" },
    jobs: {
      type: "string",
      help: "methods run side by side, N at a time (each method's stages in order, their " +
        "output lines prefixed [method]) [default: the preset's: cpu 2, full 1]",
    },
    methods: {
      type: "string",
      default: "simclr,sdclr",
      help: "methods to compare: simclr, sdclr, bcl-i (SimCLR + BCL), bcl-d (SDCLR + BCL), " +
        "or all (the four; twice the default's time)",
    },
    "tau-schedule": BEYOND_OPTIONS["tau-schedule"],
    "tau-min": BEYOND_OPTIONS["tau-min"],
    "tau-max": BEYOND_OPTIONS["tau-max"],
    "tau-period": BEYOND_OPTIONS["tau-period"],
    slurm: SWEEP_OPTIONS.slurm,
    "slurm-args": SWEEP_OPTIONS["slurm-args"],
    "slurm-task": {
      type: "string",
      help: "run only method I of --methods (0-based), without the analysis; the array " +
        "script passes it",
    },
    "analysis-only": SWEEP_OPTIONS["analysis-only"],
    "dry-run": { type: "boolean", help: "with --slurm: print the job scripts, submit nothing" },
  },
  epilog: `Example: deno task demo            (CPU preset, ${DEMO_TIME})\n` +
    "         deno task demo --methods all    (adds BCL-I and BCL-D)\n" +
    "         deno task demo --preset full --out runs/demo-full\n" +
    '         deno task demo --preset full --slurm --slurm-args "--gres=gpu:1 --time=72:00:00"\n' +
    "The warm-up is 10% of the pretraining epochs, at most the paper's 10 (of 2000): a " +
    "10-epoch warm-up would keep a 3-epoch run below its peak learning rate.",
};

/** Runs the stages, passing them stop signals (made when the first stage starts). */
let runner: StageRunner | null = null;

/** The paper's warm-up (10 epochs of 2000) shrunk to 10% of a short run. */
export function demoWarmup(epochs: number): number {
  return Math.min(10, epochs / 10);
}

/** A stage ended by a stop signal (its method's later stages do not start). */
class StageStopped extends Error {}

/**
 * Runs one stage; `tag` (the method, when methods run side by side) prefixes its lines.
 * Throws StageStopped after a stop signal and a UserError when the stage failed.
 */
async function stage(label: string, args: string[], tag?: string): Promise<void> {
  const say = (line: string) => console.log(tag === undefined ? line : `[${tag}] ${line}`);
  runner ??= new StageRunner();
  if (runner.stop.requested) throw new StageStopped(label);
  console.log();
  say(`== ${label}`);
  say(`$ deno run -A ${args.join(" ")}`);
  const t0 = performance.now();
  const end = await runner.run(["run", "-A", ...args], REPO, { label: tag });
  if (end === "stopped") throw new StageStopped(label);
  if (end === "failed") {
    throw new UserError(`demo stage "${label}" failed; rerun resumes from here`);
  }
  say(`== ${label}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** Runs the methods' stage chains `jobs` at a time; ends the demo as the first stop or failure. */
async function allMethods<T>(items: readonly T[], jobs: number, fn: (t: T) => Promise<void>) {
  const errors = await sideBySide(items, jobs, fn);
  const stopped = errors.find((e) => e instanceof StageStopped);
  if (stopped) {
    console.error(
      `demo stopped during "${(stopped as Error).message}"; rerun the same command to continue`,
    );
    Deno.exit(PREEMPTED_EXIT);
  }
  if (errors.length) throw errors[0];
}

/** A stratified prefix of D_i: per class the first ⌈f·n_c⌉ (≥2) in file order. */
function subsetSplit(dataDir: string | undefined, split: number, fraction: number): number[] {
  const full = readSplitIndices(resolveSplit(`split${split}_D_i`, "fashion-mnist"));
  if (fraction >= 1) return Array.from(full);
  const { labels } = loadDataset("fashion-mnist", "train", dataDir);
  const byClass = new Map<number, number[]>();
  for (const i of full) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const keep: number[] = [];
  for (const idx of byClass.values()) {
    keep.push(...idx.slice(0, Math.max(2, Math.ceil(fraction * idx.length))));
  }
  console.log(
    `pretraining subset: ${keep.length} of ${full.length} images of split ${split} D_i ` +
      `(per class: ${
        [...byClass.values()].map((v) => Math.max(2, Math.ceil(fraction * v.length))).join(", ")
      })`,
  );
  return keep;
}

/** The run folder of a method: its name, plus the schedule's tag (runs/demo/sdclr_tauCos…). */
function runFolder(m: MethodName, tauTag: string): string {
  return `${m}${tauTag}`;
}

runMain(async () => {
  const args = joinSlurmArgs(Deno.args);
  const p = parseCommand(spec, args);
  const preset = { ...PRESETS[p.preset as string] };
  preset.epochs = optNum(p, "epochs", { int: true, min: 1 }) ?? preset.epochs;
  preset.width = optNum(p, "width", { int: true, min: 1 }) ?? preset.width;
  preset.fraction = optNum(p, "fraction", { above: 0, max: 1 }) ?? preset.fraction;
  preset.jobs = optNum(p, "jobs", { int: true, min: 1 }) ?? preset.jobs;
  const split = num(p, "split", { int: true, min: 1, max: 5 });
  const seed = String(num(p, "seed", { int: true, min: 0 }));
  const cwd = callerCwd();
  const out = userPath(p.out as string, cwd);
  const data = userPath(p.data as string | undefined);
  const warmup = demoWarmup(preset.epochs);
  const all = parseMethods(String(p.methods));
  const { tau } = beyondSettings(p, false);
  const tauTag = beyondTags(tau, null).suffix;
  if (p.slurm) {
    if (p["slurm-task"] !== undefined || p["analysis-only"]) {
      throw new UserError("--slurm-task and --analysis-only are what --slurm's jobs run; not both");
    }
    const rerun = [Deno.execPath(), "run", "-A", "scripts/demo.ts", ...jobArgs(args)];
    const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    await submitSweep({
      name: "sdclr-demo",
      dir: `${out}/slurm/${p.preset}_${stamp}`,
      tasks: all.map((m) => ({
        runDir: `${out}/${runFolder(m, tauTag)}`,
        what: `split${split}_D_i ${m}`,
      })),
      command: rerun,
      analysis: [...rerun, "--analysis-only"],
      repo: REPO.replace(/\/$/, ""),
      cwd,
      sbatchArgs: p["slurm-args"] === undefined ? [] : shellWords(String(p["slurm-args"])),
      origin: ["deno", "task", "demo", ...Deno.args].map(shellQuote).join(" "),
    }, Boolean(p["dry-run"]));
    return;
  }
  if (p["dry-run"]) throw new UserError("--dry-run prints the job scripts of --slurm; add --slurm");
  if (p["slurm-args"] !== undefined) throw new UserError("--slurm-args needs --slurm");
  let methods: readonly MethodName[] = all;
  if (p["slurm-task"] !== undefined) {
    const i = num(p, "slurm-task", { int: true, min: 0 });
    if (i >= all.length) {
      throw new UserError(`--slurm-task ${i}: this demo has tasks 0..${all.length - 1}`);
    }
    methods = [all[i]];
  }
  if (p["analysis-only"]) methods = [];
  const t0 = performance.now();
  // The data (and the split) are read before the output folder is made.
  locateDataset("fashion-mnist", data);
  console.log(`SDCLR demo — ${preset.what}`);
  console.log(
    `schedule: ${preset.epochs} epochs, lr ${preset.lr} after a linear warm-up of ${warmup} ` +
      `epoch${warmup === 1 ? "" : "s"} (10% of the run, at most the paper's 10 of 2000), ` +
      "then cosine",
  );
  const keep = methods.length ? subsetSplit(data, split, preset.fraction) : [];
  await Deno.mkdir(out, { recursive: true });
  const dataArgs = data ? ["--data", data] : [];
  const together = Math.min(preset.jobs, methods.length) > 1;
  if (together) {
    console.log(`methods side by side: ${Math.min(preset.jobs, methods.length)} at a time`);
  }
  await allMethods(methods, preset.jobs, async (name) => {
    const tag = together ? name : undefined;
    const { method, bcl } = methodParts(name);
    const run = `${out}/${runFolder(name, tauTag)}`;
    const ckpt = `${run}/pretrain/checkpoint_last.pt`;
    // Each run folder holds its pretraining subset, so it can be moved or copied whole.
    const subset = `${run}/pretrain_split${split}_D_i_subset.npy`;
    await Deno.mkdir(run, { recursive: true });
    await writeNpy(subset, BigInt64Array.from(keep, BigInt), [keep.length]);
    const pre = [
      "scripts/pretrain.ts",
      "--dataset",
      "fashion-mnist",
      ...dataArgs,
      "--split",
      subset,
      "--method",
      method,
      "--model",
      preset.model,
      "--width",
      String(preset.width),
      "--epochs",
      String(preset.epochs),
      "--batch-size",
      String(preset.batchSize),
      "--lr",
      String(preset.lr),
      "--temperature",
      "0.2",
      ...beyondPretrainArgs(tau, bcl ? beyondSettings(p, true).bcl : null),
      ...(method === "sdclr" ? ["--prune-percent", "0.9"] : []),
      "--image-size",
      String(preset.imageSize),
      "--warmup-epochs",
      String(warmup),
      "--seed",
      seed,
      "--out",
      `${run}/pretrain`,
    ];
    const done = await isFinished(`${run}/pretrain`, preset.epochs);
    if (done) console.log(`\n${tag ? `[${tag}] ` : ""}== pretrain ${name}: done already (${ckpt})`);
    else {
      const resume = await exists(ckpt) ? ["--resume"] : [];
      await stage(`pretrain ${name}`, [...pre, ...resume], tag);
    }
    const probeCommon = [
      "--checkpoint",
      ckpt,
      "--dataset",
      "fashion-mnist",
      ...dataArgs,
      "--pretrain-split",
      subset,
      "--method",
      name,
      "--label",
      `${name}${tauTag.replace(/^_/, "-")}`,
      "--out",
      run,
      "--seed",
      seed,
    ];
    // Both probes in one process: the backbone's kernels compile once (see scripts/probes.ts).
    await stage(`linear and few-shot probes ${name}`, [
      "scripts/probes.ts",
      "linear",
      ...probeCommon,
      ...preset.probe,
      "--then",
      "fewshot",
      ...probeCommon,
      "--train-split",
      `split${split}_S_b`,
      ...preset.fewshot,
    ], tag);
  });
  runner?.dispose();
  if (p["slurm-task"] !== undefined) return;
  const report = await analyse({ inputs: [out], stage: "both", out: `${out}/analysis` });
  for (const w of report.warnings) console.error(`warning: ${w}`);
  console.log(`\n${report.table}\n`);
  console.log(`plots and tables: ${out}/analysis/ (analysis.md, per_class_*.svg, groups_*.svg)`);
  console.log(`demo finished in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
  if (p.preset === "cpu") {
    console.log(
      "note: CPU preset — a few epochs of a thin network on a subset; read the table " +
        "as a smoke test of the method and pipeline, not as the paper's numbers.",
    );
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Pretraining finished: checkpoint_last.pt records the final epoch. */
async function isFinished(dir: string, epochs: number): Promise<boolean> {
  if (!(await exists(`${dir}/checkpoint_last.pt`))) return false;
  const ck = await loadCheckpoint(`${dir}/checkpoint_last.pt`);
  return ck.epoch >= epochs;
}
