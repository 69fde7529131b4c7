/**
 * A pretraining run folder: `config.json`, `train.log` (timestamped lines, with img/s and ETA
 * lines for whoever reads the log instead of a terminal), `metrics.csv` (see METRIC_COLUMNS)
 * and the checkpoints; plus the one-line progress display (loss, img/s, ETA) on stderr.
 * @module
 */
import { writeFileAtomic } from "../../core/fs.ts";

/** Columns of metrics.csv. */
export const METRIC_COLUMNS = [
  "epoch",
  "step",
  "loss",
  "lr",
  "tau",
  "sparsity",
  "prune_threshold",
  "img_per_s",
  "time",
  "bcl_w_mean",
  "bcl_w_max",
  "bcl_w_above_half",
] as const;

/** One metrics row. */
export interface MetricRow {
  /** 1-based epoch the step belongs to. */
  epoch: number;
  /** Global optimizer steps done. */
  step: number;
  /** Mean logged loss since the previous row. */
  loss: number;
  lr: number;
  /** NT-Xent temperature τ of the row's epoch (its schedule's value, or the constant). */
  tau: number;
  /** Fraction of conv weights masked in the pruned branch (0 for SimCLR). */
  sparsity: number;
  /** |w| threshold θ of the current masks (NaN, an empty cell, where there is none). */
  prune_threshold: number;
  /** Training throughput since the previous row, images per second. */
  img_per_s: number;
  /** Seconds of training so far (across resumes). */
  time: number;
  /**
   * BCL: the distribution of the boosting weights the row's epoch augments with (mean, max,
   * fraction above 1/2); NaN (empty cells) without BCL.
   */
  bcl_w_mean: number;
  bcl_w_max: number;
  bcl_w_above_half: number;
}

/** The files of one run. */
export class RunFiles {
  constructor(readonly dir: string, readonly quiet = false) {}

  /** Path of a file inside the run folder. */
  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** Creates the folder. */
  async create(): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
  }

  /** Whether a file exists in the run folder. */
  async has(name: string): Promise<boolean> {
    try {
      await Deno.stat(this.path(name));
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw e;
    }
  }

  /** Writes config.json (atomically). */
  async writeConfig(config: unknown): Promise<void> {
    await writeFileAtomic(this.path("config.json"), JSON.stringify(config, null, 2) + "\n");
  }

  /** Appends a timestamped line to train.log (and prints it unless quiet or `fileOnly`). */
  async log(msg: string, o: { fileOnly?: boolean } = {}): Promise<void> {
    this.clearProgress();
    if (!this.quiet && !o.fileOnly) console.log(msg);
    await Deno.writeTextFile(this.path("train.log"), `${new Date().toISOString()} ${msg}\n`, {
      append: true,
    });
  }

  /**
   * Writes a progress line into train.log, and to stdout when stderr is not a terminal (a
   * Slurm or nohup log), where the in-place progress bar is not shown.
   */
  async record(msg: string): Promise<void> {
    if (!this.quiet && !Deno.stderr.isTerminal()) console.log(msg);
    await Deno.writeTextFile(this.path("train.log"), `${new Date().toISOString()} ${msg}\n`, {
      append: true,
    });
  }

  /**
   * Appends a row to metrics.csv (header first when the file is new). A file from an older
   * version with other columns is moved aside to metrics.old.csv, not mixed with new rows.
   */
  async metric(row: MetricRow): Promise<void> {
    const p = this.path("metrics.csv");
    const header = METRIC_COLUMNS.join(",");
    const line = METRIC_COLUMNS.map((c) => formatNum(row[c])).join(",") + "\n";
    let fresh = !(await this.has("metrics.csv"));
    if (!fresh && this.#checkedHeader !== p) {
      const first = (await Deno.readTextFile(p)).split("\n", 1)[0];
      if (first !== header) {
        await Deno.rename(p, this.path("metrics.old.csv"));
        fresh = true;
      }
    }
    this.#checkedHeader = p;
    await Deno.writeTextFile(p, (fresh ? header + "\n" : "") + line, { append: true });
  }

  #checkedHeader: string | null = null;

  /**
   * Drops metrics rows past `step` (written by an interrupted run after its last
   * checkpoint), so a resumed run does not log those steps twice.
   */
  async truncateMetrics(step: number): Promise<void> {
    if (!(await this.has("metrics.csv"))) return;
    const lines = (await Deno.readTextFile(this.path("metrics.csv"))).split("\n").filter((l) =>
      l.length
    );
    const keep = [lines[0], ...lines.slice(1).filter((l) => Number(l.split(",")[1]) <= step)];
    await writeFileAtomic(this.path("metrics.csv"), keep.join("\n") + "\n");
  }

  #progressShown = false;

  /** Rewrites the progress line on stderr (only on a terminal, never into files). */
  progress(text: string): void {
    if (this.quiet || !Deno.stderr.isTerminal()) return;
    const enc = new TextEncoder();
    Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${text}`));
    this.#progressShown = true;
  }

  /** Clears the progress line before a normal log line. */
  clearProgress(): void {
    if (!this.#progressShown) return;
    Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[2K"));
    this.#progressShown = false;
  }
}

function formatNum(v: number): string {
  if (!Number.isFinite(v)) return "";
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-3 ? v.toExponential(6) : v.toPrecision(7);
}

/** "1h02m", "3m05s", "12s". */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return "?";
  const s = Math.round(sec);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** The progress line: a bar over the epoch (not in log files), loss, throughput and ETA. */
export function progressLine(p: {
  epoch: number;
  epochs: number;
  iter: number;
  iters: number;
  loss: number;
  imgPerSec: number;
  etaSec: number;
}, o: { bar?: boolean } = {}): string {
  const w = 20;
  const done = Math.round((p.iter / Math.max(p.iters, 1)) * w);
  const bar = o.bar === false ? "iteration" : "█".repeat(done) + "·".repeat(w - done);
  return `epoch ${p.epoch}/${p.epochs} ${bar} ${p.iter}/${p.iters} loss ${p.loss.toFixed(4)} ` +
    `${p.imgPerSec.toFixed(1)} img/s ETA ${formatDuration(p.etaSec)}`;
}
