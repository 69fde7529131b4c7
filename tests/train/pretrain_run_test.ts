import assert from "node:assert/strict";
import { loadCheckpoint, loadStateDict } from "../../src/io/checkpoint.ts";
import { readNpy, writeNpy } from "../../src/io/npy.ts";
import { inferArch } from "../../src/nn/state_dict.ts";
import { syntheticImages } from "./_synthetic.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function deno(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: ROOT,
    env: { XDG_RUNTIME_DIR: "/tmp" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

// `--augment none` (both views = the image) so the loss falls within the few steps a CPU
// test affords; the augmented path is exercised by resume_test.ts.
Deno.test("pretrain CLI: thin ResNet-18 SDCLR run finishes, loss falls, run folder complete", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pretrain_run_" });
  try {
    const n = 256;
    await writeNpy(`${dir}/x.npy`, syntheticImages(n, 16, 3), [n, 16, 16, 3]);
    const run = `${dir}/run`;
    const args = [
      "scripts/pretrain.ts",
      "--data",
      `${dir}/x.npy`,
      "--method",
      "sdclr",
      "--model",
      "res18",
      "--width",
      "8",
      "--epochs",
      "5",
      "--batch-size",
      "64",
      "--lr",
      "0.2",
      "--augment",
      "none",
      "--warmup-epochs",
      "1",
      "--save-every",
      "2",
      "--out",
      run,
      "--quiet",
    ];
    const r = await deno(args);
    assert.equal(r.code, 0, r.text);
    for (const f of ["config.json", "train.log", "metrics.csv", "checkpoint_last.pt"]) {
      assert.ok((await Deno.stat(`${run}/${f}`)).isFile, f);
    }
    for (const e of [2, 4, 5]) await Deno.stat(`${run}/checkpoint_epoch${e}.pt`);
    await assert.rejects(() => Deno.stat(`${run}/checkpoint_epoch1.pt`));
    const cfg = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
    assert.equal(cfg.arch.depth, 18);
    assert.equal(cfg.imageSize, 16);
    const lines = (await Deno.readTextFile(`${run}/metrics.csv`)).trim().split("\n");
    assert.equal(
      lines[0],
      "epoch,step,loss,lr,tau,sparsity,prune_threshold,img_per_s,time," +
        "bcl_w_mean,bcl_w_max,bcl_w_above_half",
    );
    const rows = lines.slice(1).map((l) => l.split(",").map(Number));
    assert.ok(rows.every((x) => x[4] === 0.2), "tau = the temperature");
    assert.ok(lines.slice(1).every((l) => l.endsWith(",,,")), "no BCL columns without --bcl");
    assert.ok(rows.every((x) => x[6] > 0 && x[7] > 0), "θ and img/s logged");
    // How the run was made: the command, the commit, Deno, the adapter, the seed.
    const prov = cfg.provenance;
    assert.match(prov.command, /^deno task pretrain --data .*x\.npy --method sdclr/);
    assert.equal(prov.deno, Deno.version.deno);
    assert.match(prov.adapter, /^webgpu: /);
    assert.equal(prov.seed, 1);
    assert.ok(/^[0-9a-f]{40}$/.test(prov.git.commit) || prov.git.commit === "unknown");
    // The data file lies outside the run folder: stored absolute.
    assert.equal(cfg.data, `${dir}/x.npy`);
    const mean = (e: number) => {
      const rs = rows.filter((x) => x[0] === e);
      return rs.reduce((a, x) => a + x[2], 0) / rs.length;
    };
    assert.ok(mean(5) < mean(1) - 0.3, `loss did not fall: epoch 1 ${mean(1)}, epoch 5 ${mean(5)}`);
    assert.ok(rows.every((x) => Math.abs(x[5] - 0.9) < 0.01), "sparsity logged ≈ 0.9");
    const log = await Deno.readTextFile(`${run}/train.log`);
    assert.match(log, /epoch 5\/5 done: mean loss [\d.]+, [\d.]+ img\/s, ETA 0s/);
    assert.match(log, /epoch 1\/5 done: mean loss [\d.]+, [\d.]+ img\/s, ETA \d/);
    assert.match(log, /command: deno task pretrain /);
    const ck = await loadCheckpoint(`${run}/checkpoint_last.pt`);
    assert.equal(ck.step, 5 * Math.floor(n / 64));
    assert.ok(ck.masks.has("layer4.1.conv2") && ck.momentum.has("fc.fc3.weight"));
    const sd = await loadStateDict(`${run}/checkpoint_epoch5.pt`);
    assert.deepEqual(inferArch(sd), {
      depth: 18,
      width: 8,
      stem: "cifar",
      dualBn: true,
      headLayers: 3,
      projDim: 128,
    });
    // The embed CLI on the run's checkpoint, pruned branch with its stored masks.
    const e = await deno([
      "scripts/embed.ts",
      "--checkpoint",
      `${run}/checkpoint_last.pt`,
      "--input",
      `${dir}/x.npy`,
      "--out",
      `${dir}/f.npy`,
      "--branch",
      "pruned",
      "--quiet",
    ]);
    assert.equal(e.code, 0, e.text);
    const f = await readNpy(`${dir}/f.npy`);
    assert.deepEqual(f.shape, [n, 64]);
    assert.ok((f.data as Float32Array).every(Number.isFinite));
    // A second plain run into the same folder is refused with a one-line error.
    const again = await deno(args);
    assert.equal(again.code, 1);
    assert.match(again.text, /^error: .*--resume/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pretrain CLI: 100 images at batch 32 log ceil(100/32) = 4 steps per epoch (3 with --drop-last)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pretrain_epoch_" });
  try {
    await writeNpy(`${dir}/x.npy`, syntheticImages(100, 16, 4), [100, 16, 16, 3]);
    const args = (out: string) => [
      "scripts/pretrain.ts",
      ...["--data", `${dir}/x.npy`, "--method", "simclr", "--model", "res10", "--width", "4"],
      ...["--epochs", "2", "--batch-size", "32", "--log-every", "1", "--quiet", "--out", out],
    ];
    const rows = async (out: string) =>
      (await Deno.readTextFile(`${out}/metrics.csv`)).trim().split("\n").slice(1)
        .map((l) => l.split(",").slice(0, 2).map(Number));
    const keep = await deno(args(`${dir}/keep`));
    assert.equal(keep.code, 0, keep.text);
    assert.deepEqual(await rows(`${dir}/keep`), [
      [1, 1],
      [1, 2],
      [1, 3],
      [1, 4],
      [2, 5],
      [2, 6],
      [2, 7],
      [2, 8],
    ]);
    assert.match(
      await Deno.readTextFile(`${dir}/keep/train.log`),
      /2 epochs × 4 iterations of 32 \(the last of 4\)/,
    );
    assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/keep/config.json`)).dropLast, false);
    const drop = await deno([...args(`${dir}/drop`), "--drop-last"]);
    assert.equal(drop.code, 0, drop.text);
    assert.deepEqual(await rows(`${dir}/drop`), [[1, 1], [1, 2], [1, 3], [2, 4], [2, 5], [2, 6]]);
    // SDCLR cannot train on a last batch of one image (nor can PyTorch): one line, exit 1.
    await writeNpy(`${dir}/y.npy`, syntheticImages(33, 16, 4), [33, 16, 16, 3]);
    const one = await deno([
      "scripts/pretrain.ts",
      ...["--data", `${dir}/y.npy`, "--model", "res10", "--width", "4", "--batch-size", "32"],
      ...["--quiet", "--out", `${dir}/one`],
    ]);
    assert.equal(one.code, 1, one.text);
    assert.match(
      one.text,
      /^error: 33 images at --batch-size 32 leave a last batch of 1 image.*--drop-last$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
