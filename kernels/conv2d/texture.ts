/**
 * Texture-load variant of the conv2d forward kernel. On lavapipe (Mesa's CPU Vulkan driver)
 * every storage-buffer load runs lane by lane with bounds checks (~5 ns per vec4), while a
 * load from a read-only rgba32float storage texture costs ~1.8 ns: the forward kernel reading
 * x and w (and the mask) from textures, copied in from their buffers inside the op (~0.5 ms
 * per 16 MB), measured 25–39% faster on the ResNet-18 forwards with bit-identical results.
 * On real GPUs buffer loads are cheap and the copies would be pure overhead, so textures are
 * used only on software adapters, and only for tensors that fit a texture
 * (maxTextureDimension2D rows of 4096 texels); everything else takes the buffer path.
 * @module
 */
import { engine, type FlatTexture } from "../../core/engine.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type DirectConfig, directDefines } from "./codegen_direct.ts";
import type { ConvGeom, DirectLaunch } from "./plan.ts";

/** When the forward reads its operands from textures. */
export type TextureMode = "auto" | "always" | "never";

function envMode(): TextureMode {
  try {
    const v = Deno.env.get("CONV2D_TEXTURES");
    if (v === "always" || v === "never" || v === "auto") return v;
  } catch {
    // no env permission: the default
  }
  return "auto";
}

/**
 * Test/bench hook: "auto" (default; textures on software adapters when they pay), "always"
 * (whenever the variant applies and the tensors fit) or "never" (buffers). The environment
 * variable CONV2D_TEXTURES sets the initial value.
 */
export const textureOptions: { mode: TextureMode } = { mode: envMode() };

/** Whether a planned forward launch can read textures: vec4 input rows and weight blocks. */
export function textureCapable(cfg: DirectConfig): boolean {
  return cfg.pass === "fwd" && cfg.vecIn && cfg.vecW;
}

/** Whether this forward launch reads x and w from textures (see the module doc for why). */
export function useTextures(l: DirectLaunch, x: Tensor, w: Tensor): boolean {
  const mode = textureOptions.mode;
  if (mode === "never" || !textureCapable(l.cfg)) return false;
  const e = engine();
  if (mode === "auto" && !e.gpu.isSoftware) return false;
  return e.textureFits(x.size) && e.textureFits(w.size);
}

/**
 * How a 1×1 stride-2 forward (no padding) reads x in place: the stride-1 kernel's vec4 index e
 * into the subsampled xs [N·C, Ho, Wo] becomes texels t and t + 1 of x, whose .xz are the
 * four floats it wants (x[.., 2i, 8q + 2k] for k < 4). Within a plane of `plane` xs vec4s
 * t = 4e − 2(e mod Wo/4) (even rows only, two texels per xs vec4), planes `xplane` texels
 * apart. Against gathering xs first, this skips a pass that loads every even row lane by lane
 * (0.4–1 ms less of ~8 ms on N64 C64→128 32×32 on lavapipe, bit-identical); the second texel
 * load per vec4 costs the kernel little next to its FMAs.
 */
export interface StridedRead {
  /** Wo / 4. */
  wo4: number;
  /** xs vec4s per plane: Ho · Wo / 4. */
  plane: number;
  /** x texels per plane: H · W / 4. */
  xplane: number;
}

/** The in-place read of a 1×1 stride-2 forward with vec4 rows (W, Wo % 4 == 0), else null. */
export function stridedRead(g: ConvGeom): StridedRead | null {
  if (g.KH !== 1 || g.KW !== 1 || g.padding !== 0 || g.stride !== 2) return null;
  if (g.W % 4 !== 0 || g.Wo % 4 !== 0) return null;
  return { wo4: g.Wo / 4, plane: (g.Ho * g.Wo) / 4, xplane: (g.H * g.W) / 4 };
}

/**
 * The texture variant's defines: the buffer variant with its loads through textureLoad (and
 * with `sr`, the x loads reading the stride-2 subsample of x in place).
 */
export function textureDefines(cfg: DirectConfig, sr: StridedRead | null = null) {
  const d = directDefines(cfg);
  const step = String(d.STEP).replace(/\b(xin|wt|wm)\[([^[\]]+)\]/g, (_m, b, i) => {
    if (b !== "xin" || !sr) return `ld_${b}(${i})`;
    const e = `(${i})`, j = `2u * (${e} % ${sr.wo4}u)`;
    // Even H: planes are 4× apart in both, so t = 4e − 2j over the whole tensor (cheaper).
    const t = sr.xplane === 4 * sr.plane
      ? `(4u * ${e} - ${j})`
      : `((${e} / ${sr.plane}u) * ${sr.xplane}u + 4u * (${e} % ${sr.plane}u) - ${j})`;
    return `vec4f(ld_xin(${t}).xz, ld_xin(${t} + 1u).xz)`;
  });
  if (/\b(xin|wt|wm)\[/.test(step)) throw new Error("conv2d texture variant: unrewritten load");
  return { ...d, TEX: true, STEP: step };
}

/**
 * Records y = conv2d(x, w ⊙ mask) for a planned forward launch with x, w and the mask copied
 * into pooled textures first (copies and dispatch in the current command buffer). With `sr`,
 * x is the full input of a 1×1 stride-2 forward planned as stride 1 (see StridedRead).
 */
export function runDirectTextures(
  kernelFile: URL,
  l: DirectLaunch,
  x: Tensor,
  w: Tensor,
  y: Tensor,
  mask: Tensor | null,
  sr: StridedRead | null = null,
): void {
  const e = engine();
  const key = JSON.stringify(["tex", l.cfg, sr]);
  const k = e.generatedKernel(kernelFile, key, () => textureDefines(l.cfg, sr));
  const texOf = (t: Tensor): FlatTexture => {
    const tex = e.acquireTexture(t.size);
    e.copyToTexture(t.buffer, tex, t.size);
    return tex;
  };
  const xt = texOf(x), wt = texOf(w), mt = mask ? texOf(mask) : null;
  const binds = [xt.view, wt.view, y.buffer];
  if (mt) binds.push(mt.view);
  e.dispatch(k, l.params, binds, l.groups);
  for (const t of [xt, wt, mt]) if (t) e.releaseTexture(t);
}
