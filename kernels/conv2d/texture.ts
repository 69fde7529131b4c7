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
import { engine, type FlatTexture } from "../../src/gpu/engine.ts";
import type { Tensor } from "../../src/autodiff/tensor.ts";
import { type DirectConfig, directDefines } from "./codegen_direct.ts";
import type { DirectLaunch } from "./plan.ts";

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

/** The texture variant's defines: the buffer variant with its loads through textureLoad. */
export function textureDefines(cfg: DirectConfig) {
  const d = directDefines(cfg);
  const step = String(d.STEP).replace(/\b(xin|wt|wm)\[([^[\]]+)\]/g, "ld_$1($2)");
  if (/\b(xin|wt|wm)\[/.test(step)) throw new Error("conv2d texture variant: unrewritten load");
  return { ...d, TEX: true, STEP: step };
}

/**
 * Records y = conv2d(x, w ⊙ mask) for a planned forward launch with x, w and the mask copied
 * into pooled textures first (copies and dispatch in the current command buffer).
 */
export function runDirectTextures(
  kernelFile: URL,
  l: DirectLaunch,
  x: Tensor,
  w: Tensor,
  y: Tensor,
  mask: Tensor | null,
): void {
  const e = engine();
  const k = e.kernel(kernelFile, textureDefines(l.cfg), "main");
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
