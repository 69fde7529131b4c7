/**
 * Texture-load variant of the tiled conv2d forward kernel (forward version 4). On lavapipe
 * (Mesa's CPU Vulkan driver) every storage-buffer load runs lane by lane with bounds checks
 * (~5 ns per vec4), while a load from a read-only rgba32float storage texture costs ~1.8 ns:
 * the forward kernel reading x and w (and the mask) from textures, copied in from their buffers
 * inside the op (~0.5 ms per 16 MB), measured 25–39% faster on the ResNet-18 forwards with
 * bit-identical results. On real GPUs buffer loads are cheap and the copies would be pure
 * overhead, so the default takes this version only where the device profile prefers texture
 * loads (software adapters; versions.ts), and only for tensors that fit a texture
 * (maxTextureDimension2D rows of 4096 texels).
 * @module
 */
import { type Binding, type Defines, engine, type FlatTexture } from "../../core/engine.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type DirectConfig, directDefines, type Load } from "./codegen_direct.ts";
import type { ConvGeom, DirectLaunch } from "./plan.ts";
import { DIRECT } from "./specs.ts";

/**
 * Whether a planned direct launch (forward or input gradient) can read textures: vec4 input
 * rows and weight blocks, and at least one tap (a tap-less parity class reads nothing).
 */
export function textureCapable(cfg: DirectConfig): boolean {
  return cfg.vecIn && cfg.vecW && cfg.taps.length > 0;
}

/** Whether `floats` f32 values fit a flat texture on this device. */
export function textureFits(floats: number): boolean {
  return engine().textureFits(floats);
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
 * How the texture variant loads: textureLoad through the ld_* helpers of conv2d_direct.wgsl,
 * and with `sr` the x loads reading the stride-2 subsample of x in place.
 */
function textureLoads(sr: StridedRead | null): Load {
  return (b, i) => {
    if (b !== "xin" || !sr) return `ld_${b}(${i})`;
    const e = `(${i})`, j = `2u * (${e} % ${sr.wo4}u)`;
    // Even H: planes are 4× apart in both, so t = 4e − 2j over the whole tensor (cheaper).
    const t = sr.xplane === 4 * sr.plane
      ? `(4u * ${e} - ${j})`
      : `((${e} / ${sr.plane}u) * ${sr.xplane}u + 4u * (${e} % ${sr.plane}u) - ${j})`;
    return `vec4f(ld_xin(${t}).xz, ld_xin(${t} + 1u).xz)`;
  };
}

/** The texture variant's defines (TEX; loads through textureLoad, see textureLoads). */
export function textureDefines(cfg: DirectConfig, sr: StridedRead | null = null): Defines {
  if (!textureCapable(cfg)) throw new Error("conv2d texture variant: needs vec4 rows and weights");
  return { ...directDefines(cfg, textureLoads(sr)), TEX: true };
}

/** The operands of a texture-variant forward. */
export interface TextureRun {
  /** Input: the full x when `sr` is given, else the tensor the stride-1 plan reads. */
  x: Tensor;
  w: Tensor;
  y: Tensor;
  mask: Tensor | null;
  /** Read a 1×1 stride-2 subsample of x in place (see StridedRead). */
  sr?: StridedRead | null;
}

/**
 * Records y = conv2d(x, w ⊙ mask) for a planned forward launch reading x, w and the mask from
 * textures (Engine.textureOf: copied in, into the current command buffer, unless a current
 * copy is cached). With `sr`, x is the full input of a 1×1 stride-2 forward planned as
 * stride 1 (see StridedRead).
 */
export function runDirectTextures(l: DirectLaunch, r: TextureRun): void {
  const e = engine();
  const sr = r.sr ?? null;
  const key = JSON.stringify(["tex", l.cfg, sr]);
  const k = e.compileKeyed(DIRECT, key, () => textureDefines(l.cfg, sr));
  const texOf = (t: Tensor): FlatTexture => e.textureOf(t.buffer, t.size);
  const xt = texOf(r.x), wt = texOf(r.w), mt = r.mask ? texOf(r.mask) : null;
  const bindings: Record<string, Binding> = { xin: xt.view, wt: wt.view, yout: r.y.buffer };
  if (mt) bindings.wm = mt.view;
  e.run(k, { params: l.params, bindings, groups: l.groups });
}
