/**
 * THE rule table: every primitive's backward rule, joined from the kernel families' tables.
 * Typed `{ [P in Primitive]: Rule<P> }`: a primitive declared in SavedMap without a rule here
 * is a type error.
 * @module
 */
import type { Primitive, Rule } from "./tape.ts";
import { elementwiseRules } from "../../kernels/elementwise/mod.ts";
import { batchnormRules } from "../../kernels/batchnorm/mod.ts";
import { poolRules } from "../../kernels/pool/mod.ts";
import { normalizeRules } from "../../kernels/normalize/mod.ts";
import { linearRules } from "../../kernels/linear/mod.ts";
import { lossRules } from "../../kernels/loss/mod.ts";
import { convRules } from "../../kernels/conv2d/mod.ts";

/** Backward rule of every primitive. */
export const rules: { [P in Primitive]: Rule<P> } = {
  ...elementwiseRules,
  ...batchnormRules,
  ...poolRules,
  ...normalizeRules,
  ...linearRules,
  ...lossRules,
  ...convRules,
};
