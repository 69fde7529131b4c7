/**
 * Launchers of the batch norm kernels (no autodiff here; see mod.ts). Every launcher records
 * dispatches only: no flush, no readback.
 * @module
 */
import { type Binding, type Defines, engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { Tensor } from "../../core/tensor.ts";

/** Iteration parameters shared by the forward and backward kernels (see bnParams). */
const GEOM = {
  C: "u32",
  HWv: "u32",
  Mv: "u32",
  chunk: "u32",
  S: "u32",
  q: "u32",
  r: "u32",
  CHWv: "u32",
  count: "f32",
} as const;

const F32 = { access: "read", type: "f32" } as const;
const F32_RW = { access: "read_write", type: "f32" } as const;
const TEXTURE = { access: "texture", type: "texture_storage_2d<rgba32float, read>" } as const;

/** A read-only VT operand: a texture in the TEX variant, present where `on` holds. */
function operand(on: (d: Defines) => boolean = () => true) {
  return (d: Defines) => on(d) ? (d.TEX ? TEXTURE : { access: "read" as const, type: "VT" }) : null;
}

/** Forward: PARTIAL sums, FUSED / SPLIT_TRAIN training normalisation, eval normalisation. */
export const BN_FORWARD = defineKernel({
  name: "batchnorm_fwd",
  file: new URL("./batchnorm_fwd.wgsl", import.meta.url),
  params: { ...GEOM, momentum: "f32", eps: "f32", unbias: "f32", updates: "u32" },
  bindings: {
    x: operand(),
    part: (d) => d.PARTIAL ? F32_RW : d.SPLIT_TRAIN ? F32 : null,
    y: { access: "read_write", type: "VT", when: (d) => !d.PARTIAL },
    weight: { ...F32, when: (d) => !d.PARTIAL },
    bias: { ...F32, when: (d) => !d.PARTIAL },
    stats: { ...F32_RW, when: (d) => !d.PARTIAL },
    run_mean: { ...F32_RW, when: (d) => !d.PARTIAL },
    run_var: { ...F32_RW, when: (d) => !d.PARTIAL },
    res: operand((d) => Boolean(d.RES)),
  },
});

/** Backward: PARTIAL sums, FINALIZE dγ/dβ, and the gx pass (FUSED / SUMS / eval). */
export const BN_BACKWARD = defineKernel({
  name: "batchnorm_bwd",
  file: new URL("./batchnorm_bwd.wgsl", import.meta.url),
  params: GEOM,
  bindings: {
    gy: operand((d) => Boolean(d.GRAD)),
    x: operand((d) => Boolean(d.HAS_X)),
    stats: F32,
    part: (d) => d.PARTIAL ? F32_RW : d.FINALIZE ? F32 : null,
    weight: { ...F32, when: (d) => (!d.PARTIAL || Boolean(d.MASK_X)) && !d.FINALIZE },
    bias: { ...F32, when: "MASK_X" },
    gx: { access: "read_write", type: "VT", when: (d) => !d.PARTIAL && !d.FINALIZE },
    dgamma: { ...F32_RW, when: (d) => Boolean(d.FINALIZE || d.NEEDS_X) },
    dbeta: { ...F32_RW, when: (d) => Boolean(d.FINALIZE || d.NEEDS_X) },
    y: operand((d) => Boolean(d.LOAD_Y)),
    gres: { access: "read_write", type: "VT", when: "RES_GRAD" },
  },
});

/**
 * Tuning of the reduction. `chunk`: scalars per workgroup before a channel is split. At or
 * below it a channel is one workgroup that reduces and then normalises its still-cached data
 * in one dispatch; above it a two-stage reduction spreads the channel over ceil(M/chunk)
 * workgroups. `wg`: workgroup size, 0 = by work (64 invocations for short chunks, where a
 * 256-wide tree's barriers dominate on lavapipe, up to 256), "plane" = the power of two
 * nearest the plane's length H·W (in vector units) within 8…256 (see planeWorkgroup). Tests
 * pass others to exercise every path; defaultBnTuning picks per adapter.
 */
export interface BnTuning {
  chunk: number;
  wg: number | "plane";
  /** Read operands from textures (vec4 shapes); default: where the device profile prefers. */
  textures?: boolean;
}

/** The GPU default: 16384 scalars per workgroup keep a GPU busy at C = 64. */
export const BN_TUNING: Readonly<BnTuning> = { chunk: 16384, wg: 0 };

/**
 * The software-adapter default: a channel is never split. A CPU runs a handful of workgroups
 * at once, so C of them keep every core busy, and the fused pass reads each channel twice
 * while it is still in cache, with one dispatch instead of three. Measured on lavapipe
 * (forward + backward with a ReLU, alternating trials, medians): [128, 8, 32, 32] 12.3 →
 * 10.7–11.1 ms, with a residual 17.7 → 14.6; [64, 64, 32, 32] 47.7 → 43.5;
 * [128, 16, 16, 16] with a residual 9.6 → 9.2.
 */
export const BN_TUNING_SOFTWARE: Readonly<BnTuning> = {
  chunk: Number.MAX_SAFE_INTEGER,
  wg: "plane",
};

/**
 * A workgroup as wide as a plane (H·W / vec positions: the power of two nearest it, 8…256).
 * Then an invocation's walk steps a whole number of planes (q·HWv, r = 0): it stays at one
 * position and its address moves by whole images, with no wrap to take. On lavapipe, forward +
 * backward with a ReLU, alternating trials, medians (ms), against the by-work sizes:
 * [128,16,16,16] 3.40 → 2.86 (64 wide, not 256), with a residual 4.82 → 4.09;
 * [128,32,8,8] 1.93 → 1.58 (16, not 128); [64,256,8,8] 8.23 → 6.27; [64,512,4,4] 5.01 → 2.64
 * (8, not 64); [128,128] 1.59 → 0.92 (8); [128,8,32,32] and [64,64,32,32] keep 256.
 */
export function planeWorkgroup(HWv: number): number {
  const p = 2 ** Math.round(Math.log2(Math.max(1, HWv)));
  return Math.min(256, Math.max(8, p));
}

/** The tuning a call without one runs: by the device profile. */
export function defaultBnTuning(): Readonly<BnTuning> {
  return engine().profile.isSoftware ? BN_TUNING_SOFTWARE : BN_TUNING;
}

/** Iteration geometry of one batch norm call (see batchnorm_fwd.wgsl). */
export interface BnGeom {
  N: number;
  C: number;
  /** H·W (1 for [N, C]). */
  HW: number;
  /** Values per channel, N·H·W. */
  M: number;
  /** Vector width of the kernels: 4 when H·W % 4 == 0, else 1. */
  vec: 1 | 4;
  /** Chunks (workgroups) per channel. */
  S: number;
  /** Chunk length in vec units. */
  chunkV: number;
  /** Workgroup size. */
  wg: number;
  /** Texture operands: forced by the tuning, else the device profile decides. */
  textures?: boolean;
}

/** Geometry of x ([N, C] or [N, C, ...spatial]) under a tuning. */
export function bnGeom(
  shape: readonly number[],
  tuning: BnTuning = defaultBnTuning(),
): BnGeom {
  if (shape.length < 2) {
    throw new Error(`batchNorm: input must be [N, C] or [N, C, H, W], got [${shape}]`);
  }
  const [N, C] = shape;
  const HW = shape.slice(2).reduce((a, b) => a * b, 1);
  const M = N * HW;
  const vec: 1 | 4 = HW % 4 === 0 ? 4 : 1;
  const Mv = M / vec;
  const S = Math.max(1, Math.ceil(M / tuning.chunk));
  const chunkV = Math.ceil(Mv / S);
  const wg = tuning.wg === "plane"
    ? planeWorkgroup(HW / vec)
    : tuning.wg || (chunkV >= 4096 ? 256 : chunkV >= 1024 ? 128 : 64);
  const max = engine().device.limits.maxComputeWorkgroupsPerDimension;
  if (C > max) throw new Error(`batchNorm: ${C} channels exceed ${max} workgroups per dim`);
  return { N, C, HW, M, vec, S: Math.ceil(Mv / chunkV), chunkV, wg, textures: tuning.textures };
}

/** The GEOM parameters of a geometry (the walk's WG = q·HWv + r split among them). */
function geomParams(g: BnGeom) {
  const HWv = g.HW / g.vec;
  return {
    C: g.C,
    HWv,
    Mv: g.M / g.vec,
    chunk: g.chunkV,
    S: g.S,
    q: Math.floor(g.wg / HWv),
    r: g.wg % HWv,
    CHWv: g.C * HWv,
    count: g.M,
  };
}

/** One dispatch over the [S, C] (chunk, channel) grid, or `groups` when given. */
function run(
  spec: typeof BN_FORWARD | typeof BN_BACKWARD,
  l: {
    defines: Defines;
    g: BnGeom;
    params: Record<string, number>;
    bindings: Record<string, Binding | undefined>;
    groups?: [number];
  },
) {
  const e = engine();
  const d: Defines = {
    VEC4: l.g.vec === 4,
    WG: l.g.wg,
    TEX: false,
    ...(spec === BN_FORWARD ? { RES: false } : { RES_GRAD: false }),
    ...l.defines,
  };
  const defines = spec === BN_BACKWARD
    ? {
      MASK_X: false,
      ...d,
      HAS_X: Boolean(d.PARTIAL || d.NEEDS_X),
      LOAD_Y: Boolean(d.RELU && !d.MASK_X),
    }
    : d;
  const k = e.compile(spec, defines);
  e.run(k, { params: l.params, bindings: l.bindings, groups: l.groups ?? [l.g.S, l.g.C] });
}

/**
 * Read-only operands as flat textures where the device profile prefers texture loads and the
 * kernels run vec4 (loads from them cost about a third on lavapipe; Engine.textureOf copies a
 * tensor only when its cached copy is stale), else their buffers.
 */
function operands(g: BnGeom, ts: Record<string, Tensor | undefined>) {
  const e = engine();
  const all = Object.values(ts).filter((t): t is Tensor => t !== undefined);
  const tex = g.vec === 4 && (g.textures ?? e.profile.preferTextureLoads) &&
    all.every((t) => e.textureFits(t.size));
  const views: Record<string, Binding> = {};
  for (const [name, t] of Object.entries(ts)) {
    if (t) views[name] = tex ? e.textureOf(t.buffer, t.size).view : t.buffer;
  }
  return { tex, views };
}

/** Running statistics and affine parameters a forward reads (and, training, updates). */
export interface BnState {
  weight: Tensor;
  bias: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  momentum: number;
  eps: number;
}

/** How a forward runs. */
export interface BnForwardOptions {
  /** Normalise with the batch statistics and update the running ones (else use them). */
  training: boolean;
  /** Fuse max(·, 0) into the output. */
  relu: boolean;
  /**
   * Added before the ReLU (needs `relu`): y = max(BN(x) + residual, 0), a ResNet block's
   * add and ReLU in the same pass.
   */
  residual?: Tensor;
  /**
   * Training: how many times the running statistics move towards the batch's (default 1).
   * 2 stands for two train-mode forwards of the same batch through the same weights, whose
   * outputs are identical (SDCLR's no-grad and taped pruned forwards).
   */
  runningUpdates?: number;
  tuning?: BnTuning;
}

/**
 * Forward: y = BN(x) (then max(·, 0) when `relu`). Training normalises with the batch
 * statistics and updates the running statistics in place; eval uses the running ones.
 * Returns y and stats = [mean (C), invstd (C)] for the backward.
 */
export function batchNormForward(
  x: Tensor,
  bn: BnState,
  o: BnForwardOptions,
): { y: Tensor; stats: Tensor; geom: BnGeom } {
  // The profile's op: its least traffic is reading x (and the residual) and writing y.
  const info = () => ({
    name: "batchnorm.forward",
    shape: `x[${x.shape}]${o.relu ? " relu" : ""}${o.residual ? " +res" : ""}`,
    bytes: (o.residual ? 3 : 2) * 4 * x.size,
  });
  return engine().op(info, () => forward(x, bn, o));
}

function forward(
  x: Tensor,
  bn: BnState,
  o: BnForwardOptions,
): { y: Tensor; stats: Tensor; geom: BnGeom } {
  const g = bnGeom(x.shape, o.tuning);
  if (o.residual && (!o.relu || o.residual.size !== x.size)) {
    throw new Error(`batchNorm: a residual needs relu and x's shape, got [${o.residual.shape}]`);
  }
  const y = Tensor.empty(x.shape);
  const stats = Tensor.empty([2 * g.C]);
  const params = {
    ...geomParams(g),
    momentum: bn.momentum,
    eps: bn.eps,
    unbias: g.M > 1 ? g.M / (g.M - 1) : 0,
    updates: o.runningUpdates ?? 1,
  };
  const ops = operands(g, { x, res: o.residual });
  const main = {
    res: ops.views.res,
    x: ops.views.x,
    y: y.buffer,
    weight: bn.weight.buffer,
    bias: bn.bias.buffer,
    stats: stats.buffer,
    run_mean: bn.runningMean.buffer,
    run_var: bn.runningVar.buffer,
  };
  const base = {
    PARTIAL: false,
    RELU: o.relu,
    TRAIN: o.training,
    TEX: ops.tex,
    RES: o.residual !== undefined,
  };
  if (!o.training) {
    const defines = { ...base, FUSED: false, SPLIT_TRAIN: false };
    run(BN_FORWARD, { defines, g, params, bindings: main });
  } else if (g.S === 1) {
    const defines = { ...base, FUSED: true, SPLIT_TRAIN: false };
    run(BN_FORWARD, { defines, g, params, bindings: main });
  } else {
    const part = Tensor.empty([g.C * g.S * 2]);
    const partial = {
      ...base,
      PARTIAL: true,
      RELU: false,
      RES: false,
      FUSED: false,
      SPLIT_TRAIN: false,
    };
    run(BN_FORWARD, { defines: partial, g, params, bindings: { x: main.x, part: part.buffer } });
    const defines = { ...base, FUSED: false, SPLIT_TRAIN: true };
    run(BN_FORWARD, { defines, g, params, bindings: { ...main, part: part.buffer } });
    part.dispose();
  }
  return { y, stats, geom: g };
}

/** Which gradients the backward must produce. */
export interface BnNeeds {
  x: boolean;
  weight: boolean;
  bias: boolean;
  /** The forward's residual (written by the gx pass: needs x too). */
  residual?: boolean;
}

/** What the backward of one forward reads. */
export interface BnBackwardInputs {
  gy: Tensor;
  x: Tensor;
  /** γ. */
  weight: Tensor;
  /** The forward's [mean, invstd]. */
  stats: Tensor;
  /** The forward's output (read only when it fused a ReLU and the mask is not from x). */
  y: Tensor;
  /**
   * β, given when the forward fused a ReLU without a residual: passes that read x anyway then
   * recompute the mask as the forward rounded it (x·a + b > 0) instead of reading y (one
   * tensor less per pass over the channel).
   */
  bias?: Tensor;
  geom: BnGeom;
  training: boolean;
  relu: boolean;
  needs: BnNeeds;
}

/**
 * Backward of batchNormForward: gradients for x, weight (γ) and bias (β); null where not
 * needed.
 */
export function batchNormBackward(
  i: BnBackwardInputs,
): [Tensor | null, Tensor | null, Tensor | null, Tensor | null] {
  // Least traffic: gy, x (and y under a ReLU) read; gx (and the residual's gradient) written.
  const n = i.gy.size,
    tensors = 2 + (i.relu && !i.bias ? 1 : 0) + (i.needs.x ? 1 : 0) +
      (i.needs.residual ? 1 : 0);
  const info = () => ({
    name: "batchnorm.backward",
    shape: `x[${i.x.shape}]${i.relu ? " relu" : ""}${i.needs.residual ? " +res" : ""}`,
    bytes: tensors * 4 * n,
  });
  return engine().op(info, () => backward(i));
}

function backward(
  i: BnBackwardInputs,
): [Tensor | null, Tensor | null, Tensor | null, Tensor | null] {
  const { geom: g, needs, training, relu } = i;
  if (needs.residual && !(needs.x && relu)) {
    throw new Error("batchNormBackward: the residual's gradient comes with x's (and a ReLU)");
  }
  const params = geomParams(g);
  const wantAffine = needs.weight || needs.bias;
  const reduce = wantAffine || (needs.x && training);
  const fused = reduce && needs.x && g.S === 1;
  // Every pass but eval's gx pass reads x: those take the ReLU's mask from x when they can.
  const maskX = relu && i.bias !== undefined;
  const evalGx = needs.x && !fused && !training;
  const ops = operands(g, {
    gy: i.gy,
    x: reduce || (needs.x && training) ? i.x : undefined,
    y: relu && (!maskX || evalGx) ? i.y : undefined,
  });
  const flags = {
    TEX: ops.tex,
    RELU: relu,
    MASK_X: maskX,
    TRAIN: training,
    PARTIAL: false,
    FINALIZE: false,
    FUSED: false,
    SUMS: false,
    NEEDS_X: false,
    GRAD: true,
    REDUCE: false,
  };
  const yb = { y: ops.views.y };
  const affine = maskX ? { weight: i.weight.buffer, bias: i.bias!.buffer } : {};
  const dgamma = reduce ? Tensor.empty([g.C]) : null;
  const dbeta = reduce ? Tensor.empty([g.C]) : null;
  let gx: Tensor | null = null;
  if (reduce && !fused) {
    const part = Tensor.empty([g.C * g.S * 2]);
    run(BN_BACKWARD, {
      defines: { ...flags, PARTIAL: true, REDUCE: true },
      g,
      params,
      bindings: {
        gy: ops.views.gy,
        x: ops.views.x,
        stats: i.stats.buffer,
        part: part.buffer,
        ...(maskX ? affine : yb),
      },
    });
    run(BN_BACKWARD, {
      defines: { ...flags, FINALIZE: true, GRAD: false, RELU: false, MASK_X: false },
      g: { ...g, wg: 64 },
      params,
      bindings: {
        part: part.buffer,
        stats: i.stats.buffer,
        dgamma: dgamma!.buffer,
        dbeta: dbeta!.buffer,
      },
      groups: [Math.ceil(g.C / 64)],
    });
    part.dispose();
  }
  let gres: Tensor | null = null;
  if (needs.x) {
    gx = Tensor.empty(i.x.shape);
    gres = needs.residual ? Tensor.empty(i.x.shape) : null;
    const head = {
      gy: ops.views.gy,
      weight: i.weight.buffer,
      stats: i.stats.buffer,
      gx: gx.buffer,
      gres: gres?.buffer,
      ...yb,
      ...affine,
    };
    if (fused || training) {
      const defines = {
        ...flags,
        FUSED: fused,
        SUMS: !fused,
        NEEDS_X: true,
        REDUCE: fused,
        RES_GRAD: gres !== null,
      };
      const tail = { x: ops.views.x, dgamma: dgamma!.buffer, dbeta: dbeta!.buffer };
      run(BN_BACKWARD, { defines, g, params, bindings: { ...head, ...tail } });
    } else {
      run(BN_BACKWARD, {
        defines: { ...flags, MASK_X: false, RES_GRAD: gres !== null },
        g,
        params,
        bindings: { ...head, bias: undefined },
      });
    }
  }
  const gw = needs.weight ? dgamma : (dgamma?.dispose(), null);
  const gb = needs.bias ? dbeta : (dbeta?.dispose(), null);
  return [gx, gw, gb, gres];
}
