/**
 * Writing generated splits: one `.npy` (int64, 1-D) per set, named so they cannot be taken
 * for the authors' files (see splitFileName), and a `manifest.json` recording the seed, the
 * generator version, the per-class counts of every file, its sha256, and a sha256 of the
 * labels the splits were drawn from. Also the text histogram `deno task splits` prints.
 * @module
 */
import { writeFileAtomic } from "../../core/fs.ts";
import { formatNpy } from "../io/npy.ts";
import { sha256Hex } from "../io/sha256.ts";
import type { GeneratedSplits } from "./splits.ts";
import { splitFileName } from "./split_read.ts";

/** One file's entry in manifest.json. */
export interface ManifestFile {
  name: string;
  count: number;
  /** Images per class, by class index. */
  perClass: number[];
  sha256: string;
}

/** The manifest.json written next to the split files. */
export interface SplitManifest {
  generator: string;
  version: number;
  dataset: string;
  seed: number;
  profile: GeneratedSplits["profile"];
  sizes: GeneratedSplits["sizes"];
  labels: { n: number; sha256: string; source?: string };
  /** rankOfClass per split (split k at index k−1). */
  ranks: number[][];
  files: ManifestFile[];
}

/** Images per class among `idx`. */
export function perClass(
  idx: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number[] {
  const out = new Array<number>(classes).fill(0);
  for (let i = 0; i < idx.length; i++) out[labels[idx[i]]]++;
  return out;
}

/** What the manifest records about the labels the splits came from. */
export interface WriteSplitsOptions {
  /** The training labels the splits were generated from (per-class counts, checksum). */
  labels: ArrayLike<number>;
  /** Where those labels came from (the data set's `source`). */
  source?: string;
}

/**
 * Writes every file of `gen` into `outDir` (created if needed), each atomically, then the
 * manifest; returns the manifest.
 */
export async function writeSplits(
  gen: GeneratedSplits,
  outDir: string,
  o: WriteSplitsOptions,
): Promise<SplitManifest> {
  const { labels, source } = o;
  await Deno.mkdir(outDir, { recursive: true });
  const C = gen.profile.classes;
  const ds = gen.profile.dataset;
  const sets: [string, Int32Array][] = [
    [splitFileName(ds, "train"), gen.trainIdx],
    [splitFileName(ds, "val"), gen.valIdx],
  ];
  for (const s of gen.splits) {
    sets.push([splitFileName(ds, "D_i", s.k), s.D_i]);
    sets.push([splitFileName(ds, "D_b", s.k), s.D_b]);
    sets.push([splitFileName(ds, "S_b", s.k), s.S_b]);
  }
  const files: ManifestFile[] = [];
  for (const [name, idx] of sets) {
    const bytes = formatNpy(BigInt64Array.from(idx, (v) => BigInt(v)), [idx.length]);
    await writeFileAtomic(`${outDir}/${name}`, bytes);
    files.push({
      name,
      count: idx.length,
      perClass: perClass(idx, labels, C),
      sha256: await sha256Hex(bytes),
    });
  }
  const lab = Int32Array.from(labels);
  const manifest: SplitManifest = {
    generator: "sdclr-webgpu src/data/splits.ts (xoshiro128**, seeded by splitmix64)",
    version: gen.version,
    dataset: ds,
    seed: gen.seed,
    profile: gen.profile,
    sizes: gen.sizes,
    labels: { n: lab.length, sha256: await sha256Hex(new Uint8Array(lab.buffer)), source },
    ranks: gen.splits.map((s) => s.rankOfClass),
    files,
  };
  // One line per number array keeps the 100-class count lists readable.
  const json = JSON.stringify(manifest, null, 1).replace(
    /\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]/g,
    (_, inner: string) => `[${inner.replace(/\s+/g, "")}]`,
  );
  await writeFileAtomic(`${outDir}/manifest.json`, json + "\n");
  return manifest;
}

/**
 * Text histogram of per-class counts, largest first, one line per class:
 * `rank  class-name  count  ####…` with bars scaled to `width` characters.
 */
export function histogram(counts: number[], names?: readonly string[], width = 50): string {
  const order = counts.map((n, c) => ({ n, c })).sort((a, b) => b.n - a.n || a.c - b.c);
  const max = Math.max(1, ...counts);
  const label = (c: number) => (names?.[c] ? `${c} ${names[c]}` : `class ${c}`);
  const lw = Math.max(...order.map((o) => label(o.c).length));
  const nw = String(max).length;
  return order.map((o, r) => {
    const bar = "#".repeat(Math.max(o.n > 0 ? 1 : 0, Math.round((o.n / max) * width)));
    return `${String(r).padStart(3)}  ${label(o.c).padEnd(lw)}  ${
      String(o.n).padStart(nw)
    }  ${bar}`;
  }).join("\n");
}
