/**
 * `deno task splits`: generates the train/val lists and the five nested long-tail splits
 * (D_i, D_b, S_b) of a dataset from its training labels with a seed, writes them as int64
 * `.npy` files plus manifest.json, and prints the class histogram of split 1's D_i.
 * @module
 */
import { type CommandSpec, num, parseCommand, runMain, userPath } from "../src/cli.ts";
import { DATASET_NAMES, type DatasetName, loadDataset } from "../src/data/readers/load_dataset.ts";
import { DEFAULT_SPLIT_SEED, SPLIT_PROFILES } from "../src/data/split_profiles.ts";
import { SHIPPED_SPLITS_DIR } from "../src/data/split_read.ts";
import { generateSplits } from "../src/data/splits.ts";
import { histogram, perClass, writeSplits } from "../src/data/split_write.ts";

const spec: CommandSpec = {
  name: "splits",
  description:
    "Generate long-tail splits (docs/method.md §1) from a dataset's training labels: a train/val partition, " +
    "then 5 splits of nested index sets D_i (long tail, imbalance 100), D_b (balanced, same size) " +
    "and S_b (1% per class few-shot). CIFAR needs the real data (--data) for its labels.",
  options: {
    dataset: { type: "string", default: "fashion-mnist", choices: DATASET_NAMES, help: "dataset" },
    data: {
      type: "string",
      help:
        "data folder (default: /usr/share/datasets/fashion-mnist for Fashion-MNIST, ./data for CIFAR)",
    },
    seed: {
      type: "string",
      default: String(DEFAULT_SPLIT_SEED),
      help: "seed of the generator (non-negative integer)",
    },
    out: { type: "string", help: "output folder (default: the repository's splits/<dataset>)" },
  },
  epilog: "Example: deno task splits --dataset cifar10 --data ~/data --seed 1",
};

await runMain(async () => {
  const p = parseCommand(spec);
  const dataset = p.dataset as DatasetName;
  const seed = num(p, "seed", { int: true, min: 0 });
  const out = userPath(p.out as string | undefined) ?? `${SHIPPED_SPLITS_DIR}/${dataset}`;
  const train = loadDataset(dataset, "train", userPath(p.data as string | undefined));
  const profile = SPLIT_PROFILES[dataset];
  const gen = generateSplits(train.labels, profile, seed);
  const manifest = await writeSplits(gen, out, { labels: train.labels, source: train.source });
  const s = gen.sizes;
  console.log(`${dataset}: ${train.n} training images from ${train.source}; seed ${seed}`);
  console.log(
    `per class: pool ${s.pool}, val ${profile.valPerClass}, train list ${s.trainList}; ` +
      `D_i ${s.longTail[0]}→${
        s.longTail[s.longTail.length - 1]
      }, D_b ${s.balanced}, S_b ${s.fewShot}`,
  );
  console.log(
    `train ${gen.trainIdx.length}, val ${gen.valIdx.length}; per split: D_i ${
      gen.splits[0].D_i.length
    }, ` +
      `D_b ${gen.splits[0].D_b.length}, S_b ${gen.splits[0].S_b.length}`,
  );
  console.log(`wrote ${manifest.files.length} files + manifest.json to ${out}/`);
  console.log(`\nsplit 1 D_i, images per class (rank, class, count):`);
  console.log(
    histogram(perClass(gen.splits[0].D_i, train.labels, profile.classes), train.classNames),
  );
});
