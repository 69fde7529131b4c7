/**
 * Elementwise family: ReLU, residual add, gradient accumulation, scaling, detach, reshape, and
 * the row copies sliceRows and gatherRowsInto. Launchers, differentiable ops and their
 * backward rules side by side.
 *
 * The row gather (the linear probe's shuffled batches out of a chunked feature bank) lives
 * here rather than in a family of its own: it is sliceRows with an index list, a memory-bound
 * grid-stride loop launched like every kernel of this family, and forward only (not recorded,
 * so no rule), like `accumulate`.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { record, type RuleTable } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";

/** The grid-stride elementwise kernels (one entry point per op). */
export const ELEMENTWISE = defineKernel({
  name: "elementwise",
  file: new URL("./elementwise.wgsl", import.meta.url),
  params: { n: "u32", alpha: "f32" },
  bindings: {
    a: { access: "read", type: "VT" },
    out: { access: "read_write", type: "VT" },
    b: { access: "read", type: "VT" },
  },
});

/** The row gather out[r] = src[perm[perm_offset + r] − src_start]. */
export const GATHER_ROWS = defineKernel({
  name: "gather_rows",
  file: new URL("./gather_rows.wgsl", import.meta.url),
  params: { rows: "u32", dim: "u32", src_start: "u32", src_rows: "u32", perm_offset: "u32" },
  bindings: {
    src: { access: "read", type: "f32" },
    perm: { access: "read", type: "u32" },
    out: { access: "read_write", type: "f32" },
  },
});

declare module "../../core/tape.ts" {
  interface SavedMap {
    relu: Record<never, never>;
    add: Record<never, never>;
    scale: { alpha: number };
    reshape: { from: readonly number[] };
    slice_rows: { start: number };
  }
}

/** Workgroups for a grid-stride elementwise loop over n elements. */
export function gridFor(n: number): [number] {
  return [Math.max(1, Math.min(Math.ceil(n / 256), 1024))];
}

function launch(
  entry: string,
  n: number,
  buf: { out: GPUBuffer; a: GPUBuffer; b?: GPUBuffer },
  alpha = 0,
) {
  const e = engine();
  const bindings = buf.b ? buf : { out: buf.out, a: buf.a };
  const vec = n % 4 === 0 ? 4 : 1;
  e.run(e.compile(ELEMENTWISE, { VEC4: vec === 4 }, entry), {
    params: { n: n / vec, alpha },
    bindings,
    groups: gridFor(n / vec),
    cost: { bytes: (buf.b ? 3 : 2) * 4 * n },
  });
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] differ`);
}

/** y = max(x, 0) (differentiable). */
export function relu(x: Tensor): Tensor {
  const y = Tensor.empty(x.shape);
  launch("relu_fwd", x.size, { out: y.buffer, a: x.buffer });
  return record("relu", { inputs: [x], output: y, saved: {} });
}

/** Launcher: gx = gy · [y > 0]. */
export function reluBackward(gy: Tensor, y: Tensor): Tensor {
  const gx = Tensor.empty(gy.shape);
  launch("relu_bwd", gy.size, { out: gx.buffer, a: gy.buffer, b: y.buffer });
  return gx;
}

/** a + b, same shapes (differentiable). */
export function add(a: Tensor, b: Tensor): Tensor {
  sameShape("add", a, b);
  const y = Tensor.empty(a.shape);
  launch("add_fwd", a.size, { out: y.buffer, a: a.buffer, b: b.buffer });
  return record("add", { inputs: [a, b], output: y, saved: {} });
}

/** In place: target += g (not recorded; used for gradient accumulation). */
export function accumulate(target: Tensor, g: Tensor): void {
  sameShape("accumulate", target, g);
  launch("accumulate", g.size, { out: target.buffer, a: g.buffer });
}

/** alpha · x (differentiable). */
export function scale(x: Tensor, alpha: number): Tensor {
  const y = Tensor.empty(x.shape);
  launch("scale", x.size, { out: y.buffer, a: x.buffer }, alpha);
  return record("scale", { inputs: [x], output: y, saved: { alpha } });
}

/** A copy that does not require grad: stop_grad in the spec's notation. */
export function detach(x: Tensor): Tensor {
  const y = Tensor.empty(x.shape, x.dtype);
  engine().copy(x.buffer, y.buffer, x.bytes);
  return y;
}

/** A copy of x (same shape), not recorded. */
export function copyOf(x: Tensor, shape: readonly number[] = x.shape): Tensor {
  const y = Tensor.empty(shape, x.dtype);
  engine().copy(x.buffer, y.buffer, x.bytes);
  return y;
}

/** Reshape (differentiable; the result shares x's buffer). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const y = x.reshape(shape);
  return record("reshape", { inputs: [x], output: y, saved: { from: x.shape } });
}

/**
 * Rows [start, start + count) of x (first axis), as a new tensor (differentiable). Rows are
 * contiguous in row-major layout, so the forward is one buffer copy and the backward writes
 * gy into a zeroed gradient of x's shape.
 */
export function sliceRows(x: Tensor, start: number, count: number): Tensor {
  const rows = x.shape[0];
  if (!Number.isInteger(start) || start < 0 || count < 0 || start + count > rows) {
    throw new Error(`sliceRows: rows [${start}, ${start + count}) of [${x.shape}]`);
  }
  const rowBytes = (x.bytes / rows) | 0;
  const y = Tensor.empty([count, ...x.shape.slice(1)], x.dtype);
  if (count > 0) engine().copy(x.buffer, y.buffer, count * rowBytes, start * rowBytes, 0);
  return record("slice_rows", { inputs: [x], output: y, saved: { start } });
}

/**
 * Launcher: out[r] = src[perm[permOffset + r] − srcStart] for each row r of `out` whose index
 * lies in src's rows [srcStart, srcStart + src rows); other rows of `out` are left as they are,
 * so a source held in chunks is gathered by one call per chunk into the same `out`. Rows are
 * everything past the first axis; `perm` is u32. Not recorded.
 */
export function gatherRowsInto(
  out: Tensor,
  src: Tensor,
  perm: Tensor,
  o: { permOffset?: number; srcStart?: number } = {},
): void {
  const permOffset = o.permOffset ?? 0, srcStart = o.srcStart ?? 0;
  const rows = out.shape[0], srcRows = src.shape[0];
  const dim = rows ? out.size / rows : 0;
  if (out.dtype !== "f32" || src.dtype !== "f32" || (srcRows && src.size / srcRows !== dim)) {
    throw new Error(
      `gatherRowsInto: rows of src ${src.dtype} [${src.shape}] and out ${out.dtype} ` +
        `[${out.shape}] must be f32 of the same size`,
    );
  }
  if (perm.dtype !== "u32" || perm.size < permOffset + rows) {
    throw new Error(
      `gatherRowsInto: perm must be u32 with ≥ ${permOffset + rows} entries, got ` +
        `${perm.dtype} [${perm.shape}]`,
    );
  }
  if (rows === 0 || dim === 0 || srcRows === 0) return;
  const e = engine();
  e.run(e.compile(GATHER_ROWS, {}, "gather_rows"), {
    params: { rows, dim, src_start: srcStart, src_rows: srcRows, perm_offset: permOffset },
    bindings: { src: src.buffer, perm: perm.buffer, out: out.buffer },
    groups: gridFor(rows * dim),
  });
}

/** Backward rules of this family. */
export const elementwiseRules: RuleTable<"relu" | "add" | "scale" | "reshape" | "slice_rows"> = {
  relu: (c, gy) => [reluBackward(gy, c.output)],
  add: (c, gy) => [c.needsGrad[0] ? copyOf(gy) : null, c.needsGrad[1] ? copyOf(gy) : null],
  scale: (c, gy) => {
    const gx = Tensor.empty(gy.shape);
    launch("scale", gy.size, { out: gx.buffer, a: gy.buffer }, c.saved.alpha);
    return [gx];
  },
  reshape: (c, gy) => [copyOf(gy, c.saved.from)],
  slice_rows: (c, gy) => {
    const x = c.inputs[0];
    const gx = Tensor.empty(x.shape);
    const rowBytes = (x.bytes / x.shape[0]) | 0;
    const e = engine();
    e.clear(gx.buffer, 0, gx.bytes);
    e.copy(gy.buffer, gx.buffer, gy.bytes, 0, c.saved.start * rowBytes);
    return [gx];
  },
};
