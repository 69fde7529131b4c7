/**
 * Timing of one bench case, ours and TF.js side by side: warm-up (the first run compiles
 * pipelines, the second estimates one run), then trials of K back-to-back runs followed by
 * one wait for the device; a trial's time per run is its wall time / K. Trials of ours and of
 * TF.js alternate, so both see the same background load (other processes share this
 * machine's cores), and each side reports its best trial: load only ever slows a trial down.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import { engine } from "../../core/engine.ts";
import { syncTf, type Tf } from "./tfjs.ts";

/** Repetition policy. */
export interface MeasurePolicy {
  /** Trials per side (at least one is always run). */
  trials: number;
  /** Aim for trials of about this many seconds (K is chosen from the warm-up). */
  trialSeconds: number;
  /** A side stops adding trials after this many seconds of trials. */
  maxSeconds: number;
}

/** Default and --quick policies. */
export const POLICY: Record<"full" | "quick", MeasurePolicy> = {
  full: { trials: 5, trialSeconds: 0.5, maxSeconds: 20 },
  quick: { trials: 2, trialSeconds: 0.2, maxSeconds: 6 },
};

/** One side of a case: a run function and its device wait. */
interface Side {
  run(): unknown;
  sync(): Promise<void>;
  /** Runs per trial, from the warm-up. */
  k: number;
  best: number;
  spent: number;
}

async function warm(run: () => unknown, sync: () => Promise<void>, p: MeasurePolicy) {
  run();
  await sync();
  const t0 = performance.now();
  run();
  await sync();
  const est = Math.max((performance.now() - t0) / 1000, 1e-4);
  const k = Math.max(1, Math.min(50, Math.round(p.trialSeconds / est)));
  return { run, sync, k, best: Infinity, spent: 0 } as Side;
}

async function trial(s: Side): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < s.k; i++) s.run();
  await s.sync();
  const dt = (performance.now() - t0) / 1000;
  s.best = Math.min(s.best, dt / s.k);
  s.spent += dt;
}

/**
 * Seconds per run of our kernel(s) and of the TF.js version (null when the case has none or
 * `tf` is null).
 */
export async function measureCase(
  c: BenchCase,
  tf: Tf | null,
  p: MeasurePolicy,
): Promise<{ ours: number; tfjs: number | null }> {
  const ours = c.ours();
  const theirs = tf && c.tfjs ? c.tfjs(tf) : null;
  try {
    const sides = [await warm(() => ours.run(), () => engine().sync(), p)];
    if (theirs) sides.push(await warm(() => theirs.run(), () => syncTf(tf!), p));
    for (let t = 0; t < p.trials; t++) {
      for (const s of sides) if (t === 0 || s.spent < p.maxSeconds) await trial(s);
    }
    return { ours: sides[0].best, tfjs: sides[1]?.best ?? null };
  } finally {
    ours.dispose();
    await engine().sync();
    if (theirs) {
      theirs.dispose();
      await syncTf(tf!);
    }
  }
}
