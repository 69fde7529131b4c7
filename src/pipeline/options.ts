/**
 * Option parsing of the experiment scripts: the authors' flags (profiles.ts) plus ours
 * (`--splits`, `--out`, `--split-dir`, small-run options), turned into one checked
 * `PipelineConfig`. Pure apart from resolving relative paths against the caller's folder.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { parseCommand, type Parsed, parseNumber, takeConfigFlag } from "../cli.ts";
import { EXTRAS_FOR_CIFAR, pipelineSpec } from "./pipeline_spec.ts";
import { replayedArgs } from "./replay.ts";
import { UserError } from "../../core/errors.ts";
import { type NameValues, PROFILES, type ScriptName, type ScriptProfile } from "./profiles.ts";
import type { SplitSource } from "../data/authors_splits.ts";
import type { BclConfig } from "../train/bcl.ts";
import {
  beyondSettings,
  beyondTags,
  type MethodName,
  methodName,
  type TauSettings,
} from "./methods.ts";

/** One split of a row: its number (null for ImageNet's single list) and names. */
export interface SplitJob {
  /** Split number k (1-based), or null for ImageNet lists. */
  k: number | null;
  /** Pretraining split name as the authors write it, e.g. "split3_D_i". */
  split: string;
  /** Few-shot training split name, e.g. "split3_S_b". */
  fewShot: string;
  /** Run folder name: the authors' pretrain_name plus our small-run suffixes. */
  runName: string;
}

/** Which stages run, and how. */
export interface StageSelection {
  pretrain: boolean;
  linear: boolean;
  fewshot: boolean;
  /** Probes only recompute test results from their saved best classifiers. */
  testOnly: boolean;
}

/** Everything one pipeline invocation needs, checked. */
export interface PipelineConfig {
  profile: ScriptProfile;
  dataset: string;
  /** The pretraining method (SDCLR with --prune True). */
  method: "simclr" | "sdclr";
  /** The method as the results and the analysis name it: simclr, sdclr, bcl-i or bcl-d. */
  methodName: MethodName;
  /** The NT-Xent temperature schedule. */
  tau: TauSettings;
  /** BCL's settings, or null (off). */
  bcl: BclConfig | null;
  /** Results label, the same for every split of one configuration (analysis groups by it). */
  label: string;
  model: string;
  width?: number;
  epochs: number;
  batchSize: number;
  lr: number;
  temperature: number;
  seed: number;
  probeSeed: number;
  prunePercent: number;
  dualBn: boolean;
  jobs: SplitJob[];
  stages: StageSelection;
  /** Absolute data folder, when given. */
  data?: string;
  /** Absolute split folder (authors' or our layout), when given. */
  splitDir?: string;
  /** CIFAR without --split-dir: the authors' shipped files or our generated ones. */
  splitSource: SplitSource;
  /** The authors' unzipped checkpoints folder (`<root>/<run name>/model_<epochs>.pt`). */
  pretrainedRoot?: string;
  /** Absolute output root; run folders are `<out>/<dataset>/<runName>`. */
  out: string;
  maxSteps?: number;
  /** Pretraining drops each epoch's last partial batch (`--drop-last`; the authors keep it). */
  dropLast: boolean;
  maxTrain?: number;
  /** ImageNet scripts: input side of pretraining and probes when not the paper's 224. */
  imageSize?: number;
  cachedFeatures: boolean;
  dryRun: boolean;
  /** Messages about accepted-but-ignored options, printed before running. */
  notes: string[];
}

/** Backbones pretraining offers. */
export const MODELS: readonly string[] = ["res10", "res18", "res34", "res50"];

/** Parses an authors'-style boolean ("True"/"False"; also true/false/1/0). */
export function authorsBool(name: string, v: unknown): boolean {
  const s = String(v);
  if (/^(true|1)$/i.test(s)) return true;
  if (/^(false|0)$/i.test(s)) return false;
  throw new UserError(`--${name} expects True or False, got "${s}"`);
}

/** Parses `--splits`: "1-5", "1,3", "2" or a mix ("1-2,5"); sorted, without repeats. */
export function parseSplitList(s: string): number[] {
  const out = new Set<number>();
  for (const part of s.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UserError(`--splits "${s}": expected e.g. 1-5, 1,3 or 2`);
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b < a) {
      throw new UserError(`--splits "${s}": ranges must be 1-based and ascending`);
    }
    if (b > SPLIT_COUNT) throw new UserError(onlyFiveSplits(`--splits ${s}`));
    for (let k = a; k <= b; k++) out.add(k);
  }
  return [...out].sort((x, y) => x - y);
}

const CIFAR_SPLIT = /^(cifar100_)?split(\d+)_(D_i|D_b)$/;

/** Splits per data set: the authors released five, and our generator makes five. */
export const SPLIT_COUNT = 5;

function onlyFiveSplits(what: string): string {
  return `${what}: only splits 1–${SPLIT_COUNT} exist (the authors released five per data ` +
    "set and deno task splits generates five); use numbers from 1 to 5";
}

function cifarJobs(
  p: ScriptProfile,
  split: string,
  splits: string | undefined,
): [number, string][] {
  const m = CIFAR_SPLIT.exec(split);
  if (!m) {
    throw new UserError(
      `--split "${split}": expected ${p.name === "cifar100-lt" ? "cifar100_" : ""}splitK_D_i ` +
        "(long tail) or splitK_D_b (balanced control), K = 1..5",
    );
  }
  // The authors' CIFAR-100 names carry a "cifar100_" prefix; accept it either way and name
  // runs with the authors' spelling.
  const prefix = p.name === "cifar100-lt" ? "cifar100_" : "";
  const ks = splits === undefined ? [Number(m[2])] : parseSplitList(splits);
  if (splits === undefined && (ks[0] < 1 || ks[0] > SPLIT_COUNT)) {
    throw new UserError(onlyFiveSplits(`--split ${split}`));
  }
  return ks.map((k) => [k, `${prefix}split${k}_${m[3]}`]);
}

function abs(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

/**
 * Turns parsed options into a PipelineConfig. `cwd` is where the user typed the command
 * (relative paths are resolved against it).
 */
export function buildConfig(name: ScriptName, v: Parsed, cwd: string): PipelineConfig {
  const p = PROFILES[name];
  const s = (k: string) => v[k] as string | undefined;
  const notes: string[] = [];
  for (const k of p.noEffect) {
    if (v[k] !== undefined && v[k] !== p.options[k]?.default) {
      notes.push(`--${k} ${v[k]}: ${p.options[k].help}`);
    }
  }
  const given = new Set(v.given ?? []);
  const prune = authorsBool("prune", s("prune") ?? "False");
  const dualBn = authorsBool("prune_dual_bn", s("prune_dual_bn") ?? "False");
  if (dualBn && !prune) {
    throw new UserError(
      "--prune_dual_bn True needs --prune True: without pruning the run is SimCLR, which has " +
        "no pruned branch to give its own BN set; add --prune True or drop --prune_dual_bn",
    );
  }
  if (!prune) {
    for (const k of ["prune_percent", "random_prune_percent"]) {
      if (given.has(k)) notes.push(`--${k}: no effect without --prune True (this runs SimCLR)`);
    }
  }
  const random = s("random_prune_percent") ?? "0";
  if (Number(random) !== 0) {
    throw new UserError(
      `--random_prune_percent ${random}: random pruning is not implemented; use 0 (magnitude pruning only)`,
    );
  }
  const epochsRaw = s("epochs")!;
  const batchRaw = s(p.batchOption)!;
  const lrRaw = p.lrOption ? s(p.lrOption)! : "0.5";
  const tempRaw = p.tempOption ? s(p.tempOption)! : "0.2";
  const seedRaw = s("seed") ?? "";
  const epochs = parseNumber("epochs", epochsRaw, { int: true, min: 1 });
  const batchSize = parseNumber(p.batchOption, batchRaw, { int: true, min: 2 });
  const lr = parseNumber(p.lrOption ?? "lr", lrRaw, { min: 0 });
  const temperature = parseNumber(p.tempOption ?? "temp", tempRaw, { above: 0 });
  const prunePercentRaw = s("prune_percent") ?? "0.7";
  const prunePercent = parseNumber("prune_percent", prunePercentRaw, { min: 0, below: 1 });
  // The authors' ImageNet-LT script passes no seed (their training script's default is 1).
  const seed = seedRaw === "" ? 1 : parseNumber("seed", seedRaw, { int: true, min: 0 });
  const probeSeed = s("linear_eval_seed") !== undefined
    ? parseNumber("linear_eval_seed", s("linear_eval_seed"), { int: true, min: 0 })
    : seed;
  const width = s("width") !== undefined
    ? parseNumber("width", s("width"), { int: true, min: 1 })
    : undefined;
  const maxSteps = s("max-steps") !== undefined
    ? parseNumber("max-steps", s("max-steps"), { int: true, min: 1 })
    : undefined;
  const maxTrain = s("max-train") !== undefined
    ? parseNumber("max-train", s("max-train"), { int: true, min: 1 })
    : undefined;
  const imageSize = s("image-size") !== undefined
    ? parseNumber("image-size", s("image-size"), { int: true, min: 16 })
    : undefined;
  if (imageSize !== undefined && p.family !== "imagenet") {
    throw new UserError(`--image-size: ${name} trains on the images at their own size`);
  }
  const model = s("model") ?? p.model;
  if (!MODELS.includes(model)) {
    throw new UserError(`--model must be one of ${MODELS.join(", ")}, got "${model}"`);
  }
  const cachedFeatures = v["cached-features"] === true;
  if (cachedFeatures) {
    notes.push(
      "--cached-features: the probes train on features computed once without augmentation; " +
        "fast, but NOT the paper's protocol",
    );
  }

  const flag = (k: string) => s(k) !== undefined && authorsBool(k, s(k));
  const testOnly = flag("test_only");
  let stages: StageSelection;
  if (flag("few_shot_only") || flag("only_few_shot")) {
    stages = { pretrain: false, linear: false, fewshot: true, testOnly };
  } else {
    const probes = !flag("only_pretraining");
    stages = { pretrain: !flag("only_finetuning"), linear: probes, fewshot: probes, testOnly };
  }

  if (s("pretrained-root") !== undefined && !stages.linear && !stages.fewshot) {
    throw new UserError(
      "--pretrained-root probes downloaded checkpoints, but --only_pretraining True turns the " +
        "probes off: nothing would run; drop one of them",
    );
  }
  if (s("pretrained-root") !== undefined && stages.pretrain) {
    stages = { ...stages, pretrain: false };
    notes.push("--pretrained-root: probing the given checkpoints, no pretraining");
  }

  const split = s("split")!;
  let pairs: [number | null, string][];
  if (p.family === "cifar") pairs = cifarJobs(p, split, s("splits"));
  else {
    if (s("splits") !== undefined) {
      throw new UserError(`--splits: ${name} has one list, not splits`);
    }
    pairs = [[null, split.replace(/\.txt$/, "")]];
  }
  const method = prune ? "sdclr" : "simclr";
  const beyond = beyondSettings(v, v.bcl === true);
  const tags = beyondTags(beyond.tau, beyond.bcl);
  const suffix = tags.suffix + (width !== undefined ? `_w${width}` : "") +
    (maxSteps !== undefined ? `_steps${maxSteps}` : "") +
    (v["drop-last"] === true ? "_droplast" : "") +
    (imageSize !== undefined ? `_img${imageSize}` : "") +
    (s("split-source") === "generated" ? "_gensplits" : "");
  const fewShotOverride = s("few_shot_split");
  const jobs = pairs.map(([k, sp]): SplitJob => {
    const nv: NameValues = {
      epochs: epochsRaw,
      split: sp,
      lr: lrRaw,
      temp: tempRaw,
      batchSize: batchRaw,
      seed: seedRaw,
      prune,
      prunePercent: prunePercentRaw,
      dualBn,
      randomPrunePercent: random,
    };
    const fewShot = fewShotOverride?.replace(/\.txt$/, "") ?? p.fewShotSplit(k);
    // Another backbone takes the place of the authors' res18 / res50 token in the name, and
    // BCL's weight decay the place of theirs.
    let runName = p.runName(nv).replace(p.model, model) + suffix;
    if (beyond.bcl) runName = runName.replace("_wd1e-4_", "_wd5e-4_");
    return { k, split: sp, fewShot, runName };
  });

  // The label names the configuration, not the split: everything that differs from the
  // script's defaults, so that different configurations never pool in one analysis row.
  const shown = methodName(method, beyond.bcl !== null);
  const parts: string[] = [shown, ...tags.label];
  if (prune) parts.push(`p${prunePercentRaw}` + (dualBn ? "" : "-singlebn"));
  const differs = (opt: string | undefined, tag: string) => {
    if (opt && s(opt) !== p.options[opt]?.default) parts.push(`${tag}${s(opt)}`);
  };
  differs("epochs", "e");
  differs(p.lrOption, "lr");
  differs(p.batchOption, "b");
  differs(p.tempOption, "t");
  if (/_D_b$/.test(split)) parts.push("balanced");
  if (s("split-source") === "generated") parts.push("gensplits");
  if (s("seed") !== undefined && s("seed") !== (p.options.seed ?? EXTRAS_FOR_CIFAR.seed).default) {
    parts.push(`s${s("seed")}`);
  }
  if (width !== undefined) parts.push(`w${width}`);
  if (model !== p.model) parts.push(model);
  if (maxSteps !== undefined) parts.push(`steps${maxSteps}`);
  if (v["drop-last"] === true) parts.push("droplast");
  if (maxTrain !== undefined) parts.push(`max${maxTrain}`);
  if (imageSize !== undefined) parts.push(`img${imageSize}`);
  if (cachedFeatures) parts.push("cached");

  const dataset = s("dataset") ?? p.datasets[0];
  const data = s("data");
  const dryRun = v["dry-run"] === true;
  if (p.family === "imagenet" && (data === undefined || data === "placeholder")) {
    const msg = "--data is required: the ImageNet root folder (holding train/ and val/)";
    if (dryRun) notes.push(`${msg} (dry run: shown without it)`);
    else throw new UserError(msg);
  }
  if (v["split-dir"] === undefined && p.family === "imagenet") {
    notes.push("no --split-dir: looking for the ImageNet lists in the repository's splits/");
  }
  return {
    profile: p,
    dataset,
    method,
    methodName: shown,
    tau: beyond.tau,
    bcl: beyond.bcl,
    label: parts.join("-"),
    model,
    width,
    epochs,
    batchSize,
    lr,
    temperature,
    seed,
    probeSeed,
    prunePercent,
    dualBn,
    jobs,
    stages,
    data: data !== undefined ? abs(cwd, data) : undefined,
    splitDir: s("split-dir") !== undefined ? abs(cwd, s("split-dir")!) : undefined,
    splitSource: (s("split-source") ?? "authors") as SplitSource,
    pretrainedRoot: s("pretrained-root") !== undefined
      ? abs(cwd, s("pretrained-root")!)
      : undefined,
    out: abs(cwd, s("out") ?? "runs"),
    maxSteps,
    dropLast: v["drop-last"] === true,
    maxTrain,
    imageSize,
    cachedFeatures,
    dryRun,
    notes,
  };
}

/** Parses a script's command line into a PipelineConfig (prints help and exits on --help). */
export function parsePipelineArgs(name: ScriptName, args: string[], cwd: string): PipelineConfig {
  const { file, rest } = takeConfigFlag(args, cwd);
  const all = file === undefined ? rest : replayedArgs(name, file, rest);
  return buildConfig(name, parseCommand(pipelineSpec(name), all), cwd);
}
