/**
 * `deno task profile`: where one training step's time goes. Runs warm-up steps (compiling
 * every kernel), then N plain steps for the wall time, CPU recording time, dispatch and
 * submission counts and GPU memory, then N steps under the Profiler for per-dispatch GPU
 * times, aggregated per kernel and shape, per family and per pass.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { type DispatchRecord, Profiler, type TimingSource } from "../../core/profiler.ts";
import { makeStepRunner, type StepConfig } from "./step_runner.ts";

/** What every profile row reports: a pass, a shape, calls and GPU time per step, a rate. */
export interface TimedRow {
  phase: string;
  /** The shape: uniform parameters compactly (kernels) or in words (ops). */
  shape: string;
  /** Dispatches (kernels) or op calls per step. */
  calls: number;
  /** GPU milliseconds per step. */
  ms: number;
  /** Share of the step's GPU time, percent. */
  pct: number;
  /** GFLOP/s or GB/s where the launcher declares its work. */
  rate: number | null;
  unit: "GFLOP/s" | "GB/s" | null;
}

/** One kernel × shape × pass row of the profile. */
export interface KernelRow extends TimedRow {
  /** Spec name (and entry point), e.g. "batchnorm_fwd", "elementwise.relu_fwd". */
  kernel: string;
  family: string;
}

/**
 * One op × shape × pass row: the dispatches of each Engine.op scope (e.g. one convolution's
 * input gradient: relayout, parity classes) summed, with the op's rate; its shape in words,
 * e.g. "x[64,64,32,32] w[64,64,3,3] s1 p1".
 */
export interface OpRow extends TimedRow {
  /** e.g. "conv2d.forward". */
  op: string;
}

/** A total of GPU time by family or by pass. */
export interface Total {
  name: string;
  ms: number;
  pct: number;
}

/** Everything `deno task profile` prints (and writes with --json). */
export interface ProfileReport {
  config: StepConfig;
  adapter: string;
  timing: TimingSource;
  steps: number;
  /** Wall milliseconds per step, unprofiled (recording + GPU, overlapped as in training). */
  wallMs: number;
  /** CPU milliseconds per step spent in JS building and encoding the step (unprofiled). */
  cpuMs: number;
  /**
   * Milliseconds per step inside queue.submit: near zero on a GPU; on lavapipe the submit
   * itself runs the work, so JS and "GPU" do not overlap there.
   */
  submitMs: number;
  /** GPU milliseconds per step (sum of the profiled dispatches). */
  gpuMs: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
  /** Pipelines the process compiled (nearly all in the first warm-up step) and their time. */
  compile: { pipelines: number; ms: number };
  /**
   * GPU memory held by the buffer pool (peak during the steps, held after them, of which
   * live) and by the texture pool (operand textures of software adapters), and textures
   * created during the timed steps (0 in a steady state).
   */
  memory: {
    peakBytes: number;
    steadyBytes: number;
    liveBytes: number;
    texturePeakBytes: number;
    textureBytes: number;
    texturesCreated: number;
    /** Texture copies of buffers per step, and reads that reused a current copy instead. */
    textureCopies: number;
    textureHits: number;
  };
  kernels: KernelRow[];
  /** Rows of the ops that declare a scope (conv2d, linear, batch norm). */
  ops: OpRow[];
  byFamily: Total[];
  byPhase: Total[];
}

function shapeOf(p: Record<string, number> | null): string {
  if (!p) return "";
  const s = Object.entries(p).map(([k, v]) =>
    `${k}=${Number.isInteger(v) ? v : Number(v.toPrecision(3))}`
  ).join(" ");
  return s.length > 72 ? s.slice(0, 71) + "…" : s;
}

function displayName(r: DispatchRecord): string {
  const entry = /^[^[]*?\.(\w+)/.exec(r.kernel)?.[1];
  return entry ? `${r.spec}.${entry}` : r.spec;
}

function rateOf(w: { ns: number; flops: number; bytes: number }) {
  if (w.ns > 0 && w.flops > 0) return { rate: w.flops / w.ns, unit: "GFLOP/s" as const };
  if (w.ns > 0 && w.bytes > 0) return { rate: w.bytes / w.ns, unit: "GB/s" as const };
  return { rate: null, unit: null };
}

/** Op rows: dispatches grouped by op scope; an op's work counts once per scope instance. */
function aggregateOps(records: DispatchRecord[], steps: number, totalNs: number): OpRow[] {
  type Acc = { op: string; phase: string; shape: string; ids: Set<number> } & Work;
  type Work = { ns: number; flops: number; bytes: number };
  const rows = new Map<string, Acc>();
  for (const r of records) {
    if (!r.op) continue;
    const key = `${r.op.name}|${r.op.shape}|${r.phase}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        op: r.op.name,
        phase: r.phase,
        shape: r.op.shape,
        ids: new Set(),
        ns: 0,
        flops: 0,
        bytes: 0,
      };
      rows.set(key, row);
    }
    if (!row.ids.has(r.op.id)) {
      row.ids.add(r.op.id);
      row.flops += r.op.flops ?? 0;
      row.bytes += r.op.bytes ?? 0;
    }
    row.ns += r.ns ?? 0;
  }
  return [...rows.values()].map((r) => ({
    op: r.op,
    phase: r.phase,
    shape: r.shape,
    calls: r.ids.size / steps,
    ms: r.ns / 1e6 / steps,
    pct: totalNs ? (100 * r.ns) / totalNs : 0,
    ...rateOf(r),
  })).sort((a, b) => b.ms - a.ms);
}

/** Aggregates profiled dispatches of `steps` steps into rows and totals. */
export function aggregate(records: DispatchRecord[], steps: number) {
  const rows = new Map<string, KernelRow & { flops: number; bytes: number; ns: number }>();
  let totalNs = 0;
  for (const r of records) {
    const ns = r.ns ?? 0;
    totalNs += ns;
    const name = displayName(r), shape = shapeOf(r.params);
    const key = `${name}|${shape}|${r.phase}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        kernel: name,
        family: r.family,
        phase: r.phase,
        shape,
        calls: 0,
        ms: 0,
        pct: 0,
        rate: null,
        unit: null,
        flops: 0,
        bytes: 0,
        ns: 0,
      };
      rows.set(key, row);
    }
    row.calls++;
    row.ns += ns;
    row.flops += r.flops ?? 0;
    row.bytes += r.bytes ?? 0;
  }
  const kernels: KernelRow[] = [...rows.values()].map((r) => {
    const rate = rateOf(r);
    return {
      kernel: r.kernel,
      family: r.family,
      phase: r.phase,
      shape: r.shape,
      calls: r.calls / steps,
      ms: r.ns / 1e6 / steps,
      pct: totalNs ? (100 * r.ns) / totalNs : 0,
      ...rate,
    };
  }).sort((a, b) => b.ms - a.ms);
  const total = (by: (r: DispatchRecord) => string): Total[] => {
    const m = new Map<string, number>();
    for (const r of records) m.set(by(r), (m.get(by(r)) ?? 0) + (r.ns ?? 0));
    return [...m].map(([name, ns]) => ({
      name,
      ms: ns / 1e6 / steps,
      pct: totalNs ? (100 * ns) / totalNs : 0,
    })).sort((a, b) => b.ms - a.ms);
  };
  return {
    kernels,
    ops: aggregateOps(records, steps, totalNs),
    byFamily: total((r) => r.family),
    byPhase: total((r) => r.phase),
    gpuMs: totalNs / 1e6 / steps,
  };
}

/** Options of profileStep. */
export interface ProfileOptions {
  steps: number;
  warmup: number;
  /** Time by submissions even where timestamp queries exist (to compare the two). */
  forceTimed?: boolean;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

/** Profiles `steps` steps of `config` (after `warmup` steps). */
export async function profileStep(c: StepConfig, o: ProfileOptions): Promise<ProfileReport> {
  const e = engine();
  const log = o.log ?? (() => {});
  const runner = await makeStepRunner(c);
  try {
    log(`warm-up: ${o.warmup} step(s) (the first compiles every kernel)`);
    for (let i = 0; i < o.warmup; i++) {
      await runner.step();
      await e.tunePending(log); // with --tune: shapes first met in this step
    }
    await e.sync();
    log(`timing: ${o.steps} plain step(s)`);
    e.pool.resetPeak();
    e.textures.resetPeak();
    const created0 = e.textures.created;
    const copies0 = e.textureCache.copies, hits0 = e.textureCache.hits;
    const d0 = e.dispatchCount, s0 = e.submitCount, sm0 = e.submitMs;
    let cpu = 0;
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) {
      const t = performance.now();
      await runner.step();
      cpu += performance.now() - t;
    }
    await e.sync();
    const wallMs = (performance.now() - t0) / o.steps;
    const submitMs = (e.submitMs - sm0) / o.steps;
    const dispatchesPerStep = (e.dispatchCount - d0) / o.steps;
    const submitsPerStep = (e.submitCount - s0) / o.steps;
    const memory = {
      peakBytes: e.pool.peakBytes,
      steadyBytes: e.pool.liveBytes + e.pool.idleBytes,
      liveBytes: e.pool.liveBytes,
      texturePeakBytes: e.textures.peakBytes,
      textureBytes: e.textures.liveBytes + e.textures.idleBytes,
      texturesCreated: e.textures.created - created0,
      textureCopies: (e.textureCache.copies - copies0) / o.steps,
      textureHits: (e.textureCache.hits - hits0) / o.steps,
    };
    log(`profiling: ${o.steps} step(s), every dispatch timed`);
    const prof = new Profiler(e.device, { forceTimed: o.forceTimed });
    e.profiler = prof;
    try {
      for (let i = 0; i < o.steps; i++) await runner.step();
      e.flush();
      await prof.collect();
    } finally {
      e.profiler = null;
      prof.destroy();
    }
    const agg = aggregate(prof.records, o.steps);
    return {
      config: c,
      adapter: e.gpu.description,
      timing: prof.source,
      steps: o.steps,
      wallMs,
      cpuMs: cpu / o.steps - submitMs,
      submitMs,
      dispatchesPerStep,
      submitsPerStep,
      compile: { pipelines: e.compileCount, ms: e.compileMs },
      memory,
      ...agg,
    };
  } finally {
    runner.dispose();
  }
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** The report as text tables (top `top` kernel rows). */
export function formatProfile(r: ProfileReport, top = 30): string {
  const c = r.config;
  const lines = [
    `${c.method} step: ResNet-${c.depth} width ${c.width}, batch ${c.batchSize}, ` +
    `${c.imageSize}×${c.imageSize}, ${c.loader ? "with" : "without"} the loader`,
    `${r.adapter}`,
    `GPU times from ${r.timing}; ${r.steps} step(s) averaged`,
    "",
    `wall per step (unprofiled)      ${r.wallMs.toFixed(1)} ms`,
    `  CPU: JS + encoding            ${r.cpuMs.toFixed(1)} ms`,
    `  inside queue.submit           ${r.submitMs.toFixed(1)} ms`,
    `  GPU: sum of dispatches        ${r.gpuMs.toFixed(1)} ms`,
    `dispatches / command buffers    ${r.dispatchesPerStep.toFixed(0)} / ${
      r.submitsPerStep.toFixed(1)
    } per step`,
    `kernels compiled (process)      ${r.compile.pipelines} pipelines in ${
      (r.compile.ms / 1000).toFixed(1)
    } s`,
    `GPU memory (buffer pool)        peak ${mib(r.memory.peakBytes)}, after the steps ${
      mib(r.memory.steadyBytes)
    } (${mib(r.memory.liveBytes)} live)`,
    `GPU memory (texture pool)       peak ${mib(r.memory.texturePeakBytes)}, after the steps ${
      mib(r.memory.textureBytes)
    }; ${r.memory.texturesCreated} created during the timed steps`,
    `texture copies per step         ${r.memory.textureCopies} (${r.memory.textureHits} reads ` +
    `reused a current copy)`,
    "",
  ];
  const pad = (s: string, n: number) => s.length >= n ? s : s + " ".repeat(n - s.length);
  const lpad = (s: string, n: number) => s.length >= n ? s : " ".repeat(n - s.length) + s;
  const totals = (title: string, t: Total[]) => {
    lines.push(`${pad(title, 14)}${lpad("GPU ms", 9)}${lpad("%", 7)}`);
    for (const x of t) {
      lines.push(`${pad(x.name, 14)}${lpad(x.ms.toFixed(2), 9)}${lpad(x.pct.toFixed(1), 7)}`);
    }
    lines.push("");
  };
  totals("pass", r.byPhase);
  totals("family", r.byFamily);
  // Op rows (when any op declared a scope), then kernel rows: the same columns.
  const table = (title: string, rows: (TimedRow & { name: string })[], more: string) => {
    const w = Math.min(34, Math.max(title.length, ...rows.slice(0, top).map((k) => k.name.length)));
    lines.push(
      `${pad(title, w + 2)}${pad("pass", 10)}${lpad("calls", 6)}${lpad("GPU ms", 9)}${
        lpad("%", 6)
      }${lpad("rate", 14)}  shape`,
    );
    for (const k of rows.slice(0, top)) {
      const rate = k.rate === null ? "" : `${k.rate.toFixed(1)} ${k.unit}`;
      lines.push(
        `${pad(k.name, w + 2)}${pad(k.phase, 10)}${lpad(k.calls.toFixed(0), 6)}${
          lpad(k.ms.toFixed(2), 9)
        }${lpad(k.pct.toFixed(1), 6)}${lpad(rate, 14)}  ${k.shape}`,
      );
    }
    if (rows.length > top) lines.push(`… ${rows.length - top} more ${more} (--top N, --json)`);
  };
  if (r.ops.length) {
    table("op", r.ops.map((o) => ({ ...o, name: o.op })), "op rows");
    lines.push("");
  }
  table("kernel", r.kernels.map((k) => ({ ...k, name: k.kernel })), "rows");
  return lines.join("\n");
}
