/**
 * THE registry: every kernel family, once. From it come the kernels of `deno task kernels`,
 * the cases of `deno task bench`, and the one table of backward rules, typed
 * `{ [P in Primitive]: Rule<P> }` so that a primitive declared in SavedMap without a rule in
 * its family is a type error. Adding a family: a folder with its family.ts, and one line in
 * FAMILIES (plus its import).
 * @module
 */
import type { BenchCase, KernelInfo } from "../core/kernel.ts";
import type { Primitive, Rule } from "../core/tape.ts";
import { augment } from "./augment/family.ts";
import { batchnorm } from "./batchnorm/family.ts";
import { bcl } from "./bcl/family.ts";
import { conv2d } from "./conv2d/family.ts";
import { elementwise } from "./elementwise/family.ts";
import { knn } from "./knn/family.ts";
import { linear } from "./linear/family.ts";
import { loss } from "./loss/family.ts";
import { normalize } from "./normalize/family.ts";
import { optim } from "./optim/family.ts";
import { pool } from "./pool/family.ts";

/** Every family, in the order `kernels list` and `bench` show them. */
export const FAMILIES = [
  conv2d,
  linear,
  loss,
  batchnorm,
  pool,
  normalize,
  elementwise,
  optim,
  augment,
  bcl,
  knn,
] as const;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends
  (x: infer I) => void ? I : never;
type FamilyRules = UnionToIntersection<(typeof FAMILIES)[number]["rules"]>;

/** Backward rule of every primitive (joined from the families). */
export const rules: { [P in Primitive]: Rule<P> } = Object.assign(
  {},
  ...FAMILIES.map((f) => f.rules),
) as FamilyRules;

/** All kernels, with their reference checks. */
export const allKernels: KernelInfo[] = FAMILIES.flatMap((f) => f.kernels);

/** All benchmark cases, in table order. */
export const benchCases: BenchCase[] = FAMILIES.flatMap((f) => f.bench);
