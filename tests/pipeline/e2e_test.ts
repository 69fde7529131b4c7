import assert from "node:assert/strict";
import { runTask } from "./_task.ts";
import { readResults, resultsPath } from "../../src/eval/results.ts";
import { writeTinyCifar } from "./tiny_cifar.ts";

const task = (args: string[]) => runTask("cifar10-lt", args);

Deno.test({
  name: "cifar10-lt end to end on tiny data: pretrain → linear → few-shot, then all skipped",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sdclr_e2e_" });
    try {
      const d = await writeTinyCifar(tmp);
      const args = [
        ...["--split", "split1_D_i", "--prune", "True", "--prune_percent", "0.9"],
        ...["--prune_dual_bn", "True", "--epochs", "1", "--batch_size", "32"],
        ...["--width", "4", "--max-steps", "2", "--cached-features"],
        ...["--data", d.data, "--split-dir", d.splits, "--out", `${tmp}/runs`],
      ];
      const t0 = performance.now();
      const first = await task(args);
      const secs = (performance.now() - t0) / 1000;
      console.log(`first run: ${secs.toFixed(1)} s`);
      assert.equal(first.code, 0, first.out);
      const name = "res18_scheduling_sgd_temp0.2_wd1e-4_lr0.5_b32_twolayerProj_epoch1_split1_D_i" +
        "_newNT_s10_pruneP0.9DualBN_w4_steps2";
      const run = `${tmp}/runs/cifar10/${name}`;
      for (const stage of ["linear", "fewshot"] as const) {
        const r = await readResults(resultsPath(run, stage));
        assert.equal(r.stage, stage);
        assert.equal(r.method, "sdclr");
        assert.equal(r.label, "sdclr-p0.9-e1-b32-w4-steps2-cached");
        assert.equal(r.protocol, "cached-features");
        assert.equal(r.dataset, "cifar10");
        assert.equal(r.split, "split1");
        assert.deepEqual(r.train_counts, d.diCounts);
        assert.equal(r.per_class_acc.length, 10);
        assert.equal(r.epochs.length, stage === "linear" ? 30 : 100);
        // Inside the run folder: stored relative to the stage folder, so the run can move.
        assert.equal(r.checkpoint, "../pretrain/checkpoint_last.pt");
        // 100 test images, 10 per class: overall = mean of per-class accuracies.
        const mean = r.per_class_acc.reduce((a, b) => a + b, 0) / 10;
        assert.ok(Math.abs(mean - r.test_acc) < 1e-9, `${mean} vs ${r.test_acc}`);
        const csv = (await Deno.readTextFile(`${run}/${stage}/epochs.csv`)).trim().split("\n");
        assert.equal(csv.length, 1 + r.epochs.length);
        await Deno.stat(`${run}/${stage}/best_classifier.pt`);
      }
      const log = async () => (await Deno.readTextFile(`${run}/commands.log`)).trim().split("\n");
      const stageLines = async () => (await log()).filter((l) => !l.includes(" # "));
      const commands = await stageLines();
      assert.equal(commands.length, 3);
      assert.match(commands[0], /deno task pretrain .*--dual-bn/);
      // The pipeline's own command heads the log, with its commit.
      assert.match(
        (await log())[0],
        / # deno task cifar10-lt --split split1_D_i .* \(in .*; commit /,
      );
      // pipeline.json: provenance, seeds, and the arguments --config replays (paths absolute).
      const rec = JSON.parse(await Deno.readTextFile(`${run}/pipeline.json`));
      assert.match(rec.provenance.command, /^deno task cifar10-lt --split split1_D_i /);
      assert.equal(rec.provenance.deno, Deno.version.deno);
      assert.match(rec.provenance.adapter, /^webgpu: /);
      assert.equal(rec.seed, 10);
      assert.equal(rec.splits.source, "file");
      assert.deepEqual(rec.replay_args, args);
      const results = JSON.parse(await Deno.readTextFile(`${run}/linear/results.json`));
      assert.match(results.provenance.command, /^deno task linear --checkpoint /);
      assert.equal(results.provenance.seed, 10);
      assert.match(first.out, /NOT the paper's protocol/);
      assert.match(first.out, /sdclr-p0\.9-e1-b32-w4-steps2-cached/); // the analysis table
      // Rerun: every stage is found complete.
      const second = await task(args);
      assert.equal(second.code, 0, second.out);
      assert.match(second.out, /pretrain: complete .*skipped/);
      assert.match(second.out, /linear: .*complete; skipped/);
      assert.match(second.out, /fewshot: .*complete; skipped/);
      assert.equal((await stageLines()).length, 3);
      // --config replays the recorded command (everything complete: all skipped again).
      const replay = await task(["--config", `${run}/pipeline.json`]);
      assert.equal(replay.code, 0, replay.out);
      assert.match(replay.out, /fewshot: .*complete; skipped/);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
