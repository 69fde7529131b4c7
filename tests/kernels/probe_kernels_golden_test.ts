import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { argmaxRows } from "../../kernels/loss/mod.ts";
import { gatherRowsInto } from "../../kernels/elementwise/mod.ts";
import { knnVote } from "../../kernels/knn/mod.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

const cases = new Map(loadGolden("probe_kernels").map((c) => [c.name, c]));
const u32 = (a: Float32Array) => Uint32Array.from(a);

Deno.test("argmax_rows equals torch.argmax (first maximum on ties)", async () => {
  const { x, pred } = cases.get("argmax")!.tensors;
  const got = argmaxRows(Tensor.from(x.data, x.shape));
  assert.deepEqual(await got.readU32(), u32(pred.data));
  got.dispose();
});

Deno.test("gather_rows equals torch.index_select over a permutation window", async () => {
  const c = cases.get("gather")!;
  const { src, perm, out } = c.tensors;
  const { offset, rows } = c.params as { offset: number; rows: number };
  const y = Tensor.empty([rows, src.shape[1]]);
  gatherRowsInto(
    y,
    Tensor.from(src.data, src.shape),
    Tensor.from(u32(perm.data), [perm.data.length]),
    { permOffset: offset },
  );
  assert.deepEqual(await y.read(), out.data);
  y.dispose();
});

Deno.test("knn_vote equals PyTorch's topk + exp(s/t) weighted vote", async () => {
  const c = cases.get("knn")!;
  const { sim, labels, pred } = c.tensors;
  const { k, classes, t } = c.params as { k: number; classes: number; t: number };
  const got = knnVote(
    Tensor.from(sim.data, sim.shape),
    Tensor.from(u32(labels.data), [labels.data.length]),
    { k, classes, temperature: t },
  );
  assert.deepEqual(await got.readU32(), u32(pred.data));
  got.dispose();
});
