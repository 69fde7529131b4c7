/**
 * The engine: one GPU device, its buffer pool, compiled kernels, and a recorder that puts the
 * dispatches of a whole training step into one command buffer (one compute pass) until
 * `flush()`. Nothing is read back unless asked (`read`).
 *
 * Kernel parameters are tiny uniform buffers cached by content: shapes repeat every step, so a
 * step after the first creates no uniform buffer and, with pooled buffers reused in the same
 * order, mostly no bind group either. Values that change every step (the learning rate) must
 * not go through uniforms: they live in storage buffers written with `write`.
 * @module
 */
import { wgsl } from "wgsl-preprocessor";
import { assertDeviceAlive, getGpu, type GpuContext } from "./device.ts";
import { BufferPool, FLAT_TEXTURE_WIDTH, type FlatTexture, TexturePool } from "./pool.ts";

export type { FlatTexture } from "./pool.ts";

/** Preprocessor defines: `${NAME}` in a .wgsl file is replaced by the value. */
export type Defines = Record<string, string | number | boolean>;

/** A compiled compute pipeline plus the final WGSL it was built from. */
export interface Kernel {
  /** e.g. "conv2d_fwd[MASKED=true]" */
  name: string;
  code: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  id: number;
}

const sourceCache = new Map<string, string>();

/**
 * Reads a .wgsl file and runs it through wgsl-preprocessor: `${NAME}` placeholders take the
 * values in `defines` (so `#if ${MASKED}` selects a variant and `${TILE}` a constant).
 * A placeholder without a define is an error naming it.
 */
export function preprocessWgsl(file: URL, defines: Defines = {}): string {
  const key = file.href;
  let text = sourceCache.get(key);
  if (text === undefined) {
    text = Deno.readTextFileSync(file);
    sourceCache.set(key, text);
  }
  const parts = text.split(/\$\{(\w+)\}/);
  const strings: string[] = [];
  const values: unknown[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) strings.push(parts[i]);
    else {
      if (!(parts[i] in defines)) {
        throw new Error(`${file.pathname}: no define given for \${${parts[i]}}`);
      }
      values.push(defines[parts[i]]);
    }
  }
  const raw = Object.assign([...strings], { raw: strings }) as unknown as TemplateStringsArray;
  return wgsl(raw, ...values);
}

/** Packs kernel parameters (u32/i32/f32 scalars, in struct order) into uniform words. */
export class Params {
  #words: number[] = [];
  #f = new Float32Array(1);
  #u = new Uint32Array(this.#f.buffer);
  /** Appends a u32. */
  u32(...v: number[]): this {
    for (const x of v) this.#words.push(x >>> 0);
    return this;
  }
  /** Appends an i32. */
  i32(...v: number[]): this {
    for (const x of v) this.#words.push(x | 0);
    return this;
  }
  /** Appends an f32. */
  f32(...v: number[]): this {
    for (const x of v) {
      this.#f[0] = x;
      this.#words.push(this.#u[0]);
    }
    return this;
  }
  /** The words, padded to a multiple of 4 (16 bytes) as uniform buffers require. */
  words(): Uint32Array {
    const n = Math.max(4, Math.ceil(this.#words.length / 4) * 4);
    const out = new Uint32Array(n);
    out.set(this.#words);
    return out;
  }
}

/** What `dispatch` binds after the params: storage buffers, or views of storage textures. */
export type Binding = GPUBuffer | GPUTextureView;

let nextId = 1;
const bufferIds = new WeakMap<Binding, number>();
function bufferId(b: Binding): number {
  let id = bufferIds.get(b);
  if (id === undefined) bufferIds.set(b, id = nextId++);
  return id;
}

/** Process-wide engine; see module doc. */
export class Engine {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  /** Pool of flat rgba32float textures (`acquireTexture`, `copyToTexture`). */
  readonly textures: TexturePool;
  #kernels = new Map<string, Kernel>();
  #generated = new Map<string, Kernel>();
  #uniforms = new Map<string, GPUBuffer>();
  #bindGroups = new Map<string, GPUBindGroup>();
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #pending = 0;
  /** Dispatches recorded since the engine started (for benchmarks and tests). */
  dispatchCount = 0;
  /** Command buffers submitted since the engine started. */
  submitCount = 0;
  /** Recorded dispatches after which a command buffer is submitted anyway. */
  maxPending = 4096;

  constructor(readonly gpu: GpuContext) {
    this.device = gpu.device;
    this.pool = new BufferPool(this.device);
    this.pool.onDestroy = (b) => this.#forgetBuffer(b);
    this.textures = new TexturePool(this.device);
    this.textures.onDestroy = (t) => {
      // Recorded work may still use it: submit that first (destroy waits for submitted work).
      this.flush();
      this.#forgetBuffer(t.view);
    };
  }

  /** Compiles (once per file + defines) and returns a kernel. */
  kernel(file: URL, defines: Defines = {}, entry = "main"): Kernel {
    const defs = Object.entries(defines).map(([k, v]) => `${k}=${v}`).join(",");
    const key = `${file.href}#${entry}[${defs}]`;
    let k = this.#kernels.get(key);
    if (!k) {
      const code = preprocessWgsl(file, defines);
      const module = this.device.createShaderModule({ code, label: key });
      const pipeline = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: entry },
        label: key,
      });
      const base = file.pathname.split("/").pop()!.replace(/\.wgsl$/, "");
      k = {
        name: `${base}${entry === "main" ? "" : "." + entry}${defs ? `[${defs}]` : ""}`,
        code,
        pipeline,
        layout: pipeline.getBindGroupLayout(0),
        id: nextId++,
      };
      this.#kernels.set(key, k);
    }
    return k;
  }

  /**
   * `kernel()` for generated code: `key` (e.g. a plan config as JSON) names the variant, so
   * defines that are expensive to build (conv2d's run to ~2,000 lines of WGSL) are built only
   * on the first call, not on every dispatch (~1.6 ms of CPU each for the big conv tiles).
   */
  generatedKernel(file: URL, key: string, defines: () => Defines, entry = "main"): Kernel {
    const k = `${file.href}#${entry}{${key}}`;
    let kernel = this.#generated.get(k);
    if (!kernel) this.#generated.set(k, kernel = this.kernel(file, defines(), entry));
    return kernel;
  }

  #uniform(words: Uint32Array): GPUBuffer {
    const key = words.join(",");
    let b = this.#uniforms.get(key);
    if (!b) {
      b = this.device.createBuffer({
        size: words.byteLength,
        usage: GPUBufferUsage.UNIFORM,
        mappedAtCreation: true,
      });
      new Uint32Array(b.getMappedRange()).set(words);
      b.unmap();
      this.#uniforms.set(key, b);
    }
    return b;
  }

  #bindGroup(k: Kernel, buffers: Binding[]): GPUBindGroup {
    const key = `${k.id}:${buffers.map(bufferId).join(",")}`;
    let g = this.#bindGroups.get(key);
    if (g) {
      // Refresh LRU position.
      this.#bindGroups.delete(key);
    } else {
      g = this.device.createBindGroup({
        layout: k.layout,
        entries: buffers.map((b, binding) => ({
          binding,
          resource: b instanceof GPUBuffer ? { buffer: b } : b,
        })),
      });
      if (this.#bindGroups.size >= 8192) {
        this.#bindGroups.delete(this.#bindGroups.keys().next().value!);
      }
    }
    this.#bindGroups.set(key, g);
    return g;
  }

  #forgetBuffer(b: Binding): void {
    const id = bufferIds.get(b);
    if (id === undefined) return;
    const re = new RegExp(`[:,]${id}(,|$)`);
    for (const key of [...this.#bindGroups.keys()]) if (re.test(key)) this.#bindGroups.delete(key);
  }

  /**
   * Records one dispatch. Binding 0 of the kernel is its uniform `params` (omit with
   * `params: null` for kernels without one); bindings 1.. are `buffers`, in order (storage
   * buffers, or texture views such as `FlatTexture.view` for storage-texture bindings).
   */
  dispatch(
    k: Kernel,
    params: Params | null,
    buffers: Binding[],
    groups: [number, number?, number?],
  ): void {
    const all = params ? [this.#uniform(params.words()), ...buffers] : buffers;
    const [x, y = 1, z = 1] = groups;
    if (x === 0 || y === 0 || z === 0) return;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new Error(`${k.name}: dispatch [${x},${y},${z}] exceeds ${max} workgroups per dim`);
    }
    if (!this.#pass) {
      this.#encoder ??= this.device.createCommandEncoder();
      this.#pass = this.#encoder.beginComputePass();
    }
    this.#pass.setPipeline(k.pipeline);
    this.#pass.setBindGroup(0, this.#bindGroup(k, all));
    this.#pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
    if (++this.#pending >= this.maxPending) this.flush();
  }

  /** Records a buffer-to-buffer copy (ends the current compute pass). */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.#pass?.end();
    this.#pass = null;
    this.#encoder ??= this.device.createCommandEncoder();
    this.#encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.#pending++;
  }

  /**
   * Whether `floats` f32 values fit one flat texture on this device (maxTextureDimension2D
   * rows of 4096 texels); callers fall back to buffers when not.
   */
  textureFits(floats: number): boolean {
    const rows = TexturePool.rowClass(TexturePool.rowsFor(floats));
    const max = this.device.limits.maxTextureDimension2D;
    return floats % 4 === 0 && rows <= max && FLAT_TEXTURE_WIDTH <= max;
  }

  /** A pooled flat texture for `floats` f32 values; give it back with `releaseTexture`. */
  acquireTexture(floats: number): FlatTexture {
    if (!this.textureFits(floats)) {
      throw new Error(`acquireTexture: ${floats} floats do not fit a texture on this device`);
    }
    return this.textures.acquire(TexturePool.rowsFor(floats));
  }

  /** Returns a texture to the pool (recorded work that reads it still sees its contents). */
  releaseTexture(t: FlatTexture): void {
    this.textures.release(t);
  }

  /**
   * Records a copy of the first `floats` f32 values of a buffer into a flat texture (ends
   * the current compute pass; no flush). `floats` must be a multiple of 4 (whole texels).
   */
  copyToTexture(src: GPUBuffer, dst: FlatTexture, floats: number): void {
    if (floats % 4 !== 0) throw new Error(`copyToTexture: ${floats} floats is not whole texels`);
    const texels = floats / 4, full = Math.floor(texels / FLAT_TEXTURE_WIDTH);
    const rem = texels % FLAT_TEXTURE_WIDTH, bytesPerRow = FLAT_TEXTURE_WIDTH * 16;
    if (full + (rem ? 1 : 0) > dst.rows) throw new Error("copyToTexture: texture too small");
    this.#pass?.end();
    this.#pass = null;
    this.#encoder ??= this.device.createCommandEncoder();
    if (full) {
      this.#encoder.copyBufferToTexture({ buffer: src, bytesPerRow }, { texture: dst.texture }, [
        FLAT_TEXTURE_WIDTH,
        full,
      ]);
    }
    if (rem) {
      this.#encoder.copyBufferToTexture(
        { buffer: src, offset: full * bytesPerRow, bytesPerRow },
        { texture: dst.texture, origin: [0, full] },
        [rem, 1],
      );
    }
    this.#pending++;
  }

  /** Records zero-filling of a byte range (ends the current compute pass). */
  clear(buf: GPUBuffer, offset = 0, bytes?: number): void {
    this.#pass?.end();
    this.#pass = null;
    this.#encoder ??= this.device.createCommandEncoder();
    this.#encoder.clearBuffer(buf, offset, bytes);
    this.#pending++;
  }

  /** Submits everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.#encoder) return;
    this.#pass?.end();
    this.#pass = null;
    this.device.queue.submit([this.#encoder.finish()]);
    this.#encoder = null;
    this.#pending = 0;
    this.submitCount++;
  }

  /** Uploads data into a buffer. Flushes first so earlier recorded uses see the old data. */
  write(buf: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.flush();
    this.device.queue.writeBuffer(
      buf,
      offset,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      data.byteLength,
    );
  }

  /** Reads `bytes` bytes of a buffer back to the CPU (flushes; waits for the GPU). */
  async read(buf: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    assertDeviceAlive();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.copy(buf, staging, size, offset, 0);
    this.flush();
    await staging.mapAsync(GPUMapMode.READ);
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** Waits until the GPU has finished all submitted work. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    assertDeviceAlive();
  }

  /** All compiled kernels (for `deno task kernels dump`). */
  compiledKernels(): Kernel[] {
    return [...this.#kernels.values()];
  }
}

let theEngine: Engine | null = null;

/** Acquires the GPU (printing the adapter line unless quiet) and creates the engine once. */
export async function initEngine(opts: { quiet?: boolean } = {}): Promise<Engine> {
  if (!theEngine) theEngine = new Engine(await getGpu(opts));
  return theEngine;
}

/** The engine created by initEngine; throws if there is none yet. */
export function engine(): Engine {
  if (!theEngine) throw new Error("engine(): call `await initEngine()` first");
  return theEngine;
}
