/**
 * The GEMM launcher (`gemm`, on raw buffers with strides and offsets, as BLAS) and the tensor
 * launcher `matmul`. No readback, no flush: both only record a dispatch. Each variant — tile
 * (gemmTile) plus layout flags, a GemmConfig — is written out by codegen.ts and compiled once
 * per config (Engine.compileKeyed keyed by the config).
 * @module
 */
import { engine } from "../../core/engine.ts";
import { type BindingDecl, defineKernel } from "../../core/kernel_spec.ts";
import type { Defines } from "../../core/wgsl.ts";
import { Tensor } from "../../core/tensor.ts";
import { type GemmConfig, gemmDefines, type GemmTile } from "./codegen.ts";

export type { GemmConfig, GemmTile } from "./codegen.ts";

/** A storage array of vec4<f32> where the define `flag` holds, else of f32. */
function vec4If(flag: string, access: "read" | "read_write"): (d: Defines) => BindingDecl {
  return (d) => ({ access, type: d[flag] ? "vec4<f32>" : "f32" });
}

/** The GEMM kernel: C = alpha · op(A) · op(B) (+ bias) (+ C) on strided views (matmul.wgsl). */
export const MATMUL = defineKernel({
  name: "matmul",
  file: new URL("./matmul.wgsl", import.meta.url),
  params: {
    m: "u32",
    n: "u32",
    k: "u32",
    lda: "u32",
    ldb: "u32",
    ldc: "u32",
    off_a: "u32",
    off_b: "u32",
    off_c: "u32",
    alpha: "f32",
  },
  bindings: {
    a: vec4If("VEC_A", "read"),
    b: vec4If("VEC_B", "read"),
    c: vec4If("VEC_C", "read_write"),
    bias: { access: "read", type: "f32", when: "BIAS" },
  },
});

/** One GEMM: C = alpha · op(A) · op(B) (+ bias[n]) (+ C when accumulate). */
export interface GemmArgs {
  a: GPUBuffer;
  b: GPUBuffer;
  c: GPUBuffer;
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Inner dimension. */
  k: number;
  /** A is stored [K, M] (op(A) = Aᵀ) instead of [M, K]. */
  transA?: boolean;
  /** B is stored [N, K] (op(B) = Bᵀ) instead of [K, N]. */
  transB?: boolean;
  /** Leading dimensions (row strides in elements); default: dense. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Element offsets of the matrices in their buffers. */
  offA?: number;
  offB?: number;
  offC?: number;
  alpha?: number;
  /** A length-N vector added to every row of C. */
  bias?: GPUBuffer;
  /** C += result instead of C = result. */
  accumulate?: boolean;
}

const TILES = [4, 8, 16] as const;
const SHAPES: [number, number][] = [[8, 1], [4, 2], [2, 4], [1, 8]];
/** Relative costs on lavapipe: one 8-lane load instruction ≈ 70 ymm FMAs (measured). */
const LOAD_COST = 70;

/** What {@link gemmTile} weighs besides the output shape. */
export interface GemmTileOptions {
  /** A and B take vec4 loads (default true); scalar loads cost four each. */
  vecA?: boolean;
  vecB?: boolean;
  /** The adapter runs on the CPU (default true); a hardware GPU skips the cost model. */
  software?: boolean;
}

/**
 * Picks the tile with the least estimated time: padded work (rows/columns past M/N still
 * compute) with loads weighted by LOAD_COST, divided by the workgroups that can run at once.
 * Big products get 16×16 register tiles; thin ones (N = 10 classes) lay the 8 invocations of
 * a workgroup along M instead of N. `software` false (a hardware GPU) skips the model.
 */
export function gemmTile(m: number, n: number, o: GemmTileOptions = {}): GemmTile {
  const { vecA = true, vecB = true, software = true } = o;
  // A hardware GPU wants many invocations with few registers each (untested: the cost model
  // below is lavapipe's, where this suite runs).
  if (!software) return { rows: 4, cols: 4, wgx: 16, wgy: 4 };
  const threads = Math.max(1, navigator.hardwareConcurrency ?? 2);
  let best: GemmTile = { rows: 4, cols: 4, wgx: 8, wgy: 1 };
  let bestCost = Infinity;
  for (const rows of TILES) {
    for (const cols of TILES) {
      for (const [wgx, wgy] of SHAPES) {
        const gy = Math.ceil(m / (rows * wgy)), gx = Math.ceil(n / (cols * wgx));
        const loads = rows * (vecA ? 1 : 4) + cols * (vecB ? 1 : 4);
        const perStep = LOAD_COST * loads + rows * cols * 4;
        const cost = (gx * gy * perStep) / Math.min(gx * gy, threads);
        if (cost < bestCost * 0.999) {
          bestCost = cost;
          best = { rows, cols, wgx, wgy };
        }
      }
    }
  }
  return best;
}

const aligned = (...v: number[]) => v.every((x) => x % 4 === 0);

/** Records one GEMM dispatch (see GemmArgs); `tile` overrides the automatic choice. */
export function gemm(g: GemmArgs, tile?: GemmTile): void {
  const { m, n, k } = g;
  const transA = g.transA ?? false, transB = g.transB ?? false;
  const lda = g.lda ?? (transA ? m : k);
  const ldb = g.ldb ?? (transB ? k : n);
  const ldc = g.ldc ?? n;
  const offA = g.offA ?? 0, offB = g.offB ?? 0, offC = g.offC ?? 0;
  if (m === 0 || n === 0) return;
  // vec4 along the contiguous dimension needs every vec4 to start on a multiple of 4.
  const vecA = aligned(lda, offA), vecB = aligned(ldb, offB), vecC = aligned(n, ldc, offC);
  const e = engine();
  const t = tile ?? gemmTile(m, n, { vecA, vecB, software: e.gpu.isSoftware });
  const cfg: GemmConfig = {
    rows: t.rows,
    cols: t.cols,
    wgx: t.wgx,
    wgy: t.wgy,
    transA,
    transB,
    vecA,
    vecB,
    vecC,
    bias: g.bias !== undefined,
    accumulate: g.accumulate ?? false,
  };
  const kern = e.compileKeyed(MATMUL, JSON.stringify(cfg), () => gemmDefines(cfg));
  const bindings: Record<string, GPUBuffer> = { a: g.a, b: g.b, c: g.c };
  if (g.bias) bindings.bias = g.bias;
  const max = e.device.limits.maxComputeWorkgroupsPerDimension;
  const gx = Math.ceil(n / (t.cols * t.wgx));
  if (gx > max) {
    throw new Error(`gemm: N = ${n} needs ${gx} workgroups along x, more than the ${max} allowed`);
  }
  // Tall products run as several dispatches over row bands (offsets move A and C down).
  const band = max * t.rows * t.wgy;
  for (let r0 = 0; r0 < m; r0 += band) {
    const rows = Math.min(band, m - r0);
    e.run(kern, {
      params: {
        m: rows,
        n,
        k,
        lda,
        ldb,
        ldc,
        off_a: offA + r0 * (transA ? 1 : lda),
        off_b: offB,
        off_c: offC + r0 * ldc,
        alpha: g.alpha ?? 1,
      },
      bindings,
      groups: [gx, Math.ceil(rows / (t.rows * t.wgy))],
      cost: { flops: 2 * rows * n * k },
    });
  }
}

/** Options of `matmul`. */
export interface MatmulOptions {
  /** Use aᵀ: a is stored [K, M]. */
  transA?: boolean;
  /** Use bᵀ: b is stored [N, K]. */
  transB?: boolean;
  alpha?: number;
  /** A length-N vector added to every row. */
  bias?: Tensor;
}

function dims(name: string, t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`matmul: ${name} must be 2-D, got [${t.shape}]`);
  return [t.shape[0], t.shape[1]];
}

/**
 * Launcher (not recorded on the tape): alpha · op(a) · op(b) (+ bias) as a new [M, N] tensor.
 * Differentiable code uses `linear` instead.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const [ar, ac] = dims("a", a), [br, bc] = dims("b", b);
  const [m, k] = opts.transA ? [ac, ar] : [ar, ac];
  const [kb, n] = opts.transB ? [bc, br] : [br, bc];
  if (k !== kb) {
    throw new Error(
      `matmul: inner dimensions differ: a [${a.shape}]${opts.transA ? "ᵀ" : ""} · ` +
        `b [${b.shape}]${opts.transB ? "ᵀ" : ""}`,
    );
  }
  if (opts.bias && opts.bias.size !== n) {
    throw new Error(`matmul: bias has ${opts.bias.size} values, expected ${n}`);
  }
  const c = Tensor.empty([m, n]);
  gemm({
    a: a.buffer,
    b: b.buffer,
    c: c.buffer,
    m,
    n,
    k,
    transA: opts.transA,
    transB: opts.transB,
    alpha: opts.alpha,
    bias: opts.bias?.buffer,
  });
  return c;
}
