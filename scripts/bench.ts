/**
 * `deno task bench`: our kernels against TF.js WebGPU (same adapter, same process, same
 * shapes), optionally against PyTorch on the CPU. Prints one row per case: kernel, shape,
 * our rate, TF.js's rate (GFLOP/s, or GB/s for memory-bound kernels) and the ratio.
 * Cases come from src/bench/cases.ts (each family's kernels/<family>/bench.ts).
 */
import { parentMustExist, parseCommand, type Parsed, runMain, userPath } from "../src/cli.ts";
import { caseName, formatStepTable, stepBench } from "../src/bench/step_bench.ts";
import { UserError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { initEngine } from "../core/engine.ts";
import { startTuning, TUNE_OPTIONS, tuneFlags } from "../src/tuning.ts";
import { benchCases } from "../kernels/registry.ts";
import { measureCase, POLICY } from "../src/bench/measure.ts";
import { type BenchRow, formatTable, makeRow, setTorch } from "../src/bench/report.ts";
import { loaderThroughput } from "../src/data/loader_bench.ts";
import { DEFAULT_BOOST_PASS } from "../kernels/augment/mod.ts";
import { loadTf, type Tf } from "../src/bench/tfjs.ts";
import { runTorch, torchSpec } from "../src/bench/torch.ts";

const spec = {
  name: "bench",
  description: "Benchmark the WGSL kernels against TF.js WebGPU (and optionally PyTorch CPU) " +
    "at the ResNet-18 CIFAR shapes.",
  options: {
    filter: { type: "string" as const, help: "only cases whose kernel or shape contains TEXT" },
    json: { type: "string" as const, help: "also write the rows as JSON records to FILE" },
    quick: { type: "boolean" as const, help: "fewer and shorter repetitions" },
    torch: {
      type: "boolean" as const,
      help: "add a PyTorch CPU column (tools/bench_torch.py; skipped without python3 + torch)",
    },
    tfjs: { type: "boolean" as const, default: true, help: "time TF.js (--no-tfjs to skip)" },
    step: {
      type: "boolean" as const,
      help: "whole training steps instead of kernels: SDCLR and SimCLR at (width 64, batch 64) " +
        "and (width 8, batch 128), with and without the loader, beside PyTorch CPU " +
        "(tools/bench_step_torch.py) in the same run, PyTorch's trials alternating with ours; on " +
        "software adapters also the buffer path GPUs take; --filter matches case names such " +
        'as "sdclr w8 b128 loader" or "buffers"',
    },
    steps: { type: "string" as const, default: "2", help: "--step: steps per timed trial" },
    trials: {
      type: "string" as const,
      default: "3",
      help:
        "--step: timed trials per side and case (ours and PyTorch's alternate; medians reported)",
    },
    ...TUNE_OPTIONS,
  },
  epilog: "Times are the best of several trials of back-to-back runs ending in one device " +
    "wait;\nours and TF.js trials alternate, so background load affects both alike.",
};

async function stepMode(p: Parsed, json: string | undefined): Promise<void> {
  const count = (name: "steps" | "trials") => {
    const n = Number(p[name]);
    if (!Number.isInteger(n) || n < 1) {
      throw new UserError(`--${name} must be an integer ≥ 1, got "${p[name]}"`);
    }
    return n;
  };
  const steps = count("steps"), trials = count("trials");
  const filter = (p.filter as string | undefined) ?? "";
  await initEngine();
  const tuneLine = await startTuning(tuneFlags(p).mode, { ...tuneFlags(p), warn: console.error });
  if (tuneLine) console.error(tuneLine);
  const { rows, note } = await stepBench({
    steps,
    trials,
    warmup: 1,
    torch: p.torch !== false,
    filter: (c) => caseName(c).includes(filter),
    log: (l) => console.error(l),
  });
  if (!rows.length) throw new UserError(`no step case matches "${filter}"`);
  if (note) console.error(`note: ${note}`);
  console.log(formatStepTable(rows));
  if (json) {
    await writeFileAtomic(json, JSON.stringify(rows, null, 2) + "\n");
    console.error(`wrote ${json}`);
  }
}

runMain(async () => {
  const p = parseCommand(spec);
  const json = p.json === undefined ? undefined : userPath(p.json as string);
  if (json !== undefined) parentMustExist(json, "--json");
  if (p.step) return await stepMode(p, json);
  const filter = (p.filter as string | undefined) ?? "";
  const cases = benchCases.filter((c) => `${c.kernel} ${c.shape}`.includes(filter));
  if (!cases.length) {
    throw new UserError(`no bench case matches "${filter}"; cases are named like "conv2d_fwd"`);
  }
  const policy = POLICY[p.quick ? "quick" : "full"];
  await initEngine();
  let tf: Tf | null = null;
  if (p.tfjs) {
    try {
      tf = await loadTf();
    } catch (e) {
      console.error(`note: TF.js unavailable (${(e as Error).message}); TF.js column skipped`);
    }
  }
  const rows: BenchRow[] = [];
  for (const c of cases) {
    const t = await measureCase(c, tf, policy);
    const row = makeRow(c, t.ours, t.tfjs);
    rows.push(row);
    console.error(
      `${row.kernel} ${row.shape}: ours ${row.ours_gflops} ${row.unit}` +
        (row.tfjs_gflops === null ? "" : `, TF.js ${row.tfjs_gflops} (${row.ratio}×)`),
    );
  }
  if (p.torch) {
    const withSpec = cases.map((c, i) => ({ i, s: torchSpec(c) })).filter((v) => v.s);
    const res = await runTorch(withSpec.map((v) => v.s!), !!p.quick);
    if ("note" in res) console.error(`note: ${res.note}`);
    else {
      for (const r of rows) r.torch_gflops = r.torch_ratio = null;
      withSpec.forEach(({ i }, j) => setTorch(rows[i], cases[i], res.seconds[j]));
    }
  }
  console.log(formatTable(rows, !!p.torch && rows.some((r) => r.torch_gflops !== undefined)));
  if (!p.filter) {
    // The data loader end to end (gather, draw, pack, one upload, fused augment kernel).
    const batches = p.quick ? 4 : 8;
    const l = await loaderThroughput({ batches });
    console.log(
      `loader: ${l.imagesPerSecond.toFixed(0)} images/s (two 32×32 views per image, batch 256, ` +
        `${l.images} images in ${l.seconds.toFixed(2)} s)`,
    );
    // With BCL's RandAugment (k 1, strength 30, weights spread over [0, 1]).
    const b = await loaderThroughput({ batches, bcl: DEFAULT_BOOST_PASS });
    console.log(
      `loader with BCL (${DEFAULT_BOOST_PASS} pass): ${b.imagesPerSecond.toFixed(0)} images/s ` +
        `(${(100 * (b.imagesPerSecond / l.imagesPerSecond - 1)).toFixed(0)}% against without)`,
    );
  }
  if (json !== undefined) {
    await writeFileAtomic(json, JSON.stringify(rows, null, 2) + "\n");
    console.error(`wrote ${json}`);
  }
});
