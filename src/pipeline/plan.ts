/**
 * From a PipelineConfig to what runs: per split, the run folder, the split files each stage
 * reads (ours, or the authors' released layout under `--split-dir`), and the three stage
 * command lines (`deno task <stage> …`, the commands a user would type). Pure given a
 * file-existence probe, so
 * the mapping from the authors' flags to our commands is unit-tested without running anything.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { SHIPPED_SPLITS_DIR, splitFileName } from "../data/split_read.ts";
import {
  AUTHORS_SPLITS_DIR,
  type AuthorsDataset,
  authorsManifest,
  authorsSplitFile,
  checkAuthorsSplitNumber,
  type SplitKind,
} from "../data/authors_splits.ts";
import type { PipelineConfig, SplitJob } from "./options.ts";
import { beyondPretrainArgs } from "./methods.ts";

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
  /** Arguments after `deno task` (the task name first), by stage. */
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

function firstExisting(cands: string[], exists: Exists, what: string, hint: string): string {
  for (const c of cands) if (exists(c)) return c;
  throw new UserError(`${what} not found (looked for ${cands.join(", ")}); ${hint}`);
}

/**
 * The CIFAR split files of a job. Without --split-dir: the authors' released files shipped
 * in splits/authors/ (the paper's splits, the default), or with `--split-source generated`
 * ours in splits/<dataset>/. With --split-dir: the authors' released layout there (plain or
 * gzipped), else our generated layout.
 */
function cifarFiles(c: PipelineConfig, job: SplitJob, exists: Exists): SplitFiles {
  const ds = c.dataset as AuthorsDataset;
  const groupsName = job.split.replace(/_D_b$/, "_D_i");
  const parse = (name: string): [SplitKind, number] => {
    const m = /split(\d+)_(D_i|D_b|S_b)$/.exec(name)!;
    return [m[2] as SplitKind, Number(m[1])];
  };
  const pick = (kind: SplitKind, k: number, what: string): string => {
    if (c.splitDir === undefined && c.splitSource === "authors") {
      if (kind !== "train" && kind !== "val") checkAuthorsSplitNumber(k, `--split ${job.split}`);
      return `${AUTHORS_SPLITS_DIR}/${authorsSplitFile(ds, kind, k)}.gz`;
    }
    const dir = c.splitDir ?? SHIPPED_SPLITS_DIR;
    const cands: string[] = [];
    if (c.splitDir !== undefined) {
      // The authors' layout under --split-dir, or their files loose in it.
      const rel = authorsSplitFile(ds, kind, k);
      for (const p of [rel, rel.split("/").pop()!]) cands.push(`${dir}/${p}`, `${dir}/${p}.gz`);
    }
    cands.push(`${dir}/${ds}/${splitFileName(ds, kind, k)}`);
    const hint = c.splitDir === undefined
      ? `generate them with: deno task splits --dataset ${ds} --data DIR (the pipeline does so itself when it has --data)`
      : `--split-dir ${dir} must hold the authors' split files or our generated ones`;
    return firstExisting(cands, exists, what, hint);
  };
  const split = (name: string) => pick(...parse(name), `split ${name}`);
  return {
    pretrain: split(job.split),
    groups: split(groupsName),
    fewshot: split(job.fewShot),
    train: pick("train", 1, "train list"),
    val: pick("val", 1, "val list"),
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

/**
 * The authors' ImageNet lists the pipelines use that do not ship (each over 4 MB upstream),
 * with what they are; splits/README.md says the same.
 */
export const UNSHIPPED_LISTS: Record<string, string> = {
  ImageNet_100_train: "ImageNet-100 full-shot training list",
  imageNet_LT_exp_train: "ImageNet-LT pretraining list",
  ImageNet_LT_train: "ImageNet-LT training list",
  ImageNet_train: "ImageNet full-shot training list",
};

/** One line saying where to get an unshipped list and how to use it. */
export function unshippedListHint(name: string): string {
  const s = authorsManifest().source;
  return `${name}.txt (the ${UNSHIPPED_LISTS[name]}) is not shipped (over 4 MB): download it ` +
    `from the authors' ${s.repository}/tree/${s.commit}/${s.folder.replace(/\/$/, "")} ` +
    "into a folder and pass --split-dir FOLDER";
}

function imagenetFiles(c: PipelineConfig, job: SplitJob, exists: Exists): SplitFiles {
  const subs = ["", "/imagenet-100", "/imagenet100", "/ImageNet_LT", "/imagenet-lt"];
  // --split-dir first (it may hold only the big lists), then the authors' shipped lists.
  const dirs = [...(c.splitDir !== undefined ? [c.splitDir] : []), AUTHORS_SPLITS_DIR];
  const find = (name: string) => {
    const cands = dirs.flatMap((d) =>
      subs.flatMap((s) => [`${d}${s}/${name}.txt`, `${d}${s}/${name}.txt.gz`])
    );
    if (name in UNSHIPPED_LISTS && !cands.some(exists)) {
      const where = c.splitDir !== undefined ? ` (not in --split-dir ${c.splitDir} either)` : "";
      throw new UserError(unshippedListHint(name) + where);
    }
    return firstExisting(cands, exists, `list ${name}.txt`, "pass --split-dir DIR holding it");
  };
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
  task: string,
  runDir: string,
  f: SplitFiles,
  train: string,
  checkpoint: string,
): string[] {
  const a = [task, "--checkpoint", checkpoint, "--dataset", c.dataset];
  if (c.data !== undefined) a.push("--data", c.data);
  a.push("--train-split", train, "--val-split", f.val);
  if (f.test !== undefined) a.push("--test-split", f.test);
  a.push("--pretrain-split", f.groups, "--out", runDir);
  a.push("--method", c.methodName, "--label", c.label, "--seed", String(c.probeSeed));
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
  const pre = ["pretrain", "--dataset", c.dataset];
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
  pre.push(...beyondPretrainArgs(c.tau, c.bcl));
  // `--resume` is added at run time, when a checkpoint to resume from exists.
  pre.push("--seed", String(c.seed), "--out", pretrainDir(runDir));
  if (c.maxSteps !== undefined) pre.push("--max-steps", String(c.maxSteps));
  if (c.dropLast) pre.push("--drop-last");
  return {
    job,
    runDir,
    files,
    pretrain: pre,
    linear: probeArgs(c, "linear", runDir, files, files.train, checkpoints[0]),
    fewshot: probeArgs(c, "fewshot", runDir, files, files.fewshot, checkpoints[0]),
    checkpoints,
  };
}
