/**
 * `deno task bench --step`: images per second of whole training steps (SDCLR and SimCLR,
 * ResNet-18 CIFAR stem, 32×32) with and without the loader, beside PyTorch CPU doing the same
 * step in the same run (tools/bench_step_torch.py; its column is skipped with one line when
 * python3 or torch is missing), and the ratio of seconds per step, ours / PyTorch.
 * @module
 */
import { engine } from "../../core/engine.ts";
import type { Method } from "../train/steps.ts";
import { makeStepRunner, type StepConfig } from "./step_runner.ts";

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
  /** Seconds per step, ours and PyTorch's (null: not run). */
  ours_s: number;
  torch_s: number | null;
  /** Images per second (batch / seconds per step). */
  ours_img_s: number;
  torch_img_s: number | null;
  /** ours / PyTorch seconds per step (lower is better; 1 = as fast). */
  ratio: number | null;
}

/** The configurations the targets are stated for. */
export const STEP_CASES: Omit<StepConfig, "loader" | "method">[] = [
  { depth: 18, width: 64, batchSize: 64, imageSize: 32 },
  { depth: 18, width: 8, batchSize: 128, imageSize: 32 },
];

/** Seconds per step of ours: `warmup` steps, then the mean of `steps`. */
export async function timeOurs(c: StepConfig, steps: number, warmup: number): Promise<number> {
  const r = await makeStepRunner(c);
  try {
    for (let i = 0; i < warmup; i++) {
      await r.step();
      await engine().tunePending(); // with --tune: shapes first met in this step
    }
    await engine().sync();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await r.step();
    await engine().sync();
    return (performance.now() - t0) / 1000 / steps;
  } finally {
    r.dispose();
  }
}

const TORCH = new URL("../../tools/bench_step_torch.py", import.meta.url).pathname;

/** PyTorch's seconds per step for each config, or a note saying why there are none. */
export async function timeTorch(
  configs: StepConfig[],
  steps: number,
  warmup: number,
): Promise<{ seconds: (number | null)[] } | { note: string }> {
  const specs = configs.map((c) => ({
    method: c.method,
    depth: c.depth,
    width: c.width,
    batch: c.batchSize,
    size: c.imageSize,
    loader: c.loader,
    steps,
    warmup,
  }));
  let child;
  try {
    child = new Deno.Command("python3", {
      args: [TORCH],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch {
    return { note: "python3 not found: PyTorch column skipped" };
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(specs)));
  await w.close();
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
  if (out.code === 3) return { note: `PyTorch column skipped: ${err}` };
  if (out.code !== 0) {
    return { note: `tools/bench_step_torch.py failed (exit ${out.code}): ${err}` };
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
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

/**
 * Runs the cases, each one's PyTorch step right after ours so that background load (this is
 * a shared machine) hits both sides of a ratio alike; a buffer-path case shares the PyTorch
 * time of its default-path twin.
 */
export async function stepBench(o: {
  steps: number;
  warmup: number;
  torch: boolean;
  filter?: (c: BenchCase) => boolean;
  log?: (s: string) => void;
  /** The cases to run (default: benchCases()). */
  cases?: BenchCase[];
}): Promise<{ rows: StepRow[]; note?: string }> {
  const chosen = (o.cases ?? benchCases()).filter(o.filter ?? (() => true));
  const rows: StepRow[] = [];
  const torchOf = new Map<string, number>();
  let note: string | undefined;
  for (const c of chosen) {
    const run = () => timeOurs(c, o.steps, o.warmup);
    const s = c.path === "buffers" ? await buffersPath(run) : await run();
    const twin = `${c.method} ${c.width} ${c.batchSize} ${c.loader}`;
    if (o.torch && note === undefined && !torchOf.has(twin)) {
      const t = await timeTorch([c], o.steps, o.warmup);
      if ("note" in t) note = t.note;
      else if (t.seconds[0] !== null) torchOf.set(twin, t.seconds[0]);
    }
    const torch = torchOf.get(twin) ?? null;
    o.log?.(
      `${caseName(c)}: ours ${s.toFixed(3)} s/step` +
        (torch === null ? "" : `, PyTorch ${torch.toFixed(3)} s/step`),
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
      ratio: torch === null ? null : s / torch,
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
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)) + 2);
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(w[i])).join("")).join("\n");
}
