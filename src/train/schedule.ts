/**
 * The pretraining learning-rate schedule, per iteration, as the authors' code computes it:
 * a LambdaLR whose factor is a linear warm-up from 0 over the first `warmupEpochs` epochs and
 * then a cosine from 1 down to `minLr / lr`. Their loop calls `scheduler.step()` BEFORE each
 * optimizer step, so global iteration i (0-based) trains with the factor at i + 1.
 * @module
 */

/** What the schedule depends on. */
export interface ScheduleConfig {
  /** Peak learning rate. */
  lr: number;
  epochs: number;
  itersPerEpoch: number;
  /** Warm-up length in epochs (10 in the paper's runs). */
  warmupEpochs: number;
  /** Final learning rate (1e-6 in the paper's runs). */
  minLr: number;
}

/** The shape of the schedule in scheduler steps. */
export interface LrFactorOptions {
  /** Steps of the whole run (where the cosine ends). */
  totalSteps: number;
  /** Steps of the linear warm-up. */
  warmupSteps: number;
  /** Factor the cosine ends at (minLr / lr). */
  minFactor: number;
}

/** The multiplicative factor at scheduler step `s` (the authors' cosine_annealing, lr_max 1). */
export function lrFactor(s: number, o: LrFactorOptions): number {
  const { totalSteps, warmupSteps, minFactor } = o;
  if (s < warmupSteps) return s / warmupSteps;
  // Runs no longer than the warm-up end exactly at the peak (the formula would divide by 0).
  if (totalSteps <= warmupSteps) return 1;
  const t = (s - warmupSteps) / (totalSteps - warmupSteps);
  return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(t * Math.PI));
}

/** Learning rate used by global iteration `iter` (0-based). */
export function lrAt(iter: number, c: ScheduleConfig): number {
  const total = c.epochs * c.itersPerEpoch;
  const warm = c.warmupEpochs * c.itersPerEpoch;
  if (c.lr === 0) return 0;
  return c.lr *
    lrFactor(iter + 1, { totalSteps: total, warmupSteps: warm, minFactor: c.minLr / c.lr });
}
