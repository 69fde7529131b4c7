/**
 * `--slurm` without a cluster: the sweep's task order, the submission options, the printed
 * scripts of `--dry-run`, and the array script's signal → requeue logic run by bash with a
 * stand-in `scontrol` and a stand-in pipeline. tests/pipeline/slurm_e2e_test.ts runs a real
 * cluster as root.
 */
import { planJob } from "../../src/pipeline/plan.ts";
import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import { parseSweep } from "../../src/pipeline/sweep.ts";
import {
  arrayScript,
  jobArgs,
  joinSlurmArgs,
  shellWords,
  type SweepSpec,
} from "../../src/pipeline/slurm.ts";
import { PREEMPTED_EXIT } from "../../src/train/stop.ts";
import { runTask } from "./_task.ts";

Deno.test("sweep: --methods × --splits in split-major order; one task with --slurm-task", () => {
  const args = ["--splits", "1-3", "--methods", "simclr,sdclr", "--prune_percent", "0.9"];
  const s = parseSweep("cifar10-lt", [...args, "--out", "/r"], "/cwd");
  assert.deepEqual(
    s.tasks.map((t) => `${t.job.split} ${t.c.method}`),
    [1, 1, 2, 2, 3, 3].map((k, i) => `split${k}_D_i ${i % 2 ? "sdclr" : "simclr"}`),
  );
  // SDCLR takes --prune_percent and --prune_dual_bn as given (single BN by default, as the authors).
  assert.deepEqual(s.configs.map((c) => c.label), ["simclr", "sdclr-p0.9-singlebn"]);
  assert.equal(s.slurmTask, null);
  const one = parseSweep("cifar10-lt", [...args, "--slurm-task", "3"], "/cwd");
  assert.equal(one.slurmTask, 3);
  assert.equal(`${one.tasks[3].job.split} ${one.tasks[3].c.method}`, "split2_D_i sdclr");
  // Without --methods: the method --prune picks, as before.
  const plain = parseSweep("cifar10-lt", ["--prune", "True"], "/cwd");
  assert.deepEqual(plain.configs.map((c) => c.method), ["sdclr"]);
  const inet = parseSweep("imagenet100-lt", ["--data", "/d", "--methods", "sdclr,simclr"], "/c");
  assert.deepEqual(inet.tasks.map((t) => t.c.method), ["sdclr", "simclr"]);
});

Deno.test("sweep: --methods all runs SimCLR, SDCLR, BCL-I and BCL-D, each with the τ schedule; folders and labels by (method, schedule)", () => {
  const args = ["--methods", "all", "--tau-schedule", "cosine", "--tau-period", "100"];
  const sw = parseSweep(
    "cifar100-lt",
    [...args, "--prune_percent", "0.9", "--bcl-beta", "0.97"],
    "/c",
  );
  assert.deepEqual(sw.configs.map((c) => c.methodName), ["simclr", "sdclr", "bcl-i", "bcl-d"]);
  assert.deepEqual(sw.configs.map((c) => c.method), ["simclr", "sdclr", "simclr", "sdclr"]);
  assert.deepEqual(sw.configs.map((c) => c.bcl?.beta ?? null), [null, null, 0.97, 0.97]);
  for (const c of sw.configs) {
    assert.deepEqual(c.tau, { schedule: "cosine", min: 0.1, max: 1, period: 100 });
  }
  assert.deepEqual(sw.configs.map((c) => c.label), [
    "simclr-tauCos0.1-1-T100",
    "sdclr-tauCos0.1-1-T100-p0.9-singlebn",
    "bcl-i-tauCos0.1-1-T100-bclB0.97",
    "bcl-d-tauCos0.1-1-T100-bclB0.97-p0.9-singlebn",
  ]);
  const names = sw.configs.map((c) => c.jobs[0].runName);
  assert.equal(new Set(names).size, 4, "one folder per method");
  assert.ok(names.every((n) => n.endsWith("_tauCos0.1-1-T100") || n.endsWith("_bclB0.97")));
  // BCL runs train with the released BCL weight decay, and say so in their name.
  assert.deepEqual(names.map((n) => /_wd(\S+?)_/.exec(n)![1]), ["1e-4", "1e-4", "5e-4", "5e-4"]);
  const plans = sw.configs.map((c) => planJob(c, c.jobs[0]));
  const tau = "--tau-schedule cosine --tau-min 0.1 --tau-max 1 --tau-period 100";
  assert.ok(plans.every((p) => p.pretrain.join(" ").includes(tau)));
  assert.deepEqual(plans.map((p) => p.pretrain.includes("--bcl")), [false, false, true, true]);
  assert.ok(plans[3].pretrain.join(" ").includes("--bcl-beta 0.97 --bcl-k 1 --bcl-strength 30"));
  const probeMethod = (a: string[]) => a[a.indexOf("--method") + 1];
  assert.deepEqual(plans.map((p) => probeMethod(p.fewshot)), ["simclr", "sdclr", "bcl-i", "bcl-d"]);
  const plain = parseSweep("cifar100-lt", ["--methods", "simclr,sdclr"], "/c");
  assert.deepEqual(plain.configs.map((c) => c.label), ["simclr", "sdclr-p0.7-singlebn"]);
  // --bcl alone makes the one configuration BCL (BCL-D with --prune True).
  const one = parseSweep("cifar10-lt", ["--bcl", "--prune", "True"], "/c");
  assert.deepEqual(one.configs.map((c) => [c.methodName, c.label]), [[
    "bcl-d",
    "bcl-d-p0.7-singlebn",
  ]]);
});

Deno.test("sweep: option errors are one line", () => {
  const bad = (args: string[], re: RegExp) =>
    assert.throws(
      () => parseSweep("cifar10-lt", args, "/c"),
      (e) => e instanceof UserError && re.test(e.message),
    );
  bad(
    ["--methods", "simclr,byol"],
    /--methods "simclr,byol": expected a list of simclr, sdclr, bcl-i, bcl-d \(or all\)/,
  );
  bad(["--methods", "all", "--bcl"], /name the BCL methods in the list/);
  bad(["--tau-min", "0.05"], /--tau-min set the cosine schedule: add --tau-schedule cosine/);
  bad(["--bcl", "--bcl-k", "5"], /--bcl-k must be in \[1, 4\], got 5/);
  bad(["--methods", "sdclr,sdclr"], /name each method once/);
  bad(["--splits", "1-2", "--slurm-task", "2"], /--slurm-task 2: this sweep has tasks 0\.\.1/);
  bad(["--slurm-args", "--partition=gpu"], /--slurm-args needs --slurm/);
  bad(["--slurm", "--analysis-only"], /not both/);
  bad(["--slurm", "--slurm-args", "--time='1:00"], /unterminated ' quote/);
});

Deno.test("slurm: submission options are dropped from the jobs' commands; --slurm-args words", () => {
  assert.deepEqual(
    jobArgs(["--splits", "1-5", "--slurm", "--slurm-args", "-p gpu", "--dry-run", "-e", "5"]),
    ["--splits", "1-5", "-e", "5"],
  );
  assert.deepEqual(jobArgs(["--slurm-args=-p gpu", "--slurm", "--out", "r"]), ["--out", "r"]);
  assert.throws(() => jobArgs(["--slurm", "--slurm-task", "1"]), /cannot be combined/);
  assert.deepEqual(joinSlurmArgs(["--slurm-args", "--gres=gpu:1", "--x"]), [
    "--slurm-args=--gres=gpu:1",
    "--x",
  ]);
  assert.deepEqual(
    shellWords(`--partition=gpu --gres=gpu:1  --comment="two words" --x='a b' c\\ d`),
    ["--partition=gpu", "--gres=gpu:1", "--comment=two words", "--x=a b", "c d"],
  );
});

Deno.test("cifar10-lt --slurm --splits 1-5 --dry-run: an array of 10 tasks and a dependent analysis job, nothing written", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sdclr_slurm_dry_" });
  try {
    const r = await runTask("cifar10-lt", [
      ...["--slurm", "--splits", "1-5", "--methods", "simclr,sdclr", "--prune_percent", "0.9"],
      ...["--prune_dual_bn", "True", "--dry-run", "--data", `${tmp}/not-here`],
      ...["--slurm-args", "--partition=gpu --gres=gpu:1 --time=48:00:00", "--out", `${tmp}/runs`],
    ]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /warning: --data .*not-here does not exist here; the jobs need it/);
    assert.match(r.out, /#SBATCH --array=0-9\n/);
    for (let i = 0; i < 10; i++) {
      const m = i % 2 ? "sdclr" : "simclr";
      assert.match(r.out, new RegExp(`#   ${i}: split${(i >> 1) + 1}_D_i ${m} → `));
      assert.match(r.out, new RegExp(`  ${i}\\) run_dir=.*split${(i >> 1) + 1}_D_i`));
    }
    assert.match(r.out, /#SBATCH --requeue\n#SBATCH --signal=B:USR1@300/);
    assert.match(r.out, /scontrol requeue "\$\{SLURM_ARRAY_JOB_ID\}_\$\{task\}"/);
    assert.match(r.out, /scripts\/cifar10_lt\.ts --splits 1-5 .* --slurm-task "\$task" &/);
    assert.match(r.out, /scripts\/cifar10_lt\.ts --splits 1-5 .* --analysis-only\n/);
    assert.match(r.out, /#SBATCH --output=.*\/slurm\/simclr\+sdclr-p0\.9_[^/]+\/logs\/%A_%a\.out/);
    assert.match(
      r.out,
      /^sbatch --parsable --partition=gpu --gres=gpu:1 --time=48:00:00 \S+\/array\.sh$/m,
    );
    assert.match(
      r.out,
      /^sbatch --parsable --dependency=afterok:<array job id> --kill-on-invalid-dep=yes --partition=gpu --gres=gpu:1 --time=48:00:00 \S+\/analysis\.sh$/m,
    );
    assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [], "--dry-run wrote files");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("demo --preset full --slurm --dry-run: two tasks (simclr, sdclr) and the analysis", async () => {
  const r = await runTask("demo", [
    "--preset",
    "full",
    "--slurm",
    "--dry-run",
    "--out",
    "/nowhere/demo",
  ]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /#SBATCH --array=0-1\n/);
  assert.match(r.out, /0\) run_dir=\/nowhere\/demo\/simclr; what='split1_D_i simclr'/);
  assert.match(r.out, /scripts\/demo\.ts --preset full --out \/nowhere\/demo --analysis-only/);
});

Deno.test("demo --methods all --tau-schedule cosine --slurm --dry-run: four tasks named by (method, schedule)", async () => {
  const r = await runTask("demo", [
    "--methods",
    "all",
    "--tau-schedule",
    "cosine",
    "--slurm",
    "--dry-run",
    "--out",
    "/nowhere/demo",
  ]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /#SBATCH --array=0-3\n/);
  for (const [i, m] of ["simclr", "sdclr", "bcl-i", "bcl-d"].entries()) {
    const dir = `\\/nowhere\\/demo\\/${m}_tauCos0\\.1-1-T200`;
    assert.match(r.out, new RegExp(`${i}\\) run_dir=${dir}; what='split1_D_i ${m}'`));
  }
});

/** Runs the array script of a one-task sweep whose "pipeline" is `child` (a bash snippet). */
async function runArrayScript(child: string, signal: Deno.Signal | null) {
  const dir = await Deno.makeTempDir({ prefix: "sdclr_array_sh_" });
  try {
    await Deno.mkdir(`${dir}/bin`);
    // Stand-in scontrol: records its arguments.
    await Deno.writeTextFile(
      `${dir}/bin/scontrol`,
      `#!/bin/sh\necho "$@" >>"${dir}/scontrol.log"\n`,
    );
    await Deno.chmod(`${dir}/bin/scontrol`, 0o755);
    await Deno.writeTextFile(`${dir}/child.sh`, child);
    const spec: SweepSpec = {
      name: "t",
      dir: `${dir}/sweep`,
      tasks: [{ runDir: `${dir}/run`, what: "split1_D_i sdclr" }],
      command: ["bash", `${dir}/child.sh`],
      analysis: ["true"],
      repo: dir,
      cwd: dir,
      sbatchArgs: [],
      origin: "test",
    };
    await Deno.writeTextFile(`${dir}/array.sh`, arrayScript(spec));
    const p = new Deno.Command("bash", {
      args: [`${dir}/array.sh`],
      env: {
        PATH: `${dir}/bin:${Deno.env.get("PATH")}`,
        SLURM_ARRAY_TASK_ID: "0",
        SLURM_ARRAY_JOB_ID: "7",
        MARK: `${dir}/started`,
      },
      stdin: "null",
    }).spawn();
    if (signal) {
      const t0 = Date.now();
      while (!(await Deno.stat(`${dir}/started`).then(() => true, () => false))) {
        assert.ok(Date.now() - t0 < 20_000, "child never started");
        await new Promise((r) => setTimeout(r, 20));
      }
      p.kill(signal);
    }
    const { code } = await p.status;
    const read = (f: string) => Deno.readTextFile(f).catch(() => "");
    return {
      code,
      log: await read(`${dir}/run/slurm-7_0.log`),
      scontrol: await read(`${dir}/scontrol.log`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// The child saves on USR1/TERM and exits with PREEMPTED_EXIT, as pretraining does.
const SAVING_CHILD = `echo "args: $*"; trap 'echo "child got $1"; exit ${PREEMPTED_EXIT}' USR1 TERM
touch "$MARK"; for i in $(seq 200); do sleep 0.1; done; exit 0\n`.replace("$1", "signal");

Deno.test("array script: USR1 goes to the pipeline; exit 75 → scontrol requeue of the task", async () => {
  const r = await runArrayScript(SAVING_CHILD, "SIGUSR1");
  assert.equal(r.code, 0, r.log);
  assert.equal(r.scontrol.trim(), "requeue 7_0");
  assert.match(r.log, /task 0 \(split1_D_i sdclr\), start 1, job 7_0/);
  assert.match(r.log, /args: --slurm-task 0/);
  assert.match(r.log, /child got signal/);
  assert.match(r.log, /stopped by USR1 \(exit 75\): requeueing 7_0/);
});

Deno.test("array script: TERM (preemption) also requeues; a finished or failed task does not", async () => {
  const term = await runArrayScript(SAVING_CHILD, "SIGTERM");
  assert.equal(term.scontrol.trim(), "requeue 7_0", term.log);
  const ok = await runArrayScript("exit 0\n", null);
  assert.equal(ok.code, 0);
  assert.equal(ok.scontrol, "");
  assert.match(ok.log, /task 0 exited with status 0/);
  const failed = await runArrayScript("exit 3\n", null);
  assert.equal(failed.code, 3);
  assert.equal(failed.scontrol, "");
});
