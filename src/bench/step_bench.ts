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

/** One row of the step bench. */
export interface StepRow {
  method: Method;
  width: number;
  batch: number;
  loader: boolean;
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
    for (let i = 0; i < warmup; i++) await r.step();
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

/** Runs every case (methods × STEP_CASES × loader on/off) and PyTorch beside. */
export async function stepBench(o: {
  steps: number;
  warmup: number;
  torch: boolean;
  filter?: (c: StepConfig) => boolean;
  log?: (s: string) => void;
}): Promise<{ rows: StepRow[]; note?: string }> {
  const configs: StepConfig[] = [];
  for (const base of STEP_CASES) {
    for (const method of ["sdclr", "simclr"] as const) {
      for (const loader of [false, true]) configs.push({ ...base, method, loader });
    }
  }
  const chosen = configs.filter(o.filter ?? (() => true));
  const ours: number[] = [];
  for (const c of chosen) {
    const s = await timeOurs(c, o.steps, o.warmup);
    ours.push(s);
    o.log?.(
      `${c.method} w${c.width} b${c.batchSize}${c.loader ? " +loader" : ""}: ours ${
        s.toFixed(3)
      } s/step`,
    );
  }
  let torch: (number | null)[] = chosen.map(() => null);
  let note: string | undefined;
  if (o.torch) {
    const t = await timeTorch(chosen, o.steps, o.warmup);
    if ("note" in t) note = t.note;
    else torch = t.seconds;
  }
  const rows = chosen.map((c, i): StepRow => ({
    method: c.method,
    width: c.width,
    batch: c.batchSize,
    loader: c.loader,
    ours_s: ours[i],
    torch_s: torch[i],
    ours_img_s: c.batchSize / ours[i],
    torch_img_s: torch[i] === null ? null : c.batchSize / torch[i]!,
    ratio: torch[i] === null ? null : ours[i] / torch[i]!,
  }));
  return { rows, note };
}

/** The rows as a table. */
export function formatStepTable(rows: StepRow[]): string {
  const head = ["step", "loader", "ours s", "ours img/s", "torch s", "torch img/s", "ours/torch"];
  const lines = rows.map((r) => [
    `${r.method} w${r.width} b${r.batch}`,
    r.loader ? "yes" : "no",
    r.ours_s.toFixed(3),
    r.ours_img_s.toFixed(1),
    r.torch_s === null ? "—" : r.torch_s.toFixed(3),
    r.torch_img_s === null ? "—" : r.torch_img_s.toFixed(1),
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)) + 2);
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(w[i])).join("")).join("\n");
}
