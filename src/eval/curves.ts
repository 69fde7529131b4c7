/**
 * Training curves for `deno task analyse`, for people who were not watching the runs: per run
 * the pretraining loss (metrics.csv), the k-NN accuracy of the monitor (knn.csv, when the run
 * had `--knn-every`) and the probes' validation accuracy per epoch (results.json), each as one
 * vega-lite line chart with one line per run, coloured by method.
 * @module
 */
import { basename, dirname, join } from "node:path";
import type * as vl from "vega-lite";
import { loadedPath } from "../provenance.ts";
import type { StageAnalysis } from "./analyse.ts";
import type { Stage } from "./results.ts";

/** One point of a curve. */
export interface CurvePoint {
  /** Method label (the colour). */
  method: string;
  /** The run (one line): its folder name and split. */
  run: string;
  x: number;
  y: number;
}

/** The curves found for an analysis. */
export interface Curves {
  /** Pretraining loss against epoch (fractional: step / iterations per epoch). */
  loss: CurvePoint[];
  /** k-NN accuracy (%) against epoch. */
  knn: CurvePoint[];
  /** Probe validation accuracy (%) against probe epoch, per stage. */
  val: Partial<Record<Stage, CurvePoint[]>>;
}

/** A small CSV (header + numeric rows) as records; null when missing or unreadable. */
export function readCsv(path: string): Record<string, number>[] | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return null;
  }
  const [head, ...rows] = text.trim().split("\n");
  if (!head) return null;
  const cols = head.split(",");
  return rows.filter((r) => r.length).map((r) => {
    const v = r.split(",");
    return Object.fromEntries(cols.map((c, i) => [c, v[i] === "" ? NaN : Number(v[i])]));
  });
}

/**
 * The pretraining folder of a probed run: the folder of the checkpoint its results name
 * (relative to the results file's folder, or absolute in older files), else `<run>/pretrain`.
 */
export function pretrainFolderOf(resultsPath: string, checkpoint: string): string {
  const fromCk = dirname(loadedPath(checkpoint, dirname(resultsPath)));
  try {
    Deno.statSync(join(fromCk, "metrics.csv"));
    return fromCk;
  } catch {
    return join(dirname(dirname(resultsPath)), "pretrain");
  }
}

/**
 * Loss rows of a metrics.csv against epochs: each row's step over the iterations per epoch
 * (the last step logged in epoch 1: an epoch's end is always logged).
 */
export function lossCurve(rows: Record<string, number>[]): { x: number; y: number }[] {
  const ipe = Math.max(0, ...rows.filter((r) => r.epoch === 1).map((r) => r.step));
  if (!(ipe > 0)) return [];
  return rows.filter((r) => Number.isFinite(r.loss)).map((r) => ({ x: r.step / ipe, y: r.loss }));
}

/** Gathers every curve of the runs in `stages` (each pretraining run once). */
export function gatherCurves(stages: readonly StageAnalysis[]): Curves {
  const curves: Curves = { loss: [], knn: [], val: {} };
  const seen = new Set<string>();
  for (const s of stages) {
    const val: CurvePoint[] = [];
    for (const m of s.methods) {
      for (const r of m.runs) {
        const runDir = dirname(dirname(r.path));
        const run = `${basename(runDir)} (${r.results.split})`;
        for (const e of r.results.epochs) {
          val.push({ method: m.key, run, x: e.epoch, y: e.val_acc });
        }
        const pre = pretrainFolderOf(r.path, r.results.checkpoint);
        if (seen.has(pre)) continue;
        seen.add(pre);
        for (const p of lossCurve(readCsv(join(pre, "metrics.csv")) ?? [])) {
          curves.loss.push({ method: m.key, run, ...p });
        }
        for (const k of readCsv(join(pre, "knn.csv")) ?? []) {
          if (Number.isFinite(k.knn_acc)) {
            curves.knn.push({ method: m.key, run, x: k.epoch, y: k.knn_acc });
          }
        }
      }
    }
    curves.val[s.stage] = val;
  }
  return curves;
}

/** One line chart: a line per run, coloured by method (with points when lines are short). */
export function curveSpec(o: {
  title: string;
  points: CurvePoint[];
  x: string;
  y: string;
  /** Fixed y range, e.g. [0, 100] for accuracies; omitted: fitted to the data. */
  yDomain?: [number, number];
}): vl.TopLevelSpec {
  const methods = [...new Set(o.points.map((p) => p.method))];
  const perRun = new Map<string, number>();
  for (const p of o.points) perRun.set(p.run, (perRun.get(p.run) ?? 0) + 1);
  const few = Math.max(0, ...perRun.values()) <= 20;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: o.title,
    width: 480,
    height: 280,
    background: "white",
    data: { values: o.points },
    mark: { type: "line", strokeWidth: 1.5, point: few ? { filled: true, size: 30 } : false },
    encoding: {
      x: { field: "x", type: "quantitative", title: o.x },
      y: {
        field: "y",
        type: "quantitative",
        title: o.y,
        scale: o.yDomain ? { domain: o.yDomain } : { zero: false },
      },
      color: { field: "method", type: "nominal", scale: { domain: methods } },
      detail: { field: "run", type: "nominal" },
      order: { field: "x", type: "quantitative" },
    },
  };
}

/** The curve charts to write: file name and spec, only those with data. */
export function curveCharts(c: Curves): { name: string; spec: vl.TopLevelSpec }[] {
  const out: { name: string; spec: vl.TopLevelSpec }[] = [];
  if (c.loss.length) {
    out.push({
      name: "curves_pretrain_loss.svg",
      spec: curveSpec({
        title: "pretraining loss (NT-Xent; SDCLR: the dense branch's) per run",
        points: c.loss,
        x: "epoch",
        y: "loss",
      }),
    });
  }
  if (c.knn.length) {
    out.push({
      name: "curves_knn.svg",
      spec: curveSpec({
        title: "k-NN accuracy of the dense backbone during pretraining, per run",
        points: c.knn,
        x: "epoch",
        y: "k-NN accuracy on the val list (%)",
      }),
    });
  }
  for (const [stage, pts] of Object.entries(c.val) as [Stage, CurvePoint[]][]) {
    if (!pts.length) continue;
    out.push({
      name: `curves_${stage}_val.svg`,
      spec: curveSpec({
        title: `${stage} probe: validation accuracy per epoch, per run`,
        points: pts,
        x: "probe epoch",
        y: "validation accuracy (%)",
      }),
    });
  }
  return out;
}
