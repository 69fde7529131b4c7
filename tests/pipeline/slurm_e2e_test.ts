/**
 * A real sweep through Slurm: `deno task cifar10-lt --slurm` on a private single-node cluster
 * (tests/pipeline/_slurm.ts), 2 splits × 2 methods × 1 epoch on tiny data. One task gets the
 * time-limit warning (`scancel --batch --signal=USR1`, what `#SBATCH --signal=B:USR1@300`
 * sends): it must stop, requeue itself and finish on its next start. The analysis job runs
 * after every task and writes the table. Needs root; skips with one line otherwise.
 */
import assert from "node:assert/strict";
import { runTask } from "./_task.ts";
import { writeTinyCifar } from "./tiny_cifar.ts";
import { readResults, resultsPath } from "../../src/eval/results.ts";
import { type MiniSlurm, slurmUnavailable, startMiniSlurm } from "./_slurm.ts";

const why = slurmUnavailable();
if (why) console.log(`slurm sweep test skipped: ${why}`);

async function sh(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdin: "null" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function readOr(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/** Polls every second until `ok` or `seconds` pass; returns whether it became true. */
async function poll(ok: () => Promise<boolean>, seconds: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    if (await ok()) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

Deno.test({
  name:
    "cifar10-lt --slurm: 2 splits × 2 methods on a single-node Slurm, a task requeued, analysis",
  ignore: why !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sdclr_slurm_e2e_" });
    let cluster: MiniSlurm | null = null;
    try {
      cluster = await startMiniSlurm();
      const env = cluster.env;
      const d = await writeTinyCifar(tmp);
      const out = `${tmp}/runs`;
      const args = [
        ...["--splits", "1-2", "--methods", "simclr,sdclr", "--prune_percent", "0.9"],
        ...["--prune_dual_bn", "True", "--epochs", "1", "--batch_size", "32", "--width", "4"],
        ...["--cached-features", "--data", d.data, "--split-dir", d.splits, "--out", out],
        ...["--slurm", "--slurm-args", "--cpus-per-task=1 --time=20"],
      ];
      const t0 = performance.now();
      const sub = await runTask("cifar10-lt", args, { env });
      assert.equal(sub.code, 0, sub.out);
      const arrayId = /submitted job array (\d+): 4 tasks/.exec(sub.out)?.[1];
      const analysisId = /submitted analysis job (\d+), after every task of (\d+)/.exec(sub.out);
      assert.ok(arrayId && analysisId && analysisId[2] === arrayId, sub.out);
      assert.match(sub.out, new RegExp(`squeue -j ${arrayId},${analysisId[1]}`));
      const jobs = JSON.parse(
        await Deno.readTextFile(
          (await Array.fromAsync(Deno.readDir(`${out}/cifar10/slurm`))).map((e) =>
            `${out}/cifar10/slurm/${e.name}/jobs.json`
          )[0],
        ),
      );
      const runs: string[] = jobs.tasks.map((t: { runDir: string }) => t.runDir);
      assert.equal(runs.length, 4);
      // Task 1 (split 1, SDCLR): the time-limit warning once its pipeline has started.
      const log1 = `${runs[1]}/slurm-${arrayId}_1.log`;
      assert.ok(
        await poll(async () => /\$ deno task /.test(await readOr(log1)), 300),
        "task 1 never started",
      );
      await sh("scancel", ["--batch", "--signal=USR1", `${arrayId}_1`], env);
      // Slurm holds a requeued job for two minutes (BeginTime); release it at once.
      assert.ok(
        await poll(async () => {
          if (!/requeueing/.test(await readOr(log1))) return false;
          await sh("scontrol", ["update", `JobId=${arrayId}_1`, "StartTime=now"], env);
          return true;
        }, 180),
        `task 1 did not requeue:\n${await readOr(log1)}`,
      );
      const done = await poll(async () => (await sh("squeue", ["-h"], env)) === "", 480);
      const secs = ((performance.now() - t0) / 1000).toFixed(0);
      const logs = await Promise.all(runs.map((r, i) => readOr(`${r}/slurm-${arrayId}_${i}.log`)));
      assert.ok(
        done,
        `jobs still queued after 8 minutes:\n${await sh("squeue", [], env)}\n${logs.join("\n")}`,
      );
      const notes = logs[1].split("\n").filter((l) =>
        /^==|USR1|stopped|resumed|\$ deno task/.test(l)
      );
      console.log(`sweep finished in ${secs} s; task 1's log:\n${notes.join("\n")}`);
      for (const [i, log] of logs.entries()) {
        assert.match(log, new RegExp(`task ${i} exited with status 0`), log);
        // What a task records about its device: Slurm's GPU binding and each stage's adapter.
        assert.match(log, /GPUs: SLURM_JOB_GPUS=\S+ CUDA_VISIBLE_DEVICES=\S+/);
        assert.match(log, /^webgpu: \S/m);
      }
      assert.match(logs[1], /stopped by USR1 .*requeueing/);
      assert.match(logs[1], /task 1 \(split1_D_i sdclr\), start 2,/);
      for (const r of runs) {
        for (const stage of ["linear", "fewshot"] as const) {
          assert.equal((await readResults(resultsPath(r, stage))).stage, stage);
        }
      }
      const dir = `${out}/cifar10/analysis/simclr-e1-b32-w4-cached+sdclr-p0.9-e1-b32-w4-cached`;
      const md = await readOr(`${dir}/analysis.md`);
      assert.match(md, /simclr-e1-b32-w4-cached/, `no analysis in ${dir}`);
      assert.match(md, /sdclr-p0\.9-e1-b32-w4-cached/);
      const analysisLog = await readOr(
        `${jobs.tasks[0].runDir.replace(/\/[^/]+$/, "")}/slurm/${
          (await Array.fromAsync(Deno.readDir(`${out}/cifar10/slurm`)))[0].name
        }/logs/analysis_${analysisId[1]}.out`,
      );
      assert.match(analysisLog, /analysis files in /);
    } finally {
      await cluster?.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
