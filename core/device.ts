/**
 * Headless WebGPU adapter and device acquisition.
 *
 * Order: a high-performance (discrete) adapter first, then any adapter, then the fallback
 * (on a CPU-only Linux machine that is Mesa lavapipe over Vulkan, or llvmpipe over GL).
 * The device is requested with the adapter's real limits, because the defaults (128 MiB
 * bindings, 16 KiB workgroup memory) are far below what a GPU offers and what large batches
 * need. One line of adapter info is printed at the start of every run.
 * @module
 */
import { UserError } from "./errors.ts";

/** The acquired GPU: adapter, device and a one-line description. */
export interface GpuContext {
  adapter: GPUAdapter;
  device: GPUDevice;
  /** e.g. "webgpu: llvmpipe (LLVM 15.0.6, 256 bits) [fallback adapter]". */
  description: string;
  /** True for a software adapter (lavapipe/llvmpipe): benchmarks and tests size down. */
  isSoftware: boolean;
}

let current: Promise<GpuContext> | null = null;
let lostReason: string | null = null;

/** Numeric limits copied from the adapter into requiredLimits. */
const LIMIT_KEYS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
  "maxBindGroups",
  "maxBindingsPerBindGroup",
  "maxUniformBufferBindingSize",
] as const;

/**
 * Mesa's Vulkan drivers refuse to start without XDG_RUNTIME_DIR; a shell without a login
 * session (cron, Slurm, a container) has none. Only then is it set, to /tmp, for this process.
 */
function ensureRuntimeDir(): void {
  if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
}

/**
 * The LP_NUM_THREADS to set for llvmpipe (the CPU backend of lavapipe), or null to leave the
 * environment as it is (a user's value wins). llvmpipe runs a dispatch's workgroups on
 * LP_NUM_THREADS threads, by default one per core, and hands each thread one equal share of
 * them (lp_cs_tpool.c: num_iters / num_threads per take), so a core that is busy elsewhere for
 * a moment (this process encoding the next command buffer, the OS) holds the whole dispatch
 * back while the others idle. Two shares per core even that out. On this 2-core machine,
 * alternating processes: the SimCLR width-8 step ran 4 threads in 461–520 ms against 2 threads'
 * 554–656 (8 threads: six pairs, paired ratios 0.80–0.98); the SDCLR width-64 step 4 against 2
 * threads in three pairs 0.92, 0.93, 1.00, while 8 threads were no faster there (0.98–1.12).
 * Other drivers ignore the variable. llvmpipe clamps it to its own maximum.
 */
export function llvmpipeThreads(current: string | undefined, cores: number): string | null {
  if (current !== undefined && current !== "") return null;
  return String(2 * Math.max(1, Math.floor(cores)));
}

/**
 * The LP_NATIVE_VECTOR_WIDTH to set for llvmpipe, or null to leave the environment as it is (a
 * user's value wins, e.g. 256 for the driver's own choice). Mesa 22.3's llvmpipe compiles
 * shaders for 256-bit vectors (8 f32 lanes) even where the CPU has AVX-512 (`avx512f` among
 * /proc/cpuinfo's flags); at 512 bits a vector holds 16 lanes and x86 offers 32 vector registers
 * instead of 16, so the register tiles of the convolutions spill less. The device profile reads
 * the width back from the adapter's name ("512 bits": 16 lanes, workgroups of 16). On this
 * machine's AMD EPYC, alternating processes: the SDCLR width-64 step 6.2–7.4 s at 512 bits
 * against 8.5–9.3 at 256; width 8 no slower (SDCLR 446–486 ms against 460–618).
 */
export function llvmpipeVectorWidth(current: string | undefined, cpuFlags: string): string | null {
  if (current !== undefined && current !== "") return null;
  return /(^|\s)avx512f(\s|$)/.test(cpuFlags) ? "512" : null;
}

/**
 * The first "flags" line of /proc/cpuinfo, or "" where there is none or it cannot be read
 * (never a permission prompt: read only when already granted).
 */
function cpuFlags(): string {
  try {
    const path = "/proc/cpuinfo";
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return "";
    const text = Deno.readTextFileSync(path);
    return /^flags\s*:(.*)$/m.exec(text)?.[1] ?? "";
  } catch {
    return "";
  }
}

async function pickAdapter(): Promise<GPUAdapter> {
  ensureRuntimeDir();
  if (typeof navigator === "undefined" || !navigator.gpu) {
    throw new UserError(
      "WebGPU is not available in this runtime; run with Deno 2.x (./run sets it up)",
    );
  }
  // Read when the driver starts (the first adapter request): set before it.
  const threads = llvmpipeThreads(Deno.env.get("LP_NUM_THREADS"), navigator.hardwareConcurrency);
  if (threads) Deno.env.set("LP_NUM_THREADS", threads);
  const width = llvmpipeVectorWidth(Deno.env.get("LP_NATIVE_VECTOR_WIDTH"), cpuFlags());
  if (width) Deno.env.set("LP_NATIVE_VECTOR_WIDTH", width);
  const tries: GPURequestAdapterOptions[] = [
    { powerPreference: "high-performance" },
    {},
    { forceFallbackAdapter: true },
  ];
  for (const opts of tries) {
    const adapter = await navigator.gpu.requestAdapter(opts);
    if (adapter) return adapter;
  }
  throw new UserError(
    "no WebGPU adapter found; on a CPU-only Debian machine install lavapipe " +
      "(apt-get install mesa-vulkan-drivers), on a GPU server install the Vulkan driver",
  );
}

/** The adapter line every run prints and records: name, fallback flag, binding limit. */
function describeAdapter(adapter: GPUAdapter): { description: string; isSoftware: boolean } {
  const info = adapter.info;
  const name = info.description || `${info.vendor} ${info.device}`.trim() || "unknown adapter";
  const isSoftware = info.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software/i.test(name);
  const binding = adapter.limits.maxStorageBufferBindingSize;
  const description = `webgpu: ${name}${info.isFallbackAdapter ? " [fallback adapter]" : ""}` +
    ` · max binding ${(binding / 2 ** 20).toFixed(0)} MiB`;
  return { description, isSoftware };
}

async function acquire(quiet: boolean): Promise<GpuContext> {
  const adapter = await pickAdapter();
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMIT_KEYS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === "number") requiredLimits[k] = v;
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  device.lost.then((info) => {
    lostReason = `${info.reason}: ${info.message}`;
    console.error(`error: GPU device lost (${lostReason}); results after this point are invalid`);
  });
  device.addEventListener("uncapturederror", (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    console.error(`error: WebGPU: ${err.message}`);
  });
  const { description, isSoftware } = describeAdapter(adapter);
  if (!quiet) console.error(description);
  return { adapter, device, description, isSoftware };
}

/**
 * The adapter line of the adapter getGpu would use, without creating a device (for records
 * written by processes that run no GPU work themselves, e.g. a pipeline's driver). Returns
 * the line of the current context when one exists.
 */
export async function adapterLine(): Promise<string> {
  if (current) return (await current).description;
  return describeAdapter(await pickAdapter()).description;
}

/**
 * Returns the process-wide GPU context, acquiring it on first call (and printing the adapter
 * line unless `quiet`). Throws a UserError with the fix when no adapter exists.
 */
export function getGpu(opts: { quiet?: boolean } = {}): Promise<GpuContext> {
  if (!current) {
    current = acquire(opts.quiet ?? false);
    current.catch(() => (current = null));
  }
  return current;
}

/** Throws if the device has been lost (a lost device silently returns zeros otherwise). */
export function assertDeviceAlive(): void {
  if (lostReason) throw new Error(`GPU device lost: ${lostReason}`);
}
