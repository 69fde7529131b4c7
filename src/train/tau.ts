/**
 * The NT-Xent temperature per epoch (docs/method.md §4 and §10): a constant (the paper's
 * `--temperature`), or the cosine schedule of Kukleva et al. (ICLR 2023) as their released
 * code computes it, τ(e) = τ− + (τ+ − τ−)·(1 + cos(π·e / T))/2 with e the 1-based epoch,
 * constant within an epoch (one full period is 2T epochs). A pure function of the epoch, so a
 * resumed run continues the schedule exactly.
 * @module
 */

/** Temperature schedules. */
export const TAU_SCHEDULES = ["constant", "cosine"] as const;
/** One of TAU_SCHEDULES. */
export type TauScheduleName = typeof TAU_SCHEDULES[number];

/** The cosine schedule's defaults (the released CIFAR-LT / ImageNet-100-LT settings). */
export const TAU_DEFAULTS = { min: 0.1, max: 1.0, period: 200 } as const;

/** What τ(e) depends on (the PretrainConfig fields; absent schedule: constant). */
export interface TauConfig {
  /** The constant temperature (used when the schedule is constant). */
  temperature: number;
  tauSchedule?: TauScheduleName;
  /** τ−, τ+ and T of the cosine schedule. */
  tauMin?: number;
  tauMax?: number;
  tauPeriod?: number;
}

/** τ of 1-based epoch `epoch`. */
export function tauAt(epoch: number, c: TauConfig): number {
  if ((c.tauSchedule ?? "constant") === "constant") return c.temperature;
  const lo = c.tauMin ?? TAU_DEFAULTS.min, hi = c.tauMax ?? TAU_DEFAULTS.max;
  const period = c.tauPeriod ?? TAU_DEFAULTS.period;
  return lo + (hi - lo) * (1 + Math.cos((Math.PI * epoch) / period)) / 2;
}

/** A short description for logs and --help: "cosine τ 0.1–1 (T = 200)" or "τ 0.2". */
export function describeTau(c: TauConfig): string {
  if ((c.tauSchedule ?? "constant") === "constant") return `τ ${c.temperature}`;
  return `cosine τ ${c.tauMin ?? TAU_DEFAULTS.min}–${c.tauMax ?? TAU_DEFAULTS.max} ` +
    `(T = ${c.tauPeriod ?? TAU_DEFAULTS.period} epochs)`;
}
