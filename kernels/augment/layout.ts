/**
 * The word layout of a packed augmentation batch's view entries, shared by the packer
 * (mod.ts), both kernels (generated as E_* / F_* constants) and the boost records
 * (randaug.ts).
 * @module
 */

/** u32 words per view entry. */
export const PARAM_WORDS = 24;

/**
 * Word offsets of a view entry: the image (its word offset in the image section, H, W, C),
 * the crop box, the resize and output window, flags, jitter order and factors, blur, the
 * output slot, and BOOST (its BCL boost record + 1; 0: none).
 */
export const ENTRY = {
  SRC: 0,
  H: 1,
  W: 2,
  C: 3,
  TOP: 4,
  LEFT: 5,
  CH: 6,
  CW: 7,
  RH: 8,
  RW: 9,
  OY: 10,
  OX: 11,
  FLAGS: 12,
  ORDER: 13,
  BRIGHT: 14,
  CONTRAST: 15,
  SAT: 16,
  HUE: 17,
  SIGMA: 18,
  KSIZE: 19,
  SLOT: 20,
  BOOST: 21,
} as const;

/** Bits of ENTRY.FLAGS (F_* in the kernel). */
export const FLAG = { FLIP: 1, JITTER: 2, GRAY: 4, BLUR: 8, BILINEAR: 16 } as const;

/** `{A: 1}` → `{PREFIX_A: 1}` (kernel constant names). */
export function prefixed(prefix: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix + k, v]));
}
