/**
 * The device profile: what kernels may assume about the adapter, decided ONCE from it (the
 * GpuContext of device.ts) and exposed as `engine().profile`. Kernel families take their
 * device-dependent choices (workgroup sizes, which variant of a kernel runs by default) from
 * here instead of from constants, environment variables or module-level switches, so that a
 * choice can be read, tested with a synthetic profile, and later tuned per device (an
 * autotuner would refine these values, not add new places that decide).
 *
 * Only facts and a few documented guesses live here; what a family does with them stays in
 * the family (e.g. kernels/conv2d/versions.ts).
 * @module
 */
import type { GpuContext } from "./device.ts";

/** What the kernels plan against (see the module doc). */
export interface DeviceProfile {
  /** The adapter line printed at start, e.g. "webgpu: llvmpipe (LLVM 15.0.6, 256 bits) …". */
  readonly adapter: string;
  /** Adapter info as reported (may be empty, or a numeric PCI id such as "4318"). */
  readonly vendor: string;
  readonly architecture: string;
  /** A software adapter (lavapipe, llvmpipe, SwiftShader): no GPU, SIMD lanes on CPU cores. */
  readonly isSoftware: boolean;
  /**
   * Optional features the ADAPTER offers. They are not enabled on the device unless
   * core/device.ts requests them (today only timestamp-query is), so a kernel that wants one
   * must first add it there.
   */
  readonly features: {
    readonly subgroups: boolean;
    readonly shaderF16: boolean;
    readonly timestampQuery: boolean;
  };
  /** Device limits kernels size their dispatches by. */
  readonly limits: {
    /** maxComputeWorkgroupSize{X,Y,Z}. */
    readonly maxWorkgroupSize: readonly [number, number, number];
    readonly maxInvocationsPerWorkgroup: number;
    /** Workgroups per dispatch dimension (bigger grids fold into another dimension). */
    readonly maxWorkgroupsPerDimension: number;
    readonly maxWorkgroupStorageBytes: number;
    readonly maxStorageBufferBindingBytes: number;
    /** Rows (and columns) of a 2-D texture: bounds what fits a flat texture. */
    readonly maxTextureDimension2D: number;
  };
  /**
   * Subgroup (SIMD) width, a guess: the adapter's subgroupMinSize where it reports one, else
   * the SIMD width in a software adapter's name ("256 bits" → 8 f32 lanes), else by vendor
   * (NVIDIA 32, AMD 64, Intel 16, others 32). See guessSubgroupSize.
   */
  readonly subgroupSize: number;
  /**
   * Invocations per workgroup of register-tiled kernels that use no workgroup memory (conv2d's
   * implicit GEMMs): one subgroup, so no lane waits on a barrier and, on lavapipe, no tile is
   * spilled into a coroutine frame. 8 on lavapipe at 256 bits, 16 at 512.
   */
  readonly tiledWorkgroupSize: number;
  /**
   * Whether kernels that have a texture-load variant should use it by default. On a software
   * adapter every storage-buffer load runs lane by lane with bounds checks (~5 ns per vec4 on
   * lavapipe) while a read-only rgba32float texture load costs ~1.8 ns; on GPUs buffer loads
   * are cheap and the buffer→texture copies would be pure overhead.
   */
  readonly preferTextureLoads: boolean;
  /**
   * The most unrolled FMA statements per reduction step that a stride-1 multi-tap direct
   * convolution (forward, input gradient) may plan, or null for no cap beyond the flops rule
   * (kernels/conv2d/plan.ts stepBudget). 576 on software adapters: register tiles of 8
   * channels × 4×8 positions (16 × 4×4 on 4-wide grids), where the flops rule would take up to
   * 32 × 4×16; the larger tiles timed slower on a CPU (why was not profiled). Measured on
   * lavapipe, alternating trials, forward / input gradient:
   * width 64 32×32 −11% / −7%, 16×16 −5% / −6%, 4×4 −9% / −10%, width 8 32×32 −12% / −11%;
   * the SDCLR width-64 step −2.4% (paired ratios 0.975–0.988). Strided and 1×1 kernels keep
   * their budgets (their wide tiles were faster).
   */
  readonly directBudgetCap: number | null;
}

/** What guessSubgroupSize reads (a subset of GPUAdapterInfo, so tests can pass literals). */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  description?: string;
  subgroupMinSize?: number;
  isSoftware: boolean;
}

/** The subgroup-width guess of DeviceProfile.subgroupSize. */
export function guessSubgroupSize(a: AdapterFacts): number {
  if (typeof a.subgroupMinSize === "number" && a.subgroupMinSize > 0) return a.subgroupMinSize;
  const name = `${a.vendor ?? ""} ${a.architecture ?? ""} ${a.description ?? ""}`.toLowerCase();
  if (a.isSoftware) {
    // llvmpipe/lavapipe name their vector width: "llvmpipe (LLVM 15.0.6, 256 bits)".
    const bits = /(\d+)\s*bits/.exec(name);
    return bits ? Math.max(1, Number(bits[1]) / 32) : 8;
  }
  if (/nvidia|\b4318\b|0x10de/.test(name)) return 32;
  if (/\bamd\b|\bati\b|radeon|\b4098\b|0x1002/.test(name)) return 64;
  if (/intel|\b32902\b|0x8086/.test(name)) return 16;
  return 32;
}

/** Builds the profile of an acquired GPU (the engine does this once). */
export function deviceProfile(gpu: GpuContext): DeviceProfile {
  const info = gpu.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number };
  const l = gpu.device.limits;
  const has = (f: string) => gpu.adapter.features.has(f as GPUFeatureName);
  const subgroupSize = guessSubgroupSize({
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    subgroupMinSize: info.subgroupMinSize,
    isSoftware: gpu.isSoftware,
  });
  return Object.freeze({
    adapter: gpu.description,
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    isSoftware: gpu.isSoftware,
    features: Object.freeze({
      subgroups: has("subgroups"),
      shaderF16: has("shader-f16"),
      timestampQuery: has("timestamp-query"),
    }),
    limits: Object.freeze({
      maxWorkgroupSize: Object.freeze(
        [
          l.maxComputeWorkgroupSizeX,
          l.maxComputeWorkgroupSizeY,
          l.maxComputeWorkgroupSizeZ,
        ] as const,
      ),
      maxInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
      maxStorageBufferBindingBytes: l.maxStorageBufferBindingSize,
      maxTextureDimension2D: l.maxTextureDimension2D,
    }),
    subgroupSize,
    tiledWorkgroupSize: Math.max(
      1,
      Math.min(subgroupSize, l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX),
    ),
    preferTextureLoads: gpu.isSoftware,
    directBudgetCap: gpu.isSoftware ? 576 : null,
  });
}
