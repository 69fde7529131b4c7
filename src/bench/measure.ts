/**
 * Timing of one bench case: warm-up (compiles pipelines), then trials of K back-to-back runs
 * followed by one wait for the device; a trial's time per run is its wall time / K. The
 * reported time is the best trial: other processes on the machine only ever slow a trial
 * down, so the minimum is the least disturbed estimate, and ours and TF.js get the same rule.
 * @module
 */
import type { BenchCase } from "../../kernels/types.ts";
import { engine } from "../gpu/engine.ts";
import { syncTf, type Tf } from "./tfjs.ts";

/** Repetition policy. */
export interface MeasurePolicy {
  /** Trials to run (at least one is always run). */
  trials: number;
  /** Aim for trials of about this many seconds (K is chosen from the warm-up run). */
  trialSeconds: number;
  /** Stop adding trials after this many seconds spent on a case. */
  maxSeconds: number;
}

/** Default and --quick policies. */
export const POLICY: Record<"full" | "quick", MeasurePolicy> = {
  full: { trials: 5, trialSeconds: 0.5, maxSeconds: 20 },
  quick: { trials: 2, trialSeconds: 0.2, maxSeconds: 6 },
};

async function timeLoop(
  run: () => unknown,
  sync: () => Promise<void>,
  p: MeasurePolicy,
): Promise<number> {
  // Warm-up twice: the first run compiles, the second gives an estimate of one run.
  run();
  await sync();
  let t0 = performance.now();
  run();
  await sync();
  const est = Math.max((performance.now() - t0) / 1000, 1e-4);
  const K = Math.max(1, Math.min(50, Math.round(p.trialSeconds / est)));
  const start = performance.now();
  let best = Infinity;
  for (let t = 0; t < p.trials; t++) {
    t0 = performance.now();
    for (let k = 0; k < K; k++) run();
    await sync();
    best = Math.min(best, (performance.now() - t0) / 1000 / K);
    if ((performance.now() - start) / 1000 > p.maxSeconds) break;
  }
  return best;
}

/** Seconds per run of our kernel(s). */
export async function timeOurs(c: BenchCase, p: MeasurePolicy): Promise<number> {
  const inst = c.ours();
  try {
    return await timeLoop(() => inst.run(), () => engine().sync(), p);
  } finally {
    inst.dispose();
    await engine().sync();
  }
}

/** Seconds per run of the TF.js version. */
export async function timeTf(c: BenchCase, tf: Tf, p: MeasurePolicy): Promise<number | null> {
  if (!c.tfjs) return null;
  const inst = c.tfjs(tf);
  try {
    return await timeLoop(() => inst.run(), () => syncTf(tf), p);
  } finally {
    inst.dispose();
    await syncTf(tf);
  }
}
