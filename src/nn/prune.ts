/**
 * SDCLR's pruning of a live model (docs/method.md §5): once per epoch the conv weights are read back,
 * the global magnitude masks are computed on the CPU (prune_cpu.ts) and uploaded; the dense
 * weights themselves never change. Masks are keyed by conv module name in files (as the
 * authors' `save_mask` does: "conv1", "layer1.0.conv1", …) and by weight key on the model.
 * @module
 */
import { readAll, Tensor } from "../../core/tensor.ts";
import { allConvs } from "./arch.ts";
import { magnitudeMasks, type PruneResult } from "./prune_cpu.ts";
import type { ResNet } from "./resnet.ts";

/** Installs 0/1 masks (by conv module name) on the model, replacing older ones. */
export function setMasks(model: ResNet, masks: Map<string, Uint8Array>): void {
  const next = new Map<string, Tensor>();
  for (const c of allConvs(model.arch)) {
    const m = masks.get(c.name);
    const w = model.weights.get(`${c.name}.weight`)!;
    if (!m || m.length !== w.size) {
      for (const t of next.values()) t.dispose();
      throw new Error(`setMasks: no mask of ${w.size} values for conv '${c.name}'`);
    }
    next.set(`${c.name}.weight`, Tensor.from(Float32Array.from(m), w.shape).keep());
  }
  for (const t of model.masks?.values() ?? []) t.dispose();
  model.masks = next;
}

/** Recomputes the masks from the current weights at prune fraction `p` and installs them. */
export async function pruneModel(
  model: ResNet,
  p: number,
): Promise<PruneResult & { byName: Map<string, Uint8Array> }> {
  const convs = allConvs(model.arch);
  const weights = await readAll(convs.map((c) => model.weights.get(`${c.name}.weight`)!));
  const res = magnitudeMasks(weights, p);
  const byName = new Map(convs.map((c, i) => [c.name, res.masks[i]]));
  setMasks(model, byName);
  return { ...res, byName };
}

/** Fraction of zeros over a set of masks. */
export function maskSparsity(masks: Iterable<Uint8Array>): number {
  let zeros = 0;
  let n = 0;
  for (const m of masks) {
    n += m.length;
    for (let i = 0; i < m.length; i++) zeros += m[i] ? 0 : 1;
  }
  return n ? zeros / n : 0;
}
