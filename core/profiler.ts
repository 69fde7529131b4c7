/**
 * Per-dispatch GPU profiling for `deno task profile`: while a Profiler is attached to the
 * engine, every dispatch is recorded with its kernel, family, pass (forward / backward /
 * optimizer / loader), uniform parameters, grid and declared cost, and timed on the GPU.
 *
 * Timing: with the adapter's `timestamp-query` feature each dispatch runs in a compute pass
 * of its own whose beginning and end write timestamps (resolved at every flush and read
 * back by `collect`), so times are the GPU's own; otherwise each dispatch is submitted alone
 * and timed by the completion of its submission (a wall-clock bound, marked "timed").
 * Profiling changes what it measures a little (one pass per dispatch, a readback per flush),
 * which is why it is a separate mode and never on in training.
 * @module
 */

/** How GPU times were obtained. */
export type TimingSource = "timestamp-query" | "timed submissions";

/** One recorded dispatch. */
export interface DispatchRecord {
  /** Kernel variant name, e.g. "batchnorm_fwd[VEC4=true,...]". */
  kernel: string;
  /** Spec name (the kernel file), e.g. "batchnorm_fwd". */
  spec: string;
  /** The kernel family folder under kernels/, e.g. "batchnorm". */
  family: string;
  /** Pass of the training step: forward, backward, optimizer, loader, or other. */
  phase: string;
  /** Uniform parameter values by name (the shape, for most kernels). */
  params: Record<string, number> | null;
  groups: [number, number, number];
  /** Floating-point operations / bytes moved, when the launcher declares them. */
  flops?: number;
  bytes?: number;
  /** The op scope the dispatch ran in (Engine.op), with an id per scope instance. */
  op?: { name: string; shape: string; flops?: number; bytes?: number; id: number };
  /** GPU nanoseconds, filled by collect(). */
  ns?: number;
}

/** What the engine hands the profiler per flush in timestamp mode. */
interface PendingResolve {
  staging: GPUBuffer;
  first: number;
  count: number;
}

/** Collects dispatch records and their GPU times. */
export class Profiler {
  readonly records: DispatchRecord[] = [];
  readonly source: TimingSource;
  /** Command buffers submitted while attached. */
  submits = 0;
  #device: GPUDevice;
  /** When the latest submit began (timed mode measures from there). */
  #submitStart = 0;
  #querySet: GPUQuerySet | null = null;
  #resolve: GPUBuffer | null = null;
  /** Records since the last flush whose timestamps sit in the query set (index order). */
  #inFlight = 0;
  #firstInFlight = 0;
  #pending: PendingResolve[] = [];
  #timed: { r: DispatchRecord; submitted: number; returned: number; done: Promise<number> }[] = [];
  /** Queries (2 per dispatch) one flush can hold; the engine flushes when they run out. */
  readonly capacity: number;

  constructor(device: GPUDevice, opts: { forceTimed?: boolean; capacity?: number } = {}) {
    this.#device = device;
    this.capacity = opts.capacity ?? 2048;
    this.source = !opts.forceTimed && device.features.has("timestamp-query")
      ? "timestamp-query"
      : "timed submissions";
    if (this.source === "timestamp-query") {
      this.#querySet = device.createQuerySet({ type: "timestamp", count: 2 * this.capacity });
      this.#resolve = device.createBuffer({
        size: 16 * this.capacity,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
    }
  }

  /** Whether the query set is full (the engine must flush before the next dispatch). */
  get full(): boolean {
    return this.#inFlight >= this.capacity;
  }

  /**
   * Registers a dispatch; in timestamp mode returns the pass descriptor whose timestamp
   * writes bracket it (the engine begins a pass of its own with it).
   */
  add(r: DispatchRecord): GPUComputePassDescriptor | null {
    this.records.push(r);
    if (!this.#querySet) return null;
    const i = this.#inFlight++;
    return {
      timestampWrites: {
        querySet: this.#querySet,
        beginningOfPassWriteIndex: 2 * i,
        endOfPassWriteIndex: 2 * i + 1,
      },
    };
  }

  /** Called by the engine before it finishes a command encoder: resolve this flush's queries. */
  beforeSubmit(encoder: GPUCommandEncoder): void {
    this.submits++;
    this.#submitStart = performance.now();
    if (!this.#querySet || this.#inFlight === 0) return;
    const bytes = 16 * this.#inFlight;
    encoder.resolveQuerySet(this.#querySet, 0, 2 * this.#inFlight, this.#resolve!, 0);
    const staging = this.#device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.copyBufferToBuffer(this.#resolve!, 0, staging, 0, bytes);
    this.#pending.push({ staging, first: this.#firstInFlight, count: this.#inFlight });
    this.#firstInFlight += this.#inFlight;
    this.#inFlight = 0;
  }

  /**
   * Timed mode: the engine submitted one dispatch alone. Its time is from when the GPU could
   * start it (its submission, or the previous one's completion) to its own completion.
   */
  afterSubmit(queue: GPUQueue): void {
    if (this.#querySet) return;
    const r = this.records[this.records.length - 1];
    if (!r || this.#timed.some((t) => t.r === r)) return;
    // From just before the submit: on a software adapter the submit itself runs the work.
    const submitted = this.#submitStart;
    this.#timed.push({
      r,
      submitted,
      returned: performance.now(),
      done: queue.onSubmittedWorkDone().then(() => performance.now()),
    });
  }

  /** Waits for every pending readback and fills `ns` of the records. */
  async collect(): Promise<DispatchRecord[]> {
    for (const p of this.#pending.splice(0)) {
      await p.staging.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(p.staging.getMappedRange());
      for (let i = 0; i < p.count; i++) {
        this.records[p.first + i].ns = Number(t[2 * i + 1] - t[2 * i]);
      }
      p.staging.unmap();
      p.staging.destroy();
    }
    let prev = 0;
    for (const t of this.#timed.splice(0)) {
      const done = await t.done;
      // Completion callbacks arrive at polls, so two dispatches can report the same `done`;
      // the time inside the submit call (the work itself on a software adapter) is a floor
      // that keeps a dispatch from being timed as 0.
      t.r.ns = Math.max(done - Math.max(prev, t.submitted), t.returned - t.submitted) * 1e6;
      prev = done;
    }
    return this.records;
  }

  /** Drops the records (a warm-up step is profiled and then forgotten). */
  reset(): void {
    if (this.#inFlight || this.#pending.length) {
      throw new Error("Profiler.reset: collect() the pending timestamps first");
    }
    this.records.length = 0;
    this.#firstInFlight = 0;
    this.submits = 0;
  }

  /** Frees the query set and buffers. */
  destroy(): void {
    this.#querySet?.destroy();
    this.#resolve?.destroy();
  }
}
