/**
 * From a PipelineConfig to what runs: per split, the run folder, the split files each stage
 * reads (ours, or the authors' released layout under `--split-dir`), and the three stage
 * command lines (`deno run -A scripts/<stage>.ts …`). Pure given a file-existence probe, so
 * the mapping from the authors' flags to our commands is unit-tested without running anything.
 * @module
 */
import { UserError } from "../cli.ts";
import { SHIPPED_SPLITS_DIR, splitFileName } from "../data/split_read.ts";
import type { DatasetName } from "../data/readers/load_dataset.ts";
import type { PipelineConfig, SplitJob } from "./options.ts";

/** The files one split's stages read. */
export interface SplitFiles {
  /** Pretraining set (D_i or D_b; an image list for ImageNet). */
  pretrain: string;
  /** Set whose per-class counts rank the classes into groups (D_i of the same split). */
  groups: string;
  /** Few-shot training set (S_b). */
  fewshot: string;
  /** Full-shot linear training list. */
  train: string;
  /** Validation list. */
  val: string;
  /** Test list (ImageNet only; CIFAR uses the official test set). */
  test?: string;
}

/** One split's plan. */
export interface StagePlan {
  job: SplitJob;
  runDir: string;
  files: SplitFiles;
  /** Arguments after `deno run -A` (script path first), by stage. */
  pretrain: string[];
  linear: string[];
  fewshot: string[];
  /**
   * Checkpoints the probes may load, in order of preference; the runner uses the first that
   * exists (and puts it after the probes' `--checkpoint`).
   */
  checkpoints: string[];
}

/** File existence probe (injected so planning is testable without files). */
export type Exists = (path: string) => boolean;

/** Default probe: a regular file at `path`. */
export function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Folder of a pretraining run inside the run folder (pretrain's `--out`). */
export function pretrainDir(runDir: string): string {
  return `${runDir}/pretrain`;
}

/**
 * The pretraining checkpoint the probes read: pretraining rewrites `checkpoint_last.pt` at
 * every epoch end and when it stops, so once pretraining is complete it holds the final
 * weights (the authors' `model_<epochs>.pt`).
 */
export function finalCheckpoint(runDir: string): string {
  return `${pretrainDir(runDir)}/checkpoint_last.pt`;
}

const AUTHORS_CIFAR = {
  cifar10: { sub: "cifar10_imbSub_with_subsets", lists: "cifar10", listPrefix: "" },
  cifar100: { sub: "cifar100_imbSub_with_subsets", lists: "cifar100", listPrefix: "cifar100_" },
} as const;

function firstExisting(cands: string[], exists: Exists, what: string, hint: string): string {
  for (const c of cands) if (exists(c)) return c;
  throw new UserError(`${what} not found (looked for ${cands.join(", ")}); ${hint}`);
}

function cifarFiles(c: PipelineConfig, job: SplitJob, exists: Exists): SplitFiles {
  const ds = c.dataset as DatasetName;
  const groupsName = job.split.replace(/_D_b$/, "_D_i");
  const dir = c.splitDir ?? SHIPPED_SPLITS_DIR;
  const hint = c.splitDir === undefined
    ? `generate them with: deno task splits --dataset ${ds} --data DIR (the pipeline does so itself when it has --data), or pass --split-dir`
    : `--split-dir ${dir} must hold the authors' split files or our generated ones`;
  // The authors' released layout is only looked for where the user pointed.
  const authors = c.splitDir === undefined
    ? undefined
    : AUTHORS_CIFAR[ds as keyof typeof AUTHORS_CIFAR];
  const split = (name: string) => {
    const cands = authors ? [`${dir}/${authors.sub}/${name}.npy`, `${dir}/${name}.npy`] : [];
    const m = /split(\d+)_(D_i|D_b|S_b)$/.exec(name)!;
    cands.push(`${dir}/${ds}/${splitFileName(ds, m[2] as "D_i", Number(m[1]))}`);
    return firstExisting(cands, exists, `split ${name}`, hint);
  };
  const list = (kind: "train" | "val") => {
    const cands = authors
      ? [
        `${dir}/${authors.lists}/${authors.listPrefix}${kind}IdxList.npy`,
        `${dir}/${authors.listPrefix}${kind}IdxList.npy`,
      ]
      : [];
    cands.push(`${dir}/${ds}/${splitFileName(ds, kind)}`);
    return firstExisting(cands, exists, `${kind} list`, hint);
  };
  return {
    pretrain: split(job.split),
    groups: split(groupsName),
    fewshot: split(job.fewShot),
    train: list("train"),
    val: list("val"),
  };
}

/**
 * ImageNet list names beyond the pretraining and few-shot lists: the full-shot training list
 * (the authors train on the whole training folder, `--fullset`), validation and test lists.
 */
export const IMAGENET_LISTS = {
  imagenet100: { train: "ImageNet_100_train", val: "ImageNet_100_val", test: "ImageNet_100_test" },
  imagenet: { train: "ImageNet_train", val: "ImageNet_LT_val", test: "ImageNet_LT_test" },
} as const;

function imagenetFiles(c: PipelineConfig, job: SplitJob, exists: Exists): SplitFiles {
  const dir = c.splitDir ?? SHIPPED_SPLITS_DIR;
  const subs = ["", "/imagenet-100", "/imagenet100", "/ImageNet_LT", "/imagenet-lt"];
  const find = (name: string) =>
    firstExisting(
      subs.map((s) => `${dir}${s}/${name}.txt`),
      exists,
      `list ${name}.txt`,
      "pass --split-dir DIR holding the authors' ImageNet list files",
    );
  const names = IMAGENET_LISTS[c.dataset as keyof typeof IMAGENET_LISTS];
  const pretrain = find(job.split);
  return {
    pretrain,
    groups: pretrain,
    fewshot: find(job.fewShot),
    train: find(names.train),
    val: find(names.val),
    test: find(names.test),
  };
}

/** Resolves the split files of one job (throws UserError naming what is missing). */
export function splitFiles(
  c: PipelineConfig,
  job: SplitJob,
  exists: Exists = fileExists,
): SplitFiles {
  return c.profile.family === "cifar" ? cifarFiles(c, job, exists) : imagenetFiles(c, job, exists);
}

/** Run folder of a job. */
export function runDirOf(c: PipelineConfig, job: SplitJob): string {
  return `${c.out}/${c.dataset}/${job.runName}`;
}

/**
 * Where the probes find the pretrained weights: `--pretrained-root` (the authors' unzipped
 * `checkpoints/` folder: `<root>/<run name>/model_<epochs>.pt`) when given; otherwise our
 * pretraining's `checkpoint_last.pt`, or the authors' `model_<epochs>.pt` put into the run's
 * pretrain/ folder by hand.
 */
export function checkpointCandidates(c: PipelineConfig, job: SplitJob, runDir: string): string[] {
  if (c.pretrainedRoot !== undefined) {
    return [`${c.pretrainedRoot}/${job.runName}/model_${c.epochs}.pt`];
  }
  return [finalCheckpoint(runDir), `${pretrainDir(runDir)}/model_${c.epochs}.pt`];
}

function probeArgs(
  c: PipelineConfig,
  script: string,
  runDir: string,
  f: SplitFiles,
  train: string,
  checkpoint: string,
): string[] {
  const a = [script, "--checkpoint", checkpoint, "--dataset", c.dataset];
  if (c.data !== undefined) a.push("--data", c.data);
  a.push("--train-split", train, "--val-split", f.val);
  if (f.test !== undefined) a.push("--test-split", f.test);
  a.push("--pretrain-split", f.groups, "--out", runDir);
  a.push("--method", c.method, "--label", c.label, "--seed", String(c.probeSeed));
  if (c.cachedFeatures) a.push("--cached-features");
  if (c.maxTrain !== undefined) a.push("--max-train", String(c.maxTrain));
  if (c.imageSize !== undefined) a.push("--image-size", String(c.imageSize));
  if (c.stages.testOnly) a.push("--test-only");
  return a;
}

/** Builds the plan of one job (resolving its split files). */
export function planJob(c: PipelineConfig, job: SplitJob, exists: Exists = fileExists): StagePlan {
  const runDir = runDirOf(c, job);
  const files = splitFiles(c, job, exists);
  const checkpoints = checkpointCandidates(c, job, runDir);
  const pre = ["scripts/pretrain.ts", "--dataset", c.dataset];
  if (c.data !== undefined) pre.push("--data", c.data);
  pre.push("--split", files.pretrain, "--method", c.method, "--model", c.model);
  if (c.width !== undefined) pre.push("--width", String(c.width));
  // The paper's ImageNet network (7×7/2 stem + max-pool) on smaller inputs, not the CIFAR stem
  // pretraining would pick for images this small.
  if (c.imageSize !== undefined) {
    pre.push("--image-size", String(c.imageSize), "--stem", "imagenet");
  }
  pre.push(
    "--epochs",
    String(c.epochs),
    "--batch-size",
    String(c.batchSize),
    "--lr",
    String(c.lr),
    "--temperature",
    String(c.temperature),
  );
  if (c.method === "sdclr") {
    pre.push("--prune-percent", String(c.prunePercent), c.dualBn ? "--dual-bn" : "--no-dual-bn");
  }
  // `--resume` is added at run time, when a checkpoint to resume from exists.
  pre.push("--seed", String(c.seed), "--out", pretrainDir(runDir));
  if (c.maxSteps !== undefined) pre.push("--max-steps", String(c.maxSteps));
  return {
    job,
    runDir,
    files,
    pretrain: pre,
    linear: probeArgs(c, "scripts/linear.ts", runDir, files, files.train, checkpoints[0]),
    fewshot: probeArgs(c, "scripts/fewshot.ts", runDir, files, files.fewshot, checkpoints[0]),
    checkpoints,
  };
}

/** Shell-quotes one argument for display. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
