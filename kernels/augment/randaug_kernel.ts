/**
 * The RandAugment kernels' launch side: the second-pass spec (randaug.wgsl), the constants
 * both kernels share with randaug.ts, the autocontrast correction buffer, and the launcher.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import type { Tensor } from "../../core/tensor.ts";
import { ENTRY, PARAM_WORDS, prefixed } from "./layout.ts";
import { autocontrastFixes, K_MAX, KIND, OP_WORDS, RA, RA_WORDS } from "./randaug.ts";

/** Kernel constants of the boost records (RA_*, K_*). */
export const RANDAUG_CONSTANTS: Record<string, number> = {
  RA_WORDS,
  RA_OPW: OP_WORDS,
  ...prefixed("RA_", RA),
  ...prefixed("K_", KIND),
};

/** The second pass: one workgroup per boost record (entry randaug). */
export const RANDAUG = defineKernel({
  name: "randaug",
  file: new URL("./randaug.wgsl", import.meta.url),
  params: { first: "u32", ra_base: "u32", out_h: "u32", out_w: "u32", ac_fix_n: "u32" },
  bindings: {
    data: { access: "read", type: "u32" },
    out: { access: "read_write", type: "f32" },
    scratch: { access: "read_write", type: "f32" },
    ac_fix: { access: "read", type: "u32" },
  },
  constants: { PW: PARAM_WORDS, E_SLOT: ENTRY.SLOT, ...RANDAUG_CONSTANTS },
});

let fixBuffer: GPUBuffer | null = null;

/** The autocontrast corrections (randaug.ts autocontrastFixes) on the GPU, made once. */
export function acFixBuffer(): { buffer: GPUBuffer; n: number } {
  const fixes = autocontrastFixes();
  if (fixBuffer === null) {
    const e = engine();
    fixBuffer = e.device.createBuffer({
      size: fixes.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    e.write(fixBuffer, fixes);
  }
  return { buffer: fixBuffer, n: fixes.length };
}

/** The loop bound RA_K of a batch's kernels: its largest op count (1..K_MAX). */
export function raK(maxOps: number): number {
  return Math.min(Math.max(maxOps, 1), K_MAX);
}

/** Which records of an uploaded batch to run, into what. */
export interface RandaugLaunch {
  data: GPUBuffer;
  /** Word offset of the records; records [first, first + count). */
  raBase: number;
  first: number;
  count: number;
  /** Largest op count of these records. */
  maxOps: number;
  /** The views [slots, 3, outH, outW] the records' entries wrote. */
  out: Tensor;
  outH: number;
  outW: number;
}

/** Launcher: the second pass over the boosted views (no flush, no readback). */
export function randaugDispatch(l: RandaugLaunch): void {
  if (l.count === 0) return;
  const e = engine();
  const k = e.compile(RANDAUG, { RA_K: raK(l.maxOps) }, "randaug");
  const fix = acFixBuffer();
  const scratch = e.pool.acquire(l.count * 3 * l.outH * l.outW * 4);
  e.run(k, {
    params: {
      first: l.first,
      ra_base: l.raBase,
      out_h: l.outH,
      out_w: l.outW,
      ac_fix_n: fix.n,
    },
    bindings: { data: l.data, out: l.out.buffer, scratch, ac_fix: fix.buffer },
    groups: [l.count],
  });
  // Later users of the scratch buffer run after this dispatch (submission order).
  e.pool.release(scratch);
}
