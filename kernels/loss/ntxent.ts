/**
 * NT-Xent (SimCLR's contrastive loss, spec §4) on the GPU, forward and backward, no readback.
 *
 * Forward: U = [z1/‖z1‖; z2/‖z2‖] (one normalisation dispatch per view), S = U·Uᵀ/t (GEMM),
 * per-row stable log-sum-exp over the 2B−1 others → per-row losses, and their mean. When a
 * gradient is needed the row kernel also writes G = ∂mean/∂S (softmax minus the positive's
 * one-hot, over 2B), kept for the backward.
 *
 * Backward: S is symmetric in U, so ∂L/∂U = (G + Gᵀ)·U / t, computed per needed view as two
 * GEMMs reading G and Gᵀ in place (no transposed copy), then through the normalisation with
 * the loss gradient read from its buffer. A view that does not require grad (stop_grad, the
 * SDCLR forms) costs nothing in the backward, but the other view's gradient still includes
 * every row of the loss: all 2B rows depend on it as positives and in the denominators.
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

/** Step 3: per-row loss and (GRAD) G = ∂mean/∂S from S = U·Uᵀ/t (entry softmax_rows). */
export const NTXENT_SOFTMAX = defineKernel({
  name: "ntxent_softmax",
  file: new URL("./ntxent_softmax.wgsl", import.meta.url),
  params: { r: "u32", b: "u32", inv_r: "f32" },
  bindings: {
    s: { access: "read", type: "VecF" },
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

/** The mean of per-row losses: out[0] = scale · Σ x, Kahan (entry sum_scaled). */
export const SUM_SCALED = defineKernel({
  name: "reduce",
  file: new URL("./reduce.wgsl", import.meta.url),
  params: { n: "u32", scale: "f32" },
  bindings: {
    x: { access: "read", type: "f32" },
    out: { access: "read_write", type: "f32" },
  },
});

/** The clamp of F.normalize: u = z / max(‖z‖, EPS). */
export const NORM_EPS = 1e-12;

declare module "../../core/tape.ts" {
  interface SavedMap {
    ntxent: {
      b: number;
      d: number;
      temperature: number;
      /** U = [u1; u2] [2B, d], the raw row norms [2B] and G = ∂mean/∂S [2B, 2B]. */
      u: Tensor;
      norms: Tensor;
      g: Tensor;
    };
  }
}

/** Launcher: sum(x) · scale into a new [1] tensor (the mean of per-row losses). */
export function sumScaled(x: Tensor, scale: number): Tensor {
  const out = Tensor.empty([1]);
  const e = engine();
  e.run(e.compile(SUM_SCALED, {}, "sum_scaled"), {
    params: { n: x.size, scale },
    bindings: { x: x.buffer, out: out.buffer },
    groups: [1],
  });
  return out;
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
  /** Also write G = ∂mean/∂S (what the backward needs). */
  grad: boolean;
}

/** The forward pieces, exported for checks and benchmarks. */
export function ntXentForward(
  z1: Tensor,
  z2: Tensor,
  o: NtXentForwardOptions,
): { loss: Tensor; u: Tensor; norms: Tensor; s: Tensor; g: Tensor | null; rows: Tensor } {
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
  const s = Tensor.empty([r, r]);
  gemm({
    a: u.buffer,
    b: u.buffer,
    c: s.buffer,
    m: r,
    n: r,
    k: d,
    transB: true,
    alpha: 1 / temperature,
  });
  const rows = Tensor.empty([r]);
  const g = withGrad ? Tensor.empty([r, r]) : null;
  const soft = e.compile(NTXENT_SOFTMAX, { VEC: r % 4 === 0, GRAD: withGrad }, "softmax_rows");
  const bindings: Record<string, GPUBuffer> = { s: s.buffer, loss_rows: rows.buffer };
  if (g) bindings.g = g.buffer;
  e.run(soft, { params: { r, b, inv_r: 1 / r }, bindings, groups: [Math.ceil(r / 64)] });
  const loss = sumScaled(rows, 1 / r);
  return { loss, u, norms, s, g, rows };
}

/**
 * NT-Xent loss (mean over the 2B rows) of the raw projections z1, z2 [B, d] (normalised
 * inside), at temperature t. Differentiable in whichever of z1, z2 requires grad: the SimCLR
 * form ntXent(z1, z2), and SDCLR's ntXent(f1, stopGrad(f2)) / ntXent(stopGrad(f1), f2).
 */
export function ntXent(z1: Tensor, z2: Tensor, temperature: number): Tensor {
  const grad = shouldRecord([z1, z2]);
  const f = ntXentForward(z1, z2, { temperature, grad });
  f.s.dispose();
  f.rows.dispose();
  if (!grad) {
    f.u.dispose();
    f.norms.dispose();
    return f.loss;
  }
  const [b, d] = z1.shape;
  return record("ntxent", {
    inputs: [z1, z2],
    output: f.loss,
    saved: { b, d, temperature, u: f.u, norms: f.norms, g: f.g! },
    owned: [f.u, f.norms, f.g!],
  });
}

/**
 * ∂L/∂z_view for view 0 (z1) or 1 (z2): du = (G[view rows]·U + G[:, view cols]ᵀ·U)/t, then
 * back through the normalisation, scaled by gy[0].
 */
export function ntXentViewGrad(
  gy: Tensor,
  saved: { b: number; d: number; temperature: number; u: Tensor; norms: Tensor; g: Tensor },
  view: 0 | 1,
): Tensor {
  const { b, d, temperature, u, norms, g } = saved;
  const r = 2 * b;
  const du = Tensor.empty([b, d]);
  const off = view * b;
  const alpha = 1 / temperature;
  // G[view rows, :] · U
  gemm({ a: g.buffer, b: u.buffer, c: du.buffer, m: b, n: d, k: r, lda: r, offA: off * r, alpha });
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
    alpha,
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
