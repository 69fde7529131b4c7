/**
 * `deno task analyse`: reads the probes' results files, computes the paper's metrics per run
 * (docs/method.md §8), aggregates them per method (mean ± population std over runs), and writes a
 * table (printed, CSV, Markdown) and two SVG plots per stage.
 * @module
 */
import { join, resolve } from "node:path";
import { UserError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import { discoverResults, type FoundResults } from "./analyse_discover.ts";
import { formatCsv, formatMarkdown, formatRunsCsv, formatTable } from "./analyse_format.ts";
import {
  type AggregateMetrics,
  aggregateMetrics,
  mean,
  type RunMetrics,
  runMetrics,
} from "./metrics.ts";
import { groupBarsSpec, perClassSpec, renderSvg } from "./plots.ts";
import { curveCharts, gatherCurves } from "./curves.ts";
import type { Grouping, Results, Stage } from "./results.ts";
import { STAGES } from "./results.ts";

/** One run of a method with its metrics. */
export interface RunEntry {
  path: string;
  results: Results;
  metrics: RunMetrics;
}

/** All runs of one method (label) in one stage, and their aggregate. */
export interface MethodSummary {
  /** `label ?? method` of the runs. */
  key: string;
  dataset: string;
  grouping: Grouping;
  classes: number;
  /** Sorted by split, then path. */
  runs: RunEntry[];
  aggregate: AggregateMetrics;
}

/** Every method of one stage: simclr, sdclr, bcl-i, bcl-d, then others; by key within. */
export interface StageAnalysis {
  stage: Stage;
  methods: MethodSummary[];
}

/** The order of methods in tables and plots (others after them, by label). */
const METHOD_ORDER = ["simclr", "sdclr", "bcl-i", "bcl-d"];

function methodRank(m: string): number {
  const i = METHOD_ORDER.indexOf(m);
  return i < 0 ? METHOD_ORDER.length : i;
}

/** If overall and mean per-class test accuracy differ by more than this (points), warn. */
const ACC_MISMATCH_WARN = 0.5;

/**
 * Groups results of one stage by method label, computes per-run and aggregate metrics.
 * Runs of one method must agree on data set, number of classes and grouping (UserError
 * otherwise). Returns warnings for suspicious but usable input (duplicate splits, overall
 * test accuracy far from the mean per-class accuracy on these balanced test sets).
 */
export function summarise(
  found: readonly FoundResults[],
  stage: Stage,
): { analysis: StageAnalysis; warnings: string[] } {
  const warnings: string[] = [];
  const byKey = new Map<string, RunEntry[]>();
  for (const { path, results } of found) {
    if (results.stage !== stage) continue;
    const key = results.label ?? results.method;
    let metrics: RunMetrics;
    try {
      metrics = runMetrics(results.per_class_acc, results.train_counts, results.grouping, {
        emptyGroups: "nan",
      });
    } catch (e) {
      throw new UserError(`${path}: ${(e as Error).message}`);
    }
    const empty = (["many", "medium", "few"] as const).filter((k) => Number.isNaN(metrics[k]));
    if (empty.length) {
      warnings.push(
        `${path}: no class falls in group ${empty.join(", ")} (${results.grouping}); ` +
          `its accuracy and the balancedness std are n/a`,
      );
    }
    const perClassMean = mean(results.per_class_acc);
    if (Math.abs(results.test_acc - perClassMean) > ACC_MISMATCH_WARN) {
      warnings.push(
        `${path}: test_acc ${results.test_acc} differs from the mean per-class accuracy ` +
          `${perClassMean.toFixed(2)}; the table uses the per-class mean (docs/method.md §8)`,
      );
    }
    const list = byKey.get(key) ?? [];
    list.push({ path, results, metrics });
    byKey.set(key, list);
  }
  const methods: MethodSummary[] = [];
  // SimCLR, SDCLR, BCL-I, BCL-D (docs/method.md §10), then any other method; by label within.
  const rank = (k: string) => methodRank(byKey.get(k)![0].results.method);
  const keys = [...byKey.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const key of keys) {
    const runs = byKey.get(key)!.sort((a, b) =>
      a.results.split.localeCompare(b.results.split, undefined, { numeric: true }) ||
      a.path.localeCompare(b.path)
    );
    const first = runs[0];
    for (const r of runs.slice(1)) {
      for (const f of ["dataset", "classes", "grouping"] as const) {
        if (r.results[f] !== first.results[f]) {
          throw new UserError(
            `method "${key}" (${stage}): runs disagree on ${f}: ${first.results[f]} in ` +
              `${first.path} but ${r.results[f]} in ${r.path}; give each a distinct label`,
          );
        }
      }
    }
    const splits = runs.map((r) => r.results.split);
    const dup = splits.filter((s, i) => splits.indexOf(s) !== i);
    if (dup.length > 0) {
      warnings.push(
        `method "${key}" (${stage}) has more than one run of ${[...new Set(dup)].join(", ")}`,
      );
    }
    methods.push({
      key,
      dataset: first.results.dataset,
      grouping: first.results.grouping,
      classes: first.results.classes,
      runs,
      aggregate: aggregateMetrics(runs.map((r) => r.metrics)),
    });
  }
  const datasets = [...new Set(methods.map((m) => m.dataset))];
  if (datasets.length > 1) {
    warnings.push(`${stage}: methods come from different data sets (${datasets.join(", ")})`);
  }
  return { analysis: { stage, methods }, warnings };
}

/** Options of {@link analyse}. */
export interface AnalyseOptions {
  /** Run folders, parent folders, results files or globs. */
  inputs: readonly string[];
  stage: Stage | "both";
  /** Output folder (created if missing). */
  out: string;
  /** Folder relative inputs and `out` are resolved against; default Deno.cwd(). */
  cwd?: string;
}

/** What {@link analyse} computed and wrote. */
export interface AnalyseReport {
  stages: StageAnalysis[];
  /** The printable table(s), one block per stage. */
  table: string;
  /** Paths of every file written. */
  files: string[];
  warnings: string[];
}

/**
 * Runs the whole analysis: discovery, metrics, `analysis.csv`, `analysis_runs.csv`,
 * `analysis.md`, per stage `per_class_<stage>.svg` and `groups_<stage>.svg`, and the training
 * curves found beside the runs (`curves_pretrain_loss.svg`, `curves_knn.svg`,
 * `curves_<stage>_val.svg`; curves.ts), all written atomically into `out`. With stage "both",
 * a stage without any results is skipped.
 */
export async function analyse(opts: AnalyseOptions): Promise<AnalyseReport> {
  const cwd = opts.cwd ?? Deno.cwd();
  const wanted = opts.stage === "both" ? STAGES : [opts.stage];
  const { found, warnings } = await discoverResults(opts.inputs, wanted, cwd);
  const stages: StageAnalysis[] = [];
  for (const stage of wanted) {
    const s = summarise(found, stage);
    warnings.push(...s.warnings);
    if (s.analysis.methods.length === 0) continue;
    stages.push(s.analysis);
  }
  const out = resolve(cwd, opts.out);
  await Deno.mkdir(out, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, data: string) => {
    const p = join(out, name);
    await writeFileAtomic(p, data);
    files.push(p);
  };
  const curves = curveCharts(gatherCurves(stages));
  await write("analysis.csv", formatCsv(stages));
  await write("analysis_runs.csv", formatRunsCsv(stages));
  await write("analysis.md", formatMarkdown(stages, curves.map((c) => c.name)));
  for (const s of stages) {
    await write(`per_class_${s.stage}.svg`, await renderSvg(perClassSpec(s)));
    await write(`groups_${s.stage}.svg`, await renderSvg(groupBarsSpec(s)));
  }
  for (const c of curves) await write(c.name, await renderSvg(c.spec));
  const table = stages.map(formatTable).join("\n\n");
  return { stages, table, files, warnings };
}
