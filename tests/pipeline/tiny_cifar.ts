/**
 * Test data: a tiny CIFAR-10 in the binary format (`cifar-10-batches-bin/`, five train
 * batches and a test batch) whose classes differ by colour, plus split files in the authors'
 * released layout (cifar10/trainIdxList.npy, valIdxList.npy,
 * cifar10_imbSub_with_subsets/splitK_{D_i,D_b,S_b}.npy) built the way docs/method.md §1 describes.
 */
import { writeNpy } from "../../src/io/npy.ts";

/** What was written. */
export interface TinyCifar {
  /** Folder to pass as --data. */
  data: string;
  /** Folder to pass as --split-dir. */
  splits: string;
  trainCount: number;
  testCount: number;
  /** Per-class D_i sizes of split 1. */
  diCounts: number[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One CIFAR binary record per image: label byte, then R, G, B planes of 32×32. */
function records(labels: number[], r: () => number): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((c, i) => {
    const o = i * 3073;
    out[o] = c;
    for (let ch = 0; ch < 3; ch++) {
      // Class colour: a distinct level per channel, plus noise.
      const base = 30 + ((c * (ch + 3) * 37) % 200);
      for (let p = 0; p < 1024; p++) {
        out[o + 1 + ch * 1024 + p] = Math.max(
          0,
          Math.min(255, base + Math.floor((r() - 0.5) * 60)),
        );
      }
    }
  });
  return out;
}

/**
 * Writes the data under `root`: `perBatch` train images in each of the 5 batches (classes
 * cycling), `testCount` test images; val = the first `valPerClass` of each class, the rest
 * the train list; D_i long-tail counts max→min over a per-split class order, D_b balanced,
 * S_b the first `fewShot` of each class's D_i.
 */
export async function writeTinyCifar(
  root: string,
  o = { perBatch: 60, testCount: 100, valPerClass: 5, diMax: 24, fewShot: 2, splits: 2 },
): Promise<TinyCifar> {
  const r = rng(7);
  const data = `${root}/cifar-10-batches-bin`;
  await Deno.mkdir(data, { recursive: true });
  const trainLabels: number[] = [];
  for (let b = 1; b <= 5; b++) {
    const labels = Array.from({ length: o.perBatch }, (_, i) => (i + b) % 10);
    trainLabels.push(...labels);
    await Deno.writeFile(`${data}/data_batch_${b}.bin`, records(labels, r));
  }
  const testLabels = Array.from({ length: o.testCount }, (_, i) => i % 10);
  await Deno.writeFile(`${data}/test_batch.bin`, records(testLabels, r));

  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  trainLabels.forEach((c, i) => byClass[c].push(i));
  const val = byClass.flatMap((ix) => ix.slice(0, o.valPerClass)).sort((a, b) => a - b);
  const pool = byClass.map((ix) => ix.slice(o.valPerClass));
  const train = pool.flat().sort((a, b) => a - b);
  const splits = `${root}/splits`;
  const sub = `${splits}/cifar10_imbSub_with_subsets`;
  await Deno.mkdir(`${splits}/cifar10`, { recursive: true });
  await Deno.mkdir(sub, { recursive: true });
  const i64 = (a: number[]) => BigInt64Array.from(a, (x) => BigInt(x));
  await writeNpy(`${splits}/cifar10/trainIdxList.npy`, i64(train), [train.length]);
  await writeNpy(`${splits}/cifar10/valIdxList.npy`, i64(val), [val.length]);
  let diCounts: number[] = [];
  for (let k = 1; k <= o.splits; k++) {
    // Rank r gets floor(diMax · 10^(−r/9)) (imbalance 10 here, so the tail keeps S_b).
    const counts = Array.from({ length: 10 }, (_, c) => {
      const rank = (c + 3 * k) % 10;
      return Math.max(o.fewShot, Math.floor(o.diMax * 10 ** (-rank / 9)));
    });
    if (k === 1) diCounts = counts;
    const di = pool.flatMap((ix, c) => ix.slice(0, counts[c]));
    const bal = Math.floor(counts.reduce((a, b) => a + b, 0) / 10);
    const db = pool.flatMap((ix) => ix.slice(0, bal));
    const sb = pool.flatMap((ix) => ix.slice(0, o.fewShot));
    await writeNpy(`${sub}/split${k}_D_i.npy`, i64(di), [di.length]);
    await writeNpy(`${sub}/split${k}_D_b.npy`, i64(db), [db.length]);
    await writeNpy(`${sub}/split${k}_S_b.npy`, i64(sb), [sb.length]);
  }
  return { data: root, splits, trainCount: trainLabels.length, testCount: o.testCount, diCounts };
}
