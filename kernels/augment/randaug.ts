/**
 * BCL's RandAugment (docs/method.md §10) on the CPU side: the operation table, and the
 * translation of one view's draws (params.ts, drawBoost) and its image's boosting weight into
 * the operations the GPU applies, with every value computed in double precision exactly as
 * PIL computes it from the released code's arguments (16.16 fixed-point affine coefficients,
 * integer thresholds and masks, blend factors rounded to C floats, cutout boxes in pixels).
 * The kernel (randaug_stage.wgsl) is then an interpreter of integer-exact steps.
 *
 * Each op of a view is applied with probability w (the image's weight) at strength
 * m = S·w·u (u drawn once per view): value v = lo + (hi − lo)·m/30.
 * @module
 */

/** One RandAugment operation of the released list (BCL's augment_list order). */
export interface RandAugOp {
  name: string;
  /** Value range at strength 0 and 30. */
  lo: number;
  hi: number;
  /** Whether the value takes a random sign (shear, translate, rotate). */
  signed: boolean;
}

/** The 15 operations, in the released code's order (an op index is a position here). */
export const RANDAUG_OPS: readonly RandAugOp[] = [
  { name: "ShearX", lo: 0, hi: 0.6, signed: true },
  { name: "ShearY", lo: 0, hi: 0.6, signed: true },
  { name: "TranslateX", lo: 0, hi: 0.66, signed: true },
  { name: "TranslateY", lo: 0, hi: 0.66, signed: true },
  { name: "Rotate", lo: 0, hi: 60, signed: true },
  { name: "AutoContrast", lo: 0, hi: 1, signed: false },
  { name: "Invert", lo: 0, hi: 1, signed: false },
  { name: "Equalize", lo: 0, hi: 1, signed: false },
  { name: "Solarize", lo: 0, hi: 110, signed: false },
  { name: "Posterize", lo: 4, hi: 8, signed: false },
  { name: "Contrast", lo: 0.1, hi: 1.9, signed: false },
  { name: "Color", lo: 0.1, hi: 1.9, signed: false },
  { name: "Brightness", lo: 0.1, hi: 1.9, signed: false },
  { name: "Sharpness", lo: 0.1, hi: 1.9, signed: false },
  { name: "Cutout", lo: 0, hi: 0.4, signed: false },
];

/** What the GPU executes (K_* in the kernel). */
export const KIND = {
  NONE: 0,
  AFFINE: 1,
  AUTOCONTRAST: 2,
  EQUALIZE: 3,
  INVERT: 4,
  SOLARIZE: 5,
  POSTERIZE: 6,
  CONTRAST: 7,
  COLOR: 8,
  BRIGHTNESS: 9,
  SHARPNESS: 10,
  CUTOUT: 11,
} as const;

/** Largest k (ops per view) a record holds. */
export const K_MAX = 4;
/** Words per op in a record: the kind and six parameters. */
export const OP_WORDS = 7;
/** Word offsets of a boost record: its entry, the number of ops, then K_MAX ops. */
export const RA = { ENTRY: 0, NOPS: 1, OPS: 2 } as const;
/** u32 words per boost record. */
export const RA_WORDS = RA.OPS + K_MAX * OP_WORDS;

/** One view's random draws (all drawn whatever the weight, so a view never depends on it). */
export interface BoostDraws {
  /** u ~ U(0, 1): the view's share of its strength. */
  u: number;
  ops: {
    /** Index into RANDAUG_OPS (uniform, with replacement). */
    op: number;
    /** Applied when r < w. */
    r: number;
    /** Negate the value (the released code: random() > 0.5). */
    negate: boolean;
    /** Cutout centre draws (numpy's uniform(size), see cutoutBox). */
    cx: number;
    cy: number;
  }[];
}

/** An operation ready for the GPU: its kind and six parameter words. */
export interface BoostOp {
  /** Index into RANDAUG_OPS. */
  op: number;
  /** The value v it was applied with (sign included). */
  value: number;
  kind: number;
  /** Six u32 words (i32 two's complement or f32 bits where the kind says). */
  words: number[];
}

const f32bits = (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0];
const i32 = (v: number) => v >>> 0;

/** PIL's 16.16 fixed point (Geometry.c FIX): floor(v·65536 + 0.5). */
function fix(v: number): number {
  return Math.floor(v * 65536.0 + 0.5);
}

/**
 * PIL's Image.transform(AFFINE, a, NEAREST) as the integer coefficients the kernel walks: the
 * source of output pixel (x, y) is ((A2 + x·A0 + y·A1) >> 16, (A5 + x·A3 + y·A4) >> 16),
 * zero outside. Without cross terms PIL takes its scale path (COORD of x + a2 + 0.5), an
 * integer shift, written in the same form.
 */
export function affineWords(a: readonly number[]): number[] {
  if (a[1] === 0 && a[3] === 0) {
    if (a[0] !== 1 || a[4] !== 1) throw new Error("affineWords: only unit scales");
    const sx = Math.floor(a[2] + a[0] * 0.5), sy = Math.floor(a[5] + a[4] * 0.5);
    return [65536, 0, sx * 65536, 0, 65536, sy * 65536].map(i32);
  }
  const w = [
    fix(a[0]),
    fix(a[1]),
    fix(a[2] + a[0] * 0.5 + a[1] * 0.5),
    fix(a[3]),
    fix(a[4]),
    fix(a[5] + a[3] * 0.5 + a[4] * 0.5),
  ];
  if (w.some((v) => Math.abs(v) >= 2 ** 31 / 2)) throw new Error("affineWords: out of range");
  return w.map(i32);
}

/** Python's float % (the sign of the divisor). */
function pyMod(a: number, m: number): number {
  const r = a % m;
  return r !== 0 && (r < 0) !== (m < 0) ? r + m : r;
}

/** Python's round(x, 15) for |x| ≤ 1 (correctly rounded through its decimal string). */
function round15(x: number): number {
  return Number(x.toFixed(15));
}

/** PIL's Image.rotate(angle) (NEAREST, centre (w/2, h/2), no expand) as an affine matrix. */
export function rotateMatrix(angle: number, width: number, height: number): number[] | null {
  const deg = pyMod(angle, 360.0);
  if (deg === 0) return null; // PIL returns a copy
  const cx = width / 2, cy = height / 2;
  const rad = -(deg * (Math.PI / 180));
  const m = [
    round15(Math.cos(rad)),
    round15(Math.sin(rad)),
    0.0,
    round15(-Math.sin(rad)),
    round15(Math.cos(rad)),
    0.0,
  ];
  m[2] = m[0] * -cx + m[1] * -cy + m[2];
  m[5] = m[3] * -cx + m[4] * -cy + m[5];
  m[2] += cx;
  m[5] += cy;
  return m;
}

/**
 * The released Cutout: side s = v·width, centre (numpy's uniform(width), i.e. uniform in
 * (1, width] since its first argument is the LOW end, and likewise for the height),
 * x0 = int(max(0, cx − s/2)), x1 = min(width, x0 + s) (y alike), drawn by PIL's rectangle
 * inclusive of both corners and clipped. Returns the inclusive pixel box.
 */
export function cutoutBox(
  v: number,
  o: { width: number; height: number; cx: number; cy: number },
): [number, number, number, number] | null {
  if (v <= 0) return null;
  const s = v * o.width;
  const cx = o.width + (1 - o.width) * o.cx, cy = o.height + (1 - o.height) * o.cy;
  const x0 = Math.trunc(Math.max(0, cx - s / 2)), y0 = Math.trunc(Math.max(0, cy - s / 2));
  const x1 = Math.min(o.width, x0 + s), y1 = Math.min(o.height, y0 + s);
  return [x0, y0, Math.min(Math.trunc(x1), o.width - 1), Math.min(Math.trunc(y1), o.height - 1)];
}

/** What an op needs besides its value: the view size and (cutout) the centre draws. */
export interface OpContext {
  width: number;
  height: number;
  cx?: number;
  cy?: number;
}

/** Op `op` of RANDAUG_OPS at value v (sign already applied), as the GPU runs it. */
export function opFromValue(op: number, v: number, c: OpContext): BoostOp {
  const name = RANDAUG_OPS[op].name;
  const out = (kind: number, words: number[] = []) => ({
    op,
    value: v,
    kind,
    words: [...words, 0, 0, 0, 0, 0, 0].slice(0, 6),
  });
  switch (name) {
    case "ShearX":
      return out(KIND.AFFINE, affineWords([1, v, 0, 0, 1, 0]));
    case "ShearY":
      return out(KIND.AFFINE, affineWords([1, 0, 0, v, 1, 0]));
    case "TranslateX":
      return out(KIND.AFFINE, affineWords([1, 0, v * c.width, 0, 1, 0]));
    case "TranslateY":
      return out(KIND.AFFINE, affineWords([1, 0, 0, 0, 1, v * c.height]));
    case "Rotate": {
      const m = rotateMatrix(v, c.width, c.height);
      return out(KIND.AFFINE, affineWords(m ?? [1, 0, 0, 0, 1, 0]));
    }
    case "AutoContrast":
      return out(KIND.AUTOCONTRAST);
    case "Invert":
      return out(KIND.INVERT);
    case "Equalize":
      return out(KIND.EQUALIZE);
    case "Solarize":
      // lut: i < v ? i : 255 − i, i.e. inverted from the integer threshold ceil(v) up.
      return out(KIND.SOLARIZE, [Math.max(0, Math.ceil(v))]);
    case "Posterize": {
      const bits = Math.max(1, Math.trunc(v));
      return out(KIND.POSTERIZE, [~(2 ** (8 - bits) - 1) & 255]);
    }
    case "Contrast":
      return out(KIND.CONTRAST, [f32bits(v)]);
    case "Color":
      return out(KIND.COLOR, [f32bits(v)]);
    case "Brightness":
      return out(KIND.BRIGHTNESS, [f32bits(v)]);
    case "Sharpness":
      return out(KIND.SHARPNESS, [f32bits(v)]);
    case "Cutout": {
      const box = cutoutBox(v, {
        width: c.width,
        height: c.height,
        cx: c.cx ?? 0.5,
        cy: c.cy ?? 0.5,
      });
      return out(KIND.CUTOUT, box ?? [1, 1, 0, 0]);
    }
  }
  throw new Error(`opFromValue: unknown op ${op}`);
}

/** The boosting of one view: its weight, the strength S and the view size. */
export interface BoostContext {
  /** The image's BCL weight w ∈ [0, 1] (a float32, as the GPU computed it). */
  weight: number;
  /** Maximum strength S (30 in the released runs). */
  strength: number;
  width: number;
  height: number;
}

/**
 * The ops a view gets: each drawn op applied when r < w, at value lo + (hi − lo)·m/30 with
 * m = f32(S·w)·u (the released code's arithmetic: an int times the float32 weight, then the
 * float64 draw), negated by its sign draw where the op is signed.
 */
export function resolveBoost(d: BoostDraws, c: BoostContext): BoostOp[] {
  const m = Math.fround(c.strength * c.weight) * d.u;
  const out: BoostOp[] = [];
  for (const o of d.ops) {
    if (!(o.r < c.weight)) continue;
    const spec = RANDAUG_OPS[o.op];
    let v = (m / 30) * (spec.hi - spec.lo) + spec.lo;
    if (spec.signed && o.negate) v = -v;
    out.push(opFromValue(o.op, v, { width: c.width, height: c.height, cx: o.cx, cy: o.cy }));
  }
  return out;
}

/** Writes one boost record (entry index, ops) at word `at` of `words`. */
export function packBoostRecord(
  words: Uint32Array,
  at: number,
  record: { entry: number; ops: readonly BoostOp[] },
): void {
  const { entry, ops } = record;
  if (ops.length > K_MAX) throw new Error(`packBoostRecord: ${ops.length} ops > ${K_MAX}`);
  words.fill(0, at, at + RA_WORDS);
  words[at + RA.ENTRY] = entry;
  words[at + RA.NOPS] = ops.length;
  ops.forEach((o, q) => {
    const w = at + RA.OPS + q * OP_WORDS;
    words[w] = o.kind;
    for (let j = 0; j < 6; j++) words[w + 1 + j] = o.words[j] >>> 0;
  });
}

let fixes: Uint32Array | null = null;

/**
 * PIL's autocontrast maps i to int(i·s + o) with s = 255.0/(hi − lo), o = −lo·s in double
 * precision, which lands one below the exact ⌊255·(i − lo)/(hi − lo)⌋ where that quotient is
 * an integer and the rounding errs low (12,094 of the 8.4 M (lo, hi, i) triples). The kernel
 * computes the exact quotient in integers and subtracts 1 for the triples in this sorted list
 * of keys lo·65536 + hi·256 + i (binary search).
 */
export function autocontrastFixes(): Uint32Array {
  if (fixes) return fixes;
  const keys: number[] = [];
  for (let d = 1; d < 256; d++) {
    for (let lo = 0; lo + d < 256; lo++) {
      const hi = lo + d, scale = 255.0 / d, offset = -lo * scale;
      for (let i = lo; i < 256; i++) {
        if ((255 * (i - lo)) % d !== 0) continue;
        const exact = Math.min(255, (255 * (i - lo)) / d);
        const pil = Math.min(255, Math.max(0, Math.trunc(i * scale + offset)));
        if (pil !== exact) keys.push(lo * 65536 + hi * 256 + i);
      }
    }
  }
  fixes = Uint32Array.from(keys.sort((a, b) => a - b));
  return fixes;
}
