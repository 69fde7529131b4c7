/**
 * The command spec of each experiment script: the authors' options (profiles.ts), each
 * snake_case one also under our kebab-case spelling, plus ours (`--splits`, `--out`,
 * `--split-dir`, small-run options, `--dry-run`, `--config`).
 * @module
 */
import type { CommandSpec, OptionSpec } from "../cli.ts";
import { PROFILES, type ScriptName } from "./profiles.ts";
import { SPLIT_SOURCES } from "../data/authors_splits.ts";
import { SWEEP_OPTIONS } from "./slurm.ts";
import { BEYOND_OPTIONS } from "./methods.ts";

/** Our options of the CIFAR scripts. */
export const EXTRAS_FOR_CIFAR: Record<string, OptionSpec> = {
  splits: {
    type: "string",
    help: "run a row of splits: 1-5, 1,3 or 2 (replaces the number in --split)",
  },
  data: { type: "string", help: "data folder (default: the data set's usual folder)" },
  "split-source": {
    type: "string",
    default: "authors",
    choices: SPLIT_SOURCES,
    help: "authors: the paper's split files as the authors released them (shipped in " +
      "splits/authors/); generated: ours (deno task splits, made from --data's labels on first use)",
  },
  seed: { type: "string", default: "10", help: "pretraining seed (fixed to 10 by the authors)" },
};

/** Our options of every script. */
const EXTRAS: Record<string, OptionSpec> = {
  out: { type: "string", default: "runs", help: "output root: <out>/<dataset>/<run name>/" },
  "split-dir": {
    type: "string",
    help: "folder with the authors' split files (cifar10_imbSub_with_subsets/, cifar10/, " +
      "imagenet-100/ … as released) or our generated layout (<dataset>/…); default: ours in splits/",
  },
  "pretrained-root": {
    type: "string",
    help: "probe downloaded pretrained models: the authors' unzipped checkpoints folder " +
      "(<root>/<run name>/model_<epochs>.pt); implies no pretraining",
  },
  model: {
    type: "string",
    help: "backbone: res10, res18, res34, res50 (default: res18 for CIFAR, res50 for ImageNet)",
  },
  width: { type: "string", help: "base width of the backbone (64 in the paper; small runs)" },
  "max-steps": { type: "string", help: "stop pretraining after N optimizer steps (small runs)" },
  "drop-last": {
    type: "boolean",
    help: "pretraining drops each epoch's last partial batch (the authors' loader keeps it)",
  },
  "max-train": { type: "string", help: "probes train on at most N images (CPU smoke runs)" },
  "image-size": {
    type: "string",
    help: "ImageNet scripts: input side of pretraining and probes (224 in the paper; small runs)",
  },
  "cached-features": {
    type: "boolean",
    help: "probes train on features computed once without augmentation: fast, NOT the paper's " +
      "protocol (recorded in results.json)",
  },
  "dry-run": {
    type: "boolean",
    help: "print the run folders and stage commands (with --slurm: the job scripts and sbatch " +
      "commands) and exit (works before the data exists: what is missing is a warning)",
  },
  config: {
    type: "string",
    help: "replay the command recorded in a run folder's pipeline.json; flags given beside it " +
      "override (e.g. --splits 1-5)",
  },
};

/** Our kebab-case spelling of an authors' flag: batch_size → batch-size, GPU_NUM → gpu-num. */
export function kebab(name: string): string {
  return name.toLowerCase().replace(/_/g, "-");
}

/** The full command spec (authors' options + ours) of a script. */
export function pipelineSpec(name: ScriptName): CommandSpec {
  const p = PROFILES[name];
  const options: Record<string, OptionSpec> = {};
  // Every authors' snake_case flag also answers to our kebab-case spelling.
  for (const [k, o] of Object.entries(p.options)) {
    options[k] = kebab(k) === k ? o : { ...o, aliases: [kebab(k)] };
  }
  if (p.family === "cifar") {
    Object.assign(options, EXTRAS_FOR_CIFAR);
    options.dataset = {
      type: "string",
      default: p.datasets[0],
      choices: p.datasets,
      help: "data set",
    };
  }
  Object.assign(options, EXTRAS, BEYOND_OPTIONS, SWEEP_OPTIONS);
  const examples = p.family === "cifar"
    ? `  deno task ${name} -g 1 -w 8 --split ${p.options.split.default} --prune True ` +
      `--prune_percent 0.9 --prune_dual_bn True\n  deno task ${name} --splits 1-5\n` +
      `  deno task ${name} --splits 1-5 --methods simclr,sdclr --prune_percent 0.9 ` +
      `--prune_dual_bn True --slurm --slurm-args "--partition=gpu --gres=gpu:1 --time=48:00:00"\n` +
      `  deno task ${name} --splits 1-5 --methods all --prune_percent 0.9 --prune_dual_bn True ` +
      "--tau-schedule cosine"
    : `  deno task ${name} --data /path/to/imagenet --split-dir /path/to/lists`;
  return {
    name,
    description: `Runs the authors' ${p.authorsScript} pipeline: pretraining, then the ` +
      "full-shot linear probe and the few-shot probe, each as its own process, one run folder " +
      "per split named like the authors' pretrain_name; finished stages are skipped on a " +
      "rerun (pretraining resumes from its last checkpoint). Ends with the analysis table. " +
      "True/False values are strings, as in the original. The authors' snake_case flags " +
      "also take our kebab-case spelling (--batch_size or --batch-size). Relative paths are " +
      "relative to the folder you type the command in. " +
      `No effect here: ${p.noEffect.map((n) => "--" + n).join(", ")}.`,
    options,
    epilog: `Examples:\n${examples}`,
  };
}
