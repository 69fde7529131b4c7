/**
 * Command lines of `deno task linear` and `deno task fewshot`: one option set, two sets of
 * defaults (docs/method.md §7). Values a pretraining run folder already knows (dataset, data folder,
 * pretraining split, method) default to its `config.json` next to the checkpoint.
 * @module
 */
import { basename, dirname, isAbsolute, resolve } from "node:path";
import { type CommandSpec, num, parseCommand, type Parsed, takeConfigFlag } from "../cli.ts";
import { UserError } from "../../core/errors.ts";
import type { Stage } from "./results.ts";
import { FEW_SHOT, FULL_SHOT, type ProbeHyper } from "./linear_probe.ts";
import { fewShotSplitFor, PROBE_DATASETS } from "./probe_inputs.ts";
import { LIST_DATASETS } from "../data/readers/load_dataset.ts";
import {
  shippedAuthorsFile,
  SPLIT_SOURCES,
  type SplitProvenance,
  type SplitSource,
} from "../data/authors_splits.ts";
import { loadedPath } from "../provenance.ts";
import { isSplitPath } from "../data/split_read.ts";
import { type ProbeStageOptions, runProbeStage } from "./probe_stage.ts";

/** The command spec of a probe stage. */
export function probeSpec(stage: Stage): CommandSpec {
  const d = stage === "linear" ? FULL_SHOT : FEW_SHOT;
  const what = stage === "linear"
    ? "Full-shot linear probe (docs/method.md §7): trains on the train list"
    : "Few-shot linear probe (docs/method.md §7): trains on the split's balanced 1% subset S_b";
  return {
    name: stage === "linear" ? "linear" : "fewshot",
    description: `${what} with the backbone frozen (dense BN set, inference mode) and the ` +
      "projection head dropped; picks the epoch with the best validation accuracy and writes " +
      `its test accuracy, overall and per class, to <out>/${stage}/results.json (plus epochs.csv, ` +
      "log.txt, best_classifier.pt). Skips the stage when complete results exist (--force reruns).",
    options: {
      checkpoint: {
        type: "string",
        help: "pretrained weights (.pt of this suite or the authors')",
      },
      dataset: {
        type: "string",
        help: `data set: ${PROBE_DATASETS.join(", ")} [default: from the run's config.json]`,
      },
      data: { type: "string", help: "data folder (ImageNet: the root the lists are relative to)" },
      "train-split": {
        type: "string",
        help: stage === "linear"
          ? "training list: a .npy/.txt file or a split name [default: train]"
          : "few-shot set S_b: a file or name [default: the S_b next to --pretrain-split]",
      },
      "val-split": { type: "string", default: "val", help: "validation list (file or name)" },
      "test-split": { type: "string", help: "test list (ImageNet lists; CIFAR uses its test set)" },
      "split-source": {
        type: "string",
        choices: SPLIT_SOURCES,
        help: "what split NAMES mean for CIFAR: the authors' released files (shipped in " +
          "splits/authors/) or our generated ones [default: the pretraining run's, else authors]",
      },
      "pretrain-split": {
        type: "string",
        help:
          "the pretraining split D_i whose class counts rank the groups [default: from config.json]",
      },
      out: {
        type: "string",
        help: "run folder [default: the folder above the checkpoint's pretrain/ folder]",
      },
      epochs: { type: "string", default: String(d.epochs), help: "epochs" },
      lr: { type: "string", default: String(d.lr), help: "learning rate" },
      milestones: {
        type: "string",
        default: d.milestones.join(","),
        help: "epochs after which lr × 0.1 (comma-separated; empty for none)",
      },
      "batch-size": { type: "string", default: String(d.batchSize), help: "batch size" },
      seed: { type: "string", default: "1", help: "seed (classifier init, shuffling, crops)" },
      method: { type: "string", help: "pretraining method [default: from config.json]" },
      label: { type: "string", help: "display label in the analysis [default: the method]" },
      "test-only": {
        type: "boolean",
        help: "recompute test results from the saved best classifier (no training)",
      },
      "cached-features": {
        type: "boolean",
        help: "features computed once without augmentation, then only the linear layer trains: " +
          "much faster, NOT the paper's protocol (recorded as such in results.json)",
      },
      "max-train": { type: "string", help: "train on a seeded subset of at most N images" },
      "image-size": {
        type: "string",
        help: "ImageNet lists: input side (224 in the paper) [default: the pretraining run's]",
      },
      force: { type: "boolean", help: "rerun even if complete results exist" },
      config: {
        type: "string",
        help: "replay a probe from its results.json (same checkpoint, splits, settings); flags " +
          "given beside it override (e.g. --lr, --out)",
      },
      quiet: { type: "boolean", help: "no console output (log.txt is still written)" },
    },
    epilog: `Example:\n  deno task ${stage === "linear" ? "linear" : "fewshot"} --checkpoint ` +
      "runs/cifar10/RUN/pretrain/checkpoint_last.pt --cached-features",
  };
}

interface RunConfig {
  method?: string;
  /** BCL's settings in BCL runs (the method is then named bcl-i / bcl-d). */
  bcl?: unknown;
  dataset?: string | null;
  data?: string | null;
  split?: string | null;
  splitSource?: SplitSource;
  /** The resolved pretraining split file (runs since the authors' splits ship). */
  splitFile?: SplitProvenance | null;
  imageSize?: number;
}

function readRunConfig(checkpoint: string): RunConfig {
  const dir = dirname(checkpoint);
  let cfg: RunConfig;
  try {
    cfg = JSON.parse(Deno.readTextFileSync(`${dir}/config.json`)) as RunConfig;
  } catch {
    return {};
  }
  // Paths inside the run folder are stored relative to config.json's folder.
  const at = (p: string | null | undefined) => (p ? loadedPath(p, dir) : p);
  return {
    ...cfg,
    data: at(cfg.data),
    split: cfg.split && isSplitPath(cfg.split) ? at(cfg.split) : cfg.split,
    splitFile: cfg.splitFile ? { ...cfg.splitFile, path: locateSplit(cfg.splitFile, dir) } : null,
  };
}

/**
 * The pretraining split file a run recorded: its path (relative to the run's folder when it
 * was inside it), or, when the repository has moved since, the shipped authors' file with the
 * same SHA-256.
 */
function locateSplit(f: SplitProvenance, dir: string): string {
  const path = loadedPath(f.path, dir);
  try {
    Deno.statSync(path);
    return path;
  } catch {
    return shippedAuthorsFile(f.sha256) ?? path;
  }
}

/**
 * `--image-size`, or for an ImageNet list dataset the size the run was pretrained at when
 * that was not the paper's 224 (a small run), else undefined (the dataset's own size).
 */
function imageSizeOf(p: Parsed, dataset: string, cfg: RunConfig): number | undefined {
  if (p["image-size"] !== undefined) return num(p, "image-size", { int: true, min: 8 });
  const pretrained = cfg.dataset === dataset && dataset in LIST_DATASETS ? cfg.imageSize : 0;
  return pretrained && pretrained !== 224 ? pretrained : undefined;
}

/** Parses `--milestones 10,20` (empty string: none). */
export function parseMilestones(s: string): number[] {
  if (s.trim() === "") return [];
  return s.split(",").map((x) => {
    const v = Number(x.trim());
    if (!Number.isInteger(v) || v < 1) {
      throw new UserError(`--milestones expects positive epoch numbers like 10,20, got "${s}"`);
    }
    return v;
  }).sort((a, b) => a - b);
}

/** Turns parsed options into stage options; `cwd` resolves relative paths. */
export function probeOptions(stage: Stage, p: Parsed, cwd: string): ProbeStageOptions {
  const path = (
    v: string | undefined,
  ) => (v === undefined ? undefined : isAbsolute(v) ? v : resolve(cwd, v));
  // A split name (train, val, split1_D_i) stays a name; anything path-like is resolved.
  const split = (v: string | undefined) => v === undefined || !isSplitPath(v) ? v : path(v);
  const checkpoint = path(p.checkpoint as string | undefined);
  if (!checkpoint) throw new UserError("--checkpoint is required (the pretrained .pt file)");
  try {
    Deno.statSync(checkpoint);
  } catch {
    throw new UserError(
      `--checkpoint ${checkpoint}: file not found; pretrain first or fix the path`,
    );
  }
  const cfg = readRunConfig(checkpoint);
  const dataset = (p.dataset as string | undefined) ?? cfg.dataset ?? undefined;
  if (!dataset) {
    throw new UserError(`--dataset is required (no config.json next to ${checkpoint} names one)`);
  }
  const fromCfg = cfg.dataset === dataset && cfg.data && !cfg.data.endsWith(".npy")
    ? cfg.data
    : undefined;
  // The pretraining run's resolved split file, so that a name means the same file here.
  const pretrainSplit = split(p["pretrain-split"] as string | undefined) ?? cfg.splitFile?.path ??
    cfg.split ?? undefined;
  if (!pretrainSplit) {
    throw new UserError(
      "--pretrain-split is required: the D_i split whose class counts rank the groups",
    );
  }
  let trainSplit = split(p["train-split"] as string | undefined);
  if (trainSplit === undefined) {
    if (stage === "linear") trainSplit = "train";
    else {
      trainSplit = fewShotSplitFor(pretrainSplit) ?? undefined;
      if (!trainSplit) {
        throw new UserError(`--train-split is required: the few-shot set S_b of ${pretrainSplit}`);
      }
    }
  }
  // A BCL run's method is named as the BCL paper does: bcl-i (SimCLR), bcl-d (SDCLR).
  const saved = cfg.method && cfg.bcl ? (cfg.method === "sdclr" ? "bcl-d" : "bcl-i") : cfg.method;
  const method = (p.method as string | undefined) ?? saved;
  if (!method) {
    throw new UserError(
      "--method is required (simclr, sdclr, bcl-i or bcl-d; the analysis groups runs by it)",
    );
  }
  const ckDir = dirname(checkpoint);
  const out = path(p.out as string | undefined) ??
    (basename(ckDir) === "pretrain" ? dirname(ckDir) : ckDir);
  if (p["test-only"] === true && p.force === true) {
    throw new UserError(
      "--test-only and --force contradict: --test-only reuses the saved classifier, --force " +
        "trains a new one; give one of them",
    );
  }
  const hyper: ProbeHyper = {
    epochs: num(p, "epochs", { int: true, min: 1 }),
    lr: num(p, "lr", { min: 0 }),
    milestones: parseMilestones(p.milestones as string),
    batchSize: num(p, "batch-size", { int: true, min: 1 }),
    momentum: 0.9,
    seed: num(p, "seed", { int: true, min: 0 }),
  };
  return {
    stage,
    checkpoint,
    dataset,
    data: path(p.data as string | undefined) ?? fromCfg,
    trainSplit,
    valSplit: split(p["val-split"] as string)!,
    testSplit: split(p["test-split"] as string | undefined),
    pretrainSplit,
    splitSource: (p["split-source"] as SplitSource | undefined) ?? cfg.splitSource,
    maxTrain: p["max-train"] === undefined ? undefined : num(p, "max-train", { int: true, min: 1 }),
    imageSize: imageSizeOf(p, dataset, cfg),
    seed: hyper.seed,
    out,
    hyper,
    method,
    label: p.label as string | undefined,
    testOnly: p["test-only"] === true,
    cachedFeatures: p["cached-features"] === true,
    force: p.force === true,
    quiet: p.quiet === true,
  };
}

/** What a results.json holds beyond the Results fields, for a replay. */
type StoredResults = {
  stage?: string;
  checkpoint?: string;
  dataset?: string;
  data?: string | null;
  method?: string;
  label?: string;
  seed?: number;
  protocol?: string;
  max_train?: number | null;
  image_size?: number | null;
  hyper?: Partial<ProbeHyper>;
  split_files?: Record<string, string>;
  splits?: { files?: Record<string, SplitProvenance> };
};

/**
 * The flags that replay a probe from its results.json in folder `dir`: the same checkpoint,
 * data, split files, hyper-parameters, seed and protocol.
 */
export function resultsArgs(stage: Stage, r: StoredResults, file: string): string[] {
  if (r.stage !== stage) {
    throw new UserError(
      `--config ${file}: a ${r.stage ?? "non-probe"} record; replay it with ` +
        `deno task ${r.stage === "fewshot" ? "fewshot" : "linear"} --config`,
    );
  }
  const dir = dirname(file);
  const out: string[] = [];
  const opt = (flag: string, v: unknown) => {
    if (v !== null && v !== undefined && v !== "") out.push(flag, String(v));
  };
  const splitPath = (role: string) => {
    const f = r.splits?.files?.[role];
    if (f) return locateSplit(f, dir);
    const p = r.split_files?.[role];
    return p === undefined ? undefined : loadedPath(p, dir);
  };
  opt("--checkpoint", r.checkpoint && loadedPath(r.checkpoint, dir));
  opt("--dataset", r.dataset);
  opt("--data", r.data);
  opt("--train-split", splitPath("train"));
  opt("--val-split", splitPath("val"));
  if (r.dataset && r.dataset in LIST_DATASETS) opt("--test-split", splitPath("test"));
  opt("--pretrain-split", splitPath("pretrain"));
  opt("--method", r.method);
  opt("--label", r.label);
  const h = r.hyper ?? {};
  opt("--epochs", h.epochs);
  opt("--lr", h.lr);
  if (h.milestones) out.push("--milestones", h.milestones.join(","));
  opt("--batch-size", h.batchSize);
  opt("--seed", r.seed);
  if (r.protocol === "cached-features") out.push("--cached-features");
  opt("--max-train", r.max_train);
  opt("--image-size", r.image_size);
  return out;
}

/**
 * Parses a probe script's command line; `--config RESULTS.json` first replays the flags of
 * that probe (those typed beside it override).
 */
export function parseProbeArgs(stage: Stage, args: string[], cwd: string): ProbeStageOptions {
  const { file, rest } = takeConfigFlag(args, cwd);
  let all = rest;
  if (file !== undefined) {
    let saved: StoredResults;
    try {
      saved = JSON.parse(Deno.readTextFileSync(file));
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound ? "not found" : (e as Error).message;
      throw new UserError(`--config ${file}: ${why}; pass a probe's results.json`);
    }
    all = [...resultsArgs(stage, saved, file), ...rest];
  }
  return probeOptions(stage, parseCommand(probeSpec(stage), all), cwd);
}

/** A parsed probe command line: which stage, its options and the arguments as typed. */
export interface ProbeCommand {
  stage: Stage;
  args: string[];
  options: ProbeStageOptions;
}

/** Parses `deno task linear|fewshot ARGS` (typed in `cwd`) without running it. */
export function probeCommand(stage: Stage, args: string[], cwd: string): ProbeCommand {
  return { stage, args, options: parseProbeArgs(stage, args, cwd) };
}

/**
 * Runs a parsed probe command in this process (its results.json records it as the `deno task`
 * it stands for); says so when complete results made it skip.
 */
export async function runProbeCommand(c: ProbeCommand, cwd: string): Promise<void> {
  const r = await runProbeStage({ ...c.options, invocation: { task: c.stage, args: c.args, cwd } });
  if (r.skipped) {
    console.log(
      `${c.stage}: ${r.path} is complete (test ${
        r.results.test_acc.toFixed(2)
      }%); skipped (--force reruns)`,
    );
  }
}
