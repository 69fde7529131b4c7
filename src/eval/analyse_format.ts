/**
 * Text renderings of an analysis: the console table, `analysis.csv` (aggregates),
 * `analysis_runs.csv` (one row per run) and `analysis.md`. Accuracies are percentages; `std`
 * and `variance` keep the authors' definitions and names and are fractions (see UNITS_NOTE).
 * @module
 */
import type { StageAnalysis } from "./analyse.ts";
import { GROUP_NAMES, type MeanStd, METRIC_KEYS } from "./metrics.ts";
import type { Results } from "./results.ts";

/** Column headers of the table, after "method" and "runs", with their units. */
export const TABLE_HEADERS = [
  "acc %",
  "Many/Major %",
  "Medium/Moderate %",
  "Few/Minor %",
  "std (fraction)",
  "variance (fraction)",
] as const;

/** What the two balancedness columns are (printed under every table). */
export const UNITS_NOTE = "std: group balancedness, the population std of the " +
  "(Many, Medium, Few) accuracies as fractions (the authors' np.std([many, medium, few] / 100)); " +
  "lower is more balanced. variance: the authors' name for the population std of the " +
  "per-class accuracies as fractions (a standard deviation, not a variance).";

/** Decimals kept in the CSV files: accuracies in % to 0.001, fractions to 1e-5. */
export const CSV_DECIMALS = { percent: 3, fraction: 5 } as const;

/** Whether a metric is a fraction (std, variance) rather than a percentage. */
function isFraction(k: string): boolean {
  return k === "std" || k === "variance";
}

/** A number rounded for the CSV files (NaN stays NaN: an empty cell). */
export function csvRound(v: number, fraction: boolean): number {
  if (!Number.isFinite(v)) return v;
  const d = fraction ? CSV_DECIMALS.fraction : CSV_DECIMALS.percent;
  return Number(v.toFixed(d));
}

/**
 * "78.18 ± 4.18" for accuracies (percent), "0.0312 ± 0.0045" for std / variance; "n/a" where
 * the value is undefined (a Many/Medium/Few group without classes).
 */
export function formatMeanStd(v: MeanStd, digits: number): string {
  if (Number.isNaN(v.mean)) return "n/a";
  return `${v.mean.toFixed(digits)} ± ${v.std.toFixed(digits)}`;
}

function rows(s: StageAnalysis): string[][] {
  return s.methods.map((m) => {
    const a = m.aggregate;
    return [
      m.key,
      String(a.runs),
      formatMeanStd(a.acc, 2),
      formatMeanStd(a.many, 2),
      formatMeanStd(a.medium, 2),
      formatMeanStd(a.few, 2),
      formatMeanStd(a.std, 4),
      formatMeanStd(a.variance, 4),
    ];
  });
}

/** One-line description of a stage: data sets and how groups were formed. */
export function stageCaption(s: StageAnalysis): string {
  const datasets = [...new Set(s.methods.map((m) => m.dataset))].join(", ");
  const groupings = [...new Set(s.methods.map((m) => m.grouping))]
    .map((g) => `${g} (${GROUP_NAMES[g].join("/")})`).join(", ");
  return `${s.stage} probe on ${datasets}; groups: ${groupings}; ` +
    `accuracies in %, mean ± population std over runs`;
}

/** The console table of one stage, columns aligned with spaces. */
export function formatTable(s: StageAnalysis): string {
  const header = ["method", "runs", ...TABLE_HEADERS];
  const body = rows(s);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")
      .trimEnd();
  return [stageCaption(s), line(header), widths.map((w) => "-".repeat(w)).join("  ")]
    .concat(body.map(line), [UNITS_NOTE]).join("\n");
}

function csvCell(v: string | number): string {
  // An undefined metric (empty group) is an empty cell, which CSV readers take as missing.
  const s = typeof v === "number" && Number.isNaN(v) ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(lines: (string | number)[][]): string {
  return lines.map((l) => l.map(csvCell).join(",")).join("\n") + "\n";
}

/**
 * `analysis.csv`: one row per stage and method with every metric's mean and population std
 * (metric names as in RunMetrics: acc, many, medium, few in %; std, variance as fractions),
 * rounded as CSV_DECIMALS says.
 */
export function formatCsv(stages: readonly StageAnalysis[]): string {
  const header: string[] = ["stage", "method", "dataset", "grouping", "classes", "runs"];
  for (const k of METRIC_KEYS) header.push(`${k}_mean`, `${k}_std`);
  const lines: (string | number)[][] = [header];
  for (const s of stages) {
    for (const m of s.methods) {
      const row: (string | number)[] = [
        s.stage,
        m.key,
        m.dataset,
        m.grouping,
        m.classes,
        m.aggregate.runs,
      ];
      for (const k of METRIC_KEYS) {
        row.push(
          csvRound(m.aggregate[k].mean, isFraction(k)),
          csvRound(m.aggregate[k].std, isFraction(k)),
        );
      }
      lines.push(row);
    }
  }
  return csv(lines);
}

/** `analysis_runs.csv`: one row per run with its metrics and where it came from. */
export function formatRunsCsv(stages: readonly StageAnalysis[]): string {
  const lines: (string | number)[][] = [[
    "stage",
    "method",
    "dataset",
    "split",
    ...METRIC_KEYS,
    "test_acc",
    "best_epoch",
    "protocol",
    "split_source",
    "split_sha256",
    "path",
  ]];
  for (const s of stages) {
    for (const m of s.methods) {
      for (const r of m.runs) {
        lines.push([
          s.stage,
          m.key,
          r.results.dataset,
          r.results.split,
          ...METRIC_KEYS.map((k) => csvRound(r.metrics[k], isFraction(k))),
          csvRound(r.results.test_acc, false),
          r.results.best_epoch,
          r.results.protocol,
          splitOf(r.results).source,
          splitOf(r.results).sha256,
          r.path,
        ]);
      }
    }
  }
  return csv(lines);
}

/** The split record a probe wrote (results from before it existed: "unrecorded"). */
function splitOf(r: Results): { source: string; sha256: string } {
  const s = (r as Results & { splits?: { source: string; sha256: string } }).splits;
  return s ?? { source: "unrecorded", sha256: "" };
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

/**
 * `analysis.md`: per stage a caption, the Markdown table and links to its two plots; then the
 * training-curve plots (`curves`: file names).
 */
export function formatMarkdown(
  stages: readonly StageAnalysis[],
  curves: readonly string[] = [],
): string {
  const out = ["# SDCLR analysis", "", UNITS_NOTE, ""];
  for (const s of stages) {
    const header = ["method", "runs", ...TABLE_HEADERS];
    out.push(`## ${s.stage}`, "", stageCaption(s) + ".", "");
    out.push(`| ${header.join(" | ")} |`);
    out.push(`|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
    for (const r of rows(s)) out.push(`| ${r.map(mdCell).join(" | ")} |`);
    out.push("", "Pretraining split files (source, SHA-256 of the file's content):", "");
    for (const m of s.methods) {
      for (const r of m.runs) {
        const sp = splitOf(r.results);
        out.push(`- ${mdCell(m.key)} ${r.results.split}: ${sp.source} ${sp.sha256}`);
      }
    }
    out.push(
      "",
      `![per-class accuracy by D_i count](per_class_${s.stage}.svg)`,
      "",
      `![group accuracies](groups_${s.stage}.svg)`,
      "",
    );
  }
  if (curves.length) {
    out.push("## training curves", "");
    for (const c of curves) out.push(`![${c.replace(/\.svg$/, "")}](${c})`, "");
  }
  return out.join("\n");
}
