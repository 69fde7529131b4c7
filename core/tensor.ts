/**
 * GPU tensors: a shape, a pooled GPUBuffer (f32 or u32 elements, row-major), and the autodiff
 * bookkeeping (requiresGrad, the producing tape node, the accumulated gradient of a leaf).
 *
 * Memory is explicit: `dispose()` returns the buffer to the pool. `tidy(fn)` disposes every
 * tensor created inside `fn` except what it returns and what was `keep()`-ed, so a training
 * step does not grow memory; `backward` releases the tape's tensors as soon as it is done.
 * @module
 */
import { engine } from "./engine.ts";

/** Element type of a tensor's buffer. */
export type DType = "f32" | "u32";

/** The tape node that produced a tensor (see tape.ts). */
export interface TapeNodeRef {
  readonly prim: string;
}

type Arena = Set<Tensor>;
const arenas: Arena[] = [];

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A tensor living in a GPU buffer. */
export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype: DType;
  #buffer: GPUBuffer | null;
  /** True when gradients should flow to (or through) this tensor. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf (a parameter); summed over backward passes. */
  grad: Tensor | null = null;
  /** The tape node that produced this tensor, when recorded. */
  node: TapeNodeRef | null = null;
  /** Survives the enclosing tidy() and tape release. */
  kept = false;
  /** Optional name (parameters: the state_dict key). */
  name?: string;

  /** Wraps a buffer of at least size*4 bytes; normally use the static constructors. */
  constructor(shape: readonly number[], buffer: GPUBuffer, dtype: DType = "f32") {
    this.shape = [...shape];
    this.size = numel(shape);
    this.dtype = dtype;
    this.#buffer = buffer;
    arenas[arenas.length - 1]?.add(this);
  }

  /** A tensor with undefined contents (kernels overwrite it). */
  static empty(shape: readonly number[], dtype: DType = "f32"): Tensor {
    return new Tensor(shape, engine().pool.acquire(numel(shape) * 4), dtype);
  }

  /** A tensor filled with zeros. */
  static zeros(shape: readonly number[], dtype: DType = "f32"): Tensor {
    return Tensor.fill(shape, 0, dtype);
  }

  /** A tensor filled with a constant. */
  static fill(shape: readonly number[], value: number, dtype: DType = "f32"): Tensor {
    const n = numel(shape);
    const data = dtype === "f32" ? new Float32Array(n).fill(value) : new Uint32Array(n).fill(value);
    return Tensor.from(data, shape);
  }

  /** Uploads host data (Float32Array → f32, Uint32Array/Int32Array → u32). */
  static from(
    data: Float32Array | Uint32Array | Int32Array | number[],
    shape: readonly number[],
    opts: { requiresGrad?: boolean; name?: string } = {},
  ): Tensor {
    const arr = Array.isArray(data) ? new Float32Array(data) : data;
    if (arr.length !== numel(shape)) {
      throw new Error(`Tensor.from: ${arr.length} values for shape [${shape}]`);
    }
    const dtype: DType = arr instanceof Float32Array ? "f32" : "u32";
    const t = Tensor.empty(shape, dtype);
    engine().write(t.buffer, arr);
    t.requiresGrad = opts.requiresGrad ?? false;
    if (opts.name) t.name = opts.name;
    return t;
  }

  /** The GPU buffer; throws if the tensor was disposed (use-after-free guard). */
  get buffer(): GPUBuffer {
    if (!this.#buffer) {
      throw new Error(`tensor ${this.name ?? `[${this.shape}]`} used after dispose`);
    }
    return this.#buffer;
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.#buffer === null;
  }

  /** Bytes of the data (size × 4). */
  get bytes(): number {
    return this.size * 4;
  }

  /** Reads the values back (flushes recorded work and waits for the GPU). */
  async read(): Promise<Float32Array> {
    const ab = await engine().read(this.buffer, this.bytes);
    return new Float32Array(ab);
  }

  /** Reads u32 values back. */
  async readU32(): Promise<Uint32Array> {
    return new Uint32Array(await engine().read(this.buffer, this.bytes));
  }

  /** Returns the buffer to the pool. Idempotent. Also disposes the gradient. */
  dispose(): void {
    if (!this.#buffer) return;
    engine().pool.release(this.#buffer);
    this.#buffer = null;
    this.grad?.dispose();
    this.grad = null;
  }

  /** Marks the tensor to survive tidy() and tape release; returns it. */
  keep(): this {
    this.kept = true;
    for (const a of arenas) a.delete(this);
    return this;
  }

  /** A view with another shape over the SAME buffer (no copy); must keep numel. */
  reshape(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.size) throw new Error(`reshape [${this.shape}] → [${shape}]`);
    return new ReshapeView(shape, this);
  }
}

/**
 * A reshape sharing its base's buffer. Disposing the view does nothing (the base owns the
 * buffer); gradients flow through the "reshape" primitive.
 */
class ReshapeView extends Tensor {
  constructor(shape: readonly number[], readonly base: Tensor) {
    super(shape, base.buffer, base.dtype);
  }
  override get buffer(): GPUBuffer {
    return this.base.buffer;
  }
  override get disposed(): boolean {
    return this.base.disposed;
  }
  override dispose(): void {
    this.grad?.dispose();
    this.grad = null;
  }
}

/**
 * Reads several tensors back in one GPU round trip (checkpoints, pruning): each
 * `Tensor.read()` waits for the GPU on its own, which costs seconds over a model's tensors.
 */
export async function readAll(ts: readonly Tensor[]): Promise<Float32Array[]> {
  const abs = await engine().readMany(ts.map((t) => ({ buf: t.buffer, bytes: t.bytes })));
  return abs.map((ab) => new Float32Array(ab));
}

/** Zeroes (disposes) the gradients of parameters before the next accumulation. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}

type Tree = Tensor | Tree[] | { [k: string]: Tree } | unknown;

function collect(x: Tree, out: Set<Tensor>): void {
  if (x instanceof Tensor) {
    out.add(x);
    if (x instanceof ReshapeView) out.add(x.base);
  } else if (Array.isArray(x)) { for (const y of x) collect(y, out); }
  else if (x && typeof x === "object") { for (const y of Object.values(x)) collect(y, out); }
}

/**
 * Runs `fn` and disposes every tensor created inside it except those reachable from its
 * result (tensors in arrays/objects count) and those `keep()`-ed. Survivors move to the
 * enclosing tidy, if any.
 */
export function tidy<T>(fn: () => T): T {
  const arena: Arena = new Set();
  arenas.push(arena);
  let result: T;
  try {
    result = fn();
  } finally {
    arenas.splice(arenas.lastIndexOf(arena), 1);
  }
  return release(arena, result);
}

/** Async variant of tidy for steps that await (e.g. read the loss). */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  const arena: Arena = new Set();
  arenas.push(arena);
  let result: T;
  try {
    result = await fn();
  } finally {
    arenas.splice(arenas.lastIndexOf(arena), 1);
  }
  return release(arena, result);
}

/** Disposes an arena's tensors except survivors of `result` and kept ones (moved up). */
function release<T>(arena: Arena, result: T): T {
  const survivors = new Set<Tensor>();
  collect(result, survivors);
  const parent = arenas[arenas.length - 1];
  for (const t of arena) {
    if (survivors.has(t) || t.kept) parent?.add(t);
    else t.dispose();
  }
  return result;
}
