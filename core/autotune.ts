/**
 * The autotuner: for ops whose best kernel configuration depends on the device and the shape
 * (conv2d's versions and split counts), it times a few candidates per shape on first use and
 * keeps the winner per adapter in a JSON file, so later runs start tuned.
 *
 * Launchers stay synchronous: while recording they only look a choice up (`choice`) and, for a
 * shape without one, queue it (`request`) and run the device profile's default. Between
 * training steps the caller awaits `tunePending()`, which times the queued shapes' candidates
 * on operands of their own (the model is never touched) and saves the winners. So the first
 * step of a never-seen shape runs the default and every later one the winner; runs resumed
 * from a checkpoint find the winners on disk, as the run they continue did.
 *
 * The cache file holds, per key, the winner and every candidate's time, so a user can read
 * what was measured. `--retune` ignores what is on disk and times again.
 * @module
 */
import { writeFileAtomic } from "./fs.ts";

/** One configuration the tuner can time. */
export interface TuneCandidate {
  /** Stable name of the configuration, e.g. "v4" or "v3s8" (what the cache stores). */
  id: string;
  /** Records one run of the op with this configuration (no wait). */
  run(): void;
}

/** The candidates of one queued key, on operands made for timing (disposed afterwards). */
export interface TuneTrial {
  candidates: TuneCandidate[];
  dispose(): void;
}

/** What the cache keeps per key. */
export interface TuneEntry {
  /** The winning candidate's id. */
  choice: string;
  /** Milliseconds per run of every candidate timed (Infinity: it failed). */
  ms: Record<string, number | null>;
  /** When it was timed (ISO 8601). */
  tuned: string;
}

const FORMAT = "sdclr-webgpu-autotune/1";

/** How `tunePending` times. */
export interface TuneTiming {
  /** Waits until all recorded work has finished (the engine's sync). */
  sync(): Promise<void>;
  /** One line per tuned key. */
  log?: (line: string) => void;
  /** Aim of one timed batch of runs, ms (default 30): small ops run several times per batch. */
  batchMs?: number;
  /** Timed batches per candidate; the best counts (default 3). */
  trials?: number;
}

/** Where the winners are kept for an adapter: a directory and a file name from its description. */
export function tuneCacheFile(adapter: string, dir?: string): string | null {
  const env = (k: string) => Deno.env.get(k) || undefined;
  const base = dir ?? env("SDCLR_TUNE_DIR") ?? (() => {
    const cache = env("XDG_CACHE_HOME") ?? (env("HOME") && `${env("HOME")}/.cache`);
    return cache ? `${cache}/sdclr-webgpu/autotune` : undefined;
  })();
  if (!base) return null;
  const slug = adapter.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")
    .slice(0, 80);
  return `${base}/${slug || "adapter"}.json`;
}

/** The winners of one adapter, the queue of shapes to time, and the file they live in. */
export class Autotuner {
  readonly #entries = new Map<string, TuneEntry>();
  readonly #pending = new Map<string, () => TuneTrial>();
  /** Keys this process tuned (saved merged into whatever the file holds by then). */
  readonly #tuned = new Set<string>();

  private constructor(readonly file: string | null, readonly adapter: string) {}

  /**
   * Opens the cache of `adapter` (`file` null: in memory only). With `retune` the file's
   * winners are ignored (and replaced as shapes are timed again). An unreadable or foreign
   * file is reported through `warn` and ignored, never fatal.
   */
  static async open(o: {
    adapter: string;
    file: string | null;
    retune?: boolean;
    warn?: (line: string) => void;
  }): Promise<Autotuner> {
    const t = new Autotuner(o.file, o.adapter);
    if (o.file && !o.retune) {
      const r = await readCache(o.file, o.adapter);
      if ("error" in r) o.warn?.(`autotune: ignoring ${o.file}: ${r.error} (it will be rewritten)`);
      else for (const [k, v] of Object.entries(r.entries)) t.#entries.set(k, v);
    }
    return t;
  }

  /** The winner for `key`, or undefined (then run the default and `request` it). */
  choice(key: string): string | undefined {
    return this.#entries.get(key)?.choice;
  }

  /** Everything known (the file's winners and this process's). */
  entries(): ReadonlyMap<string, TuneEntry> {
    return this.#entries;
  }

  /** Queues `key` for the next tunePending (once; later requests of it are ignored). */
  request(key: string, trial: () => TuneTrial): void {
    if (!this.#entries.has(key) && !this.#pending.has(key)) this.#pending.set(key, trial);
  }

  /** Shapes queued and not yet timed. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Times every queued key's candidates (each run once first: compiling is not timed), keeps
   * the fastest and saves the file. A candidate that throws is skipped (recorded as null).
   * Returns the number of keys tuned.
   */
  async tunePending(t: TuneTiming): Promise<number> {
    const queued = [...this.#pending];
    this.#pending.clear();
    await t.sync();
    for (const [key, make] of queued) {
      const trial = make();
      const ms: Record<string, number | null> = {};
      try {
        for (const c of trial.candidates) ms[c.id] = await timeCandidate(c, t);
      } finally {
        trial.dispose();
      }
      const timed = Object.entries(ms).filter((e): e is [string, number] => e[1] !== null);
      if (!timed.length) continue;
      const [choice] = timed.reduce((a, b) => (b[1] < a[1] ? b : a));
      this.#entries.set(key, { choice, ms, tuned: new Date().toISOString() });
      this.#tuned.add(key);
      t.log?.(
        `autotune ${key}: ${choice} (${
          timed.map(([id, v]) => `${id} ${v.toFixed(2)} ms`).join(", ")
        })`,
      );
    }
    if (queued.length) await this.save();
    return queued.length;
  }

  /**
   * Writes the file (atomically), merged with what it holds now: another process tuning other
   * shapes of the same adapter keeps its winners.
   */
  async save(): Promise<void> {
    if (!this.file) return;
    const now = await readCache(this.file, this.adapter);
    const merged: Record<string, TuneEntry> = "error" in now ? {} : { ...now.entries };
    for (const [k, v] of this.#entries) if (this.#tuned.has(k) || !(k in merged)) merged[k] = v;
    const dir = this.file.replace(/\/[^/]*$/, "");
    if (dir && dir !== this.file) await Deno.mkdir(dir, { recursive: true });
    const body = { format: FORMAT, adapter: this.adapter, entries: merged };
    await writeFileAtomic(this.file, JSON.stringify(body, null, 1) + "\n");
  }
}

/** Best milliseconds per run of one candidate, or null when it throws. */
async function timeCandidate(c: TuneCandidate, t: TuneTiming): Promise<number | null> {
  try {
    c.run(); // compiles, warms caches and pools
    await t.sync();
    let reps = 1, best = Infinity;
    for (let trial = 0; trial < (t.trials ?? 3); trial++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) c.run();
      await t.sync();
      const per = (performance.now() - t0) / reps;
      best = Math.min(best, per);
      // Short ops: more runs per batch so that the wait's fixed cost does not decide.
      reps = Math.max(1, Math.min(64, Math.ceil((t.batchMs ?? 30) / Math.max(per, 1e-3))));
    }
    return best;
  } catch {
    await t.sync().catch(() => {});
    return null;
  }
}

async function readCache(
  file: string,
  adapter: string,
): Promise<{ entries: Record<string, TuneEntry> } | { error: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? { entries: {} } : { error: String(e) };
  }
  try {
    const j = JSON.parse(text);
    if (j?.format !== FORMAT) return { error: `not a ${FORMAT} file` };
    if (j.adapter !== adapter) return { error: `written for another adapter (${j.adapter})` };
    return { entries: j.entries ?? {} };
  } catch (e) {
    return { error: `unreadable JSON (${(e as Error).message})` };
  }
}
