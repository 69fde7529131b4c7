/**
 * Version 1 of the three conv2d passes (conv2d_naive.wgsl): one output element per invocation,
 * straight loops, buffers only. Never the default; it is the differential oracle the tiled
 * versions are compared with (checks, tests) and the place to start reading.
 * @module
 */
import { engine } from "../../core/engine.ts";
import type { ParamValues } from "../../core/kernel_spec.ts";
import type { Tensor } from "../../core/tensor.ts";
import type { ConvGeom } from "./plan.ts";
import { NAIVE } from "./specs.ts";

/** Invocations per workgroup of the naive kernels, and the most workgroups a dispatch uses. */
const WG = 64, MAX_WG = 4096;

function launch(
  g: ConvGeom,
  entry: "forward" | "backward_input" | "backward_weight",
  l: { total: number; bindings: Record<string, GPUBuffer>; mask: Tensor | null },
): void {
  const e = engine();
  const params: ParamValues<typeof NAIVE> = {
    total: l.total,
    batch: g.N,
    cin: g.C,
    ih: g.H,
    iw: g.W,
    cout: g.O,
    kh: g.KH,
    kw: g.KW,
    oh: g.Ho,
    ow: g.Wo,
    stride: g.stride,
    pad: g.padding,
  };
  const bindings = l.mask ? { ...l.bindings, mask: l.mask.buffer } : l.bindings;
  e.run(e.compile(NAIVE, { MASKED: l.mask !== null }, entry), {
    params,
    bindings,
    groups: [Math.max(1, Math.min(Math.ceil(l.total / WG), MAX_WG))],
  });
}

/** y = conv2d(x, w ⊙ mask). */
export function naiveForward(
  g: ConvGeom,
  t: { x: Tensor; w: Tensor; y: Tensor; mask: Tensor | null },
): void {
  const bindings = { x: t.x.buffer, w: t.w.buffer, y: t.y.buffer };
  launch(g, "forward", { total: t.y.size, bindings, mask: t.mask });
}

/** gx = dL/dx from gy = dL/dy through w ⊙ mask. */
export function naiveInputGrad(
  g: ConvGeom,
  t: { gy: Tensor; w: Tensor; gx: Tensor; mask: Tensor | null },
): void {
  const bindings = { gy: t.gy.buffer, w: t.w.buffer, gx: t.gx.buffer };
  launch(g, "backward_input", { total: t.gx.size, bindings, mask: t.mask });
}

/** gw = mask ⊙ dL/d(w ⊙ mask) from gy = dL/dy and x. */
export function naiveWeightGrad(
  g: ConvGeom,
  t: { gy: Tensor; x: Tensor; gw: Tensor; mask: Tensor | null },
): void {
  const bindings = { gy: t.gy.buffer, x: t.x.buffer, gw: t.gw.buffer };
  launch(g, "backward_weight", { total: t.gw.size, bindings, mask: t.mask });
}
