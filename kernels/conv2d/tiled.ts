/**
 * Recording the register-tiled kernels with buffer operands: a planned direct launch (forward
 * or input gradient, conv2d_direct.wgsl) and a planned weight-gradient launch
 * (conv2d_wgrad.wgsl, plus conv2d_reduce.wgsl over the split partials). The plans come from
 * plan.ts; the variants are generated per plan config (codegen_*.ts) and compiled once per
 * config (Engine.compileKeyed: building the defines of a big tile costs ~1.6 ms of CPU).
 * @module
 */
import { type Binding, engine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { gridFor } from "../elementwise/mod.ts";
import { directDefines } from "./codegen_direct.ts";
import { wgradDefines } from "./codegen_wgrad.ts";
import type { DirectLaunch, WgradLaunch } from "./plan.ts";
import { DIRECT, REDUCE, WGRAD } from "./specs.ts";

/**
 * Records one planned direct launch: out = x ⋆ w (⊙ mask). For the input gradient `x` is dy,
 * `y` is dx and `w` the weights as the plan reads them ([O, C, KK] or transposed [KK, O, C]).
 */
export function runDirect(
  l: DirectLaunch,
  t: { x: Tensor; w: Tensor; y: Tensor; mask: Tensor | null },
): void {
  const e = engine();
  const k = e.compileKeyed(DIRECT, JSON.stringify(l.cfg), () => directDefines(l.cfg));
  const bindings: Record<string, Binding> = { xin: t.x.buffer, wt: t.w.buffer, yout: t.y.buffer };
  if (t.mask) bindings.wm = t.mask.buffer;
  e.run(k, { params: l.params, bindings, groups: l.groups });
}

/**
 * Records one planned weight-gradient launch into gw: straight into gw in direct mode (mask in
 * the store), else into a tile-padded scratch of `l.split` partial sums that the reduction
 * kernel adds, crops and masks.
 */
export function runWgrad(
  l: WgradLaunch,
  t: { gy: Tensor; x: Tensor; gw: Tensor; mask: Tensor | null; textures?: boolean },
): void {
  const e = engine();
  const cfg = t.textures ? { ...l.cfg, tex: true } : l.cfg;
  const k = e.compileKeyed(WGRAD, JSON.stringify(cfg), () => wgradDefines(cfg));
  // The texture variant reads x and dy from textures (Engine.textureOf: copied unless a
  // current copy is cached; texture.ts).
  const xt = t.textures ? e.textureOf(t.x.buffer, t.x.size) : null;
  const dt = t.textures ? e.textureOf(t.gy.buffer, t.gy.size) : null;
  const operands = { xin: xt?.view ?? t.x.buffer, dy: dt?.view ?? t.gy.buffer };
  if (l.cfg.direct) {
    const bindings: Record<string, Binding> = { ...operands, dw: t.gw.buffer };
    if (l.cfg.maskInStore && t.mask) bindings.wm = t.mask.buffer;
    e.run(k, { params: l.params, bindings, groups: l.groups });
    return;
  }
  const part = Tensor.empty([l.scratch]);
  e.run(k, {
    params: l.params,
    bindings: { ...operands, dw: part.buffer },
    groups: l.groups,
  });
  const r = e.compile(REDUCE, { MASKED: t.mask !== null });
  const [O, C, KH, KW] = t.gw.shape;
  const sum: Record<string, Binding> = { part: part.buffer, dw: t.gw.buffer };
  if (t.mask) sum.wm = t.mask.buffer;
  e.run(r, {
    params: { n: t.gw.size, splits: l.split, cin: C, kk: KH * KW, op: l.opad, cp: l.cpad },
    bindings: sum,
    groups: gridFor(O * C * KH * KW),
  });
  part.dispose();
}
