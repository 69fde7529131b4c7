/**
 * Texture copies of buffers, kept while they are current. Where the device profile prefers
 * texture loads (software adapters: lavapipe loads from buffers lane by lane), kernels read
 * their operands from flat textures copied in from the buffers. One activation is read by
 * several kernels (the batch norm after a convolution and its backward; the next
 * convolution's forward and its weight gradient), and each used to copy it again: an SDCLR
 * width-8 step made 442 copies, 672 MB, and copies are not free there (a read and a write of
 * every float; skipping them, as a timing experiment, took 12–25% off that step's wall time).
 *
 * The cache keeps one texture per buffer, tagged with the buffer's write generation: every
 * write the engine records into a buffer (a dispatch that binds it read_write, a copy or
 * clear into it, an upload) moves the generation on, and the next request copies again. All
 * GPU writes go through the engine, so a current tag means the texture holds the buffer's
 * contents. A buffer given back to the pool gives its texture back too, so textures live as
 * long as the tensors they copy: the activations a backward pass reads keep theirs from the
 * forward, which costs texture memory (SDCLR width 64, batch 64: texture pool peak 122 →
 * 721 MiB beside an 892 MiB buffer pool). `maxBytes` bounds it: beyond it the least recently
 * used copies are given back (and copied again if asked for).
 * @module
 */
import type { FlatTexture } from "./pool.ts";

/** What the cache needs from the engine. */
export interface TextureCacheHost {
  acquire(floats: number): FlatTexture;
  release(t: FlatTexture): void;
  copy(src: GPUBuffer, dst: FlatTexture, floats: number): void;
  /** Bytes of the texture `acquire(floats)` gives. */
  bytesFor(floats: number): number;
}

interface Entry {
  gen: number;
  floats: number;
  tex: FlatTexture;
  bytes: number;
  /** The dispatch it was last asked for (see `dispatched`). */
  used: number;
}

/** Per-buffer texture copies, valid until the buffer is written or released. */
export class TextureCache {
  #gen = new WeakMap<GPUBuffer, number>();
  #seq = 0;
  #dispatch = 0;
  #entries = new Map<GPUBuffer, Entry>();
  /** Requests answered by a new copy, and by a current one (for profiles and tests). */
  copies = 0;
  hits = 0;
  /** false: copy on every request, as before the cache (A/B timing, debugging). */
  enabled = true;
  /** Bytes of cached textures beyond which the least recently used are given back. */
  maxBytes = 2 * 1024 ** 3;
  /** Bytes of the cached textures now. */
  bytes = 0;

  constructor(private host: TextureCacheHost) {}

  /** Records that `buf` is (about to be) written: its cached copy, if any, is stale. */
  wrote(buf: GPUBuffer): void {
    this.#gen.set(buf, ++this.#seq);
  }

  /**
   * Records that a dispatch was recorded: copies asked for before it may be evicted again
   * (the ones asked for the dispatch being prepared never are: its operands would be
   * overwritten before it reads them).
   */
  dispatched(): void {
    this.#dispatch++;
  }

  /**
   * A texture holding the first `floats` values of `buf` as recorded so far: the cached one
   * when nothing wrote `buf` since it was copied, else a new copy (recorded now). The cache
   * owns it: do not release it.
   */
  get(buf: GPUBuffer, floats: number): FlatTexture {
    const gen = this.#gen.get(buf) ?? 0;
    const e = this.#entries.get(buf);
    if (e && e.gen === gen && e.floats === floats && this.enabled) {
      this.hits++;
      // Map order is recency order: move it to the end.
      e.used = this.#dispatch;
      this.#entries.delete(buf);
      this.#entries.set(buf, e);
      return e.tex;
    }
    this.forget(buf);
    // Room first: what is evicted may be reused for this copy (the reads recorded before come
    // first), but not the operands of the dispatch being prepared.
    const need = this.host.bytesFor(floats);
    for (const [old, o] of this.#entries) {
      if (this.bytes + need <= this.maxBytes) break;
      if (o.used !== this.#dispatch) this.forget(old);
    }
    const tex = this.host.acquire(floats);
    this.host.copy(buf, tex, floats);
    this.#entries.set(buf, { gen, floats, tex, bytes: need, used: this.#dispatch });
    this.bytes += need;
    this.copies++;
    return tex;
  }

  /** Gives back the texture of `buf` (the buffer went back to the pool or was destroyed). */
  forget(buf: GPUBuffer): void {
    const e = this.#entries.get(buf);
    if (!e) return;
    this.#entries.delete(buf);
    this.bytes -= e.bytes;
    this.host.release(e.tex);
  }

  /** Buffers with a cached texture. */
  get size(): number {
    return this.#entries.size;
  }
}
