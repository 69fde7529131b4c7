/**
 * THE rule table: every primitive's backward rule, joined from the kernel families' tables.
 * Typed `{ [P in Primitive]: Rule<P> }`: a primitive declared in SavedMap without a rule here
 * is a type error.
 * @module
 */
import type { Primitive, Rule } from "../core/tape.ts";
import { elementwiseRules } from "./elementwise/mod.ts";
import { batchnormRules } from "./batchnorm/mod.ts";
import { poolRules } from "./pool/mod.ts";
import { normalizeRules } from "./normalize/mod.ts";
import { linearRules } from "./linear/mod.ts";
import { lossRules } from "./loss/mod.ts";
import { convRules } from "./conv2d/mod.ts";

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
