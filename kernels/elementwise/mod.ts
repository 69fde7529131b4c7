/**
 * Elementwise family: ReLU, residual add, gradient accumulation, scaling, detach, reshape.
 * Launchers, differentiable ops and their backward rules side by side.
 * @module
 */
import { engine, Params } from "../../src/gpu/engine.ts";
import { record, type RuleTable } from "../../src/autodiff/tape.ts";
import { Tensor } from "../../src/autodiff/tensor.ts";

const WGSL = new URL("./elementwise.wgsl", import.meta.url);

declare module "../../src/autodiff/tape.ts" {
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

function launch(entry: string, n: number, out: GPUBuffer, a: GPUBuffer, b?: GPUBuffer, alpha = 0) {
  const e = engine();
  const k = e.kernel(WGSL, {}, entry);
  e.dispatch(k, new Params().u32(n).f32(alpha), b ? [a, out, b] : [a, out], gridFor(n));
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] differ`);
}

/** y = max(x, 0) (differentiable). */
export function relu(x: Tensor): Tensor {
  const y = Tensor.empty(x.shape);
  launch("relu_fwd", x.size, y.buffer, x.buffer);
  return record("relu", [x], y, {});
}

/** Launcher: gx = gy · [y > 0]. */
export function reluBackward(gy: Tensor, y: Tensor): Tensor {
  const gx = Tensor.empty(gy.shape);
  launch("relu_bwd", gy.size, gx.buffer, gy.buffer, y.buffer);
  return gx;
}

/** a + b, same shapes (differentiable). */
export function add(a: Tensor, b: Tensor): Tensor {
  sameShape("add", a, b);
  const y = Tensor.empty(a.shape);
  launch("add_fwd", a.size, y.buffer, a.buffer, b.buffer);
  return record("add", [a, b], y, {});
}

/** In place: target += g (not recorded; used for gradient accumulation). */
export function accumulate(target: Tensor, g: Tensor): void {
  sameShape("accumulate", target, g);
  launch("accumulate", g.size, target.buffer, g.buffer);
}

/** alpha · x (differentiable). */
export function scale(x: Tensor, alpha: number): Tensor {
  const y = Tensor.empty(x.shape);
  launch("scale", x.size, y.buffer, x.buffer, undefined, alpha);
  return record("scale", [x], y, { alpha });
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
  return record("reshape", [x], y, { from: x.shape });
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
  return record("slice_rows", [x], y, { start });
}

/** Backward rules of this family. */
export const elementwiseRules: RuleTable<"relu" | "add" | "scale" | "reshape" | "slice_rows"> = {
  relu: (c, gy) => [reluBackward(gy, c.output)],
  add: (c, gy) => [c.needsGrad[0] ? copyOf(gy) : null, c.needsGrad[1] ? copyOf(gy) : null],
  scale: (c, gy) => {
    const gx = Tensor.empty(gy.shape);
    launch("scale", gy.size, gx.buffer, gy.buffer, undefined, c.saved.alpha);
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
