/**
 * Generated conv kernels by their small plan config. The generated defines run to ~2,000 lines
 * of WGSL for the big tiles; building them and the engine's key over them took ~1.6–1.8 ms of
 * CPU per dispatch, paid on every conv of every step. Keyed per engine so a new device starts
 * empty.
 * @module
 */
import { type Defines, type Engine, engine, type Kernel } from "../../src/gpu/engine.ts";

const cache = new WeakMap<Engine, Map<string, Kernel>>();

/** The kernel of `file` for a plan config `key` (JSON-able); `defines` runs on a miss only. */
export function cachedKernel(
  file: URL,
  key: unknown,
  defines: () => Defines,
  entry = "main",
): Kernel {
  const e = engine();
  let byKey = cache.get(e);
  if (!byKey) cache.set(e, byKey = new Map());
  const k = `${file.href} ${entry} ${JSON.stringify(key)}`;
  let kernel = byKey.get(k);
  if (!kernel) byKey.set(k, kernel = e.kernel(file, defines(), entry));
  return kernel;
}
