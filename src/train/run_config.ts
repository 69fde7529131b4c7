/**
 * A pretraining run's `config.json` on disk: the PretrainConfig with its paths in the record
 * convention of src/provenance.ts (inside the run folder: relative to the config's folder, so
 * the folder can be moved), the provenance block, and the way back from a saved config to
 * the command-line flags that replay it (`deno task pretrain --config FILE`).
 * @module
 */
import { dirname } from "node:path";
import { UserError } from "../../core/errors.ts";
import { isSplitPath } from "../data/split_read.ts";
import { loadedPath, type Provenance, runRootOf, storedPath } from "../provenance.ts";
import type { PretrainConfig } from "./pretrain.ts";

/** config.json: the run's definition plus how it was made. */
export type StoredConfig = PretrainConfig & { provenance?: Provenance };

function mapPaths(cfg: PretrainConfig, f: (p: string) => string): PretrainConfig {
  const path = (p: string | null) => (p === null ? null : f(p));
  return {
    ...cfg,
    data: path(cfg.data),
    // A split NAME (split1_D_i) is not a path and stays as typed.
    split: cfg.split !== null && isSplitPath(cfg.split) ? f(cfg.split) : cfg.split,
    init: path(cfg.init),
    ...(cfg.splitFile ? { splitFile: { ...cfg.splitFile, path: f(cfg.splitFile.path) } } : {}),
  };
}

/** The config as stored in folder `dir` (paths inside the run folder made relative). */
export function toStored(cfg: PretrainConfig, dir: string): PretrainConfig {
  const root = runRootOf(dir);
  return mapPaths(cfg, (p) => storedPath(p, dir, root));
}

/** A config read from folder `dir` (config.json or a checkpoint there), paths absolute. */
export function fromStored(cfg: PretrainConfig, dir: string): PretrainConfig {
  return mapPaths(cfg, (p) => loadedPath(p, dir));
}

/** Reads a config.json (any folder), paths resolved; a one-line error when unreadable. */
export async function readStoredConfig(path: string): Promise<StoredConfig> {
  let json: StoredConfig;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "not found" : (e as Error).message;
    throw new UserError(`--config ${path}: ${why}; pass a run folder's config.json`);
  }
  if (typeof json !== "object" || json === null || !json.arch || !json.method) {
    throw new UserError(`--config ${path}: not a pretraining config.json (no method / arch)`);
  }
  return { ...fromStored(json, dirname(path)), provenance: json.provenance };
}

/**
 * The flags that replay a saved config: every setting that defines the run, so
 * `deno task pretrain --config FILE --out NEW` trains the same run again (flags given after
 * them override). A split given by name is replayed by name (it means the same shipped file
 * wherever the repository is); one given as a file by its path.
 */
export function configArgs(cfg: PretrainConfig): string[] {
  const a = cfg.arch;
  const out = [
    "--method",
    cfg.method,
    "--model",
    `res${a.depth}`,
    "--width",
    String(a.width),
    "--stem",
    a.stem,
    a.dualBn ? "--dual-bn" : "--no-dual-bn",
    "--head-layers",
    String(a.headLayers),
  ];
  const opt = (flag: string, v: string | number | null | undefined) => {
    if (v !== null && v !== undefined) out.push(flag, String(v));
  };
  opt("--dataset", cfg.dataset);
  opt("--data", cfg.data);
  opt("--split", cfg.split);
  opt("--split-source", cfg.splitSource);
  opt("--epochs", cfg.epochs);
  opt("--batch-size", cfg.batchSize);
  opt("--lr", cfg.lr);
  opt("--temperature", cfg.temperature);
  if (cfg.tauSchedule === "cosine") {
    opt("--tau-schedule", cfg.tauSchedule);
    opt("--tau-min", cfg.tauMin);
    opt("--tau-max", cfg.tauMax);
    opt("--tau-period", cfg.tauPeriod);
  }
  if (cfg.bcl) {
    out.push("--bcl");
    opt("--bcl-beta", cfg.bcl.beta);
    opt("--bcl-k", cfg.bcl.k);
    opt("--bcl-strength", cfg.bcl.strength);
  }
  opt("--weight-decay", cfg.weightDecay);
  opt("--prune-percent", cfg.prunePercent);
  opt("--seed", cfg.seed);
  opt("--augment", cfg.augment);
  if (cfg.imageSize > 0) opt("--image-size", cfg.imageSize);
  opt("--save-every", cfg.saveEvery);
  opt("--log-every", cfg.logEvery);
  opt("--warmup-epochs", cfg.warmupEpochs);
  opt("--init", cfg.init);
  opt("--knn-every", cfg.knnEvery);
  opt("--knn-max-train", cfg.knnMaxTrain);
  // Runs saved before the flag existed dropped their last partial batch.
  if (cfg.dropLast ?? true) out.push("--drop-last");
  return out;
}
