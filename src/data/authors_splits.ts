/**
 * The authors' released split files, shipped in `splits/authors/` (gzipped, in the upstream
 * `split/` folder layout, with `manifest.json` holding each original file's SHA-256): where a
 * named split lives, and where any split file came from (its provenance), so that a run
 * records whether it used the paper's splits, our generated ones, or a file of the user's.
 * @module
 */
import { basename, dirname } from "node:path";
import { UserError } from "../../core/errors.ts";
import { maybeGunzip, readBytes } from "./readers/file_util.ts";
import { sha256Hex } from "../io/sha256.ts";

/** The repository's `splits/` folder. */
export const SHIPPED_SPLITS_DIR = decodeURIComponent(
  new URL("../../splits", import.meta.url).pathname,
);

/** The authors' released files inside it. */
export const AUTHORS_SPLITS_DIR = `${SHIPPED_SPLITS_DIR}/authors`;

/** Where a pipeline's named CIFAR splits come from: the paper's files or our generator. */
export type SplitSource = "authors" | "generated";

/** The choices of `--split-source`. */
export const SPLIT_SOURCES: readonly SplitSource[] = ["authors", "generated"];

/** Datasets the authors released index splits for. */
export type AuthorsDataset = "cifar10" | "cifar100";

/** Split kinds: linear-evaluation lists and the three nested sets of a split. */
export type SplitKind = "train" | "val" | "D_i" | "D_b" | "S_b";

/** Splits the authors released per dataset. */
export const AUTHORS_SPLIT_COUNT = 5;

/**
 * Path of an authors' file relative to their `split/` folder, without `.gz`, e.g.
 * `cifar10_imbSub_with_subsets/split1_D_i.npy` or `cifar100/cifar100_trainIdxList.npy`.
 */
export function authorsSplitFile(dataset: AuthorsDataset, kind: SplitKind, k = 1): string {
  const pre = dataset === "cifar100" ? "cifar100_" : "";
  if (kind === "train" || kind === "val") return `${dataset}/${pre}${kind}IdxList.npy`;
  return `${dataset}_imbSub_with_subsets/${pre}split${k}_${kind}.npy`;
}

/** One file of splits/authors/manifest.json. */
export interface AuthorsManifestFile {
  /** Path under the upstream split/ folder. */
  file: string;
  /** Path under splits/authors/ (the gzipped copy). */
  stored: string;
  /** Size and SHA-256 of the ORIGINAL (uncompressed) file. */
  bytes: number;
  sha256: string;
  entries: number;
  description: string;
}

/** splits/authors/manifest.json. */
export interface AuthorsManifest {
  source: { repository: string; commit: string; folder: string };
  files: AuthorsManifestFile[];
}

let manifest: AuthorsManifest | null = null;

/** The shipped manifest (read once). */
export function authorsManifest(): AuthorsManifest {
  if (!manifest) {
    const path = `${AUTHORS_SPLITS_DIR}/manifest.json`;
    manifest = JSON.parse(new TextDecoder().decode(readBytes(path))) as AuthorsManifest;
  }
  return manifest;
}

/** Where a split file came from, as results and pipeline records store it. */
export interface SplitProvenance {
  path: string;
  /**
   * `authors`: byte-identical to a file the authors released (whatever folder it is in);
   * `generated`: listed in a manifest.json our generator wrote; `file`: anything else.
   */
  source: "authors" | "generated" | "file";
  /** SHA-256 of the file's content (after gunzip for `.gz`), as `sha256sum` prints it. */
  sha256: string;
  /** For `authors`: `VITA-Group/SDCLR@<commit>:split/<file>`; for `generated`: seed etc. */
  origin?: string;
}

const provenanceCache = new Map<string, SplitProvenance>();

/** Identifies a split file by content (see SplitProvenance); cached per path. */
export async function splitProvenance(path: string): Promise<SplitProvenance> {
  const hit = provenanceCache.get(path);
  if (hit) return hit;
  const sha256 = await sha256Hex(maybeGunzip(readBytes(path), path));
  const m = authorsManifest();
  const authors = m.files.find((f) => f.sha256 === sha256);
  let p: SplitProvenance;
  if (authors) {
    const repo = m.source.repository.replace(/^https:\/\/github\.com\//, "");
    p = {
      path,
      source: "authors",
      sha256,
      origin: `${repo}@${m.source.commit.slice(0, 7)}:${m.source.folder}${authors.file}`,
    };
  } else {
    p = { path, source: "file", sha256 };
    try {
      const gen = JSON.parse(await Deno.readTextFile(`${dirname(path)}/manifest.json`));
      const entry = gen.files?.find((f: { name: string }) => f.name === basename(path));
      if (gen.generator && entry?.sha256 === sha256) {
        p = {
          path,
          source: "generated",
          sha256,
          origin: `our generator v${gen.version}, seed ${gen.seed}, ${gen.dataset}`,
        };
      }
    } catch { /* no generator manifest beside it */ }
  }
  provenanceCache.set(path, p);
  return p;
}

/** The shipped copy (splits/authors/…gz) of the authors' file with this SHA-256, if any. */
export function shippedAuthorsFile(sha256: string): string | null {
  const f = authorsManifest().files.find((x) => x.sha256 === sha256);
  return f ? `${AUTHORS_SPLITS_DIR}/${f.stored}` : null;
}

/** One line for logs: "split1_D_i.npy.gz: the authors' file (…), sha256 cad73093…". */
export function describeProvenance(p: SplitProvenance): string {
  const what = p.source === "authors"
    ? `the paper's split, as the authors released it (${p.origin})`
    : p.source === "generated"
    ? `our generated split (${p.origin})`
    : "a user-supplied file";
  return `${basename(p.path)}: ${what}, sha256 ${p.sha256.slice(0, 12)}…`;
}

/** Throws the one-line error for a split number the authors did not release. */
export function checkAuthorsSplitNumber(k: number, what: string): void {
  if (!(Number.isInteger(k) && k >= 1 && k <= AUTHORS_SPLIT_COUNT)) {
    throw new UserError(
      `${what}: the authors released splits 1–${AUTHORS_SPLIT_COUNT} only, not ${k}; ` +
        "pass --split-source generated to use ours, or a split file's path",
    );
  }
}

/** The split files of a run with their provenance, and a one-word summary for tables. */
export interface SplitRecord {
  /** Where the pretraining split came from (what the analysis shows per run). */
  source: SplitProvenance["source"];
  /** SHA-256 of the pretraining split file. */
  sha256: string;
  files: Record<string, SplitProvenance>;
}

/**
 * Provenance of every split file of a stage (`files` by role: pretrain, train, val, and
 * test for list datasets; roles whose path is not a split file are skipped).
 */
export async function splitRecord(files: Record<string, string | undefined>): Promise<SplitRecord> {
  const out: Record<string, SplitProvenance> = {};
  for (const [role, path] of Object.entries(files)) {
    if (path !== undefined && /\.(npy|txt)(\.gz)?$/.test(path)) {
      out[role] = await splitProvenance(path);
    }
  }
  const main = out.pretrain ?? Object.values(out)[0];
  return { source: main?.source ?? "file", sha256: main?.sha256 ?? "", files: out };
}
