/**
 * `deno task bench --step`: images per second of whole training steps (SDCLR and SimCLR,
 * ResNet-18 CIFAR stem, 32×32) with and without the loader, beside PyTorch CPU doing the same
 * step in the same run (tools/bench_step_torch.py; its column is skipped with one line when
 * python3 or torch is missing), and the ratio of seconds per step, ours / PyTorch. Each side
 * is timed in several trials that alternate with the other side's, and every figure is a
 * median over trials: PyTorch's step time on this shared machine moves up to 1.7× within
 * minutes, so one timing per side is not evidence.
 * @module
 */
import { engine } from "../../core/engine.ts";
import type { Method } from "../train/steps.ts";
import { makeStepRunner, type StepConfig } from "./step_runner.ts";
import { startTorchSteps, type TorchSteps } from "./torch_steps.ts";

/**
 * Which kernels run: the device profile's default, or the storage-buffer path GPUs take
 * (measured on software adapters too, whose default reads operands from textures, so the
 * GPU path cannot silently rot).
 */
export type KernelPath = "default" | "buffers";

/** One row of the step bench. */
export interface StepRow {
  method: Method;
  width: number;
  batch: number;
  loader: boolean;
  path: KernelPath;
  /** Seconds per step, ours and PyTorch's: the median over trials (null: not run). */
  ours_s: number;
  torch_s: number | null;
  /** Images per second (batch / seconds per step). */
  ours_img_s: number;
  torch_img_s: number | null;
  /**
   * ours / PyTorch seconds per step (lower is better; 1 = as fast): the median over trials
   * of each trial's ratio, ours against the PyTorch trial run right after it.
   */
  ratio: number | null;
  /** The smallest and largest of the trials' ratios. */
  ratio_range: [number, number] | null;
  /** Each trial's mean seconds per step. */
  ours_trials: number[];
  torch_trials: number[] | null;
}

/** The configurations the targets are stated for. */
export const STEP_CASES: Omit<StepConfig, "loader" | "method">[] = [
  { depth: 18, width: 64, batchSize: 64, imageSize: 32 },
  { depth: 18, width: 8, batchSize: 128, imageSize: 32 },
];

/** Our step, built and warmed up, timed in trials. */
async function startOurs(c: StepConfig, warmup: number) {
  const r = await makeStepRunner(c);
  for (let i = 0; i < warmup; i++) {
    await r.step();
    await engine().tunePending(); // with --tune: shapes first met in this step
  }
  await engine().sync();
  return {
    /** Mean seconds per step over `steps` steps recorded back to back, ending in one wait. */
    async trial(steps: number): Promise<number> {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await r.step();
      await engine().sync();
      return (performance.now() - t0) / 1000 / steps;
    },
    close: () => r.dispose(),
  };
}

/** The median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `fn` on the buffer path: the profile's choice forced, and no autotuner (whose winners
 * may be texture versions), so what runs is what an untuned GPU runs by default.
 */
async function buffersPath<T>(fn: () => Promise<T>): Promise<T> {
  const e = engine(), tuner = e.tuner;
  e.tuner = null;
  try {
    return await e.withProfile({ preferTextureLoads: false }, fn);
  } finally {
    e.tuner = tuner;
  }
}

/** A config of the bench and the kernel path it runs. */
export type BenchCase = StepConfig & { path: KernelPath };

/**
 * The cases: methods × STEP_CASES × loader on/off on the default path, and where the default
 * reads textures (software adapters), each step without the loader again on the buffer path.
 */
export function benchCases(): BenchCase[] {
  const cases: BenchCase[] = [];
  const buffersToo = engine().profile.preferTextureLoads;
  for (const base of STEP_CASES) {
    for (const method of ["sdclr", "simclr"] as const) {
      for (const loader of [false, true]) cases.push({ ...base, method, loader, path: "default" });
      if (buffersToo) cases.push({ ...base, method, loader: false, path: "buffers" });
    }
  }
  return cases;
}

/** The case's name in logs, tables and --filter: "sdclr w8 b128 loader buffers". */
export function caseName(c: BenchCase): string {
  return `${c.method} w${c.width} b${c.batchSize}${c.loader ? " loader" : ""}${
    c.path === "buffers" ? " buffers" : ""
  }`;
}

/** How a case is timed. */
export interface TrialPlan {
  /** Trials per side; ours and PyTorch's alternate. */
  trials: number;
  /** Steps per trial. */
  steps: number;
  /** Steps run before the first trial (compiles, warms caches). */
  warmup: number;
}

/** Times one case: `trials` trials of ours, each followed by one of PyTorch's. */
async function timeCase(
  c: BenchCase,
  plan: TrialPlan,
  torch: boolean,
): Promise<{ ours: number[]; torch: number[] | null; note?: string }> {
  const ours = await startOurs(c, plan.warmup);
  const theirs = torch ? await startTorchSteps(c, plan.warmup) : null;
  try {
    const o: number[] = [], t: number[] = [];
    let note = theirs && "note" in theirs ? theirs.note : undefined;
    for (let i = 0; i < plan.trials; i++) {
      o.push(await ours.trial(plan.steps));
      if (!theirs || note !== undefined) continue;
      try {
        t.push(await (theirs as TorchSteps).trial(plan.steps));
      } catch (e) {
        note = (e as Error).message;
      }
    }
    return { ours: o, torch: theirs && note === undefined ? t : null, note };
  } finally {
    ours.close();
    if (theirs && !("note" in theirs)) await theirs.close();
  }
}

/**
 * Runs the cases. Within a case, trials of ours and of PyTorch alternate with both steps
 * built and warm, so background load (this is a shared machine) hits both sides of a ratio
 * alike; a case's ratio is the median of its trials' ratios. After one PyTorch failure the
 * remaining cases run without it (the note says why).
 */
export async function stepBench(
  o: TrialPlan & {
    torch: boolean;
    filter?: (c: BenchCase) => boolean;
    log?: (s: string) => void;
    /** The cases to run (default: benchCases()). */
    cases?: BenchCase[];
  },
): Promise<{ rows: StepRow[]; note?: string }> {
  const chosen = (o.cases ?? benchCases()).filter(o.filter ?? (() => true));
  const rows: StepRow[] = [];
  let note: string | undefined;
  for (const c of chosen) {
    const run = () => timeCase(c, o, o.torch && note === undefined);
    const t = c.path === "buffers" ? await buffersPath(run) : await run();
    note ??= t.note;
    const s = median(t.ours);
    const torch = t.torch === null ? null : median(t.torch);
    const ratios = t.torch === null ? null : t.ours.map((x, i) => x / t.torch![i]);
    o.log?.(
      `${caseName(c)}: ours ${t.ours.map((x) => x.toFixed(3)).join(" ")} s/step` +
        (t.torch === null ? "" : `, PyTorch ${t.torch.map((x) => x.toFixed(3)).join(" ")} s/step`),
    );
    rows.push({
      method: c.method,
      width: c.width,
      batch: c.batchSize,
      loader: c.loader,
      path: c.path,
      ours_s: s,
      torch_s: torch,
      ours_img_s: c.batchSize / s,
      torch_img_s: torch === null ? null : c.batchSize / torch,
      ratio: ratios === null ? null : median(ratios),
      ratio_range: ratios === null ? null : [Math.min(...ratios), Math.max(...ratios)],
      ours_trials: t.ours,
      torch_trials: t.torch,
    });
  }
  return { rows, note };
}

/** The rows as a table. */
export function formatStepTable(rows: StepRow[]): string {
  const head = [
    "step",
    "loader",
    "kernels",
    "ours s",
    "ours img/s",
    "torch s",
    "torch img/s",
    "ours/torch",
    "trials' range",
  ];
  const lines = rows.map((r) => [
    `${r.method} w${r.width} b${r.batch}`,
    r.loader ? "yes" : "no",
    r.path,
    r.ours_s.toFixed(3),
    r.ours_img_s.toFixed(1),
    r.torch_s === null ? "—" : r.torch_s.toFixed(3),
    r.torch_img_s === null ? "—" : r.torch_img_s.toFixed(1),
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
    r.ratio_range === null ? "—" : r.ratio_range.map((x) => `${x.toFixed(2)}×`).join("–"),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)) + 2);
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(w[i])).join("")).join("\n");
}
