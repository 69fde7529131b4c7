/**
 * WGSL generator for the register tile of `matmul.wgsl`, as conv2d's codegen_direct.ts does
 * for the convolutions: the kernel body holds the block loads and stores (one WGSL function
 * each, per layout), and this module writes the unrolled tile around them — the accumulator
 * declarations (DECLS), one K step (STEP) and the stores (STORE) — for each tile size.
 *
 * Why unrolled: lavapipe leaves loops over private arrays rolled, which measured 2–3× slower
 * than straight-line code over named mat4x4 accumulators (see matmul.wgsl).
 * @module
 */
import type { Defines } from "../../core/wgsl.ts";

/** Register tile of one invocation (ROWS×COLS outputs) and the workgroup shape (WGX×WGY). */
export interface GemmTile {
  rows: 4 | 8 | 16;
  cols: 4 | 8 | 16;
  wgx: number;
  wgy: number;
}

/** Everything one compiled GEMM variant depends on (its key in Engine.compileKeyed). */
export interface GemmConfig extends GemmTile {
  /** A is stored [K, M] (op(A) = Aᵀ). */
  transA: boolean;
  /** B is stored [N, K] (op(B) = Bᵀ). */
  transB: boolean;
  /** vec4 loads/stores along the contiguous dimension (leading dimension and offset % 4 = 0). */
  vecA: boolean;
  vecB: boolean;
  vecC: boolean;
  /** A length-N bias is added to every row. */
  bias: boolean;
  /** C += result instead of C = result. */
  accumulate: boolean;
}

/**
 * The 4×4 blocks along one tile side (4, 8 or 16 wide) in the groups the code visits them:
 * block 0, block 1 (tiles ≥ 8), blocks 2 and 3 (16). The order is the one the kernel was
 * tuned with when it was unrolled by hand; it only changes instruction order, not results.
 */
function blockGroups(side: number): number[][] {
  return [[0], [1], [2, 3]].filter((g) => 4 * g[0] < side);
}

/** `base` moved by `block` 4-wide blocks, e.g. `m0 + 8u`. */
function at(base: string, block: number): string {
  return block === 0 ? base : `${base} + ${4 * block}u`;
}

/** Each (row block i, column block j) pair of the tile, in visiting order. */
function pairs(t: GemmTile): [number, number][] {
  const out: [number, number][] = [];
  for (const rg of blockGroups(t.rows)) {
    for (const cg of blockGroups(t.cols)) {
      for (const i of rg) for (const j of cg) out.push([i, j]);
    }
  }
  return out;
}

/**
 * One K step: per row group, its A blocks, then per column group (B blocks loaded on the
 * first row group only) the block products acc_ij += b_j · a_i (one mat4x4 product each).
 */
function step(t: GemmTile): string[] {
  const out: string[] = [];
  blockGroups(t.rows).forEach((rg, r) => {
    for (const i of rg) out.push(`let a${i} = a_block(${at("m0", i)}, k);`);
    for (const cg of blockGroups(t.cols)) {
      if (r === 0) { for (const j of cg) out.push(`let b${j} = b_block(${at("n0", j)}, k);`); }
      for (const i of rg) for (const j of cg) out.push(`acc${i}${j} += b${j} * a${i};`);
    }
  });
  return out;
}

/** The defines of one GEMM variant: layout flags, workgroup shape and the unrolled tile. */
export function gemmDefines(cfg: GemmConfig): Defines {
  const acc = pairs(cfg);
  return {
    TRANS_A: cfg.transA,
    TRANS_B: cfg.transB,
    VEC_A: cfg.vecA,
    VEC_B: cfg.vecB,
    VEC_C: cfg.vecC,
    BIAS: cfg.bias,
    ACCUM: cfg.accumulate,
    ROWS: cfg.rows,
    COLS: cfg.cols,
    WGX: cfg.wgx,
    WGY: cfg.wgy,
    DECLS: acc.map(([i, j]) => `var acc${i}${j} = mat4x4<f32>();`).join("\n  "),
    STEP: step(cfg).join("\n    "),
    STORE: acc.map(([i, j]) => `store_block(${at("m0", i)}, ${at("n0", j)}, acc${i}${j});`)
      .join("\n  "),
  };
}
