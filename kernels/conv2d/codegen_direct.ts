/**
 * WGSL generator for the unrolled blocks of `conv2d_direct.wgsl` (forward pass and input
 * gradient). A "view" describes the problem as an output-stationary correlation:
 *
 *   out[n, oc, OS·a + OY, OS·b + OX] = Σ_{ic, taps t} in[n, ic, IS·a + t.dr, IS·b + t.dc] · w_t
 *
 * with w_t read from the weight tensor [O, C, KH, KW] at (kh, kw) of the tap, as
 * w[oc, ic] in the forward pass and w[ic, oc] in the input gradient (its reduction runs over O)
 * and in the swapped forward (its weights relaid to [C, O, KH, KW] first: see `swapped`).
 * @module
 */
import type { Defines } from "../../core/engine.ts";

/** One kernel tap: weight position and input offset relative to (IS·a, IS·b). */
export interface Tap {
  kh: number;
  kw: number;
  dr: number;
  dc: number;
}

/** Compile-time description of one direct-convolution kernel variant. */
export interface DirectConfig {
  /** "fwd": weights w[oc, ic]; "dgrad": w[ic, oc] (reduction over output channels). */
  pass: "fwd" | "dgrad";
  KH: number;
  KW: number;
  taps: Tap[];
  /** Input step per output grid step. */
  IS: number;
  /** Output tensor step per grid step, and the grid's offset (parity class). */
  OS: number;
  OY: number;
  OX: number;
  /** Register tile: TM output channels × BH rows × BW columns (BW a multiple of 4). */
  TM: number;
  BH: number;
  BW: number;
  /** Invocations per workgroup. */
  WGS: number;
  /** Input rows are vec4-aligned (iw % 4 == 0 and IS·BW % 4 == 0). */
  vecIn: boolean;
  /** Output rows take vec4 stores (OS == 1, ow % 4 == 0). */
  vecOut: boolean;
  /** Weights as aligned vec4 blocks of 4 channels (C % 4 == 0; dgrad also TM % 4 == 0). */
  vecW: boolean;
  /**
   * Input gradient only: the weights come pre-transposed (and pre-masked) as [KK, cin, cout]
   * (conv2d_transpose.wgsl), so each tap's TM output channels are contiguous vec4s (needs vecW).
   */
  wT: boolean;
  /**
   * Forward only: the weights come swapped (and pre-masked) as [C, O, KH, KW]
   * (conv2d_swap.wgsl), read like the input gradient's: one reduction channel's TM output
   * channels × taps are TM/4 · KK contiguous vec4s (needs vecW), no per-channel selects.
   */
  swapped: boolean;
  /** Reduction channels per step (unrolled; cin must be a multiple). */
  CG: number;
  masked: boolean;
  /** The tile grid covers cout / the grid rows / the grid columns exactly (no store guard). */
  fullC: boolean;
  fullA: boolean;
  fullB: boolean;
  /**
   * Input gradient: add the tile into what yout holds (the gradient the tape already has for
   * this input) instead of overwriting it; the same single f32 add the separate pass would do.
   */
  accum?: boolean;
}

/**
 * How the generated code loads element `index` of a binding: buffer indexing by default; the
 * texture variant (texture.ts) passes textureLoad calls instead.
 */
export type Load = (binding: "xin" | "wt" | "wm", index: string) => string;

/** Loads from storage buffers: `xin[index]`. */
export const bufferLoad: Load = (b, i) => `${b}[${i}]`;

const f = (v: number) => (v < 0 ? `(${v})` : `${v}`);

/** Range of patch rows/columns (relative to IS·a0, IS·b0) that the taps read. */
function patchRange(cfg: DirectConfig): { rlo: number; rhi: number; clo: number; chi: number } {
  const drs = cfg.taps.map((t) => t.dr), dcs = cfg.taps.map((t) => t.dc);
  return {
    rlo: Math.min(...drs),
    rhi: cfg.IS * (cfg.BH - 1) + Math.max(...drs),
    clo: Math.min(...dcs),
    chi: cfg.IS * (cfg.BW - 1) + Math.max(...dcs),
  };
}

/**
 * Whether the weight tensor's first dimension is the reduction channel (w[ic, oc]): the input
 * gradient's [O, C, KK] and the swapped forward's [C, O, KK]; else w[oc, ic] (the forward's).
 */
function reductionFirst(cfg: DirectConfig): boolean {
  return cfg.pass === "dgrad" || cfg.swapped;
}

/** Weight expression (a scalar WGSL expression) for tile channel i, channel-group slot cg, tap. */
function weightRef(cfg: DirectConfig, i: number, cg: number, t: Tap): string {
  const KK = cfg.KH * cfg.KW, tap = t.kh * cfg.KW + t.kw;
  if (innerLoop(cfg)) return `ws${i}_${tap}`;
  if (cfg.wT) return `w${cg}_${tap}_${i >> 2}[${i % 4}]`;
  if (!cfg.vecW) return `w${i}_${cg}_${tap}`;
  const flat = reductionFirst(cfg) ? (i % 4) * KK + tap : cg * KK + tap;
  const owner = reductionFirst(cfg) ? Math.floor(i / 4) : i;
  return `w${owner}_${Math.floor(flat / 4)}[${flat % 4}]`;
}

/** Hoisted weight offsets of the tile's output channels (clamped into range). */
function weightPre(cfg: DirectConfig): string[] {
  const out: string[] = [];
  if (cfg.vecW && reductionFirst(cfg)) {
    // vec4 g holds output channels oc0 + 4g .. oc0 + 4g + 3 (in both weight layouts)
    for (let g = 0; g < cfg.TM / 4; g++) {
      out.push(`let ow${g} = min(oc0 + ${4 * g}u, cout - 4u) / 4u;`);
    }
  } else if (cfg.vecW) {
    for (let i = 0; i < cfg.TM; i++) {
      out.push(`let ow${i} = min(oc0 + ${i}u, cout - 1u) * wc / 4u;`);
    }
  } else if (!reductionFirst(cfg)) {
    for (let i = 0; i < cfg.TM; i++) out.push(`let ow${i} = min(oc0 + ${i}u, cout - 1u) * wc;`);
  } else {
    for (let i = 0; i < cfg.TM; i++) out.push(`let ow${i} = min(oc0 + ${i}u, cout - 1u);`);
  }
  return out;
}

/** Loads of the weights for one reduction step (CG channels starting at c). */
function weightLoads(cfg: DirectConfig, cg: number, load: Load): string[] {
  const KK = cfg.KH * cfg.KW, TM = cfg.TM;
  const m = (idx: string) =>
    cfg.masked ? `${load("wt", idx)} * ${load("wm", idx)}` : load("wt", idx);
  const out: string[] = [];
  const used = new Set(cfg.taps.map((t) => t.kh * cfg.KW + t.kw));
  if (cfg.wT) {
    // only the class's taps: TM/4 contiguous vec4s each
    for (const tap of used) {
      out.push(`let wr${cg}_${tap} = (${tap}u * cin + c + ${cg}u) * (cout / 4u);`);
      for (let g = 0; g < TM / 4; g++) {
        out.push(`let w${cg}_${tap}_${g} = ${load("wt", `wr${cg}_${tap} + ow${g}`)};`);
      }
    }
    return out;
  }
  if (cfg.vecW) {
    if (cg !== 0) return out;
    if (!reductionFirst(cfg)) {
      // w[oc, c..c+CG-1, :, :] is CG·KK contiguous floats, vec4-aligned since C % 4 == 0.
      for (let i = 0; i < TM; i++) {
        out.push(`let wb${i} = (ow${i} + c / 4u) * ${KK}u;`);
        for (let j = 0; j < (channelGroup(cfg) * KK) / 4; j++) {
          // skip vec4s none of whose 4 floats (4 channels × taps) is a used tap
          const any = [0, 1, 2, 3].some((u) => used.has((4 * j + u) % KK));
          if (any) out.push(`let w${i}_${j} = ${m(`wb${i} + ${j}u`)};`);
        }
      }
    } else {
      // w[c, oc..oc+3, :, :]: 4·KK contiguous floats for 4 output channels of the tile.
      for (let g = 0; g < TM / 4; g++) {
        out.push(`let wb${g} = (c * wc / 4u + ow${g}) * ${KK}u;`);
        for (let j = 0; j < KK; j++) {
          const any = [0, 1, 2, 3].some((u) => used.has((4 * j + u) % KK));
          if (any) out.push(`let w${g}_${j} = ${m(`wb${g} + ${j}u`)};`);
        }
      }
    }
    return out;
  }
  for (let i = 0; i < TM; i++) {
    const base = reductionFirst(cfg)
      ? `((c + ${cg}u) * wc + ow${i}) * ${KK}u`
      : `(ow${i} + c + ${cg}u) * ${KK}u`;
    out.push(`let wb${i}_${cg} = ${base};`);
    for (const tap of used) out.push(`let w${i}_${cg}_${tap} = ${m(`wb${i}_${cg} + ${tap}u`)};`);
  }
  return out;
}

/**
 * Channel-independent part of the patch addressing, hoisted out of the reduction loop: row
 * and column offsets (clamped to 0 outside the image) and their validity.
 */
function patchPre(cfg: DirectConfig): string[] {
  const { rlo, rhi, clo, chi } = patchRange(cfg);
  const need = neededCells(cfg);
  const vec = cfg.vecIn;
  const unit = vec ? "iw4" : "iw";
  const out = [
    vec ? "let iw4 = iw / 4u;" : "",
    `let plb = n * cin * ${vec ? "hw4" : "hw"};`,
    `let pr = i32(${cfg.IS}u * a0) + ${f(rlo)};`,
  ];
  for (let k = 0; k <= rhi - rlo; k++) {
    out.push(
      `let rk${k} = pr + ${k} >= 0 && pr + ${k} < i32(ih);`,
      `let ro${k} = u32(select(0, pr + ${k}, rk${k})) * ${unit};`,
    );
  }
  if (vec) {
    const al = Math.floor(clo / 4) * 4, nv = Math.ceil((chi + 1 - al) / 4);
    out.push(`let pc = i32(${cfg.IS}u * b0 / 4u) + ${f(al / 4)};`);
    for (let q = 0; q < nv; q++) {
      out.push(
        `let ck${q} = pc + ${q} >= 0 && pc + ${q} < i32(iw4);`,
        `let co${q} = u32(select(0, pc + ${q}, ck${q}));`,
      );
    }
    for (let k = 0; k <= rhi - rlo; k++) {
      for (let q = 0; q < nv; q++) {
        if (!vecNeeded(need, k, q, clo - al)) continue;
        out.push(`let ok${k}_${q} = rk${k} && ck${q}; let of${k}_${q} = ro${k} + co${q};`);
      }
    }
    return out;
  }
  out.push(`let pc = i32(${cfg.IS}u * b0) + ${f(clo)};`);
  for (let j = 0; j <= chi - clo; j++) {
    out.push(
      `let ck${j} = pc + ${j} >= 0 && pc + ${j} < i32(iw);`,
      `let co${j} = u32(select(0, pc + ${j}, ck${j}));`,
    );
  }
  for (let k = 0; k <= rhi - rlo; k++) {
    for (let j = 0; j <= chi - clo; j++) {
      if (!need.has(`${k},${j}`)) continue;
      out.push(`let ok${k}_${j} = rk${k} && ck${j}; let of${k}_${j} = ro${k} + co${j};`);
    }
  }
  return out;
}

/** Whether vec4 q of patch row k holds a cell some FMA reads (shift: clo − aligned start). */
function vecNeeded(need: Set<string>, k: number, q: number, shift: number): boolean {
  return [0, 1, 2, 3].some((u) => need.has(`${k},${4 * q + u - shift}`));
}

/**
 * Patch loads of one input channel (`chan`, default c + cg): v{cg}_{row}_{vec} (vec4 path) or
 * s{cg}_{row}_{col}.
 */
function patchLoads(cfg: DirectConfig, cg: number, o: { load: Load; chan?: string }): string[] {
  const chan = o.chan ?? `c + ${cg}u`;
  const { rlo, rhi, clo, chi } = patchRange(cfg);
  const need = neededCells(cfg);
  const vec = cfg.vecIn;
  const out = [`let pl${cg} = plb + (${chan}) * ${vec ? "hw4" : "hw"};`];
  if (vec) {
    const al = Math.floor(clo / 4) * 4, nv = Math.ceil((chi + 1 - al) / 4);
    for (let k = 0; k <= rhi - rlo; k++) {
      for (let q = 0; q < nv; q++) {
        if (!vecNeeded(need, k, q, clo - al)) continue;
        out.push(
          `let v${cg}_${k}_${q} = select(vec4f(0.0), ${
            o.load("xin", `pl${cg} + of${k}_${q}`)
          }, ok${k}_${q});`,
        );
      }
    }
    return out;
  }
  for (let k = 0; k <= rhi - rlo; k++) {
    for (let j = 0; j <= chi - clo; j++) {
      if (!need.has(`${k},${j}`)) continue;
      const ld = o.load("xin", `pl${cg} + of${k}_${j}`);
      out.push(`let s${cg}_${k}_${j} = select(0.0, ${ld}, ok${k}_${j});`);
    }
  }
  return out;
}

/** Patch cells (row, col relative to the range start) that some FMA reads. */
function neededCells(cfg: DirectConfig): Set<string> {
  const { rlo, clo } = patchRange(cfg);
  const s = new Set<string>();
  for (const t of cfg.taps) {
    for (let r = 0; r < cfg.BH; r++) {
      for (let b = 0; b < cfg.BW; b++) {
        s.add(`${cfg.IS * r + t.dr - rlo},${cfg.IS * b + t.dc - clo}`);
      }
    }
  }
  return s;
}

/** The input value at tile row r, column b for tap t (a scalar WGSL expression). */
function cell(cfg: DirectConfig, cg: number, r: number, b: number, t: Tap): string {
  const { rlo, clo } = patchRange(cfg);
  const k = cfg.IS * r + t.dr - rlo;
  if (!cfg.vecIn) return `s${cg}_${k}_${cfg.IS * b + t.dc - clo}`;
  const al = Math.floor(clo / 4) * 4;
  const j = cfg.IS * b + t.dc - al;
  return `v${cg}_${k}_${Math.floor(j / 4)}[${j % 4}]`;
}

/**
 * The FMAs of the step's input channels `cgs`, ordered for the register allocator: a block
 * of IB output channels × one vec4 of positions stays in registers across all taps and
 * channels (each accumulator is loaded, masked and stored once per step instead of once per
 * tap and channel), and the input vector of a tap is shared by the IB consecutive statements.
 */
function fmas(cfg: DirectConfig, cgs: number[]): string[] {
  const out: string[] = [];
  const IB = 4;
  for (let i0 = 0; i0 < cfg.TM; i0 += IB) {
    for (let r = 0; r < cfg.BH; r++) {
      for (let q = 0; q < cfg.BW / 4; q++) {
        for (const cg of cgs) {
          for (const t of cfg.taps) {
            const xs = [0, 1, 2, 3].map((u) => cell(cfg, cg, r, 4 * q + u, t));
            for (let i = i0; i < Math.min(cfg.TM, i0 + IB); i++) {
              const acc = `a${i}_${r}_${q}`;
              out.push(
                `${acc} = fma(vec4f(${weightRef(cfg, i, cg, t)}), vec4f(${
                  xs.join(", ")
                }), ${acc});`,
              );
            }
          }
        }
      }
    }
  }
  return out;
}

/** The channels per reduction step (planned: 4 with vec4 forward weights). */
export function channelGroup(cfg: DirectConfig): number {
  return cfg.CG;
}

/**
 * Forward with vec4 weight blocks and several taps: the 4 channels of a block run as an inner
 * runtime loop (a quarter of the code of unrolling them: lavapipe streams this code from L2
 * every step), each weight picked from the block by the loop index with three selects.
 * 1×1 kernels unroll the 4 channels instead (small steps; the selects would cost more).
 */
function innerLoop(cfg: DirectConfig): boolean {
  return cfg.vecW && !reductionFirst(cfg) && cfg.KH * cfg.KW > 1;
}

/** Per-channel weights of the inner loop: ws{i}_{tap} chosen from the vec4 block by cg. */
function weightSelects(cfg: DirectConfig): string[] {
  const KK = cfg.KH * cfg.KW;
  const out: string[] = [];
  const used = [...new Set(cfg.taps.map((t) => t.kh * cfg.KW + t.kw))];
  for (let i = 0; i < cfg.TM; i++) {
    for (const tap of used) {
      const c = [0, 1, 2, 3].map((cg) => {
        const flat = cg * KK + tap;
        return `w${i}_${Math.floor(flat / 4)}[${flat % 4}]`;
      });
      out.push(
        `let ws${i}_${tap} = select(select(select(${c[0]}, ${c[1]}, cg == 1u), ${c[2]}, ` +
          `cg == 2u), ${c[3]}, cg == 3u);`,
      );
    }
  }
  return out;
}

function stores(cfg: DirectConfig): string[] {
  const out: string[] = [];
  const put = (at: string, v: string) => cfg.accum ? `${at} = ${at} + ${v};` : `${at} = ${v};`;
  const and = (...c: (string | false)[]) => c.filter((v) => v).join(" && ");
  for (let i = 0; i < cfg.TM; i++) {
    out.push(`let oc${i} = oc0 + ${i}u;`);
    for (let r = 0; r < cfg.BH; r++) {
      const row = `((n * cout + oc${i}) * p.oh + ${cfg.OS}u * (a0 + ${r}u) + ${cfg.OY}u) * p.ow`;
      const rowGuard = and(!cfg.fullC && `oc${i} < cout`, !cfg.fullA && `a0 + ${r}u < p.ga`);
      for (let q = 0; q < cfg.BW / 4; q++) {
        const acc = `a${i}_${r}_${q}`;
        if (cfg.vecOut) {
          const g = and(rowGuard, !cfg.fullB && `b0 + ${4 * q}u < p.gb`);
          const st = put(`yout[(${row} + b0 + ${4 * q}u) / 4u]`, acc);
          out.push(g ? `if (${g}) { ${st} }` : st);
        } else {
          for (let u = 0; u < 4; u++) {
            const bu = `b0 + ${4 * q + u}u`;
            const g = and(rowGuard, !cfg.fullB && `${bu} < p.gb`);
            const st = put(`yout[${row} + ${cfg.OS}u * (${bu}) + ${cfg.OX}u]`, `${acc}[${u}]`);
            out.push(g ? `if (${g}) { ${st} }` : st);
          }
        }
      }
    }
  }
  return out;
}

/**
 * Preprocessor defines of a variant for `conv2d_direct.wgsl` (the DIRECT spec); `load` says how
 * the reduction step loads x, w and the mask (buffers by default).
 */
export function directDefines(cfg: DirectConfig, load: Load = bufferLoad): Defines {
  // A parity class no tap reaches is all zeros: runInputGrad (versions.ts) clears it instead.
  if (!cfg.taps.length) throw new Error("conv2d direct kernel: a variant needs at least one tap");
  const CG = channelGroup(cfg);
  const decls: string[] = [];
  for (let i = 0; i < cfg.TM; i++) {
    for (let r = 0; r < cfg.BH; r++) {
      for (let q = 0; q < cfg.BW / 4; q++) decls.push(`var a${i}_${r}_${q} = vec4f(0.0);`);
    }
  }
  const step: string[] = [];
  if (innerLoop(cfg)) {
    step.push(
      ...weightLoads(cfg, 0, load),
      "for (var cg = 0u; cg < 4u; cg++) {",
      ...[...weightSelects(cfg), ...patchLoads(cfg, 0, { load, chan: "c + cg" }), ...fmas(cfg, [0])]
        .map((l) => `  ${l}`),
      "}",
    );
  } else {
    const cgs = [...Array(CG).keys()];
    for (const cg of cgs) {
      step.push(...weightLoads(cfg, cg, load), ...patchLoads(cfg, cg, { load }));
    }
    step.push(...fmas(cfg, cgs));
  }
  return {
    XT: cfg.vecIn ? "vec4f" : "f32",
    WT: cfg.vecW ? "vec4f" : "f32",
    YT: cfg.vecOut ? "vec4f" : "f32",
    MASKED: cfg.masked,
    TEX: false,
    WGS: cfg.WGS,
    TM: cfg.TM,
    BH: cfg.BH,
    BW: cfg.BW,
    CG,
    DECLS: [...decls, ...patchPre(cfg), ...weightPre(cfg)].join(
      "\n  ",
    ),
    STEP: step.join("\n    "),
    STORE: stores(cfg).join("\n    "),
  };
}
