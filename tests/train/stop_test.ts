/**
 * A real signal in the middle of an epoch: `deno task pretrain` finishes its step, writes
 * checkpoint_last.pt at that step and exits with PREEMPTED_EXIT; `--resume` then ends in the
 * same state as a run that was never interrupted.
 */
import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { loadCheckpoint } from "../../src/io/checkpoint.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { pretrain, type PretrainConfig } from "../../src/train/pretrain.ts";
import { PREEMPTED_EXIT } from "../../src/train/stop.ts";
import { compareRuns } from "./_compare.ts";
import { syntheticImages } from "./_synthetic.ts";

await initEngine({ quiet: true });

const ROOT = new URL("../../", import.meta.url).pathname;

function pretrainCli(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/pretrain.ts", ...args],
    cwd: ROOT,
    env: { XDG_RUNTIME_DIR: "/tmp" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(p: Deno.ChildProcess): Promise<{ code: number; text: string }> {
  const r = await p.output();
  const dec = new TextDecoder();
  return { code: r.code, text: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

async function metricRows(run: string): Promise<number> {
  try {
    return (await Deno.readTextFile(`${run}/metrics.csv`)).trim().split("\n").length - 1;
  } catch {
    return 0;
  }
}

// 20 images at batch 8: epochs of 3 steps (8, 8, 4); 2 epochs.
for (const [method, signal] of [["sdclr", "SIGTERM"], ["simclr", "SIGUSR1"]] as const) {
  Deno.test(`${signal} mid-epoch (${method}): checkpoint at that step, exit ${PREEMPTED_EXIT}; --resume = uninterrupted`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "stop_test_" });
    try {
      await writeNpy(`${dir}/x.npy`, syntheticImages(20, 16, 6), [20, 16, 16, 3]);
      const run = `${dir}/b`;
      const args = [
        ...["--data", `${dir}/x.npy`, "--method", method, "--model", "res10", "--width", "8"],
        ...["--epochs", "2", "--batch-size", "8", "--warmup-epochs", "1", "--seed", "5"],
        ...["--log-every", "1", "--save-every", "1", "--quiet", "--out", run],
      ];
      const p = pretrainCli(args);
      // Signal once the first step is logged: the run is then inside step 2 (or between 1 and
      // 2), in the middle of epoch 1.
      const t0 = Date.now();
      while ((await metricRows(run)) < 1) {
        assert.ok(Date.now() - t0 < 120_000, "no step logged within 2 minutes");
        await new Promise((r) => setTimeout(r, 25));
      }
      p.kill(signal);
      const stopped = await finish(p);
      assert.equal(stopped.code, PREEMPTED_EXIT, stopped.text);
      assert.match(stopped.text, new RegExp(`stopped by ${signal} at step \\d; .*--resume`));
      const ck = await loadCheckpoint(`${run}/checkpoint_last.pt`);
      assert.ok(ck.step >= 1 && ck.step % 3 !== 0, `stopped mid-epoch, at step ${ck.step}`);
      assert.equal(await metricRows(run), ck.step, "one metrics row per finished step");
      const log = await Deno.readTextFile(`${run}/train.log`);
      assert.match(log, new RegExp(`stopped by ${signal} at step ${ck.step} \\(epoch 1, `));
      const resumed = await finish(pretrainCli(["--out", run, "--resume", "--quiet"]));
      assert.equal(resumed.code, 0, resumed.text);
      // The same run without interruption, from the config the CLI wrote.
      const cfg = JSON.parse(await Deno.readTextFile(`${run}/config.json`)) as PretrainConfig;
      const straight = await pretrain(cfg, {
        out: `${dir}/a`,
        resume: false,
        maxSteps: null,
        quiet: true,
      });
      assert.equal(straight.step, 6);
      await compareRuns(`${dir}/a`, run);
      assert.equal(await metricRows(run), 6);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
