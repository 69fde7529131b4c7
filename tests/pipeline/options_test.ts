import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import { parsePipelineArgs, parseSplitList } from "../../src/pipeline/options.ts";
import { planJob, type StagePlan } from "../../src/pipeline/plan.ts";
import type { ScriptName } from "../../src/pipeline/profiles.ts";
import { AUTHORS_SPLITS_DIR } from "../../src/data/authors_splits.ts";

const CWD = "/home/u/exp";
const parse = (name: ScriptName, args: string[]) => parsePipelineArgs(name, args, CWD);
const any = () => true;

/** Value following `flag` in an argument list. */
function arg(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

function plan(name: ScriptName, args: string[], exists: (p: string) => boolean = any): StagePlan[] {
  const c = parse(name, args);
  return c.jobs.map((j) => planJob(c, j, exists));
}

Deno.test("cifar10-lt: the README command maps to the authors' run name and our stage commands", () => {
  const args = ["-g", "1", "-w", "8", "--split", "split1_D_i", "--prune", "True"];
  args.push("--prune_percent", "0.9", "--prune_dual_bn", "True");
  const c = parse("cifar10-lt", args);
  assert.equal(c.method, "sdclr");
  assert.equal(c.label, "sdclr-p0.9");
  assert.equal(c.jobs.length, 1);
  assert.equal(
    c.jobs[0].runName,
    "res18_scheduling_sgd_temp0.2_wd1e-4_lr0.5_b512_twolayerProj_epoch2000_split1_D_i_newNT_s10_pruneP0.9DualBN",
  );
  assert.equal(c.jobs[0].fewShot, "split1_S_b");
  // -w 8 differs from the default and has no effect here: said so; -g 1 is the default.
  assert.equal(c.notes.length, 1);
  assert.match(c.notes[0], /^--workers 8: accepted for compatibility; no effect/);
  assert.deepEqual(c.stages, { pretrain: true, linear: true, fewshot: true, testOnly: false });
  const [p] = plan("cifar10-lt", args);
  assert.equal(p.runDir, `${CWD}/runs/cifar10/${c.jobs[0].runName}`);
  assert.equal(p.pretrain[0], "pretrain");
  const want: Record<string, string> = {
    "--dataset": "cifar10",
    "--method": "sdclr",
    "--model": "res18",
    "--epochs": "2000",
    "--batch-size": "512",
    "--lr": "0.5",
    "--temperature": "0.2",
    "--prune-percent": "0.9",
    "--seed": "10",
    "--out": `${p.runDir}/pretrain`,
  };
  for (const [k, v] of Object.entries(want)) assert.equal(arg(p.pretrain, k), v, k);
  assert.ok(p.pretrain.includes("--dual-bn"));
  assert.ok(!p.pretrain.includes("--resume") && !p.pretrain.includes("--data"));
  // No split flag: the paper's split 1 as the authors released it (shipped, gzipped).
  assert.equal(
    arg(p.pretrain, "--split"),
    `${AUTHORS_SPLITS_DIR}/cifar10_imbSub_with_subsets/split1_D_i.npy.gz`,
  );
  // Probes: the linear one on the train list, the few-shot one on S_b; both rank groups by D_i.
  assert.equal(p.linear[0], "linear");
  assert.equal(p.fewshot[0], "fewshot");
  assert.equal(arg(p.linear, "--checkpoint"), `${p.runDir}/pretrain/checkpoint_last.pt`);
  assert.equal(arg(p.linear, "--train-split"), `${AUTHORS_SPLITS_DIR}/cifar10/trainIdxList.npy.gz`);
  assert.match(arg(p.fewshot, "--train-split")!, /subsets\/split1_S_b\.npy\.gz$/);
  for (const a of [p.linear, p.fewshot]) {
    assert.match(arg(a, "--val-split")!, /cifar10\/valIdxList\.npy\.gz$/);
    assert.match(arg(a, "--pretrain-split")!, /subsets\/split1_D_i\.npy\.gz$/);
    assert.equal(arg(a, "--out"), p.runDir);
    assert.equal(arg(a, "--label"), "sdclr-p0.9");
    assert.equal(arg(a, "--seed"), "10");
    assert.ok(!a.includes("--cached-features") && !a.includes("--test-only"));
  }
});

Deno.test("cifar10-lt: defaults are the authors' (SimCLR, 2000 epochs, b512, lr 0.5, t 0.2)", () => {
  const c = parse("cifar10-lt", []);
  assert.equal(c.method, "simclr");
  assert.equal(c.label, "simclr");
  assert.deepEqual([c.epochs, c.batchSize, c.lr, c.temperature, c.seed], [2000, 512, 0.5, 0.2, 10]);
  assert.equal(c.prunePercent, 0.7);
  assert.equal(c.model, "res18");
  assert.equal(
    c.jobs[0].runName,
    "res18_scheduling_sgd_temp0.2_wd1e-4_lr0.5_b512_twolayerProj_epoch2000_split1_D_i_newNT_s10",
  );
  const [p] = plan("cifar10-lt", []);
  assert.ok(!p.pretrain.includes("--prune-percent"));
  assert.ok(!p.pretrain.includes("--dual-bn") && !p.pretrain.includes("--no-dual-bn"));
  // Pruning without dual BN is SDCLR with one BN set.
  const single = parse("cifar10-lt", ["--prune", "True"]);
  assert.equal(single.label, "sdclr-p0.7-singlebn");
  assert.ok(single.jobs[0].runName.endsWith("_s10_pruneP0.7"));
  assert.ok(planJob(single, single.jobs[0], any).pretrain.includes("--no-dual-bn"));
});

Deno.test("cifar10-lt: values are kept as typed in the run name; non-defaults enter the label", () => {
  const c = parse("cifar10-lt", [
    "-e",
    "500",
    "--lr",
    "1.0",
    "--batch_size",
    "256",
    "--temp",
    "0.5",
  ]);
  assert.equal(c.lr, 1);
  assert.match(c.jobs[0].runName, /_temp0\.5_wd1e-4_lr1\.0_b256_twolayerProj_epoch500_split1_D_i_/);
  assert.equal(c.label, "simclr-e500-lr1.0-b256-t0.5");
  const bal = parse("cifar10-lt", ["-s", "split4_D_b"]);
  assert.equal(bal.label, "simclr-balanced");
  // A balanced run still ranks groups by the same split's D_i.
  const [p] = plan("cifar10-lt", ["-s", "split4_D_b"]);
  assert.match(arg(p.pretrain, "--split")!, /split4_D_b\.npy\.gz$/);
  assert.match(arg(p.linear, "--pretrain-split")!, /split4_D_i\.npy\.gz$/);
  assert.match(arg(p.fewshot, "--train-split")!, /split4_S_b\.npy\.gz$/);
});

Deno.test("cifar10-lt: --splits runs a row; small-run options reach the stages", () => {
  const args = ["--splits", "1-3,5", "-e", "1", "--width", "4", "--max-steps", "2"];
  args.push("--cached-features", "--max-train", "50", "--data", "d", "--out", "/tmp/r");
  const c = parse("cifar10-lt", args);
  assert.deepEqual(c.jobs.map((j) => j.split), [
    "split1_D_i",
    "split2_D_i",
    "split3_D_i",
    "split5_D_i",
  ]);
  assert.deepEqual(c.jobs.map((j) => j.fewShot), [
    "split1_S_b",
    "split2_S_b",
    "split3_S_b",
    "split5_S_b",
  ]);
  assert.ok(c.jobs.every((j) => j.runName.endsWith("_newNT_s10_w4_steps2")));
  assert.equal(c.label, "simclr-e1-w4-steps2-max50-cached");
  assert.equal(c.data, `${CWD}/d`);
  const ps = plan("cifar10-lt", args);
  assert.equal(ps[3].runDir, `/tmp/r/cifar10/${c.jobs[3].runName}`);
  assert.equal(arg(ps[0].pretrain, "--width"), "4");
  assert.equal(arg(ps[0].pretrain, "--max-steps"), "2");
  assert.equal(arg(ps[0].pretrain, "--data"), `${CWD}/d`);
  assert.ok(
    ps[0].linear.includes("--cached-features") && ps[0].fewshot.includes("--cached-features"),
  );
  assert.equal(arg(ps[0].linear, "--max-train"), "50");
  assert.equal(arg(ps[0].linear, "--data"), `${CWD}/d`);
  assert.ok(!ps[0].pretrain.includes("--drop-last"), "the last partial batch is kept");
  const dl = parse("cifar10-lt", ["--drop-last"]);
  assert.ok(dl.jobs[0].runName.endsWith("_droplast") && dl.label === "simclr-droplast");
  assert.ok(plan("cifar10-lt", ["--drop-last"])[0].pretrain.includes("--drop-last"));
  const r10 = parse("cifar10-lt", ["--model", "res10"]);
  assert.ok(r10.jobs[0].runName.startsWith("res10_scheduling_sgd_"));
  assert.equal(r10.label, "simclr-res10");
  const i18 = parse("imagenet100-lt", ["--data", "/d", "--model", "res18"]);
  assert.match(i18.jobs[0].runName, /^imageNet_100_LT_train_res18_scheduling_/);
});

Deno.test("cifar10-lt: stage selection flags", () => {
  const only = (args: string[]) => parse("cifar10-lt", args).stages;
  assert.deepEqual(only(["--few_shot_only", "True"]), {
    pretrain: false,
    linear: false,
    fewshot: true,
    testOnly: false,
  });
  assert.deepEqual(only(["--only_finetuning", "True"]), {
    pretrain: false,
    linear: true,
    fewshot: true,
    testOnly: false,
  });
  assert.equal(only(["--test_only", "True"]).testOnly, true);
  const [p] = plan("cifar10-lt", ["--test_only", "True"]);
  assert.ok(p.linear.includes("--test-only") && p.fewshot.includes("--test-only"));
  // The authors' script parses these two and never uses them: accepted, with a note.
  const c = parse("cifar10-lt", ["--few_shot_lr", "0.5", "--few_shot_epochs", "10"]);
  assert.equal(c.notes.length, 2);
});

Deno.test("pipeline options: bad values are one-line user errors", () => {
  const bad = (name: ScriptName, args: string[], re: RegExp) =>
    assert.throws(() => parse(name, args), (e) => e instanceof UserError && re.test(e.message));
  bad("cifar10-lt", ["--prune", "yes"], /--prune expects True or False/);
  bad("cifar10-lt", ["--split", "split1_X"], /expected splitK_D_i/);
  bad("cifar10-lt", ["--nonsense", "1"], /nonsense/);
  bad("cifar10-lt", ["-e", "ten"], /--epochs expects an integer/);
  bad("cifar10-lt", ["--prune_percent", "1.5"], /--prune_percent must be in \[0, 1\), got 1\.5/);
  bad("cifar10-lt", ["--prune-percent", "-0.5"], /--prune_percent must be in \[0, 1\), got -0\.5/);
  bad("cifar10-lt", ["--splits", "7"], /--splits 7: only splits 1–5 exist/);
  bad("cifar10-lt", ["--splits", "4-6", "--split-source", "generated"], /only splits 1–5 exist/);
  bad("cifar10-lt", ["--prune_dual_bn", "True"], /--prune_dual_bn True needs --prune True/);
  bad("cifar10-lt", ["--temp", "0"], /--temp must be > 0/);
  bad("cifar10-lt", ["--seed", "-1"], /--seed must be ≥ 0, got -1/);
  bad(
    "imagenet100-lt",
    ["--data", "/d", "--pretrained-root", "/x", "--only_pretraining", "True"],
    /nothing would run/,
  );
  bad("cifar10-lt", ["--splits", "3-1"], /ascending/);
  bad("cifar10-lt", ["--model", "vgg"], /--model must be one of/);
  bad("cifar100-lt", ["--random_prune_percent", "0.1"], /not implemented/);
  bad("imagenet100-lt", [], /--data is required/);
  bad("imagenet100-lt", ["--data", "/d", "--splits", "1-5"], /--splits/);
});

Deno.test("pipeline options: kebab-case aliases of the authors' flags; contradictions", () => {
  const snake = parse("cifar10-lt", [
    ...["--prune", "True", "--prune_percent", "0.9", "--prune_dual_bn", "True"],
    ...["--batch_size", "256", "--few_shot_only", "True"],
  ]);
  const kebab = parse("cifar10-lt", [
    ...["--prune", "True", "--prune-percent", "0.9", "--prune-dual-bn", "True"],
    ...["--batch-size", "256", "--few-shot-only", "True"],
  ]);
  assert.deepEqual(kebab.jobs, snake.jobs);
  assert.equal(kebab.label, snake.label);
  assert.deepEqual(kebab.stages, snake.stages);
  assert.equal(kebab.batchSize, 256);
  const im = parse("imagenet100-lt", ["--data", "/d", "--pretrain-lr", "0.3", "--gpu-num", "2"]);
  assert.equal(im.lr, 0.3);
  assert.ok(im.notes.some((n) => n.startsWith("--GPU_NUM 2")));
  // A prune fraction without --prune True: a one-line note, the run is SimCLR.
  const idle = parse("cifar10-lt", ["--prune_percent", "0.9"]);
  assert.equal(idle.method, "simclr");
  assert.ok(idle.notes.some((n) => /--prune_percent: no effect without --prune True/.test(n)));
  // Dry runs work without ImageNet's --data (a note instead of the error).
  const dry = parse("imagenet100-lt", ["--dry-run"]);
  assert.ok(dry.notes.some((n) => /--data is required/.test(n)));
});

Deno.test("parseSplitList", () => {
  assert.deepEqual(parseSplitList("1-5"), [1, 2, 3, 4, 5]);
  assert.deepEqual(parseSplitList("1,3"), [1, 3]);
  assert.deepEqual(parseSplitList("2"), [2]);
  assert.deepEqual(parseSplitList("4,1-2,2"), [1, 2, 4]);
  assert.throws(() => parseSplitList("a"), UserError);
  assert.throws(() => parseSplitList("0-2"), UserError);
});

Deno.test("cifar100-lt: the authors' names, with or without the cifar100_ prefix", () => {
  const c = parse("cifar100-lt", [
    "--prune",
    "True",
    "--prune_percent",
    "0.9",
    "--prune_dual_bn",
    "True",
  ]);
  assert.equal(
    c.jobs[0].runName,
    "res18_cifar100_scheduling_sgd_temp0.2_wd1e-4_lr0.5_b512_o128_twolayerProj_epoch2000_" +
      "cifar100_split1_D_i_newNT_s10_pruneP0.9DualBN",
  );
  const d = parse("cifar100-lt", ["--split", "split2_D_i"]);
  assert.equal(d.jobs[0].split, "cifar100_split2_D_i");
  assert.equal(d.jobs[0].fewShot, "cifar100_split2_S_b");
  const [p] = plan("cifar100-lt", ["--split", "split2_D_i"]);
  assert.equal(
    arg(p.fewshot, "--train-split"),
    `${AUTHORS_SPLITS_DIR}/cifar100_imbSub_with_subsets/cifar100_split2_S_b.npy.gz`,
  );
  assert.equal(
    arg(p.linear, "--train-split"),
    `${AUTHORS_SPLITS_DIR}/cifar100/cifar100_trainIdxList.npy.gz`,
  );
  // Our generated splits on request: their own files, run folder and label.
  const g = parse("cifar100-lt", ["--split", "split2_D_i", "--split-source", "generated"]);
  assert.match(g.jobs[0].runName, /_gensplits$/);
  assert.match(g.label, /-gensplits/);
  const [q] = plan("cifar100-lt", ["--split", "split2_D_i", "--split-source", "generated"]);
  assert.match(arg(q.fewshot, "--train-split")!, /splits\/cifar100\/cifar100_lt_split2_S_b\.npy$/);
  assert.match(arg(q.linear, "--train-split")!, /splits\/cifar100\/cifar100_train_idx\.npy$/);
  // Splits 1–5 only, the authors' and ours.
  for (const source of ["authors", "generated"]) {
    assert.throws(
      () => plan("cifar100-lt", ["--split", "split7_D_i", "--split-source", source]),
      (e) => e instanceof UserError && /only splits 1–5 exist/.test(e.message),
    );
  }
});

Deno.test("--split-dir: the authors' released layout is found (and ours as a fallback)", () => {
  const dir = "/data/splits";
  const authors = new Set([
    `${dir}/cifar10_imbSub_with_subsets/split2_D_i.npy`,
    `${dir}/cifar10_imbSub_with_subsets/split2_S_b.npy`,
    `${dir}/cifar10/trainIdxList.npy`,
    `${dir}/cifar10/valIdxList.npy`,
    `${dir}/cifar100_imbSub_with_subsets/cifar100_split2_D_i.npy`,
    `${dir}/cifar100_imbSub_with_subsets/cifar100_split2_S_b.npy`,
    `${dir}/cifar100/cifar100_trainIdxList.npy`,
    `${dir}/cifar100/cifar100_valIdxList.npy`,
  ]);
  const has = (p: string) => authors.has(p);
  const [p] = plan("cifar10-lt", ["-s", "split2_D_i", "--split-dir", dir], has);
  assert.deepEqual(p.files, {
    pretrain: `${dir}/cifar10_imbSub_with_subsets/split2_D_i.npy`,
    groups: `${dir}/cifar10_imbSub_with_subsets/split2_D_i.npy`,
    fewshot: `${dir}/cifar10_imbSub_with_subsets/split2_S_b.npy`,
    train: `${dir}/cifar10/trainIdxList.npy`,
    val: `${dir}/cifar10/valIdxList.npy`,
  });
  const [q] = plan("cifar100-lt", ["-s", "cifar100_split2_D_i", "--split-dir", dir], has);
  assert.equal(q.files.train, `${dir}/cifar100/cifar100_trainIdxList.npy`);
  assert.equal(q.files.fewshot, `${dir}/cifar100_imbSub_with_subsets/cifar100_split2_S_b.npy`);
  // Our generated layout under the same folder.
  const ours = (p: string) => p.startsWith(`${dir}/cifar10/cifar10_`);
  const [r] = plan("cifar10-lt", ["--split-dir", dir], ours);
  assert.equal(r.files.pretrain, `${dir}/cifar10/cifar10_lt_split1_D_i.npy`);
  assert.equal(r.files.val, `${dir}/cifar10/cifar10_val_idx.npy`);
  assert.throws(
    () => plan("cifar10-lt", ["-s", "split3_D_i", "--split-dir", dir], has),
    (e) => e instanceof UserError && /split split3_D_i not found/.test(e.message),
  );
});

Deno.test("--split-dir: the real released CIFAR-10 files resolve (gzipped, as shipped)", () => {
  const dir = AUTHORS_SPLITS_DIR;
  const [p] = plan("cifar10-lt", ["-s", "split5_D_i", "--split-dir", dir], (f) => {
    try {
      return Deno.statSync(f).isFile;
    } catch {
      return false;
    }
  });
  assert.equal(p.files.fewshot, `${dir}/cifar10_imbSub_with_subsets/split5_S_b.npy.gz`);
  assert.equal(p.files.train, `${dir}/cifar10/trainIdxList.npy.gz`);
});

Deno.test("ImageNet lists: the shipped ones are found; a missing big list says where to get it", () => {
  const real = (f: string) => {
    try {
      return Deno.statSync(f).isFile;
    } catch {
      return false;
    }
  };
  // Only the full-shot training list is the user's; the rest ships.
  const mine = (f: string) => f === "/lists/ImageNet_100_train.txt" || real(f);
  const [p] = plan("imagenet100-lt", ["--data", "/x", "--split-dir", "/lists"], mine);
  assert.equal(p.files.train, "/lists/ImageNet_100_train.txt");
  assert.equal(p.files.pretrain, `${AUTHORS_SPLITS_DIR}/imagenet-100/imageNet_100_LT_train.txt.gz`);
  assert.equal(p.files.test, `${AUTHORS_SPLITS_DIR}/imagenet-100/ImageNet_100_test.txt.gz`);
  assert.throws(
    () => plan("imagenet100-lt", ["--data", "/x"], real),
    (e) =>
      e instanceof UserError && !e.message.includes("\n") &&
      /^ImageNet_100_train\.txt \(the ImageNet-100 full-shot training list\) is not shipped .*github\.com\/VITA-Group\/SDCLR\/tree\/34c932e.* pass --split-dir FOLDER$/
        .test(e.message),
  );
  assert.throws(
    () => plan("imagenet-lt", ["--data", "/x"], real),
    (e) =>
      e instanceof UserError && /^imageNet_LT_exp_train\.txt \(the ImageNet-LT/.test(e.message),
  );
});

Deno.test("imagenet100-lt / imagenet-lt: names, seeds and lists", () => {
  const args = ["--data", "/imagenet", "--prune", "True", "--prune_dual_bn", "True"];
  args.push("--linear_eval_seed", "7", "--split-dir", "/lists");
  const c = parse("imagenet100-lt", args);
  assert.equal(
    c.jobs[0].runName,
    "imageNet_100_LT_train_res50_scheduling_sgd_lr0.5_temp0.2_epoch500_batch256_pruneP0.3DualBN",
  );
  assert.deepEqual([c.epochs, c.batchSize, c.seed, c.probeSeed, c.model], [
    500,
    256,
    1,
    7,
    "res50",
  ]);
  const [p] = plan("imagenet100-lt", args);
  assert.equal(p.runDir, `${CWD}/runs/imagenet100/${c.jobs[0].runName}`);
  assert.equal(p.files.pretrain, "/lists/imageNet_100_LT_train.txt");
  assert.equal(p.files.fewshot, "/lists/imageNet_100_sub_balance_train_0.01.txt");
  assert.equal(arg(p.linear, "--test-split"), "/lists/ImageNet_100_test.txt");
  assert.equal(arg(p.linear, "--seed"), "7");
  assert.equal(arg(p.pretrain, "--seed"), "1");
  assert.equal(arg(p.pretrain, "--prune-percent"), "0.3");
  const e = parse("imagenet-lt", ["--data", "/imagenet", "-e", "90"]);
  assert.equal(
    e.jobs[0].runName,
    "imageNet_LT_exp_train_res50_scheduling_sgd_lr0.5_temp0.2_epoch90_batch256",
  );
  assert.equal(e.dataset, "imagenet");
  assert.equal(e.jobs[0].fewShot, "imageNet_sub_balance_train_0.01");
  // The reference folder lacks the full-shot training list: the error names it.
  assert.throws(
    () => plan("imagenet100-lt", ["--data", "/x", "--split-dir", "/nowhere"], () => false),
    (err) => err instanceof UserError && /imageNet_100_LT_train\.txt/.test(err.message),
  );
});

Deno.test("README 'evaluate pretrained model' commands: probes only, on given checkpoints", () => {
  const args = ["-g", "1", "-w", "8", "--split", "split3_D_i", "--prune", "True"];
  args.push("--prune_percent", "0.9", "--prune_dual_bn", "True");
  args.push("--only_finetuning", "True", "--test_only", "True");
  const c = parse("cifar10-lt", args);
  assert.deepEqual(c.stages, { pretrain: false, linear: true, fewshot: true, testOnly: true });
  const [p] = plan("cifar10-lt", args);
  assert.deepEqual(p.checkpoints, [
    `${p.runDir}/pretrain/checkpoint_last.pt`,
    `${p.runDir}/pretrain/model_2000.pt`,
  ]);
  // The authors' unzipped checkpoints folder: <root>/<pretrain_name>/model_<epochs>.pt.
  const r = parse("cifar10-lt", ["--split", "split3_D_i", "--pretrained-root", "ck"]);
  assert.equal(r.stages.pretrain, false);
  assert.match(r.notes.join(" "), /no pretraining/);
  const [q] = plan("cifar10-lt", ["--split", "split3_D_i", "--pretrained-root", "ck"]);
  assert.deepEqual(q.checkpoints, [`${CWD}/ck/${r.jobs[0].runName}/model_2000.pt`]);
  assert.equal(arg(q.linear, "--checkpoint"), q.checkpoints[0]);
});
