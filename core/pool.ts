/**
 * GPU buffer pool. Deno frees GPU memory only when a GPUBuffer is garbage-collected, so a
 * training loop that creates buffers per op grows without bound. Every tensor buffer comes from
 * here and goes back here; `trim()` destroys the idle ones explicitly.
 *
 * Reusing a released buffer before the commands that used it have executed is safe: commands
 * run in submission order, and writes from the CPU (`Engine.write`) flush pending work first.
 * @module
 */

/** Usage of every pooled storage buffer. */
export const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC |
  GPUBufferUsage.COPY_DST;

/**
 * Rounds n up to a multiple of an eighth of the power of two at or below it, so a pool keyed by
 * the result reuses across sizes while wasting at most 12.5%.
 */
function upToEighths(n: number): number {
  const step = 2 ** Math.floor(Math.log2(n)) / 8;
  return Math.ceil(n / step) * step;
}

/** Rounds a byte size up to its size class: powers of two below 64 KiB, then eighths. */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  return b <= 65536 ? 2 ** Math.ceil(Math.log2(b)) : upToEighths(b);
}

/** A pool of storage buffers keyed by size class. */
export class BufferPool {
  #free = new Map<number, GPUBuffer[]>();
  #live = new Set<GPUBuffer>();
  /** Bytes held by live (acquired) buffers. */
  liveBytes = 0;
  /** Bytes held by idle pooled buffers. */
  idleBytes = 0;
  /** The most bytes ever held (live + idle) since creation or resetPeak(). */
  peakBytes = 0;
  /** Called with every buffer destroyed by trim, so caches holding it can drop it. */
  onDestroy: ((b: GPUBuffer) => void) | null = null;
  /** Called with every buffer given back, so caches of its contents can drop them. */
  onRelease: ((b: GPUBuffer) => void) | null = null;

  constructor(private device: GPUDevice) {}

  /** Returns a storage buffer of at least `bytes` bytes (contents undefined). */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.#free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.idleBytes -= size;
    } else {
      buf = this.device.createBuffer({ size, usage: STORAGE_USAGE });
    }
    this.#live.add(buf);
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes + this.idleBytes);
    return buf;
  }

  /** Gives a buffer back to the pool. Releasing twice is an error (it would be shared). */
  release(buf: GPUBuffer): void {
    if (!this.#live.delete(buf)) throw new Error("BufferPool.release: buffer is not live");
    this.onRelease?.(buf);
    this.liveBytes -= buf.size;
    this.idleBytes += buf.size;
    const list = this.#free.get(buf.size);
    if (list) list.push(buf);
    else this.#free.set(buf.size, [buf]);
  }

  /** Starts a new peak measurement from what is held now. */
  resetPeak(): void {
    this.peakBytes = this.liveBytes + this.idleBytes;
  }

  /** Destroys every idle buffer now, returning GPU memory without waiting for GC. */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const b of list) {
        this.onDestroy?.(b);
        b.destroy();
      }
    }
    this.#free.clear();
    this.idleBytes = 0;
  }

  /** Number of live buffers (for leak tests). */
  get liveCount(): number {
    return this.#live.size;
  }
}

/** Texels per row of a flat texture (rgba32float: 64 KiB rows, 4 floats per texel). */
export const FLAT_TEXTURE_WIDTH = 4096;

/**
 * A flat f32 array held as an rgba32float texture, 4096 texels (16384 floats) per row: float
 * 4·i .. 4·i + 3 is texel (i & 4095, i >> 12).
 */
export interface FlatTexture {
  texture: GPUTexture;
  /** The view bound to kernels (one per texture, so bind groups are cached). */
  view: GPUTextureView;
  /** Rows of the texture (its size class). */
  rows: number;
}

/**
 * A pool of flat textures keyed by row count (rounded up like buffer sizes). Textures are
 * copies of live buffers (core/texture_cache.ts: given back with the buffer) and come back
 * to the pool when their buffers do; `trim()` destroys the idle ones without waiting for GC.
 */
export class TexturePool {
  #free = new Map<number, FlatTexture[]>();
  #live = new Set<FlatTexture>();
  /**
   * Idle textures kept per size; releasing more destroys the extra ones (and a destroy
   * submits the recorded work first). Unbounded by default, as the buffer pool: the copies of
   * a step's activations come back together when the step ends and the next step takes them
   * again, so any bound below that count would destroy and recreate textures every step.
   */
  maxIdlePerSize = Infinity;
  /** Called with every texture destroyed, so caches holding its view can drop it. */
  onDestroy: ((t: FlatTexture) => void) | null = null;
  /** Bytes of live (acquired) textures, of idle pooled ones, and the peak of their sum. */
  liveBytes = 0;
  idleBytes = 0;
  peakBytes = 0;
  /** Textures created so far (a steady state creates none). */
  created = 0;

  constructor(private device: GPUDevice) {}

  /** Rows needed for `floats` f32 values (before rounding to a size class). */
  static rowsFor(floats: number): number {
    return Math.max(1, Math.ceil(Math.ceil(floats / 4) / FLAT_TEXTURE_WIDTH));
  }

  /** The row count a request for `rows` rows gets: exact up to 8, then eighths of a power of 2. */
  static rowClass(rows: number): number {
    return rows <= 8 ? rows : upToEighths(rows);
  }

  /** Bytes of the texture a request for `floats` f32 values gets. */
  static bytesFor(floats: number): number {
    return FLAT_TEXTURE_WIDTH * TexturePool.rowClass(TexturePool.rowsFor(floats)) * 16;
  }

  /** Returns a texture of at least `rows` rows (contents undefined). */
  acquire(rows: number): FlatTexture {
    const size = TexturePool.rowClass(rows);
    let t = this.#free.get(size)?.pop();
    if (t) this.idleBytes -= bytesOf(t);
    else {
      const texture = this.device.createTexture({
        size: [FLAT_TEXTURE_WIDTH, size],
        format: "rgba32float",
        usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST,
      });
      t = { texture, view: texture.createView(), rows: size };
      this.created++;
    }
    this.#live.add(t);
    this.liveBytes += bytesOf(t);
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes + this.idleBytes);
    return t;
  }

  /** Gives a texture back; work recorded before still reads it (commands run in order). */
  release(t: FlatTexture): void {
    if (!this.#live.delete(t)) throw new Error("TexturePool.release: texture is not live");
    this.liveBytes -= bytesOf(t);
    const list = this.#free.get(t.rows) ?? [];
    this.#free.set(t.rows, list);
    if (list.length < this.maxIdlePerSize) {
      list.push(t);
      this.idleBytes += bytesOf(t);
    } else this.#destroy(t);
  }

  /** Destroys every idle texture now. */
  trim(): void {
    for (const list of this.#free.values()) for (const t of list) this.#destroy(t);
    this.#free.clear();
    this.idleBytes = 0;
  }

  #destroy(t: FlatTexture): void {
    this.onDestroy?.(t);
    t.texture.destroy();
  }

  /** Resets the peak to what is held now (to measure a phase). */
  resetPeak(): void {
    this.peakBytes = this.liveBytes + this.idleBytes;
  }

  /** Number of live textures (for leak tests). */
  get liveCount(): number {
    return this.#live.size;
  }
}

function bytesOf(t: FlatTexture): number {
  return FLAT_TEXTURE_WIDTH * t.rows * 16;
}
