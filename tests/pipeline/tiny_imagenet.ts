/**
 * A tiny ImageNet-100-shaped tree for pipeline tests: JPEGs under `train/` and `val/` of a
 * root folder, and the authors' list names (`imageNet_100_LT_train.txt`, …) in a split folder.
 * @module
 */
import { tinyJpeg } from "../train/_synthetic.ts";

/** Where the tiny tree was written, and the pretraining list's class counts. */
export interface TinyImagenet {
  /** ImageNet root (`--data`). */
  data: string;
  /** Folder holding `imagenet-100/*.txt` (`--split-dir`). */
  splits: string;
  /** Images per class in the long-tailed pretraining list. */
  ltCounts: number[];
}

/** Writes 3 classes × 6 train and 3 val JPEGs, and the five list files ImageNet-100 uses. */
export async function writeTinyImagenet(dir: string): Promise<TinyImagenet> {
  const data = `${dir}/imagenet`, splits = `${dir}/lists`;
  const ltCounts = [6, 3, 1];
  const train: string[][] = [], val: string[] = [];
  for (let c = 0; c < 3; c++) {
    for (const part of ["train", "val"]) {
      await Deno.mkdir(`${data}/${part}/n0${c}`, { recursive: true });
    }
    train.push([]);
    for (let k = 0; k < 6; k++) {
      const rel = `train/n0${c}/n0${c}_${k}.JPEG`;
      await Deno.writeFile(`${data}/${rel}`, tinyJpeg(c, k));
      train[c].push(`${rel} ${c}`);
    }
    for (let k = 0; k < 3; k++) {
      const rel = `val/n0${c}/val_${c}_${k}.JPEG`;
      await Deno.writeFile(`${data}/${rel}`, tinyJpeg(c, 10 + k));
      val.push(`${rel} ${c}`);
    }
  }
  await Deno.mkdir(`${splits}/imagenet-100`, { recursive: true });
  const write = (name: string, lines: string[]) =>
    Deno.writeTextFile(`${splits}/imagenet-100/${name}.txt`, lines.join("\n") + "\n");
  await write("imageNet_100_LT_train", train.flatMap((l, c) => l.slice(0, ltCounts[c])));
  await write("imageNet_100_sub_balance_train_0.01", train.map((l) => l[5]));
  await write("ImageNet_100_train", train.flat());
  await write("ImageNet_100_val", val);
  await write("ImageNet_100_test", val);
  return { data, splits, ltCounts };
}
