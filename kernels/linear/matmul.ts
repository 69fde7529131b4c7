/**
 * The GEMM launcher (`gemm`, on raw buffers with strides and offsets, as BLAS) and the tensor
 * launcher `matmul`. No readback, no flush: both only record a dispatch.
 * @module
 */
import { engine, Params } from "../../src/gpu/engine.ts";
import { Tensor } from "../../src/autodiff/tensor.ts";

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

/** Tile shape of a GEMM: WGX×WGY invocations of 4×4 outputs, K step TK. */
export interface GemmTile {
  wgx: number;
  wgy: number;
  tk: number;
}

/**
 * Picks the tile: 64×64 blocks (16×16 invocations) when there are enough of them to keep both
 * cores busy, otherwise 32×32 so small products still spread over several workgroups.
 */
export function gemmTile(m: number, n: number): GemmTile {
  const big = Math.ceil(m / 64) * Math.ceil(n / 64) >= 8;
  return big ? { wgx: 16, wgy: 16, tk: 16 } : { wgx: 8, wgy: 8, tk: 16 };
}

const aligned = (...v: number[]) => v.every((x) => x % 4 === 0);

/** Records one GEMM dispatch (see GemmArgs). */
export function gemm(g: GemmArgs, tile: GemmTile = gemmTile(g.m, g.n)): void {
  const { m, n, k } = g;
  const transA = g.transA ?? false, transB = g.transB ?? false;
  const lda = g.lda ?? (transA ? m : k);
  const ldb = g.ldb ?? (transB ? k : n);
  const ldc = g.ldc ?? n;
  const offA = g.offA ?? 0, offB = g.offB ?? 0, offC = g.offC ?? 0;
  if (m === 0 || n === 0) return;
  const defines = {
    WGX: tile.wgx,
    WGY: tile.wgy,
    TK: tile.tk,
    TRANS_A: transA,
    TRANS_B: transB,
    VEC_A: aligned(transA ? m : k, lda, offA),
    VEC_B: aligned(transB ? k : n, ldb, offB),
    VEC_C: aligned(n, ldc, offC),
    BIAS: g.bias !== undefined,
    ACCUM: g.accumulate ?? false,
  };
  const e = engine();
  const kern = e.kernel(WGSL, defines, "main");
  const params = new Params().u32(m, n, k, lda, ldb, ldc, offA, offB, offC).f32(g.alpha ?? 1);
  const bufs = [g.a, g.b, g.c];
  if (g.bias) bufs.push(g.bias);
  const gx = Math.ceil(n / (4 * tile.wgx)), gy = Math.ceil(m / (4 * tile.wgy));
  e.dispatch(kern, params, bufs, [gx, gy]);
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
