import assert from "node:assert/strict";
import { join } from "node:path";
// Test-only XML parser (pinned in deno.json) to check the SVGs are well-formed.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { UserError } from "../../core/errors.ts";
import { analyse } from "../../src/eval/analyse.ts";
import { renderSvg } from "../../src/eval/plots.ts";
import {
  readResults,
  type Results,
  resultsPath,
  validateResults,
  writeResults,
} from "../../src/eval/results.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;
const example = new URL("./fixtures/results_linear_example.json", import.meta.url).pathname;

/** CIFAR-10-LT D_i class sizes by rank, largest first (4500 · 100^(−r/9), floored). */
const C10 = [4500, 2697, 1617, 969, 581, 348, 208, 125, 75, 45];

/**
 * A run on "split k": class c gets the count of rank (c + 3k) % 10, so each split orders
 * the classes differently; `accByRank[r]` is the accuracy of the r-th SMALLEST class.
 */
function makeRun(method: string, k: number, accByRank: number[], stage = "linear"): Results {
  const counts = C10.map((_, c) => C10[(c + 3 * k) % 10]);
  const acc = C10.map((_, c) => accByRank[9 - (c + 3 * k) % 10]);
  return {
    schema: "sdclr-results/1",
    stage: stage as Results["stage"],
    method,
    dataset: "cifar10",
    split: `split${k + 1}`,
    classes: 10,
    train_counts: counts,
    grouping: "cifar-thirds",
    best_epoch: 3,
    val_acc: 70,
    test_acc: acc.reduce((s, a) => s + a, 0) / 10,
    per_class_acc: acc,
    epochs: [1, 2, 3].map((epoch) => ({ epoch, val_acc: 60 + epoch, train_loss: 1 / epoch })),
    checkpoint: `runs/${method}/split${k + 1}/pretrain/checkpoint.npz`,
    protocol: "cached-features",
    created: new Date(0).toISOString(),
  };
}

// simclr run k: Minor 60,62,64 (+k), Moderate 70,72,74 (+k), Major 80,82,84,86 (+k)
const simclrAcc = (k: number) => [60, 62, 64, 70, 72, 74, 80, 82, 84, 86].map((a) => a + k);
// sdclr run k: only the Minor classes move (+2k); Moderate 76,78,80; Major 84,86,88,90
const sdclrAcc = (k: number) =>
  [70, 72, 74].map((a) => a + 2 * k).concat([76, 78, 80, 84, 86, 88, 90]);

async function writeRuns(root: string): Promise<void> {
  for (let k = 0; k < 3; k++) {
    await writeResults(
      resultsPath(join(root, "runs/simclr", `split${k + 1}`), "linear"),
      makeRun("simclr", k, simclrAcc(k)),
    );
    await writeResults(
      resultsPath(join(root, "runs/sdclr", `split${k + 1}`), "linear"),
      makeRun("sdclr", k, sdclrAcc(k)),
    );
  }
  // Pretraining logs beside two runs: an old metrics.csv (fewer columns) and a new one with
  // the k-NN monitor's knn.csv; the other runs have none (their curves are simply absent).
  const pre = (m: string) => join(root, `runs/${m}/split1/pretrain`);
  await Deno.mkdir(pre("simclr"), { recursive: true });
  await Deno.mkdir(pre("sdclr"), { recursive: true });
  await Deno.writeTextFile(
    join(pre("simclr"), "metrics.csv"),
    "epoch,step,loss,lr,sparsity,time\n1,5,6.1,0.1,0,1\n1,10,5.9,0.2,0,2\n2,20,5.5,0.3,0,4\n",
  );
  await Deno.writeTextFile(
    join(pre("sdclr"), "metrics.csv"),
    "epoch,step,loss,lr,tau,sparsity,prune_threshold,img_per_s,time\n" +
      "1,10,6.0,0.2,0.2,0.9,0.01,100,2\n2,20,5.4,0.3,0.2,0.9,0.01,110,4\n",
  );
  await Deno.writeTextFile(
    join(pre("sdclr"), "knn.csv"),
    "epoch,step,knn_acc,seconds\n1,10,31.5,2.0\n2,20,40.25,2.0\n",
  );
  // A few-shot result that a linear analysis must ignore.
  await writeResults(
    resultsPath(join(root, "runs/simclr/split1"), "fewshot"),
    makeRun("simclr", 0, simclrAcc(0).map((a) => a - 20), "fewshot"),
  );
}

// Hand computation of the expected rows (accuracies in %):
// simclr: acc_k = (3·(62+k) + 3·(72+k) + 4·(83+k))/10 = 73.4 + k → 74.40 ± sqrt(2/3) = 0.82;
//   Major 83+k → 84.00 ± 0.82; Moderate 72+k → 73.00 ± 0.82; Minor 62+k → 63.00 ± 0.82;
//   std = pstd(.83,.72,.62) = sqrt(.0220667/3) = .0858 in every run (shift-invariant) ± 0;
//   variance = pstd(60..86)/100 = sqrt(800.4/10)/100 = .0895 ± 0.
// sdclr: acc_k = (3·(72+2k) + 3·78 + 4·87)/10 = 79.8 + .6k → 80.40 ± .6·sqrt(2/3) = 0.49;
//   Major 87 ± 0; Moderate 78 ± 0; Minor 72+2k → 74.00 ± 2·sqrt(2/3) = 1.63;
//   std_k = pstd(.87,.78,.72+.02k) = .0616441, .0543650, .0478423 → .0546 ± .0056;
//   variance_k = .0660000, .0591946, .0531037 → .0594 ± .0053.
// Rows in method order: SimCLR, SDCLR (then BCL-I, BCL-D, then any other label).
const EXPECTED_ROWS = [
  ["simclr", "3", "74.40 ± 0.82", "84.00 ± 0.82", "73.00 ± 0.82", "63.00 ± 0.82"]
    .concat(["0.0858 ± 0.0000", "0.0895 ± 0.0000"]),
  ["sdclr", "3", "80.40 ± 0.49", "87.00 ± 0.00", "78.00 ± 0.00", "74.00 ± 1.63"]
    .concat(["0.0546 ± 0.0056", "0.0594 ± 0.0053"]),
];

type XmlNode = Record<string, unknown>;

/**
 * Number of `child` elements directly inside each data-mark `<g>` (class `role-mark`, so
 * legend symbols and axis ticks are not counted) whose class contains `cls`.
 */
function countMarks(svg: string, cls: string, child: string): number {
  const valid = XMLValidator.validate(svg);
  assert.equal(valid, true, `SVG is not well-formed XML: ${JSON.stringify(valid)}`);
  const tree = new XMLParser({ ignoreAttributes: false, preserveOrder: true }).parse(svg);
  let n = 0;
  const walk = (nodes: XmlNode[]) => {
    for (const node of nodes) {
      const tag = Object.keys(node).find((k) => k !== ":@")!;
      const children = node[tag] as XmlNode[];
      const attrs = (node[":@"] ?? {}) as Record<string, string>;
      const classes = (attrs["@_class"] ?? "").split(" ");
      if (tag === "g" && classes.includes(cls) && classes.includes("role-mark")) {
        n += children.filter((c) => child in c).length;
      }
      if (Array.isArray(children)) walk(children);
    }
  };
  walk(tree);
  return n;
}

Deno.test("results: the example fixture validates and round-trips", async () => {
  const r = await readResults(example);
  assert.equal(r.label, "sdclr-p90");
  const dir = await Deno.makeTempDir();
  try {
    const p = join(dir, "nested/linear/results.json");
    await writeResults(p, r);
    assert.deepEqual(await readResults(p), r);
    assert.deepEqual([...Deno.readDirSync(join(dir, "nested/linear"))].map((e) => e.name), [
      "results.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("results: invalid files are rejected with the field named", async () => {
  const good = JSON.parse(await Deno.readTextFile(example));
  const cases: [string, (o: Record<string, unknown>) => void, RegExp][] = [
    ["missing", (o) => delete o.train_counts, /missing field "train_counts"/],
    ["length", (o) => (o.per_class_acc = [1, 2]), /"per_class_acc" has length 2, expected 10/],
    ["names", (o) => (o.class_names = ["a"]), /"class_names" has length 1/],
    ["schema", (o) => (o.schema = "sdclr-results/0"), /unsupported schema/],
    ["stage", (o) => (o.stage = "knn"), /"stage" must be one of linear, fewshot/],
    ["range", (o) => (o.test_acc = 170), /test_acc" must be a percentage/],
    ["count", (o) => ((o.train_counts as number[])[3] = 2.5), /train_counts\[3\] must be an int/],
    ["best", (o) => (o.best_epoch = 7), /best_epoch 7 does not appear/],
    ["epoch", (o) => delete (o.epochs as Record<string, unknown>[])[1].train_loss, /train_loss/],
    ["date", (o) => (o.created = "yesterday"), /"created" must be an ISO 8601 date/],
    ["grouping", (o) => (o.grouping = "quartiles"), /"grouping" must be one of/],
  ];
  for (const [name, mutate, re] of cases) {
    const o = structuredClone(good);
    mutate(o);
    assert.throws(() => validateResults(o, "x.json"), (e: Error) => {
      assert.ok(e instanceof UserError, name);
      assert.match(e.message, /^x\.json: /, name);
      assert.match(e.message, re, name);
      return true;
    });
  }
  const dir = await Deno.makeTempDir();
  try {
    const bad = structuredClone(good);
    bad.classes = 9;
    await assert.rejects(writeResults(join(dir, "r.json"), bad), /has length 10, expected 9/);
    assert.equal([...Deno.readDirSync(dir)].length, 0, "nothing written for invalid results");
    await Deno.writeTextFile(join(dir, "r.json"), "{ not json");
    await assert.rejects(readResults(join(dir, "r.json")), /not valid JSON/);
    await assert.rejects(readResults(join(dir, "none.json")), /not found; run deno task linear/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("analyse: 2 methods × 3 runs end to end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeRuns(dir);
    const out = join(dir, "out");
    const report = await analyse({ inputs: ["runs"], stage: "linear", out: "out", cwd: dir });
    console.log(report.table);
    assert.deepEqual(report.warnings, []);
    const lines = report.table.split("\n");
    assert.match(lines[0], /^linear probe on cifar10; groups: cifar-thirds/);
    assert.deepEqual(lines[1].split(/\s{2,}/), [
      "method",
      "runs",
      "acc %",
      "Many/Major %",
      "Medium/Moderate %",
      "Few/Minor %",
      "std (fraction)",
      "variance (fraction)",
    ]);
    assert.deepEqual(lines.slice(3, -1).map((l) => l.trim().split(/\s{2,}/)), EXPECTED_ROWS);
    assert.match(
      lines.at(-1)!,
      /^std: group balancedness.*np\.std\(\[many, medium, few\] \/ 100\)/,
    );

    const csv = (await Deno.readTextFile(join(out, "analysis.csv"))).trim().split("\n");
    assert.equal(csv.length, 3);
    const header = csv[0].split(",");
    const sdclr = Object.fromEntries(header.map((h, i) => [h, csv[2].split(",")[i]]));
    assert.equal(sdclr.method, "sdclr");
    assert.equal(sdclr.runs, "3");
    assert.ok(Math.abs(Number(sdclr.acc_mean) - 80.4) < 1e-9);
    // Rounded: accuracies in % to 3 decimals, the std / variance fractions to 5.
    assert.equal(sdclr.few_std, "1.633");
    assert.equal(sdclr.std_mean, "0.05462");
    const runsCsv = (await Deno.readTextFile(join(out, "analysis_runs.csv"))).trim().split("\n");
    assert.equal(runsCsv.length, 7, "one row per run, fewshot excluded");

    const md = await Deno.readTextFile(join(out, "analysis.md"));
    assert.ok(md.includes("| method | runs | acc % | Many/Major % |"), md);
    assert.ok(md.includes(`| ${EXPECTED_ROWS[1].join(" | ")} |`), md);
    assert.ok(md.includes("](per_class_linear.svg)"));

    const perClass = await Deno.readTextFile(join(out, "per_class_linear.svg"));
    assert.equal(countMarks(perClass, "mark-symbol", "path"), 2 * 3 * 10, "points");
    assert.equal(countMarks(perClass, "mark-line", "path"), 2, "one mean line per method");
    // Group spans (3 shaded rects, 2 boundary rules) and their names; splits rank the classes
    // differently, so the axis shows ranks with the mean D_i count.
    assert.equal(countMarks(perClass, "mark-rect", "path"), 3, "group spans");
    assert.equal(countMarks(perClass, "mark-rule", "line"), 2, "group boundaries");
    for (const g of ["Major", "Moderate", "Minor"]) assert.ok(perClass.includes(`>${g}<`), g);
    assert.ok(perClass.includes("#1 (≈4500)") && perClass.includes("#10 (≈45)"), "rank labels");
    const groups = await Deno.readTextFile(join(out, "groups_linear.svg"));
    assert.equal(countMarks(groups, "mark-rect", "path"), 2 * 3, "bars");
    assert.equal(countMarks(groups, "mark-rule", "line"), 2 * 3, "error bars");
    assert.ok(groups.includes(">Major<") && groups.includes(">Minor<"), "group names");
    assert.deepEqual(
      report.files.map((f) => f.slice(out.length + 1)),
      [
        "analysis.csv",
        "analysis_runs.csv",
        "analysis.md",
        "per_class_linear.svg",
        "groups_linear.svg",
        "curves_pretrain_loss.svg",
        "curves_knn.svg",
        "curves_linear_val.svg",
      ],
    );
    // Curves: one line per run that has the log (2 pretraining losses, 1 k-NN, 6 probes).
    const curve = (name: string) => Deno.readTextFileSync(join(out, name));
    assert.equal(countMarks(curve("curves_pretrain_loss.svg"), "mark-line", "path"), 2);
    assert.equal(countMarks(curve("curves_knn.svg"), "mark-line", "path"), 1);
    assert.equal(countMarks(curve("curves_linear_val.svg"), "mark-line", "path"), 6);
    assert.ok(md.includes("](curves_pretrain_loss.svg)") && md.includes("](curves_knn.svg)"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("analyse: clear errors for no results and inconsistent runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "empty/a"), { recursive: true });
    await assert.rejects(
      analyse({ inputs: ["empty"], stage: "linear", out: "o", cwd: dir }),
      /no results\.json under empty .*run deno task linear first/,
    );
    await assert.rejects(
      analyse({ inputs: ["missing"], stage: "linear", out: "o", cwd: dir }),
      /missing: no such file or folder/,
    );
    await writeRuns(dir);
    const r = makeRun("simclr", 1, simclrAcc(1));
    await writeResults(resultsPath(join(dir, "runs/simclr/split9"), "linear"), {
      ...r,
      classes: 9,
      train_counts: r.train_counts.slice(1),
      per_class_acc: r.per_class_acc.slice(1),
    });
    await assert.rejects(
      analyse({ inputs: ["runs"], stage: "linear", out: "o", cwd: dir }),
      /method "simclr" \(linear\): runs disagree on classes: 10 in .* but 9 in /,
    );
    await Deno.remove(join(dir, "runs/simclr/split9"), { recursive: true });
    // A fewshot file sitting in a linear folder means a probe wrote to the wrong place.
    await writeResults(resultsPath(join(dir, "runs/simclr/split9"), "linear"), {
      ...makeRun("simclr", 0, simclrAcc(0)),
      stage: "fewshot",
    });
    await assert.rejects(
      analyse({ inputs: ["runs/simclr"], stage: "both", out: "o", cwd: dir }),
      /stage "fewshot" is in a "linear" folder/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vega renders offline and refuses remote data", async () => {
  const svg = await renderSvg({
    data: { values: [{ a: 1, b: 2 }, { a: 2, b: 4 }] },
    mark: "point",
    encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } },
  });
  assert.equal(countMarks(svg, "mark-symbol", "path"), 2);
  await assert.rejects(
    renderSvg({
      data: { url: "https://example.invalid/data.csv" },
      mark: "point",
      encoding: { x: { field: "a", type: "quantitative" } },
    }),
    /asked vega to load https:\/\/example\.invalid\/data\.csv/,
  );
});

Deno.test("deno task analyse CLI: no network, glob input, both stages", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeRuns(dir);
    // No shell here, so the glob reaches the script unexpanded and it expands it itself.
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--cached-only",
        "--deny-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "scripts/analyse.ts",
        "--stage",
        "both",
        "--out",
        "analysis",
        "runs/*/split?",
      ],
      cwd: repoRoot,
      env: { INIT_CWD: dir },
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout, stderr } = await cmd.output();
    const text = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.ok(text.includes("fewshot probe on cifar10"), text);
    assert.ok(text.includes(EXPECTED_ROWS[0][2]), text);
    assert.ok(text.includes(join(dir, "analysis", "groups_fewshot.svg")), text);
    for (const f of ["analysis.md", "per_class_linear.svg", "per_class_fewshot.svg"]) {
      await Deno.stat(join(dir, "analysis", f));
    }
    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--cached-only", "-A", "scripts/analyse.ts", join(dir, "nowhere")],
      cwd: repoRoot,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bad.code, 1);
    assert.match(new TextDecoder().decode(bad.stderr), /^error: .*nowhere: no such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("analyse: SimCLR, SDCLR, BCL-I and BCL-D over 2 splits in one table and one plot set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const methods = [
      ["bcl-d", "bcl-d-p0.9", 6],
      ["simclr", "simclr", 0],
      ["bcl-i", "bcl-i", 3],
      ["sdclr", "sdclr-p0.9", 4],
    ] as const;
    for (const [method, label, gain] of methods) {
      for (const k of [0, 1]) {
        await writeResults(resultsPath(join(dir, "runs", label, `split${k + 1}`), "linear"), {
          ...makeRun(method, k, simclrAcc(k).map((a) => a + gain)),
          label,
        });
      }
    }
    const report = await analyse({ inputs: ["runs"], stage: "linear", out: "out", cwd: dir });
    const rows = report.table.split("\n").slice(3, 7).map((l) => l.trim().split(/\s{2,}/));
    assert.deepEqual(rows.map((r) => r[0]), ["simclr", "sdclr-p0.9", "bcl-i", "bcl-d-p0.9"]);
    assert.deepEqual(rows.map((r) => r[1]), ["2", "2", "2", "2"]);
    // mean ± std over the splits: simclr 73.4 + k → 73.90 ± 0.50; each gain adds to the mean.
    assert.deepEqual(rows.map((r) => r[2]), [
      "73.90 ± 0.50",
      "77.90 ± 0.50",
      "76.90 ± 0.50",
      "79.90 ± 0.50",
    ]);
    const svg = await Deno.readTextFile(join(dir, "out", "groups_linear.svg"));
    for (const [, label] of methods) assert.ok(svg.includes(label), `${label} in the group plot`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
