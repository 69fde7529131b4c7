/**
 * Error measures used by tests and `deno task kernels check`: the relative error of a tensor
 * is max|ours − ref| / max|ref| over the whole tensor (never per element, never loosened per
 * case).
 * @module
 */

/** Max-abs and tensor-relative error of `ours` against `ref`. */
export function errors(
  ours: ArrayLike<number>,
  ref: ArrayLike<number>,
): { maxAbs: number; maxRel: number } {
  if (ours.length !== ref.length) {
    throw new Error(`length mismatch: ours ${ours.length}, ref ${ref.length}`);
  }
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return { maxAbs, maxRel: maxRef > 0 ? maxAbs / maxRef : maxAbs };
}

/** How close `assertClose` demands. */
export interface AssertCloseOptions {
  /** Largest allowed max|ours − ref| / max|ref| (default 1e-4; 0 demands equality). */
  tol?: number;
}

/** Throws a descriptive error, naming `label`, unless maxRel ≤ tol. */
export function assertClose(
  label: string,
  ours: ArrayLike<number>,
  ref: ArrayLike<number>,
  o: AssertCloseOptions = {},
): void {
  const { tol = 1e-4 } = o;
  const { maxAbs, maxRel } = errors(ours, ref);
  if (!(maxRel <= tol)) {
    throw new Error(
      `${label}: max|ours−ref|/max|ref| = ${maxRel.toExponential(3)} > ${tol} ` +
        `(max abs ${maxAbs.toExponential(3)})`,
    );
  }
}

/** Seeded uniform/normal generator (mulberry32 + Box–Muller) for kernel checks. */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/** n seeded normal values as float32 (exactly what the GPU sees). */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

/** Central finite differences of a scalar f64 function at x (for checking CPU references). */
export function finiteDiff(
  f: (x: Float64Array) => number,
  x: Float64Array,
  eps = 1e-6,
): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const old = x[i];
    x[i] = old + eps;
    const fp = f(x);
    x[i] = old - eps;
    const fm = f(x);
    x[i] = old;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}
