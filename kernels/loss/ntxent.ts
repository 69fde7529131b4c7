/**
 * NT-Xent (SimCLR's contrastive loss, spec §4) on the GPU, forward and backward, no readback.
 *
 * Forward: U = [z1/‖z1‖; z2/‖z2‖] (one normalisation dispatch per view), C = U·Uᵀ (GEMM),
 * per-row stable log-sum-exp of S = C/t over the 2B−1 others → per-row losses, and their mean
 * (which, when asked, also writes the per-sample losses ℓ_i = (row i + row i+B)/2 in the same
 * single pass). When a gradient is needed the row kernel also writes G = ∂mean/∂C = (softmax
 * minus the positive's one-hot, over 2B)/t, kept for the backward.
 *
 * The temperature is not a uniform: 1/t lives in a one-float storage buffer that is rewritten
 * only when t changes (a temperature schedule changes it once per epoch), so a schedule
 * creates no uniform buffer, bind group or pipeline per value.
 *
 * Backward: C is symmetric in U, so ∂L/∂U = (G + Gᵀ)·U, computed per needed view as two GEMMs
 * reading G and Gᵀ in place (no transposed copy), then through the normalisation with the
 * loss gradient read from its buffer. A view that does not require grad (stop_grad, the SDCLR
 * forms) costs nothing in the backward, but the other view's gradient still includes every
 * row of the loss: all 2B rows depend on it as positives and in the denominators.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { record, type RuleCtx, shouldRecord } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";
import { gemm } from "../linear/matmul.ts";

// VecF (kernels/shared/vec_lanes.wgsl) is vec4<f32> where the define VEC holds, else f32.

/** Step 1: U = [z1; z2] row-normalised, one view per launch (entry normalize_rows). */
export const NTXENT_NORMALIZE = defineKernel({
  name: "ntxent_normalize",
  file: new URL("./ntxent_normalize.wgsl", import.meta.url),
  params: { rows: "u32", d: "u32", row_off: "u32", eps: "f32" },
  bindings: {
    z: { access: "read", type: "VecF" },
    u: { access: "read_write", type: "VecF" },
    norms: { access: "read_write", type: "f32" },
  },
});

/** Step 3: per-row loss and (GRAD) G = ∂mean/∂C from C = U·Uᵀ and 1/t (entry softmax_rows). */
export const NTXENT_SOFTMAX = defineKernel({
  name: "ntxent_softmax",
  file: new URL("./ntxent_softmax.wgsl", import.meta.url),
  params: { r: "u32", b: "u32", inv_r: "f32" },
  bindings: {
    s: { access: "read", type: "VecF" },
    inv_t: { access: "read", type: "f32" },
    loss_rows: { access: "read_write", type: "f32" },
    g: { access: "read_write", type: "VecF", when: "GRAD" },
  },
});

/** Backward through the normalisation of one view (entry normalize_backward). */
export const NTXENT_BACKWARD = defineKernel({
  name: "ntxent_backward",
  file: new URL("./ntxent_backward.wgsl", import.meta.url),
  params: { rows: "u32", d: "u32", u_off: "u32", du_off: "u32", eps: "f32" },
  bindings: {
    gy: { access: "read", type: "f32" },
    u: { access: "read", type: "VecF" },
    norms: { access: "read", type: "f32" },
    du: { access: "read", type: "VecF" },
    dz: { access: "read_write", type: "VecF" },
  },
});

/**
 * The mean of per-row losses: out[0] = scale · Σ x, Kahan (entry sum_scaled); with PAIRS also
 * pairs[i] = (x[i] + x[i + half]) / 2 for i < half (NT-Xent's per-sample losses).
 */
export const SUM_SCALED = defineKernel({
  name: "reduce",
  file: new URL("./reduce.wgsl", import.meta.url),
  params: { n: "u32", scale: "f32", half: "u32" },
  bindings: {
    x: { access: "read", type: "f32" },
    out: { access: "read_write", type: "f32" },
    pairs: { access: "read_write", type: "f32", when: "PAIRS" },
  },
});

/** The clamp of F.normalize: u = z / max(‖z‖, EPS). */
export const NORM_EPS = 1e-12;

declare module "../../core/tape.ts" {
  interface SavedMap {
    ntxent: {
      b: number;
      d: number;
      /** U = [u1; u2] [2B, d], the raw row norms [2B] and G = ∂mean/∂C [2B, 2B] (1/t in it). */
      u: Tensor;
      norms: Tensor;
      g: Tensor;
    };
  }
}

/** Launcher: sum(x) · scale into a new [1] tensor (the mean of per-row losses). */
export function sumScaled(x: Tensor, scale: number): Tensor {
  return sumScaledPairs(x, scale, 0).sum;
}

/**
 * Launcher: sum(x) · scale, and (half > 0) the pair means (x[i] + x[i + half]) / 2 for
 * i < half, from the same single-invocation pass.
 */
export function sumScaledPairs(
  x: Tensor,
  scale: number,
  half: number,
): { sum: Tensor; pairs: Tensor | null } {
  if (half < 0 || 2 * half > x.size) throw new Error(`sumScaledPairs: half ${half} of ${x.size}`);
  const out = Tensor.empty([1]);
  const pairs = half > 0 ? Tensor.empty([half]) : null;
  const e = engine();
  e.run(e.compile(SUM_SCALED, { PAIRS: pairs !== null }, "sum_scaled"), {
    params: { n: x.size, scale, half },
    bindings: { x: x.buffer, out: out.buffer, pairs: pairs?.buffer },
    groups: [1],
  });
  return { sum: out, pairs };
}

/** The 1/t buffer and the temperature it holds (see the module doc). */
let invTemp: { buf: GPUBuffer; value: number } | null = null;

/**
 * The one-float storage buffer holding 1/t, rewritten (after a flush, so earlier recorded
 * work reads the old value) only when t differs from the last call's. It lives as long as
 * the process (outside the pool: four bytes, never a leak per value).
 */
export function invTemperature(temperature: number): GPUBuffer {
  const e = engine();
  if (invTemp === null) {
    const buf = e.device.createBuffer({
      size: 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    invTemp = { buf, value: NaN };
  }
  if (invTemp.value !== temperature) {
    e.write(invTemp.buf, new Float32Array([1 / temperature]));
    invTemp.value = temperature;
  }
  return invTemp.buf;
}

function checkPair(z1: Tensor, z2: Tensor, temperature: number): [number, number] {
  if (z1.shape.length !== 2 || z2.shape.length !== 2 || z1.shape.join() !== z2.shape.join()) {
    throw new Error(
      `ntXent: z1 and z2 must both be [B, d], got [${z1.shape}] and [${z2.shape}]`,
    );
  }
  if (z1.shape[0] < 1) throw new Error("ntXent: the batch is empty");
  if (!(temperature > 0)) throw new Error(`ntXent: temperature must be > 0, got ${temperature}`);
  return [z1.shape[0], z1.shape[1]];
}

/** Options of {@link ntXentForward}. */
export interface NtXentForwardOptions {
  /** Temperature t of S = U·Uᵀ/t (> 0). */
  temperature: number;
  /** Also write G = ∂mean/∂C (what the backward needs). */
  grad: boolean;
  /** Also write the per-sample losses ℓ_i = (row i + row i+B)/2, [B]. */
  perSample?: boolean;
}

/** The forward pieces, exported for checks and benchmarks. */
export function ntXentForward(
  z1: Tensor,
  z2: Tensor,
  o: NtXentForwardOptions,
): {
  loss: Tensor;
  u: Tensor;
  norms: Tensor;
  s: Tensor;
  g: Tensor | null;
  rows: Tensor;
  samples: Tensor | null;
} {
  const { temperature, grad: withGrad } = o;
  const [b, d] = checkPair(z1, z2, temperature);
  const r = 2 * b;
  const e = engine();
  const u = Tensor.empty([r, d]);
  const norms = Tensor.empty([r]);
  const vecD = d % 4 === 0;
  const norm = e.compile(NTXENT_NORMALIZE, { VEC: vecD }, "normalize_rows");
  const groups: [number] = [Math.ceil(b / 64)];
  for (const [z, rowOff] of [[z1, 0], [z2, b]] as const) {
    e.run(norm, {
      params: { rows: b, d, row_off: rowOff, eps: NORM_EPS },
      bindings: { z: z.buffer, u: u.buffer, norms: norms.buffer },
      groups,
    });
  }
  // C = U·Uᵀ (cosine similarities); the row kernel scales by 1/t from its buffer.
  const s = Tensor.empty([r, r]);
  gemm({ a: u.buffer, b: u.buffer, c: s.buffer, m: r, n: r, k: d, transB: true });
  const rows = Tensor.empty([r]);
  const g = withGrad ? Tensor.empty([r, r]) : null;
  const soft = e.compile(NTXENT_SOFTMAX, { VEC: r % 4 === 0, GRAD: withGrad }, "softmax_rows");
  const bindings: Record<string, GPUBuffer> = {
    s: s.buffer,
    inv_t: invTemperature(temperature),
    loss_rows: rows.buffer,
  };
  if (g) bindings.g = g.buffer;
  e.run(soft, { params: { r, b, inv_r: 1 / r }, bindings, groups: [Math.ceil(r / 64)] });
  const m = sumScaledPairs(rows, 1 / r, o.perSample ? b : 0);
  return { loss: m.sum, u, norms, s, g, rows, samples: m.pairs };
}

/**
 * NT-Xent loss (mean over the 2B rows) of the raw projections z1, z2 [B, d] (normalised
 * inside), at temperature t. Differentiable in whichever of z1, z2 requires grad: the SimCLR
 * form ntXent(z1, z2), and SDCLR's ntXent(f1, stopGrad(f2)) / ntXent(stopGrad(f1), f2).
 */
export function ntXent(z1: Tensor, z2: Tensor, temperature: number): Tensor {
  return ntXentOp(z1, z2, temperature, false).loss;
}

/**
 * ntXent plus the per-sample losses ℓ_i = (row i + row i+B)/2 [B] (not differentiable; their
 * mean is the loss), from the same forward: BCL's loss memory reads them.
 */
export function ntXentWithSamples(
  z1: Tensor,
  z2: Tensor,
  temperature: number,
): { loss: Tensor; samples: Tensor } {
  const f = ntXentOp(z1, z2, temperature, true);
  return { loss: f.loss, samples: f.samples! };
}

function ntXentOp(z1: Tensor, z2: Tensor, temperature: number, perSample: boolean) {
  const grad = shouldRecord([z1, z2]);
  const f = ntXentForward(z1, z2, { temperature, grad, perSample });
  f.s.dispose();
  f.rows.dispose();
  if (!grad) {
    f.u.dispose();
    f.norms.dispose();
    return { loss: f.loss, samples: f.samples };
  }
  const [b, d] = z1.shape;
  const loss = record("ntxent", {
    inputs: [z1, z2],
    output: f.loss,
    saved: { b, d, u: f.u, norms: f.norms, g: f.g! },
    owned: [f.u, f.norms, f.g!],
  });
  return { loss, samples: f.samples };
}

/**
 * ∂L/∂z_view for view 0 (z1) or 1 (z2): du = G[view rows]·U + G[:, view cols]ᵀ·U (G holds
 * the 1/t), then back through the normalisation, scaled by gy[0].
 */
export function ntXentViewGrad(
  gy: Tensor,
  saved: { b: number; d: number; u: Tensor; norms: Tensor; g: Tensor },
  view: 0 | 1,
): Tensor {
  const { b, d, u, norms, g } = saved;
  const r = 2 * b;
  const du = Tensor.empty([b, d]);
  const off = view * b;
  // G[view rows, :] · U
  gemm({ a: g.buffer, b: u.buffer, c: du.buffer, m: b, n: d, k: r, lda: r, offA: off * r });
  // + (G[:, view cols])ᵀ · U: op(A)[m, k] = G[k, off + m], i.e. a transposed read at offset off
  gemm({
    a: g.buffer,
    b: u.buffer,
    c: du.buffer,
    m: b,
    n: d,
    k: r,
    transA: true,
    lda: r,
    offA: off,
    accumulate: true,
  });
  const dz = Tensor.empty([b, d]);
  const e = engine();
  e.run(e.compile(NTXENT_BACKWARD, { VEC: d % 4 === 0 }, "normalize_backward"), {
    params: { rows: b, d, u_off: off, du_off: 0, eps: NORM_EPS },
    bindings: { gy: gy.buffer, u: u.buffer, norms: norms.buffer, du: du.buffer, dz: dz.buffer },
    groups: [Math.ceil(b / 64)],
  });
  du.dispose();
  return dz;
}

/** Backward rule of "ntxent". */
export function ntXentRule(c: RuleCtx<"ntxent">, gy: Tensor): (Tensor | null)[] {
  return [
    c.needsGrad[0] ? ntXentViewGrad(gy, c.saved, 0) : null,
    c.needsGrad[1] ? ntXentViewGrad(gy, c.saved, 1) : null,
  ];
}
