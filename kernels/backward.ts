/**
 * The backward pass: walks the graph reachable from the loss in reverse topological order
 * (as micrograd and tinygrad do), applies each primitive's rule from the registry's one rule
 * table, sums gradients of tensors used several times, and accumulates parameter gradients
 * into `param.grad`, so two backward passes before one optimizer step add up (the SDCLR step
 * needs exactly that). Only the nodes it consumed are released; graphs unrelated to the loss
 * are left alone.
 * @module
 */
import { engine } from "../core/engine.ts";
import { accumulate } from "./elementwise/mod.ts";
import { rules } from "./registry.ts";
import type { Primitive, Rule, RuleCtx, TapeNode } from "../core/tape.ts";
import { Tensor } from "../core/tensor.ts";

/**
 * The nodes reachable from `t`, each after the nodes that produced its inputs (DFS
 * post-order, iterative so that deep networks do not exhaust the call stack).
 */
export function topologicalOrder(t: Tensor): TapeNode[] {
  const out: TapeNode[] = [];
  const seen = new Set<TapeNode>();
  const stack: [TapeNode, number][] = [];
  const visit = (n: TapeNode | null) => {
    if (n && !seen.has(n)) {
      seen.add(n);
      stack.push([n, 0]);
    }
  };
  visit(t.node as TapeNode | null);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [n, i] = top;
    if (i < n.inputs.length) {
      top[1]++;
      visit(n.inputs[i].node as TapeNode | null);
    } else {
      stack.pop();
      out.push(n);
    }
  }
  return out;
}

/**
 * Back-propagates from `loss` (a scalar or any tensor; seeded with ones, or with `seed`).
 * Leaves with requiresGrad get `grad += dloss/dleaf`. Afterwards the intermediate tensors of
 * the graph it walked are disposed (those not `keep()`-ed), so memory returns to the pool.
 */
export function backward(loss: Tensor, seed?: Tensor): void {
  engine().inPhase("backward", () => walk(loss, seed));
}

function walk(loss: Tensor, seed?: Tensor): void {
  const nodes = topologicalOrder(loss);
  const grads = new Map<Tensor, Tensor>();
  const ownedSeed = !seed;
  grads.set(loss, seed ?? Tensor.fill(loss.shape, 1));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const gy = grads.get(node.output);
    if (!gy) continue;
    grads.delete(node.output);
    // An input listed twice gets no `into`: the rule would add into it twice at once.
    const into = node.inputs.map((x) =>
      !x.requiresGrad || node.inputs.indexOf(x) !== node.inputs.lastIndexOf(x)
        ? null
        : x.node === null
        ? x.grad
        : grads.get(x) ?? null
    );
    const ctx: RuleCtx<Primitive> = {
      inputs: node.inputs,
      output: node.output,
      saved: node.saved,
      needsGrad: node.inputs.map((t) => t.requiresGrad),
      into,
    };
    const rule = rules[node.prim] as Rule<Primitive>;
    const gxs = rule(ctx, gy);
    if (gy !== seed || ownedSeed) gy.dispose();
    node.inputs.forEach((x, j) => {
      const gx = gxs[j];
      if (!gx || gx === into[j]) return; // none, or added into the existing one by the rule
      if (!x.requiresGrad) {
        gx.dispose();
        return;
      }
      if (x.node === null) {
        // A leaf: accumulate into its persistent .grad.
        if (!x.grad) x.grad = gx.keep();
        else {
          accumulate(x.grad, gx);
          gx.dispose();
        }
        return;
      }
      const prev = grads.get(x);
      if (!prev) grads.set(x, gx);
      else {
        accumulate(prev, gx);
        gx.dispose();
      }
    });
  }
  for (const g of grads.values()) g.dispose();
  releaseNodes(nodes, loss);
}

/** Disposes intermediate outputs and saved tensors of the consumed nodes (keeps kept ones). */
function releaseNodes(nodes: TapeNode[], loss: Tensor): void {
  for (const n of nodes) {
    for (const t of n.owned) if (!t.kept) t.dispose();
    n.output.node = null;
    if (!n.output.kept && n.output !== loss) n.output.dispose();
  }
}
