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

/** Rounds a byte size up to its size class: powers of two below 64 KiB, then eighths. */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  if (b <= 65536) return 2 ** Math.ceil(Math.log2(b));
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 8;
  return Math.ceil(b / step) * step;
}

/** A pool of storage buffers keyed by size class. */
export class BufferPool {
  #free = new Map<number, GPUBuffer[]>();
  #live = new Set<GPUBuffer>();
  /** Bytes held by live (acquired) buffers. */
  liveBytes = 0;
  /** Bytes held by idle pooled buffers. */
  idleBytes = 0;
  /** Called with every buffer destroyed by trim, so caches holding it can drop it. */
  onDestroy: ((b: GPUBuffer) => void) | null = null;

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
    return buf;
  }

  /** Gives a buffer back to the pool. Releasing twice is an error (it would be shared). */
  release(buf: GPUBuffer): void {
    if (!this.#live.delete(buf)) throw new Error("BufferPool.release: buffer is not live");
    this.liveBytes -= buf.size;
    this.idleBytes += buf.size;
    const list = this.#free.get(buf.size);
    if (list) list.push(buf);
    else this.#free.set(buf.size, [buf]);
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
