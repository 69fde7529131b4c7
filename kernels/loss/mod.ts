/**
 * Loss family: NT-Xent (the contrastive loss of SimCLR/SDCLR) and softmax cross-entropy with
 * GPU-side accuracy counting and class predictions. Launchers and ops live in ntxent.ts and
 * cross_entropy.ts; this module joins their backward rules.
 *
 * The row argmax (the linear probe's predictions) sits here, next to count_correct, because
 * it is the same step from logits to a class that the accuracy counts take; like them it is
 * forward only (not recorded, no rule).
 * @module
 */
import type { RuleTable } from "../../core/tape.ts";
import { ntXentRule } from "./ntxent.ts";
import { crossEntropyRule } from "./cross_entropy.ts";

export {
  NORM_EPS,
  ntXent,
  ntXentForward,
  type NtXentForwardOptions,
  ntXentRule,
  ntXentViewGrad,
  ntXentWithSamples,
  sumScaled,
  sumScaledPairs,
} from "./ntxent.ts";
export {
  AccuracyCounter,
  type AccuracyCounts,
  argmaxRows,
  countCorrect,
  crossEntropy,
  crossEntropyBackward,
  crossEntropyRule,
} from "./cross_entropy.ts";

/** Backward rules of this family. */
export const lossRules: RuleTable<"ntxent" | "cross_entropy"> = {
  ntxent: ntXentRule,
  cross_entropy: crossEntropyRule,
};
