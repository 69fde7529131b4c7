/**
 * Reverse-mode autodiff: the tape and the typed primitive registry.
 *
 * Every differentiable primitive declares what its forward saves for the backward by
 * augmenting `SavedMap` (TypeScript declaration merging) in its kernel family's module, and
 * supplies its rule in that family's rule table. `src/autodiff/rules.ts` joins the family
 * tables into one object typed `{ [P in Primitive]: Rule<P> }`, so a primitive without a
 * backward rule does not type-check.
 * @module
 */
import type { Tensor } from "./tensor.ts";

/**
 * Saved state per primitive. Families add entries:
 * `declare module "./tape.ts" { interface SavedMap { relu: {...} } }`
 */
// deno-lint-ignore no-empty-interface
export interface SavedMap {}

/** Name of a registered primitive. */
export type Primitive = keyof SavedMap;

/** One recorded application of a primitive. */
export interface TapeNode<P extends Primitive = Primitive> {
  prim: P;
  inputs: Tensor[];
  output: Tensor;
  saved: SavedMap[P];
  /** Tensors held only for the backward (released with the tape). */
  owned: Tensor[];
}

/** What a backward rule receives. */
export interface RuleCtx<P extends Primitive> {
  inputs: Tensor[];
  output: Tensor;
  saved: SavedMap[P];
  /** needsGrad[i]: whether input i wants a gradient (skip the work otherwise). */
  needsGrad: boolean[];
  /**
   * into[i]: the gradient input i already has (a tensor used more than once, or a leaf's
   * `.grad`), else null. A rule may add its gradient for input i into it in its own store
   * and return that tensor: the walk then skips the separate add (one pass over the tensor
   * instead of two). Rules that ignore it return a new tensor as usual.
   */
  into: (Tensor | null)[];
}

/**
 * A backward rule: given the output gradient, returns one gradient per input (null where
 * not needed). Returned tensors are new, or `ctx.into[i]` with the gradient added into it;
 * the rule must not dispose `gy`.
 */
export type Rule<P extends Primitive> = (ctx: RuleCtx<P>, gy: Tensor) => (Tensor | null)[];

/** A family's table of rules for the primitives it declares. */
export type RuleTable<K extends Primitive> = { [P in K]: Rule<P> };

let gradEnabled = true;

/** Whether operations are being recorded. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording (no graph, no saved tensors). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True if a primitive applied to these inputs should be recorded. */
export function shouldRecord(inputs: readonly Tensor[]): boolean {
  return gradEnabled && inputs.some((t) => t.requiresGrad);
}

/** What `record` stores for one primitive application. */
export interface RecordOptions<P extends Primitive> {
  /** The primitive's tensor inputs, in the order its backward rule returns gradients. */
  inputs: Tensor[];
  /** The primitive's result (the node hangs off it). */
  output: Tensor;
  /** What the forward saved for the backward rule (see `SavedMap`). */
  saved: SavedMap[P];
  /**
   * Extra buffers only the backward needs (statistics, masks of ReLU, …), disposed when a
   * backward consumes the node, or at once when nothing is recorded. Default none.
   */
  owned?: Tensor[];
}

/**
 * Records a primitive application when any input requires a gradient: the node hangs off
 * `output.node` and points at its inputs, so the graph is reachable from any result and from
 * nothing else (no global tape). Returns `output`.
 *
 * @example
 * ```ts ignore
 * return record("scale", { inputs: [x], output: y, saved: { alpha } });
 * ```
 */
export function record<P extends Primitive>(prim: P, o: RecordOptions<P>): Tensor {
  const { inputs, output, saved, owned = [] } = o;
  if (!shouldRecord(inputs)) {
    for (const t of owned) t.dispose();
    return output;
  }
  const node: TapeNode<P> = { prim, inputs, output, saved, owned };
  output.requiresGrad = true;
  output.node = node;
  return output;
}
