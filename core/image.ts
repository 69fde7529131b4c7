/**
 * The image type every layer shares: one decoded image as uint8 HWC (the readers produce it,
 * the augmentation kernel consumes it).
 * @module
 */

/** One decoded image: uint8 HWC. */
export interface RawImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}
