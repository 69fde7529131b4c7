/**
 * Rows of `deno task bench`: rates from times, the printed table, and the JSON records
 * (`kernel`, `shape`, `ours_gflops`, `tfjs_gflops`, `ratio`, plus `unit`, `torch_gflops`,
 * `torch_ratio` and the raw milliseconds). For memory-bound cases the rate is GB/s, for the
 * augmentation cases images/s, named by `unit`.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";

/** One measured case. */
export interface BenchRow {
  kernel: string;
  shape: string;
  unit: "GFLOP/s" | "GB/s" | "img/s";
  ours_gflops: number;
  tfjs_gflops: number | null;
  /** ours / TF.js. */
  ratio: number | null;
  torch_gflops?: number | null;
  /** ours / PyTorch CPU (oneDNN on the host's cores; a different device, for perspective). */
  torch_ratio?: number | null;
  ours_ms: number;
  tfjs_ms: number | null;
}

/** Rate (GFLOP/s, GB/s or images/s) of a case run in `seconds`. */
export function rate(c: BenchCase, seconds: number): number {
  if (c.flops === undefined && c.bytes === undefined && c.images !== undefined) {
    return c.images / seconds;
  }
  const work = c.flops ?? c.bytes ?? 0;
  return work / seconds / 1e9;
}

/** Builds a row from our and TF.js times (TF.js null when the case has no TF.js version). */
export function makeRow(c: BenchCase, ours: number, tf: number | null): BenchRow {
  const o = rate(c, ours), t = tf === null ? null : rate(c, tf);
  return {
    kernel: c.kernel,
    shape: c.shape,
    unit: c.flops !== undefined ? "GFLOP/s" : c.bytes !== undefined ? "GB/s" : "img/s",
    ours_gflops: round(o),
    tfjs_gflops: t === null ? null : round(t),
    ratio: t === null ? null : round(o / t),
    ours_ms: round(ours * 1000),
    tfjs_ms: tf === null ? null : round(tf * 1000),
  };
}

/** Sets a row's PyTorch rate (from its seconds) and the ours/torch ratio. */
export function setTorch(row: BenchRow, c: BenchCase, seconds: number | null): void {
  const t = seconds ? rate(c, seconds) : null;
  row.torch_gflops = t === null ? null : round(t);
  row.torch_ratio = t === null ? null : round(row.ours_gflops / t);
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toFixed(2));

/** The table as text (header, one line per row). */
export function formatTable(rows: BenchRow[], torch: boolean): string {
  const head = ["kernel", "shape", "unit", "ours", "TF.js", "ours/TF.js"];
  if (torch) head.push("torch CPU", "ours/torch");
  const body = rows.map((r) => {
    const l = [r.kernel, r.shape, r.unit, fmt(r.ours_gflops), fmt(r.tfjs_gflops)];
    l.push(r.ratio === null ? "—" : `${r.ratio.toFixed(1)}×`);
    if (torch) {
      l.push(fmt(r.torch_gflops));
      l.push(
        r.torch_ratio === null || r.torch_ratio === undefined
          ? "—"
          : `${r.torch_ratio.toFixed(2)}×`,
      );
    }
    return l;
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((l) => l[i].length)) + 2);
  const line = (l: string[]) =>
    l.map((c, i) => (i >= 3 ? c.padStart(w[i] - 2).padEnd(w[i]) : c.padEnd(w[i]))).join("");
  return [line(head), ...body.map(line)].join("\n");
}
