/**
 * WGSL generator for the unrolled blocks of `conv2d_wgrad.wgsl` (weight gradient).
 * @module
 */
import type { Defines } from "../../core/engine.ts";

/** Compile-time description of one weight-gradient kernel variant. */
export interface WgradConfig {
  KH: number;
  KW: number;
  S: number;
  P: number;
  /** Register tile: TO output channels × TC input channels × KH·KW taps. */
  TO: number;
  TC: number;
  /** dy columns per reduction step (a multiple of 4). */
  BW: number;
  /**
   * dy rows per reduction step (dividing the output height; the walk's row count per split is
   * a multiple): each accumulator then takes BH·BW products per step instead of BW, so its
   * load and store (registers spill at these tile sizes) are shared by more FMAs.
   */
  BH: number;
  WGS: number;
  /**
   * Lanes along input channels (a power of two dividing WGS); the WGS / LC row groups of a
   * workgroup reduce different dy rows into partial sums of their own.
   */
  LC: number;
  /** Input rows vec4-aligned (iw % 4 == 0 and S·BW % 4 == 0). */
  vecIn: boolean;
  /** dy rows vec4-aligned (ow % 4 == 0). */
  vecDy: boolean;
  /** Multiply the mask in the store (direct mode only: the reduction applies it otherwise). */
  maskInStore: boolean;
  /** Read x and dy from textures (needs vecIn and vecDy; texture.ts makes the copies). */
  tex?: boolean;
  /**
   * One step covers a whole dy image (stride 1, same-size output, BH = Ho, BW = Wo, vec4
   * rows): the step's row and column are always 0, so the patch cells that fall in the
   * padding are known here and are neither loaded nor multiplied (on a 4×4 image with a 3×3
   * kernel, 100 of the 144 products per tile entry and a third of the patch vec4s remain).
   */
  whole?: boolean;
  /**
   * Direct mode: store the tile into dw (no split, and the tile grid covers O and C exactly).
   * Otherwise every tile is stored unguarded into a tile-padded scratch [splits, Op, Cp, KK]
   * that conv2d_reduce.wgsl sums over the splits, crops and masks.
   */
  direct: boolean;
}

const f = (v: number) => (v < 0 ? `(${v})` : `${v}`);

/** A load of element `i` of binding `b`: buffer indexing, or the texture variant's helper. */
function ld(cfg: WgradConfig, b: "xin" | "dy", i: string): string {
  return cfg.tex ? `ld_${b}(${i})` : `${b}[${i}]`;
}

function dyLoads(cfg: WgradConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < cfg.TO; i++) {
    out.push(`let db${i} = ((n * cout + min(o0 + ${i}u, cout - 1u)) * oh + a) * ow + b0;`);
    for (let h = 0; h < cfg.BH; h++) {
      const row = h ? `db${i} + ${h}u * ow` : `db${i}`;
      for (let q = 0; q < cfg.BW / 4; q++) {
        if (cfg.whole) {
          out.push(`let d${i}_${h}_${q} = ${ld(cfg, "dy", `(${row}) / 4u + ${q}u`)};`);
        } else if (cfg.vecDy) {
          out.push(
            `let d${i}_${h}_${q} = select(vec4f(0.0), ${
              ld(cfg, "dy", `(${row}) / 4u + ${q}u`)
            }, b0 + ${4 * q}u < ow);`,
          );
        } else {
          const comps = [0, 1, 2, 3].map((u) => {
            const j = 4 * q + u;
            return `select(0.0, dy[${row} + min(${j}u, ow - 1u - b0)], b0 + ${j}u < ow)`;
          });
          out.push(`let d${i}_${h}_${q} = vec4f(${comps.join(", ")});`);
        }
      }
    }
  }
  return out;
}

/**
 * Input patches of the TC channels for the current dy segment. Row/column offsets and their
 * validity do not depend on the channel: computed once per segment, shared by all channels.
 * Patch columns are relative to S·b0 − P: [0, S·(BW−1) + KW).
 */
function patchLoads(cfg: WgradConfig): string[] {
  if (cfg.whole) return wholePatchLoads(cfg);
  const out: string[] = [];
  const width = cfg.S * (cfg.BW - 1) + cfg.KW;
  const al = Math.floor(-cfg.P / 4) * 4; // aligned start relative to S·b0
  const nv = Math.ceil((width - cfg.P - al) / 4);
  const vec = cfg.vecIn;
  const unit = vec ? "iw4" : "iw";
  // Patch rows k = S·h + kh of the step's BH dy rows h and the taps' rows kh.
  const prows = cfg.S * (cfg.BH - 1) + cfg.KH;
  out.push(`let pr = i32(${cfg.S}u * a) - ${cfg.P};`);
  for (let k = 0; k < prows; k++) {
    out.push(
      `let rk${k} = pr + ${k} >= 0 && pr + ${k} < i32(ih);`,
      `let ro${k} = u32(select(0, pr + ${k}, rk${k})) * ${unit};`,
    );
  }
  const cols = vec ? nv : width;
  out.push(
    vec
      ? `let pc = i32(${cfg.S}u * b0 / 4u) + ${f(al / 4)};`
      : `let pc = i32(${cfg.S}u * b0) - ${cfg.P};`,
  );
  for (let q = 0; q < cols; q++) {
    out.push(
      `let ck${q} = pc + ${q} >= 0 && pc + ${q} < i32(${unit});`,
      `let co${q} = u32(select(0, pc + ${q}, ck${q}));`,
    );
  }
  for (let j = 0; j < cfg.TC; j++) {
    out.push(`let pl${j} = (n * cin + min(c0 + ${j}u, cin - 1u)) * ${vec ? "hw4" : "hw"};`);
    for (let k = 0; k < prows; k++) {
      for (let q = 0; q < cols; q++) {
        const name = vec ? `v${j}_${k}_${q}` : `s${j}_${k}_${q}`;
        const zero = vec ? "vec4f(0.0)" : "0.0";
        out.push(
          `let ${name} = select(${zero}, ${
            ld(cfg, "xin", `pl${j} + ro${k} + co${q}`)
          }, rk${k} && ck${q});`,
        );
      }
    }
  }
  return out;
}

/** Whole-image steps: patch row k (input row k − P) and vec4 column q (input columns 4q..). */
function wholeCell(cfg: WgradConfig, k: number, col: number): boolean {
  return k - cfg.P >= 0 && k - cfg.P < cfg.BH && col >= 0 && col < cfg.BW;
}

/** The patch vec4s of a whole-image step that hold input (the padding's are not loaded). */
function wholePatchLoads(cfg: WgradConfig): string[] {
  const out: string[] = [];
  for (let j = 0; j < cfg.TC; j++) {
    out.push(`let pl${j} = (n * cin + min(c0 + ${j}u, cin - 1u)) * hw4;`);
    for (let k = 0; k < cfg.BH + cfg.KH - 1; k++) {
      for (let q = 0; q < cfg.BW / 4; q++) {
        if (!wholeCell(cfg, k, 4 * q)) continue;
        const at = `pl${j} + ${(k - cfg.P) * (cfg.BW / 4) + q}u`;
        out.push(`let xv${j}_${k}_${q} = ${ld(cfg, "xin", at)};`);
      }
    }
  }
  return out;
}

/**
 * Input value for tile channel j, tap (kh, kw) at the step's dy row h and segment column b
 * (scalar expression), or null for a whole-image step's padding.
 */
function cell(
  cfg: WgradConfig,
  j: number,
  h: number,
  kh: number,
  kw: number,
  b: number,
): string | null {
  const k = cfg.S * h + kh;
  const col = cfg.S * b + kw; // relative to S·b0 − P
  if (cfg.whole) {
    const c = col - cfg.P;
    return wholeCell(cfg, k, c) ? `xv${j}_${k}_${Math.floor(c / 4)}[${c % 4}]` : null;
  }
  if (!cfg.vecIn) return `s${j}_${k}_${col}`;
  const al = Math.floor(-cfg.P / 4) * 4;
  const rel = col - cfg.P - al;
  return `v${j}_${k}_${Math.floor(rel / 4)}[${rel % 4}]`;
}

function fmas(cfg: WgradConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < cfg.TO; i++) {
    for (let j = 0; j < cfg.TC; j++) {
      for (let kh = 0; kh < cfg.KH; kh++) {
        for (let kw = 0; kw < cfg.KW; kw++) {
          const acc = `g${i}_${j}_${kh * cfg.KW + kw}`;
          const terms: string[] = [];
          for (let h = 0; h < cfg.BH; h++) {
            for (let q = 0; q < cfg.BW / 4; q++) {
              const xs = [0, 1, 2, 3].map((u) => cell(cfg, j, h, kh, kw, 4 * q + u));
              const d = `d${i}_${h}_${q}`;
              if (xs.every((x) => x !== null)) terms.push(`dot(${d}, vec4f(${xs.join(", ")}))`);
              else {
                // Padding cells (whole-image steps) drop out of the sum.
                xs.forEach((x, u) => x !== null && terms.push(`${d}[${u}] * ${x}`));
              }
            }
          }
          if (terms.length) out.push(`${acc} += ${terms.join(" + ")};`);
        }
      }
    }
  }
  return out;
}

function stores(cfg: WgradConfig): string[] {
  // The tile of output channel o is TC·KK contiguous floats (a multiple of 4) in both layouts.
  const KK = cfg.KH * cfg.KW, n4 = (cfg.TC * KK) / 4;
  const out: string[] = [];
  for (let i = 0; i < cfg.TO; i++) {
    out.push(
      cfg.direct
        ? `let wi${i} = ((o0 + ${i}u) * cin + c0) / 4u * ${KK}u;`
        : `let wi${i} = ((z * p.op + o0 + ${i}u) * p.cp + c0) / 4u * ${KK}u;`,
    );
    for (let v = 0; v < n4; v++) {
      const comps = [0, 1, 2, 3].map((u) => {
        const f = 4 * v + u, j = Math.floor(f / KK), t = f % KK;
        return `g${i}_${j}_${t}`;
      });
      const val = `vec4f(${comps.join(", ")})`;
      out.push(`dw[wi${i} + ${v}u] = ${cfg.maskInStore ? `${val} * wm[wi${i} + ${v}u]` : val};`);
    }
  }
  return out;
}

/** Preprocessor defines of a variant for `conv2d_wgrad.wgsl`. */
export function wgradDefines(cfg: WgradConfig): Defines {
  const KK = cfg.KH * cfg.KW;
  const decls: string[] = [];
  for (let i = 0; i < cfg.TO; i++) {
    for (let j = 0; j < cfg.TC; j++) {
      for (let t = 0; t < KK; t++) decls.push(`var g${i}_${j}_${t} = 0.0;`);
    }
  }
  return {
    TEX: cfg.tex === true,
    XT: cfg.vecIn ? "vec4f" : "f32",
    DT: cfg.vecDy ? "vec4f" : "f32",
    MASKED: cfg.maskInStore,
    DIRECT: cfg.direct,
    WGS: cfg.WGS,
    LC: cfg.LC,
    LR: cfg.WGS / cfg.LC,
    TC: cfg.TC,
    TO: cfg.TO,
    BW: cfg.BW,
    BH: cfg.BH,
    DECLS: decls.join("\n  "),
    STEP: [...dyLoads(cfg), ...patchLoads(cfg), ...fmas(cfg)].join("\n      "),
    STORE: stores(cfg).join("\n  "),
  };
}
