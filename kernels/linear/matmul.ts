/**
 * The GEMM launcher (`gemm`, on raw buffers with strides and offsets, as BLAS) and the tensor
 * launcher `matmul`. No readback, no flush: both only record a dispatch.
 * @module
 */
import { engine, Params } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";

const WGSL = new URL("./matmul.wgsl", import.meta.url);

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

/** Register tile of one invocation (ROWS×COLS outputs) and the workgroup shape (WGX×WGY). */
export interface GemmTile {
  rows: 4 | 8 | 16;
  cols: 4 | 8 | 16;
  wgx: number;
  wgy: number;
}

const TILES = [4, 8, 16] as const;
const SHAPES: [number, number][] = [[8, 1], [4, 2], [2, 4], [1, 8]];
/** Relative costs on lavapipe: one 8-lane load instruction ≈ 70 ymm FMAs (measured). */
const LOAD_COST = 70;

/**
 * Picks the tile with the least estimated time: padded work (rows/columns past M/N still
 * compute) with loads weighted by LOAD_COST, divided by the workgroups that can run at once.
 * Big products get 16×16 register tiles; thin ones (N = 10 classes) lay the 8 invocations of
 * a workgroup along M instead of N. `software` false (a hardware GPU) skips the model.
 */
export function gemmTile(
  m: number,
  n: number,
  vecA = true,
  vecB = true,
  software = true,
): GemmTile {
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

/** The defines of one GEMM variant (also what `kernels dump` shows). */
export function gemmDefines(
  tile: GemmTile,
  o: { transA: boolean; transB: boolean; vecA: boolean; vecB: boolean; vecC: boolean },
  bias: boolean,
  accumulate: boolean,
): Record<string, number | boolean> {
  return {
    ROWS: tile.rows,
    COLS: tile.cols,
    R8: tile.rows >= 8,
    R16: tile.rows >= 16,
    C8: tile.cols >= 8,
    C16: tile.cols >= 16,
    WGX: tile.wgx,
    WGY: tile.wgy,
    TRANS_A: o.transA,
    TRANS_B: o.transB,
    VEC_A: o.vecA,
    VEC_B: o.vecB,
    VEC_C: o.vecC,
    BIAS: bias,
    ACCUM: accumulate,
  };
}

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
  const t = tile ?? gemmTile(m, n, vecA, vecB, e.gpu.isSoftware);
  const defines = gemmDefines(
    t,
    { transA, transB, vecA, vecB, vecC },
    g.bias !== undefined,
    g.accumulate ?? false,
  );
  const kern = e.kernel(WGSL, defines, "main");
  const bufs = [g.a, g.b, g.c];
  if (g.bias) bufs.push(g.bias);
  const max = e.device.limits.maxComputeWorkgroupsPerDimension;
  const gx = Math.ceil(n / (t.cols * t.wgx));
  if (gx > max) {
    throw new Error(`gemm: N = ${n} needs ${gx} workgroups along x, more than the ${max} allowed`);
  }
  // Tall products run as several dispatches over row bands (offsets move A and C down).
  const band = max * t.rows * t.wgy;
  for (let r0 = 0; r0 < m; r0 += band) {
    const rows = Math.min(band, m - r0);
    const params = new Params()
      .u32(rows, n, k, lda, ldb, ldc, offA + r0 * (transA ? 1 : lda), offB, offC + r0 * ldc)
      .f32(g.alpha ?? 1);
    e.dispatch(kern, params, bufs, [gx, Math.ceil(rows / (t.rows * t.wgy))]);
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
