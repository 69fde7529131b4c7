import assert from "node:assert/strict";
import { runTask } from "./_task.ts";
import { readResults, resultsPath } from "../../src/eval/results.ts";
import { writeTinyImagenet } from "./tiny_imagenet.ts";

const task = (args: string[]) => runTask("imagenet100-lt", args);

// The authors' list names in --split-dir, JPEGs under --data; 32×32 inputs (the ImageNet stem
// is kept) so the ResNet-50 fits a CPU test. A small pretraining lr: at the script's 0.5 with
// 10 images the BN statistics blow up and the probes (lr 30) rightly report divergence.
Deno.test({
  name: "imagenet100-lt end to end on tiny JPEG lists: pretrain → linear → few-shot → analysis",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sdclr_in_e2e_" });
    try {
      const d = await writeTinyImagenet(tmp);
      const args = [
        ...["--prune", "True", "--prune_percent", "0.3", "--prune_dual_bn", "True"],
        ...["--epochs", "2", "--pretrain_batch_size", "10", "--pretrain_lr", "0.05"],
        ...["--width", "4", "--image-size", "32", "--cached-features"],
        ...["--data", d.data, "--split-dir", d.splits, "--out", `${tmp}/runs`],
      ];
      const first = await task(args);
      assert.equal(first.code, 0, first.out);
      const name = "imageNet_100_LT_train_res50_scheduling_sgd_lr0.05_temp0.2_epoch2_batch10" +
        "_pruneP0.3DualBN_w4_img32";
      const run = `${tmp}/runs/imagenet100/${name}`;
      const cfg = JSON.parse(await Deno.readTextFile(`${run}/pretrain/config.json`));
      assert.equal(cfg.imageSize, 32);
      assert.equal(cfg.arch.stem, "imagenet");
      assert.equal(cfg.arch.depth, 50);
      for (const stage of ["linear", "fewshot"] as const) {
        const r = await readResults(resultsPath(run, stage));
        assert.equal(r.dataset, "imagenet100");
        assert.equal(r.grouping, "imagenet-thresholds");
        assert.equal(r.per_class_acc.length, 100);
        // D_i counts come from the pretraining list: 6, 3, 1 images in classes 0–2.
        assert.deepEqual(r.train_counts.slice(0, 4), [...d.ltCounts, 0]);
        assert.equal(r.label, "sdclr-p0.3-e2-lr0.05-b10-w4-img32-cached");
      }
      const commands = await Deno.readTextFile(`${run}/commands.log`);
      assert.match(commands, /deno task pretrain .*--image-size 32 --stem imagenet/);
      assert.match(commands, /deno task linear .*ImageNet_100_train\.txt .*--image-size 32/);
      assert.match(commands, /deno task fewshot .*imageNet_100_sub_balance_train_0\.01\.txt/);
      // Tiny counts leave Many and Medium (>100, 20–100 images) empty: shown as n/a.
      assert.match(
        first.out,
        /sdclr-p0\.3-e2-lr0\.05-b10-w4-img32-cached +1 +[\d.]+ ± [\d.]+ +n\/a/,
      );
      const second = await task(args);
      assert.equal(second.code, 0, second.out);
      assert.match(second.out, /pretrain: complete .*skipped/);
      assert.match(second.out, /fewshot: .*complete; skipped/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
