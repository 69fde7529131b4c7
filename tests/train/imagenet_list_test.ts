import assert from "node:assert/strict";
import { loadCheckpoint } from "../../src/io/checkpoint.ts";
import { tinyJpeg } from "./_synthetic.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

// The pipeline (imagenet100-lt) runs scripts/pretrain.ts with --dataset imagenet100, the
// ImageNet root as --data and the list file as --split; this runs the same CLI on a tiny list.
Deno.test("pretrain CLI: ImageNet-style list (--dataset imagenet100) runs and checkpoints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "imagenet_list_" });
  try {
    const lines: string[] = [];
    for (let c = 0; c < 3; c++) {
      await Deno.mkdir(`${dir}/train/n0${c}`, { recursive: true });
      for (let k = 0; k < 4; k++) {
        const rel = `train/n0${c}/img_${k}.JPEG`;
        await Deno.writeFile(`${dir}/${rel}`, tinyJpeg(c, k));
        lines.push(`${rel} ${c}`);
      }
    }
    await Deno.writeTextFile(`${dir}/list.txt`, lines.join("\n") + "\n");
    const run = `${dir}/run`;
    const args = [
      "run",
      "-A",
      "scripts/pretrain.ts",
      "--dataset",
      "imagenet100",
      "--data",
      dir,
      "--split",
      `${dir}/list.txt`,
      "--method",
      "sdclr",
      "--width",
      "4",
      "--image-size",
      "32",
      "--batch-size",
      "4",
      "--max-steps",
      "2",
      "--epochs",
      "1",
      "--out",
      run,
      "--quiet",
    ];
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { XDG_RUNTIME_DIR: "/tmp" },
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    const ck = await loadCheckpoint(`${run}/checkpoint_last.pt`);
    assert.equal(ck.step, 2);
    const cfg = JSON.parse(await Deno.readTextFile(`${run}/config.json`));
    assert.equal(cfg.dataset, "imagenet100");
    assert.equal(cfg.imageSize, 32);
    const log = await Deno.readTextFile(`${run}/train.log`);
    assert.match(log, /12 images from /);

    // A list naming a missing image fails with a one-line user error naming it.
    await Deno.writeTextFile(`${dir}/bad.txt`, `${lines[0]}\ntrain/missing.JPEG 1\n`);
    const bad = await new Deno.Command(Deno.execPath(), {
      args: args.map((a, i) =>
        a === `${dir}/list.txt`
          ? `${dir}/bad.txt`
          : a === run
          ? `${run}2`
          : args[i - 1] === "--batch-size"
          ? "2"
          : a
      ),
      cwd: ROOT,
      env: { XDG_RUNTIME_DIR: "/tmp" },
    }).output();
    const badText = new TextDecoder().decode(bad.stderr);
    assert.notEqual(bad.code, 0);
    assert.match(badText, /missing\.JPEG: image not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
