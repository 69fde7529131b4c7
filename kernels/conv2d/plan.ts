/**
 * Launch plans of the tiled conv2d versions: the kernel variant (register tile, vec4 paths,
 * taps) and the dispatch (uniform parameters by name, workgroup grid) of each pass for a given
 * shape and device profile.
 *
 * Tile sizes were tuned on lavapipe (2 CPU cores, 8-wide SIMD; 16-wide since core/device.ts asks
 * llvmpipe for 512-bit vectors on AVX-512 CPUs): every buffer load runs lane by
 * lane there, so the tiles are as large as register spilling allows (about 256–512 f32
 * accumulators per invocation) and shaped so that the input patch is shared by all taps. The
 * device enters through the profile: one subgroup per workgroup (profile.tiledWorkgroupSize,
 * 8 or 16 on lavapipe, by its vector width) and the workgroups a dispatch dimension takes.
 * @module
 */
import type { DeviceProfile } from "../../core/device_profile.ts";
import type { ParamValues } from "../../core/kernel_spec.ts";
import type { DirectConfig, Tap } from "./codegen_direct.ts";
import type { WgradConfig } from "./codegen_wgrad.ts";
import type { ConvShape } from "./reference.ts";
import { outSize } from "./reference.ts";
import type { DIRECT, WGRAD } from "./specs.ts";

/** What a plan takes besides the geometry. */
export interface PlanOptions {
  /** The device profile (workgroup size of the tiled kernels, workgroups per dimension). */
  profile: DeviceProfile;
  /** Whether a 0/1 weight mask is applied. */
  masked?: boolean;
  /**
   * Unrolled FMA statements per reduction step (see stepBudget); by default from the flops.
   * Checks and tests force it to run the production tiles on small shapes.
   */
  budget?: number;
  /**
   * Forward tile knobs the autotuner varies (default: the lavapipe-measured choice below):
   * `vecW` false reads weights channel by channel instead of as 4-channel vec4 blocks,
   * `wide` false keeps 16 output channels where 32 would be taken.
   */
  variant?: { vecW?: boolean; wide?: boolean };
  /**
   * Weight-gradient tile the autotuner (and A/B experiments) may force instead of the
   * default's: output channels TO and input channels TC (multiples of 4), dy columns BW per
   * step (4 or 8), dy rows BH per step (dividing Ho).
   */
  wgradTile?: WgradTile;
}

/** A weight-gradient tile (see PlanOptions.wgradTile). */
export interface WgradTile {
  TO: number;
  TC: number;
  BW: number;
  BH: number;
}

/** Whether the kernel can take tile `t` at this shape. */
export function wgradTileFits(g: ConvGeom, t: WgradTile): boolean {
  const four = (v: number) => Number.isInteger(v) && v >= 4 && v % 4 === 0;
  return four(t.TO) && four(t.TC) && (t.BW === 4 || t.BW === 8) && Number.isInteger(t.BH) &&
    t.BH >= 1 && g.Ho % t.BH === 0;
}

/** A planned dispatch of the direct kernel. */
export interface DirectLaunch {
  cfg: DirectConfig;
  params: ParamValues<typeof DIRECT>;
  groups: [number, number, number];
}

/** A planned weight-gradient launch (scratch mode adds the reduction kernel). */
export interface WgradLaunch {
  cfg: WgradConfig;
  params: ParamValues<typeof WGRAD>;
  groups: [number, number, number];
  /** Partial sums of the reduction: workgroup splits (wg.z) × row groups per workgroup. */
  split: number;
  /** Floats of the tile-padded scratch [split, opad, cpad, KK] (unused in direct mode). */
  scratch: number;
  opad: number;
  cpad: number;
}

/** Full shape of a convolution with its output size. */
export type ConvGeom = ConvShape & { Ho: number; Wo: number };

/** Validates shapes and returns the geometry; throws a one-line error naming the mismatch. */
export function convGeom(
  xShape: readonly number[],
  wShape: readonly number[],
  o: { stride?: number; padding?: number } = {},
): ConvGeom {
  const stride = o.stride ?? 1, padding = o.padding ?? 0;
  if (xShape.length !== 4 || wShape.length !== 4) {
    throw new Error(
      `conv2d: x must be [N, C, H, W] and w [O, C, KH, KW], got [${xShape}] and [${wShape}]`,
    );
  }
  const [N, C, H, W] = xShape, [O, C2, KH, KW] = wShape;
  if (C !== C2) throw new Error(`conv2d: x has ${C} channels but w expects ${C2}`);
  if (!(Number.isInteger(stride) && stride >= 1 && Number.isInteger(padding) && padding >= 0)) {
    throw new Error(
      `conv2d: stride must be an integer ≥ 1 and padding ≥ 0, got ${stride}, ${padding}`,
    );
  }
  const s: ConvShape = { N, C, H, W, O, KH, KW, stride, padding };
  const { Ho, Wo } = outSize(s);
  if (Ho < 1 || Wo < 1) {
    throw new Error(
      `conv2d: a ${KH}×${KW} kernel does not fit a ${H}×${W} input with padding ${padding}`,
    );
  }
  return { ...s, Ho, Wo };
}

/**
 * Unrolled FMA statements (vec4) allowed in one reduction step. Compile time grows with it
 * (lavapipe needs 1–3 s for a variant at the full 4608), and only large problems repay it:
 * calls of ≥ 2³⁰ flops (ResNet-18 at width 64: 4.8–9.7 GFLOP a layer) get the full budget,
 * smaller ones at most 1152 (at width 8, 151–302 MFLOP a layer, 1152 timed the same SDCLR step
 * as 4608 with half the compile time: 33 s instead of 66 s per process), unit-test sizes less.
 */
export function stepBudget(flops: number): number {
  const b = Math.round(flops / 65536);
  return Math.max(256, Math.min(flops >= 2 ** 30 ? 4608 : 1152, b));
}

/**
 * Register tile of a direct kernel for an output grid ga × gb with cout channels, tuned on
 * lavapipe: 16 output channels × 4×16 positions on wide grids, 16 × 8×8 on 8-wide ones and
 * 32 × 4×4 on 4-wide ones (and for 1×1 kernels, whose loads are amortised over channels
 * only); shrunk until the unrolled statements of one step (`unroll` channels) fit the budget.
 * `wide` (forward passes that are strided or 16 wide) takes 32 output channels when the full
 * budget allows: a loaded input patch then feeds twice the FMAs (a stride-2 patch is ~4× its
 * block; measured +10–20% at stride 2 and on the 16-wide stride-1 grids, nothing at 8×8
 * stride 1; the price is ~4× the compile time of those variants). Software adapters cap the
 * budget of stride-1 multi-tap kernels (DeviceProfile.directBudgetCap: 8 × 4×8 tiles there).
 */
function directTile(t: {
  ga: number;
  gb: number;
  cout: number;
  taps: number;
  unroll: number;
  budget: number;
  wide: boolean;
}) {
  const { ga, gb, cout, taps, unroll, budget, wide } = t;
  let BW = gb >= 16 ? 16 : gb >= 8 ? 8 : 4;
  let BH = Math.min(BW === 8 && taps > 1 ? 8 : 4, ga);
  const big = taps === 1 || BW === 4 || (wide && 32 * BH * (BW / 4) * taps * unroll <= budget);
  let TM = Math.min(big ? 32 : 16, Math.ceil(cout / 4) * 4);
  while (TM * BH * (BW / 4) * taps * unroll > budget) {
    if (BW > 8) BW = 8;
    else if (BH > 4) BH = 4;
    else if (TM > 4) TM -= 4;
    else if (BH > 1) BH = Math.ceil(BH / 2);
    else if (BW > 4) BW = 4;
    else break;
  }
  return { TM, BH, BW };
}

/** Workgroups for `blocks` lane blocks: x, folded into z beyond the per-dimension limit. */
function groupsFor(blocks: number, p: DeviceProfile): { nwx: number; nz: number } {
  const wgs = Math.ceil(blocks / p.tiledWorkgroupSize);
  const nz = Math.ceil(wgs / p.limits.maxWorkgroupsPerDimension);
  return { nwx: Math.ceil(wgs / nz), nz };
}

interface DirectProblem {
  pass: "fwd" | "dgrad";
  g: ConvGeom;
  taps: Tap[];
  IS: number;
  OS: number;
  OY: number;
  OX: number;
  cin: number;
  cout: number;
  ih: number;
  iw: number;
  ga: number;
  gb: number;
  oh: number;
  ow: number;
  masked: boolean;
  /** dgrad: weights pre-transposed to [KK, O, C] (and pre-masked). */
  wT: boolean;
  /** fwd: weights pre-swapped to [C, O, KK] (and pre-masked). */
  swapped: boolean;
}

function directLaunch(pr: DirectProblem, o: PlanOptions): DirectLaunch {
  const taps = Math.max(1, pr.taps.length);
  const cap = pr.g.stride === 1 && taps > 1 ? o.profile.directBudgetCap ?? Infinity : Infinity;
  const budget = o.budget ??
    Math.min(cap, stepBudget(2 * pr.g.N * pr.ga * pr.gb * pr.cout * pr.cin * taps));
  // vec4 weight blocks cover 4 channels: the forward then unrolls 4 channels per step, which
  // small budgets cannot afford. (Transposed dgrad weights are vec4 rows over C: C % 4 == 0.)
  // (Swapped forward weights are vec4 rows over O: forwardPlan checks O % 4 == 0.)
  const vecW = pr.swapped || (pr.g.C % 4 === 0 && (pr.pass === "dgrad" || budget >= 1152) &&
    (pr.pass === "dgrad" || o.variant?.vecW !== false));
  // Channels per step. With vec4 weight blocks the forward walks 4 channels per step: as a
  // runtime inner loop for multi-tap kernels, unrolled for 1×1 ones (their step is small).
  // The transposed input gradient unrolls reduction channels until a step has ~4 taps ×
  // channels, so that each accumulator block gets several FMAs per load/store.
  const CG = vecW && pr.pass === "fwd" && !pr.swapped
    ? 4
    : pr.wT
    ? [4, 2].find((k) => k * taps <= 4 && pr.cin % k === 0) ?? 1
    : 1;
  const unroll = (vecW && pr.pass === "fwd" && taps === 1) || pr.wT ? CG : 1;
  const wide = pr.pass === "fwd" && (pr.IS > 1 || pr.gb >= 16) && o.variant?.wide !== false;
  const { TM, BH, BW } = directTile({
    ga: pr.ga,
    gb: pr.gb,
    cout: pr.cout,
    taps,
    unroll,
    budget,
    wide,
  });
  const cfg: DirectConfig = {
    pass: pr.pass,
    KH: pr.g.KH,
    KW: pr.g.KW,
    taps: pr.taps,
    IS: pr.IS,
    OS: pr.OS,
    OY: pr.OY,
    OX: pr.OX,
    TM,
    BH,
    BW,
    WGS: o.profile.tiledWorkgroupSize,
    vecIn: pr.iw % 4 === 0 && (pr.IS * BW) % 4 === 0,
    vecOut: pr.OS === 1 && pr.ow % 4 === 0,
    vecW: vecW && (pr.pass === "fwd" || TM % 4 === 0),
    wT: pr.wT,
    swapped: pr.swapped,
    CG,
    masked: pr.masked && !pr.wT && !pr.swapped,
    fullC: pr.cout % TM === 0,
    fullA: pr.ga % BH === 0,
    fullB: pr.gb % BW === 0,
  };
  if (cfg.wT && !cfg.vecW) throw new Error("conv2d plan: transposed weights need vec4 rows");
  const bpr = Math.ceil(pr.gb / BW), bpi = Math.ceil(pr.ga / BH) * bpr;
  const nb = pr.g.N * bpi;
  const { nwx, nz } = groupsFor(nb, o.profile);
  const params = {
    nb,
    bpi,
    bpr,
    cin: pr.cin,
    cout: pr.cout,
    ih: pr.ih,
    iw: pr.iw,
    ga: pr.ga,
    gb: pr.gb,
    oh: pr.oh,
    ow: pr.ow,
    // The weight rows' length: C of [O, C, KK] (also read as [O][C] by the input gradient),
    // O of the swapped [C, O, KK].
    wc: pr.swapped ? pr.g.O : pr.g.C,
    nwx,
  };
  return { cfg, params, groups: [nwx, Math.ceil(pr.cout / TM), nz] };
}

/**
 * The stride-1 geometry a 1×1 stride-S forward without padding runs in after gatherStrided
 * (x subsampled to [N, C, Ho, Wo]), or null for other convolutions. The strided rows would
 * load S× the floats they use (measured +10–15% end to end with the gather, on the
 * ResNet-18 downsamples; recutting the grid into rows of 16 did not help).
 */
export function stridedPointwise(g: ConvGeom): ConvGeom | null {
  if (g.KH !== 1 || g.KW !== 1 || g.padding !== 0 || g.stride === 1) return null;
  return { ...g, H: g.Ho, W: g.Wo, stride: 1 };
}

/**
 * Whether a forward can read swapped weights [C, O, KK] (forward version 5): multi-tap kernels
 * (1×1 ones unroll 4 channels per step and pick no weights by select) with O a multiple of 4
 * (the kernel reads vec4 rows over O). Any C: the RGB stem (C = 3) swaps one channel's run
 * per invocation, and its forward then loads vec4 weights it could not load before.
 */
export function swappableForward(g: ConvGeom): boolean {
  return g.KH * g.KW > 1 && g.O % 4 === 0;
}

/**
 * Forward pass: y[n, o] = Σ_c x[n, c] ⋆ w[o, c]. `swapped`: the weights are read as
 * [C, O, KK], pre-masked (needs swappableForward(g)).
 */
export function forwardPlan(g: ConvGeom, o: PlanOptions & { swapped?: boolean }): DirectLaunch {
  const swapped = o.swapped ?? false;
  if (swapped && !swappableForward(g)) throw new Error("conv2d plan: this forward cannot swap w");
  const taps: Tap[] = [];
  for (let kh = 0; kh < g.KH; kh++) {
    for (let kw = 0; kw < g.KW; kw++) taps.push({ kh, kw, dr: kh - g.padding, dc: kw - g.padding });
  }
  return directLaunch({
    pass: "fwd",
    g,
    taps,
    IS: g.stride,
    OS: 1,
    OY: 0,
    OX: 0,
    cin: g.C,
    cout: g.O,
    ih: g.H,
    iw: g.W,
    ga: g.Ho,
    gb: g.Wo,
    oh: g.Ho,
    ow: g.Wo,
    masked: o.masked ?? false,
    wT: false,
    swapped,
  }, o);
}

/**
 * Whether the input gradient reads pre-transposed weights [KK, O, C]: for strided multi-tap
 * kernels, whose parity classes use only some taps (in [O, C, KK] their vec4 blocks would
 * mostly hold unused taps; measured ~1.7× on the 3×3 stride-2 layers).
 */
export function transposedDgrad(g: ConvGeom): boolean {
  return g.stride > 1 && g.KH * g.KW > 1 && g.C % 4 === 0;
}

/**
 * Input gradient: one launch per output parity class (py, px) of the stride; within a class
 * dx[n, c, S·a + py, S·b + px] = Σ_o Σ_{kh ≡ py+P, kw ≡ px+P (mod S)} dy[n, o, a + dr, b + dc]
 * · w[o, c, kh, kw] with dr = (py + P − kh)/S: a stride-1 correlation with only the
 * contributing taps (the others would multiply zeros). `transposed`: the weights are read as
 * [KK, O, C], pre-masked (needs transposedDgrad(g)).
 */
export function backwardInputPlans(
  g: ConvGeom,
  o: PlanOptions & { transposed: boolean },
): DirectLaunch[] {
  const S = g.stride, P = g.padding;
  const wT = o.transposed;
  if (wT && !transposedDgrad(g)) throw new Error("conv2d plan: this dgrad cannot read wT");
  const masked = o.masked ?? false;
  const out: DirectLaunch[] = [];
  for (let py = 0; py < Math.min(S, g.H); py++) {
    for (let px = 0; px < Math.min(S, g.W); px++) {
      const taps: Tap[] = [];
      for (let kh = 0; kh < g.KH; kh++) {
        if ((((py + P - kh) % S) + S) % S !== 0) continue;
        for (let kw = 0; kw < g.KW; kw++) {
          if ((((px + P - kw) % S) + S) % S !== 0) continue;
          taps.push({ kh, kw, dr: (py + P - kh) / S, dc: (px + P - kw) / S });
        }
      }
      out.push(directLaunch({
        pass: "dgrad",
        g,
        taps,
        IS: 1,
        OS: S,
        OY: py,
        OX: px,
        cin: g.O,
        cout: g.C,
        ih: g.Ho,
        iw: g.Wo,
        ga: Math.ceil((g.H - py) / S),
        gb: Math.ceil((g.W - px) / S),
        oh: g.H,
        ow: g.W,
        masked: masked && taps.length > 0,
        wT,
        swapped: false,
      }, o));
    }
  }
  return out;
}

/**
 * Splits of the weight gradient's reduction over N·Ho dy rows that the plan wants: enough to
 * have ~64 workgroups when the output has few tiles (a GPU wants that many in flight;
 * lavapipe's 2 threads need far fewer), keeping at least 8 rows per split. 1: no split.
 */
export function wantedSplit(g: ConvGeom, o: PlanOptions): number {
  return backwardWeightPlan(g, o).groups[2];
}

/**
 * Weight-gradient launch: tile, reduction split and output mode. `split` forces the number of
 * reduction splits (clamped to the dy rows); by default it is wanted as wantedSplit says.
 */
export function backwardWeightPlan(g: ConvGeom, o: PlanOptions & { split?: number }): WgradLaunch {
  const KK = g.KH * g.KW, WGS = o.profile.tiledWorkgroupSize;
  const budget = o.budget ?? stepBudget(2 * g.N * g.Ho * g.Wo * g.O * g.C * KK);
  // The tile: 8 output × 4 input channels × KK taps (wider below), a 2×4 block of dy per
  // reduction step.
  // Registers spill at any of these sizes on a CPU-backed adapter, so what counts is products
  // per accumulator load/store (BH·BW) against the stack the tile occupies (TO·TC·KK
  // accumulators plus the patches). A/B on lavapipe of ResNet-18's 3×3 layers, best of 4
  // rounds (each tile forced through wgradTile, same operands): TO8 TC4 BW4 BH2 against the former
  // TO8 TC8 BW8 BH1 (BH4 on 4×4) at batch 64, width 64: 4×4 33.4 vs 28.2 GFLOP/s, 8×8 43.7
  // vs 33.0, 16×16 46.6 vs 38.1, 32×32 45.6 vs 39.6, stride 2 28.5–30.8 vs 25.5–26.8; width
  // 8, batch 128 (former TO4 TC8 BW8): 15.8–16.1 vs 13.4–13.6; 1×1 stride 2 and the 3-channel
  // stem within noise. The narrow block is what matters: TO8 TC8 BW8 BH2 ran 14–26 there.
  // Wider tiles where they fit the budget with 2-row steps (same protocol, x's texture copy
  // included, two runs): 1×1 kernels (KK = 1: TO8 TC4 held only 32 accumulators, and each
  // step's loads fed few FMAs) take 16 × 16, width-64 1×1 stride 2: 10.0 → 15.1–16.9 GFLOP/s;
  // multi-tap kernels take TO16 when the step budget is the full one (calls of ≥ 2³⁰ flops),
  // width 64: 32×32 48.0 → 55.7, 16×16 38.7/48.7 → 41.0/51.6, 8×8 42.4 → 46.5, stride 2
  // 26.5–34.1 → 30.6–42.2. At width 8 (budget 1152) TO16 would need 1-row steps: 10.8–15.8
  // against TO8's 12.8–16.7. Whole 4×4 images keep TO8 (TO16 at 2 rows: 35 against 47–51).
  const BW = 4;
  const up4 = (v: number) => Math.ceil(v / 4) * 4;
  const whole4 = g.stride === 1 && g.H === 4 && g.W === 4 && g.Ho === 4 && g.Wo === 4;
  const wide = KK === 1 || (16 * 4 * KK * 2 <= budget / 2 && !whole4);
  let TC = KK === 1 ? Math.min(16, up4(g.C)) : 4;
  let TO = Math.min(wide ? 16 : 8, up4(g.O));
  // Statements per step: TO·TC·KK dot products of BW/4 vec4s; at most ~640 accumulators.
  while (TO * TC * KK > budget / 2 || TO * TC * KK > 640) {
    if (TO > 4) TO -= 4;
    else break;
  }
  let BH = g.Ho % 2 === 0 && TO * TC * KK * 2 <= budget / 2 ? 2 : 1;
  // A 4×4 stride-1 layer walks whole images (one step each; whole-image steps skip the
  // padding's loads and products, see codegen_wgrad.ts): 4 rows.
  if (whole4) BH = 4;
  if (o.wgradTile) {
    if (!wgradTileFits(g, o.wgradTile)) {
      throw new Error(
        `conv2d weight gradient: tile ${JSON.stringify(o.wgradTile)} does not fit (TO, TC ` +
          `multiples of 4, BW 4 or 8, BH dividing the output height ${g.Ho})`,
      );
    }
    ({ TO, TC, BH } = o.wgradTile);
  }
  const bw = o.wgradTile?.BW ?? BW;
  // Lanes of a workgroup take consecutive input-channel blocks; where C has fewer blocks than
  // lanes (thin layers), the spare lanes take other dy rows instead (LR row groups of LC
  // channel lanes) rather than repeating the last block: their partial sums are added by
  // the reduction like the workgroup splits'.
  const blocks = Math.ceil(g.C / TC);
  let LC = 1;
  while (LC < blocks && LC < WGS) LC *= 2;
  if (WGS % LC !== 0) LC = WGS;
  const LR = WGS / LC;
  const cGroups = Math.ceil(g.C / (TC * LC)), oBlocks = Math.ceil(g.O / TO);
  const rows = g.N * g.Ho;
  const want = o.split ?? Math.min(Math.ceil(64 / (cGroups * oBlocks)), Math.floor(rows / 8));
  const wsplit = Math.max(1, Math.min(want, rows / BH));
  // Partial sums: LR row groups in each of the wsplit workgroups along z, each a whole number
  // of BH-row steps (rows = N·Ho is one: BH divides Ho).
  const rps = Math.ceil(rows / BH / (wsplit * LR)) * BH;
  const split = wsplit * LR;
  const direct = split === 1 && g.O % TO === 0 && g.C % (TC * LC) === 0;
  const vecIn = g.W % 4 === 0 && (g.stride * bw) % 4 === 0, vecDy = g.Wo % 4 === 0;
  const cfg: WgradConfig = {
    KH: g.KH,
    KW: g.KW,
    S: g.stride,
    P: g.padding,
    TO,
    TC,
    BW: bw,
    BH,
    WGS,
    LC,
    vecIn,
    vecDy,
    whole: g.stride === 1 && g.H === g.Ho && g.W === g.Wo && BH === g.Ho && bw === g.Wo &&
      vecIn && vecDy,
    maskInStore: (o.masked ?? false) && direct,
    direct,
  };
  const op = oBlocks * TO, cp = cGroups * LC * TC;
  const params = {
    rows,
    rps,
    cin: g.C,
    cout: g.O,
    ih: g.H,
    iw: g.W,
    oh: g.Ho,
    ow: g.Wo,
    op,
    cp,
  };
  return {
    cfg,
    params,
    groups: [cGroups, oBlocks, wsplit],
    split,
    scratch: split * op * cp * KK,
    opad: op,
    cpad: cp,
  };
}
