import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import { parseProbeArgs, resultsArgs } from "../../src/eval/probe_cli.ts";

Deno.test("probe --config: a results.json's flags replay the probe; flags beside it win", async () => {
  const dir = await Deno.makeTempDir({ prefix: "probe_cli_" });
  try {
    // A moved run folder: the record's relative paths resolve against its new place.
    await Deno.mkdir(`${dir}/run/linear`, { recursive: true });
    await Deno.mkdir(`${dir}/run/pretrain`);
    await Deno.writeFile(`${dir}/run/pretrain/checkpoint_last.pt`, new Uint8Array(1));
    const results = {
      stage: "linear",
      checkpoint: "../pretrain/checkpoint_last.pt",
      dataset: "cifar10",
      data: "/data/cifar10",
      method: "sdclr",
      label: "sdclr-p0.9",
      seed: 10,
      protocol: "cached-features",
      max_train: 500,
      image_size: null,
      hyper: { epochs: 30, lr: 30, milestones: [10, 20], batchSize: 128, momentum: 0.9, seed: 10 },
      split_files: {
        train: "/s/train.npy",
        val: "/s/val.npy",
        test: "/data/cifar10/test_batch.bin",
        pretrain: "../d_i.npy",
      },
    };
    const file = `${dir}/run/linear/results.json`;
    await Deno.writeTextFile(file, JSON.stringify(results));
    const args = resultsArgs("linear", results, file);
    const at = (f: string) => args[args.indexOf(f) + 1];
    assert.equal(at("--checkpoint"), `${dir}/run/pretrain/checkpoint_last.pt`);
    assert.equal(at("--pretrain-split"), `${dir}/run/d_i.npy`);
    assert.equal(at("--train-split"), "/s/train.npy");
    assert.equal(at("--milestones"), "10,20");
    assert.ok(args.includes("--cached-features") && !args.includes("--test-split"));
    assert.equal(at("--max-train"), "500");
    assert.ok(!args.includes("--image-size"));
    const o = parseProbeArgs("linear", ["--config", file, "--lr", "3", "--out", "again"], dir);
    assert.equal(o.hyper.lr, 3, "--lr beside --config wins");
    assert.equal(o.hyper.epochs, 30);
    assert.equal(o.out, `${dir}/again`);
    assert.equal(o.pretrainSplit, `${dir}/run/d_i.npy`);
    assert.equal(o.label, "sdclr-p0.9");
    assert.throws(() => parseProbeArgs("fewshot", ["--config", file], dir), UserError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task probes: parts split at --then, each parsed as its probe; bad parts are one line", async () => {
  const { parseProbes } = await import("../../scripts/probes.ts");
  const dir = await Deno.makeTempDir({ prefix: "probes_cli_" });
  try {
    const ckpt = `${dir}/run/pretrain/checkpoint_last.pt`;
    await Deno.mkdir(`${dir}/run/pretrain`, { recursive: true });
    await Deno.writeFile(ckpt, new Uint8Array(1));
    await Deno.writeFile(`${dir}/d_i.npy`, new Uint8Array(1));
    const common = ["--checkpoint", ckpt, "--dataset", "cifar10", "--method", "sdclr"];
    common.push("--pretrain-split", `${dir}/d_i.npy`);
    const sb = ["--train-split", `${dir}/s_b.npy`];
    const both = parseProbes(
      [
        "linear",
        ...common,
        "--epochs",
        "3",
        "--then",
        "fewshot",
        ...common,
        ...sb,
        "--epochs",
        "7",
      ],
      dir,
    );
    assert.deepEqual(both.map((c) => c.stage), ["linear", "fewshot"]);
    assert.deepEqual(both.map((c) => c.options.hyper.epochs), [3, 7]);
    assert.deepEqual(both[1].args, [...common, ...sb, "--epochs", "7"], "recorded as typed");
    assert.equal(both[0].options.out, `${dir}/run`);
    for (const bad of [[], ["knn", ...common], ["linear", ...common, "--then"]]) {
      assert.throws(() => parseProbes(bad, dir), UserError, JSON.stringify(bad));
    }
    // A typo in the last part fails before the first part runs.
    assert.throws(
      () =>
        parseProbes(
          ["linear", ...common, "--then", "fewshot", ...common, ...sb, "--epoch", "1"],
          dir,
        ),
      UserError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
