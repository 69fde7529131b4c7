/**
 * What each kernel family exposes to `deno task kernels` (list / check / dump).
 * @module
 */
import type { Defines } from "../src/gpu/engine.ts";

/** One row of a check: a shape and the error of the GPU kernel against the CPU reference. */
export interface CheckRow {
  shape: string;
  maxAbs: number;
  maxRel: number;
  tol: number;
}

/** A kernel (one WGSL entry point + defines) and its check against the CPU f64 reference. */
export interface KernelInfo {
  /** Unique name, e.g. "conv2d_fwd", "relu_bwd". */
  name: string;
  /** The family folder under kernels/, e.g. "conv2d". */
  family: string;
  /** One line saying what it computes. */
  description: string;
  /** The .wgsl file and entry point. */
  wgsl: URL;
  entry?: string;
  /** Defines of the default variant (what `kernels dump NAME` prints). */
  defines?: Defines;
  /** Runs the kernel at several shapes against the CPU reference. */
  check(): Promise<CheckRow[]>;
}
