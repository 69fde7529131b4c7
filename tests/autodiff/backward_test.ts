import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { backward, topologicalOrder } from "../../kernels/backward.ts";
import { add, relu, scale } from "../../kernels/elementwise/mod.ts";

await initEngine({ quiet: true });

Deno.test("backward walks only the graph of its loss and frees only what it consumed", async () => {
  const a = Tensor.from([1, -2, 3], [3], { requiresGrad: true });
  const b = Tensor.from([4, 5, -6], [3], { requiresGrad: true });
  // Two unrelated graphs: la from a, lb from b.
  const ha = relu(a), la = scale(ha, 2);
  const hb = scale(b, 3), lb = add(hb, hb);
  assert.deepEqual(topologicalOrder(la).map((n) => n.prim), ["relu", "scale"]);
  assert.deepEqual(topologicalOrder(lb).map((n) => n.prim), ["scale", "add"]);
  backward(la);
  assert.deepEqual([...await a.grad!.read()], [2, 0, 2]);
  assert.ok(ha.disposed, "an intermediate of la's graph is released");
  assert.equal(b.grad, null, "b is not in la's graph");
  assert.ok(!hb.disposed && hb.node !== null, "lb's graph is untouched");
  backward(lb);
  assert.deepEqual([...await b.grad!.read()], [6, 6, 6], "a tensor used twice sums its grads");
  for (const t of [a, b, la, lb]) t.dispose();
});

Deno.test("topological order: every node after the nodes its inputs come from", () => {
  const x = Tensor.from([1, 2], [2], { requiresGrad: true });
  let h = x;
  for (let i = 0; i < 5000; i++) h = scale(h, 1); // deep: no recursion limit
  const y = add(h, relu(x));
  const order = topologicalOrder(y);
  assert.equal(order.length, 5002);
  const pos = new Map(order.map((n, i) => [n, i]));
  for (const n of order) {
    for (const t of n.inputs) {
      const p = t.node ? pos.get(t.node as typeof n) : undefined;
      if (p !== undefined) assert.ok(p < pos.get(n)!);
    }
  }
  backward(y);
  x.dispose();
  y.dispose();
});
