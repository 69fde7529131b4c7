/**
 * Imports the authors' released split files (the `split/` folder of VITA-Group/SDCLR) into
 * `splits/authors/`: each file gzipped (level 9, no name or time in the header, so the bytes
 * are reproducible), the upstream folder layout kept, and `splits/authors/manifest.json`
 * written with the SHA-256 and size of every ORIGINAL file (what `sha256sum` prints on the
 * authors' copy) and its entry count. Run once per upstream update:
 *
 *   deno run -A tools/import_authors_splits.ts /path/to/SDCLR/split
 *
 * The suite reads the `.gz` files directly (src/data/authors_splits.ts); the test
 * tests/data/authors_splits_test.ts proves that every stored file unpacks to the hash below.
 * @module
 */
import { gzipSync } from "node:zlib";
import { parseNpy } from "../src/io/npy.ts";
import { sha256Hex } from "../src/io/sha256.ts";

/** Upstream repository and commit the files come from. */
export const SOURCE = {
  repository: "https://github.com/VITA-Group/SDCLR",
  commit: "34c932ec9c2169a3c615abb1a469c0c8ecadbf86",
  folder: "split/",
};

/** What each upstream file is, by its path under split/. */
const DESCRIPTIONS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^cifar10\/trainIdxList\.npy$/, () => "CIFAR-10 linear-evaluation train list (45,000 indices)"],
  [/^cifar10\/valIdxList\.npy$/, () => "CIFAR-10 validation list (5,000 indices)"],
  [/^cifar100\/cifar100_trainIdxList\.npy$/, () => "CIFAR-100 linear-evaluation train list"],
  [/^cifar100\/cifar100_valIdxList\.npy$/, () => "CIFAR-100 validation list"],
  [
    /^cifar(10|100)_imbSub_with_subsets\/(?:cifar100_)?split(\d)_(D_i|D_b|S_b)\.npy$/,
    (m) =>
      `CIFAR-${m[1]} split ${m[2]} ` + {
        D_i: "D_i: long-tail pretraining set",
        D_b: "D_b: balanced control of the same size",
        S_b: "S_b: balanced few-shot set",
      }[m[3]]!,
  ],
  [/^imagenet-100\/imageNet_100_LT_train\.txt$/, () => "ImageNet-100-LT pretraining list"],
  [/^imagenet-100\/imageNet_100_BL_train\.txt$/, () => "ImageNet-100 balanced control list"],
  [/^imagenet-100\/imageNet_100_sub_balance_train_0\.01\.txt$/, () => "ImageNet-100 few-shot list"],
  [/^imagenet-100\/ImageNet_100_val\.txt$/, () => "ImageNet-100 validation list"],
  [/^imagenet-100\/ImageNet_100_test\.txt$/, () => "ImageNet-100 test list"],
  [/^ImageNet_LT\/imageNet_sub_balance_train_0\.01\.txt$/, () => "ImageNet-LT few-shot list"],
  [/^ImageNet_LT\/ImageNet_LT_val\.txt$/, () => "ImageNet-LT validation list"],
  [/^ImageNet_LT\/ImageNet_LT_test\.txt$/, () => "ImageNet-LT test list"],
];

function describe(path: string): string {
  for (const [re, f] of DESCRIPTIONS) {
    const m = re.exec(path);
    if (m) return f(m);
  }
  throw new Error(`${path}: not a known split file; add it to DESCRIPTIONS`);
}

async function* walk(root: string, rel = ""): AsyncGenerator<string> {
  const names: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(`${root}/${rel}`)) names.push(e);
  names.sort((a, b) => a.name < b.name ? -1 : 1);
  for (const e of names) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) yield* walk(root, p);
    else if (/\.(npy|txt)$/.test(e.name)) yield p;
  }
}

if (import.meta.main) {
  const src = Deno.args[0];
  if (!src) {
    console.error("usage: deno run -A tools/import_authors_splits.ts /path/to/SDCLR/split");
    Deno.exit(2);
  }
  const out = new URL("../splits/authors/", import.meta.url).pathname;
  const files = [];
  for await (const rel of walk(src)) {
    const bytes = await Deno.readFile(`${src}/${rel}`);
    const entries = rel.endsWith(".npy")
      ? parseNpy(bytes, rel).shape[0]
      : new TextDecoder().decode(bytes).split("\n").filter((l) => l.trim()).length;
    const stored = `${rel}.gz`;
    await Deno.mkdir(`${out}${rel.split("/").slice(0, -1).join("/")}`, { recursive: true });
    await Deno.writeFile(`${out}${stored}`, gzipSync(bytes, { level: 9 }));
    files.push({
      file: rel,
      stored,
      bytes: bytes.length,
      sha256: await sha256Hex(bytes),
      entries,
      description: describe(rel),
    });
  }
  const manifest = { source: SOURCE, note: "sha256 and bytes are of the original file", files };
  await Deno.writeTextFile(`${out}manifest.json`, JSON.stringify(manifest, null, 1) + "\n");
  console.log(`${files.length} files → ${out}`);
}
