/**
 * A run folder is self-describing and movable: paths inside it are stored relative to it, so
 * a pretraining run moved elsewhere still evaluates (`linear`, `analyse`), and its
 * config.json replays the run with `--config` (flags beside it override). Commands run from
 * a working folder with relative paths, as a user types them.
 */
import assert from "node:assert/strict";
import { runTask } from "./_task.ts";
import { writeTinyCifar } from "./tiny_cifar.ts";

function csvRows(text: string): Record<string, number>[] {
  const [head, ...rows] = text.trim().split("\n");
  const cols = head.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [cols[i], Number(v)])));
}

Deno.test({
  name: "a moved run folder still evaluates, and its config.json replays the run",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sdclr_relocate_" });
    try {
      const d = await writeTinyCifar(`${tmp}/data`);
      const work = `${tmp}/work`;
      // The pretraining split lives inside the run folder (as the demo's subsets do).
      await Deno.mkdir(`${work}/run0`, { recursive: true });
      await Deno.copyFile(
        `${d.splits}/cifar10_imbSub_with_subsets/split1_D_i.npy`,
        `${work}/run0/split1_D_i.npy`,
      );
      const pre = await runTask("pretrain", [
        ...["--dataset", "cifar10", "--data", "../data", "--split", "run0/split1_D_i.npy"],
        ...["--method", "sdclr", "--width", "4", "--epochs", "2", "--batch-size", "32"],
        ...["--out", "run0/pretrain", "--quiet"],
      ], { cwd: work });
      assert.equal(pre.code, 0, pre.out);
      const cfg = JSON.parse(await Deno.readTextFile(`${work}/run0/pretrain/config.json`));
      assert.equal(cfg.split, "../split1_D_i.npy");
      assert.equal(cfg.splitFile.path, "../split1_D_i.npy");
      assert.equal(cfg.data, `${tmp}/data`, "outside the run folder: absolute");
      assert.equal(cfg.provenance.cwd, work);
      assert.match(
        cfg.provenance.command,
        /^deno task pretrain --dataset cifar10 --data \.\.\/data /,
      );

      // Move the run folder away from where it was made, then evaluate it there.
      await Deno.rename(`${work}/run0`, `${tmp}/moved`);
      const lin = await runTask("linear", [
        ...["--checkpoint", "moved/pretrain/checkpoint_last.pt", "--cached-features"],
        ...["--train-split", `${d.splits}/cifar10/trainIdxList.npy`],
        ...["--val-split", `${d.splits}/cifar10/valIdxList.npy`, "--epochs", "3", "--quiet"],
      ], { cwd: tmp });
      assert.equal(lin.code, 0, lin.out);
      const res = JSON.parse(await Deno.readTextFile(`${tmp}/moved/linear/results.json`));
      assert.equal(res.checkpoint, "../pretrain/checkpoint_last.pt");
      assert.equal(res.split_files.pretrain, "../split1_D_i.npy");
      assert.deepEqual(res.train_counts, d.diCounts, "groups ranked by the moved D_i");
      assert.equal(res.splits.sha256, cfg.splitFile.sha256);
      const an = await runTask("analyse", ["--out", "an", "moved"], { cwd: tmp });
      assert.equal(an.code, 0, an.out);
      for (const f of ["analysis.csv", "curves_pretrain_loss.svg", "curves_linear_val.svg"]) {
        assert.ok(Deno.statSync(`${tmp}/an/${f}`).size > 0, f);
      }

      // Replay the moved run's config into a new folder; --log-every given beside it wins.
      const rep = await runTask("pretrain", [
        ...["--config", "moved/pretrain/config.json", "--out", "replay", "--log-every", "1"],
        "--quiet",
      ], { cwd: tmp });
      assert.equal(rep.code, 0, rep.out);
      const again = JSON.parse(await Deno.readTextFile(`${tmp}/replay/config.json`));
      for (const k of ["method", "arch", "epochs", "batchSize", "lr", "seed", "warmupEpochs"]) {
        assert.deepEqual(again[k], cfg[k], k);
      }
      assert.equal(again.logEvery, 1);
      assert.equal(again.splitFile.sha256, cfg.splitFile.sha256);
      assert.match(again.provenance.command, /--config moved\/pretrain\/config\.json/);
      assert.match(await Deno.readTextFile(`${tmp}/replay/train.log`), /replaying .*config\.json/);
      // The same run: the replay's per-step losses average to the original's epoch rows.
      const a = csvRows(await Deno.readTextFile(`${tmp}/moved/pretrain/metrics.csv`));
      const b = csvRows(await Deno.readTextFile(`${tmp}/replay/metrics.csv`));
      for (const row of a) {
        const steps = b.filter((x) => x.epoch === row.epoch);
        const mean = steps.reduce((s, x) => s + x.loss, 0) / steps.length;
        assert.ok(
          Math.abs(mean - row.loss) < 1e-4 * row.loss,
          `epoch ${row.epoch}: ${mean} vs ${row.loss}`,
        );
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
