/**
 * The contract of a kernel family (kernels/<family>/family.ts): ONE typed object holding the
 * backward rules of its differentiable primitives, its kernels with their reference checks
 * (`deno task kernels list|check|dump`) and its benchmark cases (`deno task bench`).
 * kernels/registry.ts joins the families; adding one is a folder plus one line there.
 * @module
 */
import type { Defines } from "./wgsl.ts";
import type { KernelSpec } from "./kernel_spec.ts";
import type { Primitive, RuleTable } from "./tape.ts";

/** One row of a check: a shape and the error of the GPU kernel against the CPU reference. */
export interface CheckRow {
  shape: string;
  maxAbs: number;
  maxRel: number;
  tol: number;
}

/** How thorough a check is. */
export interface CheckOptions {
  /**
   * Small shapes only (what `deno task test` runs): skips rows whose point is compiling the
   * production-sized variants (conv2d's big tiles take seconds each on lavapipe).
   */
  quick?: boolean;
}

/** A kernel (one WGSL entry point + defines) and its check against the CPU f64 reference. */
export interface KernelInfo {
  /** Unique name, e.g. "conv2d_fwd", "relu_bwd". */
  name: string;
  /** The family folder under kernels/, e.g. "conv2d". */
  family: string;
  /** One line saying what it computes. */
  description: string;
  /** The kernel spec (WGSL body + named params and bindings) and entry point. */
  spec: KernelSpec;
  entry?: string;
  /** Defines of the default variant (what `kernels dump NAME` prints). */
  defines?: Defines;
  /** Runs the kernel at several shapes against the CPU reference. */
  check(opts?: CheckOptions): Promise<CheckRow[]>;
}

/** The tfjs-core module, with the webgpu backend active (bench cases' TF.js side). */
export type Tf = typeof import("@tensorflow/tfjs-core");

/**
 * One benchmark row for `deno task bench`: our kernel and, where TF.js has the same op, the
 * TF.js WebGPU equivalent on the same adapter and shapes.
 */
export interface BenchCase {
  /** Kernel name, e.g. "conv2d_fwd". */
  kernel: string;
  /** Human-readable shape, e.g. "N64 C64→64 32×32 k3 s1". */
  shape: string;
  /** Floating-point operations of one run (reported as GFLOP/s) … */
  flops?: number;
  /** … or bytes moved by one run (reported as GB/s) for memory-bound kernels … */
  bytes?: number;
  /** … or images produced by one run (reported as images/s; the augmentation cases). */
  images?: number;
  /** Allocates inputs; `run` records one execution (no flush, no readback). */
  ours(): { run(): void; dispose(): void };
  /** The same computation in TF.js (`tf` = @tensorflow/tfjs-core with the webgpu backend). */
  tfjs?(tf: Tf): { run(): unknown; dispose(): void };
}

/**
 * What tools/bench_torch.py runs. Ops and their args:
 *   conv2d_fwd | conv2d_dgrad | conv2d_wgrad: N, C, H, W, O, K, S, P (NCHW, no bias)
 *   matmul: M, N, K (C[M,N] = A[M,K]·B[K,N])
 */
export interface TorchSpec {
  op: "conv2d_fwd" | "conv2d_dgrad" | "conv2d_wgrad" | "matmul";
  args: Record<string, number>;
}

/** A bench case that PyTorch can also time. */
export interface TorchBenchCase extends BenchCase {
  torch?: TorchSpec;
}

/** A kernel family: what kernels/registry.ts needs of it. */
export interface KernelFamily<P extends Primitive = never> {
  /** The folder name under kernels/. */
  name: string;
  /** One line saying what the family computes. */
  description: string;
  /** Backward rules of the primitives the family declares in SavedMap. */
  rules: RuleTable<P>;
  /** Its kernels and their reference checks. */
  kernels: KernelInfo[];
  /** Its benchmark cases. */
  bench: BenchCase[];
}
