/**
 * The engine: one GPU device, its buffer pool, compiled kernels, and a recorder that puts the
 * dispatches of a whole training step into one command buffer (one compute pass) until
 * `flush()`. Nothing is read back unless asked (`read`).
 *
 * Kernel parameters are tiny uniform buffers cached by content: shapes repeat every step, so a
 * step after the first creates no uniform buffer and, with pooled buffers reused in the same
 * order, mostly no bind group either. Values that change every step (the learning rate) must
 * not go through uniforms: they live in storage buffers written with `write`.
 *
 * `profile` is the device profile (device_profile.ts), built once from the adapter: kernel
 * families take device-dependent choices (workgroup sizes, default kernel versions) from it.
 * @module
 */
import { assertDeviceAlive, getGpu, type GpuContext } from "./device.ts";
import { type DeviceProfile, deviceProfile } from "./device_profile.ts";
import { BufferPool, FLAT_TEXTURE_WIDTH, type FlatTexture, TexturePool } from "./pool.ts";
import { TextureCache } from "./texture_cache.ts";
import type { Defines } from "./wgsl.ts";
import { activeBindings, kernelSource, type KernelSpec, packParams } from "./kernel_spec.ts";
import type { Profiler } from "./profiler.ts";
import type { Autotuner } from "./autotune.ts";

export type { FlatTexture } from "./pool.ts";
export type { DeviceProfile } from "./device_profile.ts";
export type { Defines } from "./wgsl.ts";

/** A compiled compute pipeline plus the final WGSL it was built from. */
export interface Kernel {
  /** e.g. "conv2d_fwd[MASKED=true]" */
  name: string;
  code: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  id: number;
  /** The spec it was compiled from. */
  spec: KernelSpec;
  /** Binding index of each binding name active in this variant. */
  slots: Map<string, number>;
  /** Names of the read_write bindings (what a dispatch may write). */
  writes: string[];
}

/**
 * What an op scope tells the profile (Engine.op): the op and its shape in words, and its
 * work, so every dispatch it records (relayouts, copies' kernels, reductions included) is
 * summed into one row with a GFLOP/s or GB/s rate.
 */
export interface OpInfo {
  /** e.g. "conv2d.forward". */
  name: string;
  /** e.g. "x[64,64,32,32] w[64,64,3,3] s1 p1". */
  shape: string;
  flops?: number;
  bytes?: number;
}

/** What one named launch of a spec variant passes (see Engine.run). */
export interface Launch {
  /** Uniform parameter values by name (all of the spec's, none else). */
  params?: Record<string, number>;
  /** Buffers (or texture views) by binding name; undefined entries are left out. */
  bindings: Record<string, Binding | undefined>;
  /** Workgroups [x, y, z]. */
  groups: [number, number?, number?];
  /** Work of the dispatch, for the profile's GFLOP/s or GB/s (optional). */
  cost?: { flops?: number; bytes?: number };
}

function defineKey(defines: Defines): string {
  return Object.entries(defines).map(([k, v]) => `${k}=${v}`).join(",");
}

/** What a launch binds: storage buffers, or views of storage textures. */
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
  /** What kernels may assume about this device (built once; see device_profile.ts). */
  get profile(): DeviceProfile {
    return this.#profile;
  }
  #profile: DeviceProfile;
  readonly pool: BufferPool;
  /** Pool of flat rgba32float textures (`acquireTexture`, `copyToTexture`). */
  readonly textures: TexturePool;
  /** Current texture copies of buffers (`textureOf`; core/texture_cache.ts). */
  readonly textureCache: TextureCache;
  #kernels = new Map<string, Kernel>();
  #uniforms = new Map<string, GPUBuffer>();
  #bindGroups = new Map<string, GPUBindGroup>();
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #pending = 0;
  /** Dispatches recorded since the engine started (for benchmarks and tests). */
  dispatchCount = 0;
  /** Command buffers submitted since the engine started. */
  submitCount = 0;
  /**
   * Milliseconds spent inside finish + submit calls (on some software adapters the submit
   * runs the work before returning, so this is where JS waits for the "GPU").
   */
  submitMs = 0;
  /**
   * Pipelines compiled since the engine started, and the milliseconds spent compiling them
   * (WGSL → driver code: on lavapipe LLVM runs here, 0.1–3 s per large conv variant).
   */
  compileCount = 0;
  compileMs = 0;
  /** "this process compiled N kernels in S s": for logs that explain a slow first step. */
  compiledSummary(): string {
    return `this process compiled ${this.compileCount} kernels in ${
      (this.compileMs / 1000).toFixed(1)
    } s`;
  }
  /** Recorded dispatches after which a command buffer is submitted anyway. */
  maxPending = 4096;
  /** The pass dispatches are attributed to in profiles: forward, backward, optimizer, loader. */
  phase = "forward";
  /** When set, every dispatch is recorded and timed (`deno task profile`). */
  profiler: Profiler | null = null;
  /**
   * When set, tunable ops (conv2d) take their configuration from it and queue untimed shapes
   * (core/autotune.ts); null runs the device profile's defaults (the library default).
   */
  tuner: Autotuner | null = null;
  /** The outermost open op scope while profiling (Engine.op). */
  #op: (OpInfo & { id: number }) | null = null;
  #opIds = 0;

  constructor(readonly gpu: GpuContext) {
    this.device = gpu.device;
    this.#profile = deviceProfile(gpu);
    this.pool = new BufferPool(this.device);
    this.pool.onDestroy = (b) => this.#forgetBuffer(b);
    this.pool.onRelease = (b) => this.textureCache.forget(b);
    this.textures = new TexturePool(this.device);
    this.textureCache = new TextureCache({
      acquire: (floats) => this.acquireTexture(floats),
      release: (t) => this.releaseTexture(t),
      copy: (src, dst, floats) => this.copyToTexture(src, dst, floats),
      bytesFor: (floats) => TexturePool.bytesFor(floats),
    });
    this.textures.onDestroy = (t) => {
      // Recorded work may still use it: submit that first (destroy waits for submitted work).
      this.flush();
      this.#forgetBuffer(t.view);
    };
  }

  /**
   * Compiles (once per spec + entry + defines) a variant of a kernel spec: the declarations
   * generated from the spec, then the body, preprocessed with `defines`.
   */
  compile(spec: KernelSpec, defines: Defines = {}, entry = "main"): Kernel {
    const defs = defineKey(defines);
    return this.#compile(spec, `${spec.file.href}#${entry}[${defs}]`, defines, entry, defs);
  }

  /**
   * `compile()` for generated code: `key` (e.g. a plan config as JSON) names the variant, so
   * defines that are expensive to build (conv2d's run to ~2,000 lines of WGSL) are built only
   * on the first call, not on every dispatch.
   */
  compileKeyed(spec: KernelSpec, key: string, defines: () => Defines, entry = "main"): Kernel {
    const k = `${spec.file.href}#${entry}{${key}}`;
    return this.#kernels.get(k) ?? this.#compile(spec, k, defines(), entry, key);
  }

  #compile(spec: KernelSpec, key: string, defines: Defines, entry: string, label: string) {
    let k = this.#kernels.get(key);
    if (k) return k;
    const code = kernelSource(spec, defines);
    const t0 = performance.now();
    const module = this.device.createShaderModule({ code, label: key });
    const pipeline = this.device.createComputePipeline({
      layout: "auto",
      compute: { module, entryPoint: entry },
      label: key,
    });
    this.compileCount++;
    this.compileMs += performance.now() - t0;
    const active = [...activeBindings(spec, defines)];
    const slots = new Map(active.map(([n, [i]]) => [n, i]));
    const writes = active.filter(([, [, d]]) => d.access === "read_write").map(([n]) => n);
    k = {
      name: `${spec.name}${entry === "main" ? "" : "." + entry}${label ? `[${label}]` : ""}`,
      code,
      pipeline,
      layout: pipeline.getBindGroupLayout(0),
      id: nextId++,
      spec,
      slots,
      writes,
    };
    this.#kernels.set(key, k);
    return k;
  }

  /**
   * Records one dispatch of a compiled spec variant: its uniform packed by parameter name and
   * its bindings by name (an unknown name, or one not active in this variant, is an error).
   */
  run(k: Kernel, l: Launch): void {
    const entries: [number, Binding][] = [];
    if (Object.keys(k.spec.params).length) {
      entries.push([0, this.#uniform(packParams(k.spec, l.params ?? {}))]);
    } else if (l.params && Object.keys(l.params).length) {
      throw new Error(`${k.name}: the kernel has no parameters`);
    }
    for (const [name, b] of Object.entries(l.bindings)) {
      if (b === undefined) continue;
      const slot = k.slots.get(name);
      if (slot === undefined) {
        throw new Error(
          `${k.name}: no binding "${name}" in this variant (has ${[...k.slots.keys()].join(", ")})`,
        );
      }
      entries.push([slot, b]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    for (const name of k.writes) {
      const b = l.bindings[name];
      if (b instanceof GPUBuffer) this.textureCache.wrote(b);
    }
    this.#record(k, entries, l.groups, l);
    this.textureCache.dispatched();
  }

  /**
   * Times the shapes the tuner queued since the last call (nothing without a tuner or a
   * queue). Call it between steps, never while a step is being recorded.
   */
  async tunePending(log?: (line: string) => void): Promise<number> {
    if (!this.tuner?.pendingCount) return 0;
    return await this.tuner.tunePending({ sync: () => this.sync(), log });
  }

  /**
   * Runs `fn` with some profile choices replaced (restored afterwards, also on throw): the
   * step bench measures the buffer path GPUs take on a software adapter this way, and the
   * autotuner and tests compare choices. Kernels read the profile per call, so the override
   * takes effect at once.
   */
  async withProfile<T>(o: Partial<DeviceProfile>, fn: () => Promise<T>): Promise<T> {
    const prev = this.#profile;
    this.#profile = Object.freeze({ ...prev, ...o });
    try {
      return await fn();
    } finally {
      this.#profile = prev;
    }
  }

  /**
   * Runs `fn` as one op of the profile: its dispatches carry `info` (built only while a
   * profiler is attached, so training pays one branch). The outermost scope wins: an op made
   * of other ops is one row.
   */
  op<T>(info: () => OpInfo, fn: () => T): T {
    if (!this.profiler || this.#op) return fn();
    this.#op = { ...info(), id: ++this.#opIds };
    try {
      return fn();
    } finally {
      this.#op = null;
    }
  }

  /** Runs `fn` with dispatches attributed to `phase` (restored afterwards). */
  inPhase<T>(phase: string, fn: () => T): T {
    const prev = this.phase;
    this.phase = phase;
    try {
      return fn();
    } finally {
      this.phase = prev;
    }
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

  #bindGroup(k: Kernel, entries: [number, Binding][]): GPUBindGroup {
    const key = `${k.id}:${entries.map(([i, b]) => `${i}=${bufferId(b)}`).join(",")}`;
    let g = this.#bindGroups.get(key);
    if (g) {
      // Refresh LRU position.
      this.#bindGroups.delete(key);
    } else {
      g = this.device.createBindGroup({
        layout: k.layout,
        entries: entries.map(([binding, b]) => ({
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
    const re = new RegExp(`=${id}(,|$)`);
    for (const key of [...this.#bindGroups.keys()]) if (re.test(key)) this.#bindGroups.delete(key);
  }

  #record(
    k: Kernel,
    entries: [number, Binding][],
    groups: [number, number?, number?],
    l?: Launch,
  ): void {
    const [x, y = 1, z = 1] = groups;
    if (x === 0 || y === 0 || z === 0) return;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new Error(`${k.name}: dispatch [${x},${y},${z}] exceeds ${max} workgroups per dim`);
    }
    const prof = this.profiler;
    let own: GPUComputePassDescriptor | null = null;
    if (prof) {
      if (prof.full) this.flush();
      own = prof.add({
        kernel: k.name,
        spec: k.spec.name,
        family: k.spec.file.pathname.split("/").slice(-2, -1)[0],
        phase: this.phase,
        params: l?.params ?? null,
        groups: [x, y, z],
        ...l?.cost,
        op: this.#op ?? undefined,
      });
      if (own) {
        // A pass of its own, bracketed by timestamp writes.
        this.#pass?.end();
        this.#encoder ??= this.device.createCommandEncoder();
        this.#pass = this.#encoder.beginComputePass(own);
      }
    }
    if (!this.#pass) {
      this.#encoder ??= this.device.createCommandEncoder();
      this.#pass = this.#encoder.beginComputePass();
    }
    this.#pass.setPipeline(k.pipeline);
    this.#pass.setBindGroup(0, this.#bindGroup(k, entries));
    this.#pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
    if (own) {
      this.#pass.end();
      this.#pass = null;
    } else if (prof) {
      // Timed mode: the dispatch is submitted alone and timed by its completion.
      this.flush();
      prof.afterSubmit(this.device.queue);
      return;
    }
    if (++this.#pending >= this.maxPending) this.flush();
  }

  /** Records a buffer-to-buffer copy (ends the current compute pass). */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.#pass?.end();
    this.#pass = null;
    this.#encoder ??= this.device.createCommandEncoder();
    this.#encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.textureCache.wrote(dst);
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

  /**
   * A flat texture holding the first `floats` values of `buf` (a multiple of 4): the cached
   * copy while nothing has written `buf` since, else a new copy recorded now (ends the current
   * compute pass). Owned by the cache until `buf` goes back to the pool: do not release it.
   */
  textureOf(buf: GPUBuffer, floats: number): FlatTexture {
    return this.textureCache.get(buf, floats);
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
    this.textureCache.wrote(buf);
    this.#pending++;
  }

  /** Submits everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.#encoder) return;
    this.#pass?.end();
    this.#pass = null;
    this.profiler?.beforeSubmit(this.#encoder);
    const t = performance.now();
    this.device.queue.submit([this.#encoder.finish()]);
    this.submitMs += performance.now() - t;
    this.#encoder = null;
    this.#pending = 0;
    this.submitCount++;
  }

  /** Uploads data into a buffer. Flushes first so earlier recorded uses see the old data. */
  write(buf: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.flush();
    this.textureCache.wrote(buf);
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

  /**
   * Reads several buffers back with one staging buffer, one flush and one wait: a model's
   * ~100 tensors come back in one round trip instead of ~100 (each costs a GPU wait).
   */
  async readMany(parts: readonly { buf: GPUBuffer; bytes: number }[]): Promise<ArrayBuffer[]> {
    assertDeviceAlive();
    const offsets: number[] = [];
    let size = 0;
    // One staging buffer at most a quarter of maxBufferSize: a ResNet-50's state reads in
    // a few round trips instead of failing the allocation.
    const cap = Math.floor(this.device.limits.maxBufferSize / 4);
    for (const [i, p] of parts.entries()) {
      const padded = Math.ceil(p.bytes / 4) * 4;
      if (i > 0 && size + padded > cap) {
        return [...await this.readMany(parts.slice(0, i)), ...await this.readMany(parts.slice(i))];
      }
      offsets.push(size);
      size += padded;
    }
    if (size === 0) return parts.map(() => new ArrayBuffer(0));
    const staging = this.device.createBuffer({
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    parts.forEach((p, i) => {
      if (p.bytes > 0) this.copy(p.buf, staging, Math.ceil(p.bytes / 4) * 4, 0, offsets[i]);
    });
    this.flush();
    await staging.mapAsync(GPUMapMode.READ);
    const all = staging.getMappedRange();
    const out = parts.map((p, i) => all.slice(offsets[i], offsets[i] + p.bytes));
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

/** The engine if initEngine has created one, else null (nothing is started). */
export function engineStarted(): Engine | null {
  return theEngine;
}

/** The engine created by initEngine; throws if there is none yet. */
export function engine(): Engine {
  if (!theEngine) throw new Error("engine(): call `await initEngine()` first");
  return theEngine;
}
