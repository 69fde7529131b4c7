/**
 * A private single-node Slurm cluster for a test, as root: munged, slurmctld and slurmd from
 * Debian's `slurm-wlm` and `munge` (tools/setup.sh installs them), with their key, config,
 * state, sockets, logs and ports all in a temporary folder, so nothing in /etc is touched and
 * a real cluster on the machine is left alone (commands reach this one through SLURM_CONF).
 * Every daemon runs in the foreground under `timeout 900` (a crashed test cannot leave one
 * behind for long); `stop()` cancels every job, waits for the queue to empty, then ends the
 * daemons it started, by pid.
 * @module
 */

/** A running mini cluster. */
export interface MiniSlurm {
  /** Temporary folder holding everything. */
  dir: string;
  /** Environment for sbatch/squeue/scontrol (SLURM_CONF). */
  env: Record<string, string>;
  /** Cancels all jobs, stops the daemons, removes the folder. */
  stop(): Promise<void>;
}

const DAEMONS = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch"];

/** Why a mini cluster cannot start here (not root, daemons missing), or null. */
export function slurmUnavailable(): string | null {
  if (Deno.uid() !== 0) return "not root (a single-node Slurm needs root)";
  const missing = DAEMONS.filter((p) => {
    try {
      return !Deno.statSync(p).isFile;
    } catch {
      return true;
    }
  });
  return missing.length
    ? `${
      missing.join(", ")
    } missing (as root: bash tools/setup.sh --with-slurm, or apt-get install slurm-wlm munge)`
    : null;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function until(what: string, ok: () => Promise<boolean>, seconds: number): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > seconds * 1000) {
      throw new Error(`mini Slurm: ${what} within ${seconds} s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts munged, slurmctld and slurmd; throws (after cleaning up) when one does not come up. */
export async function startMiniSlurm(): Promise<MiniSlurm> {
  const dir = await Deno.makeTempDir({ prefix: "sdclr_slurm_" });
  await Deno.chmod(dir, 0o755);
  const children: Deno.ChildProcess[] = [];
  const conf = `${dir}/slurm.conf`;
  const env = { SLURM_CONF: conf };
  // Each daemon logs into its LogFile in `dir`.
  const daemon = (args: string[]) => {
    const p = new Deno.Command("timeout", {
      args: ["-s", "TERM", "900", ...args],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    children.push(p);
  };
  const stop = async () => {
    try {
      const ids = (await run("squeue", ["-h", "-o", "%A"], env)).out.split(/\s+/).filter((x) =>
        /^\d+$/.test(x)
      );
      if (ids.length) await run("scancel", ids, env);
      await until("the queue to empty", async () => {
        const r = await run("squeue", ["-h"], env);
        return r.code !== 0 || r.out.trim() === "";
      }, 60).catch((e) => console.error(String(e)));
    } finally {
      // slurmd, slurmctld, munged: each timeout wrapper passes TERM on to its daemon.
      for (const p of [...children].reverse()) {
        try {
          p.kill("SIGTERM");
        } catch {
          // Already gone.
        }
        const killer = setTimeout(() => {
          try {
            p.kill("SIGKILL");
          } catch {
            // Already gone.
          }
        }, 15_000);
        await p.status;
        clearTimeout(killer);
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  };
  try {
    const key = crypto.getRandomValues(new Uint8Array(128));
    await Deno.writeFile(`${dir}/munge.key`, key, { mode: 0o400 });
    const sock = `${dir}/munge.sock`;
    daemon([
      "munged",
      "-F",
      "--force",
      `--socket=${sock}`,
      `--key-file=${dir}/munge.key`,
      `--pid-file=${dir}/munged.pid`,
      `--log-file=${dir}/munged.log`,
      `--seed-file=${dir}/munged.seed`,
    ]);
    await until(
      "munged to answer",
      async () => (await run("munge", ["-n", `--socket=${sock}`])).code === 0,
      20,
    );
    const host = (await run("hostname", ["-s"])).out.trim();
    // "NodeName=vm CPUs=2 Boards=1 … RealMemory=24105" (the first line of slurmd -C).
    const node = (await run("slurmd", ["-C"])).out.split("\n")[0].trim();
    const cpus = Number(/CPUs=(\d+)/.exec(node)?.[1] ?? 1);
    const mem = Number(/RealMemory=(\d+)/.exec(node)?.[1] ?? 1024);
    for (const d of ["state", "spool"]) await Deno.mkdir(`${dir}/${d}`);
    await Deno.writeTextFile(
      conf,
      [
        "ClusterName=sdclrtest",
        `SlurmctldHost=${host}`,
        `SlurmctldPort=${freePort()}`,
        `SlurmdPort=${freePort()}`,
        "SlurmUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        `AuthInfo=socket=${sock}`,
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/none",
        "MpiDefault=none",
        "ReturnToService=2",
        `StateSaveLocation=${dir}/state`,
        `SlurmdSpoolDir=${dir}/spool`,
        `SlurmctldPidFile=${dir}/slurmctld.pid`,
        `SlurmdPidFile=${dir}/slurmd.pid`,
        `SlurmctldLogFile=${dir}/slurmctld.log`,
        `SlurmdLogFile=${dir}/slurmd.log`,
        `DefMemPerCPU=${Math.floor(mem / cpus)}`,
        `${node.replace(/^NodeName=\S+/, `NodeName=${host}`)} State=UNKNOWN`,
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        "",
      ].join("\n"),
    );
    daemon(["slurmctld", "-D", "-f", conf]);
    await until(
      "slurmctld to answer",
      async () => (await run("scontrol", ["ping"], env)).out.includes("UP"),
      30,
    );
    daemon(["slurmd", "-D", "-f", conf]);
    await until("the node to become idle", async () => {
      const r = await run("sinfo", ["-h", "-o", "%t"], env);
      return /idle/.test(r.out);
    }, 30);
    return { dir, env, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
