import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { assertClose } from "../../core/testing.ts";
import { bclMemoryUpdate, bclWeights } from "../../kernels/bcl/mod.ts";
import { boostWeightsRef, memoryUpdateRef, weightStats } from "../../kernels/bcl/reference.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

const golden = () => {
  const [c] = loadGolden("bcl");
  if (!c) throw new Error("bcl fixture missing");
  const t = c.tensors;
  const [epochs, n] = t.orders.shape;
  const row = (x: Float32Array, e: number) => x.subarray(e * n, (e + 1) * n);
  return { c, t, epochs, n, row, beta: c.params.beta as number, batch: c.params.batch as number };
};

Deno.test("bcl: memory update and weights on the GPU equal the NumPy golden over 3 epochs", async () => {
  const g = golden();
  const memory = Tensor.zeros([g.n]), weights = Tensor.zeros([g.n]);
  for (let e = 0; e < g.epochs; e++) {
    const order = Uint32Array.from(g.row(g.t.orders.data, e));
    const losses = g.row(g.t.losses.data, e);
    for (let s = 0; s < g.n; s += g.batch) {
      const end = Math.min(s + g.batch, g.n);
      const samples = Tensor.from(losses.slice(s, end), [end - s]);
      const items = Tensor.from(order.slice(s, end), [end - s]);
      bclMemoryUpdate(memory, { samples, items, beta: g.beta, first: e === 0 });
      samples.dispose();
      items.dispose();
    }
    bclWeights(memory, weights);
    assertClose(`memory after epoch ${e + 1}`, await memory.read(), g.row(g.t.memory.data, e));
    assertClose(`weights after epoch ${e + 1}`, await weights.read(), g.row(g.t.weights.data, e));
  }
  memory.dispose();
  weights.dispose();
});

Deno.test("bcl: CPU references equal the NumPy golden; weights span [0, 1] around 1/2", () => {
  const g = golden();
  let m: Float64Array = new Float64Array(g.n);
  for (let e = 0; e < g.epochs; e++) {
    const order = g.row(g.t.orders.data, e), losses = g.row(g.t.losses.data, e);
    for (let s = 0; s < g.n; s += g.batch) {
      const end = Math.min(s + g.batch, g.n);
      m = memoryUpdateRef(m, {
        samples: losses.slice(s, end),
        items: order.slice(s, end),
        beta: g.beta,
        first: e === 0,
      });
    }
    assertClose(`memory ${e + 1}`, m, g.row(g.t.memory.data, e));
    const w = boostWeightsRef(m);
    assertClose(`weights ${e + 1}`, w, g.row(g.t.weights.data, e));
    const s = weightStats(w);
    // The largest |z| maps to 0 or 1; every weight lies in [0, 1].
    if (Math.min(...w) < 0 || s.max > 1) throw new Error("weights outside [0, 1]");
    if (Math.abs(Math.min(...w)) > 1e-12 && Math.abs(s.max - 1) > 1e-12) {
      throw new Error("neither end of [0, 1] reached");
    }
  }
});
