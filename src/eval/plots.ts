/**
 * The analysis plots as vega-lite specs, rendered to SVG with vega's headless view. All data
 * is inline and the view gets a loader that refuses every load, so rendering never touches
 * the network or the file system.
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { StageAnalysis } from "./analyse.ts";
import { assignGroups, GROUP_NAMES, mean, rankByCount } from "./metrics.ts";

/**
 * A vega loader that refuses every request and remembers it in `requested`: our specs inline
 * their data, so any load is a bug. (vega only logs a failed load and renders on, so the
 * caller has to check `requested`.)
 */
export function refusingLoader(): { loader: vega.Loader; requested: string[] } {
  const requested: string[] = [];
  const refuse = (uri: string) => {
    requested.push(String(uri));
    return Promise.reject(new Error(`plots must not load anything, but vega asked for ${uri}`));
  };
  const loader = { load: refuse, sanitize: refuse, http: refuse, file: refuse };
  return { loader: loader as unknown as vega.Loader, requested };
}

/**
 * Compiles a vega-lite spec and renders it to an SVG string headlessly
 * (`new vega.View(vega.parse(spec), { renderer: "none" }).toSVG()`). Throws if the spec made
 * vega ask for any external resource (data URL, image, ...).
 */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const { loader, requested } = refusingLoader();
  const view = new vega.View(vega.parse(compiled), { renderer: "none", loader });
  try {
    const svg = await view.toSVG();
    if (requested.length > 0) {
      throw new Error(`plot spec asked vega to load ${requested.join(", ")}; inline the data`);
    }
    return svg;
  } finally {
    view.finalize();
  }
}

/** Display names of the three groups of a stage: the grouping's own names when shared. */
export function groupLabels(s: StageAnalysis): readonly [string, string, string] {
  const groupings = [...new Set(s.methods.map((m) => m.grouping))];
  return groupings.length === 1
    ? GROUP_NAMES[groupings[0]]
    : ["Many/Major", "Medium/Moderate", "Few/Minor"];
}

/** One (run, class) point of plot (a). */
export interface PerClassPoint {
  method: string;
  split: string;
  cls: number;
  count: number;
  acc: number;
  /** Position on the x axis: 0 for the class with the most D_i images of its run. */
  pos: number;
}

/** One vertex of a method's mean line in plot (a): means over runs at one count rank. */
export interface PerClassMean {
  method: string;
  pos: number;
  count: number;
  acc: number;
}

/** What plot (a) draws: points, mean lines, axis labels and the group spans. */
export interface PerClassData {
  points: PerClassPoint[];
  means: PerClassMean[];
  /** Label of each x position, head first: the class name (with its D_i count) when every
   * run ranks the classes alike, else the rank with the mean count. */
  labels: string[];
  /** The Many/Medium/Few spans over x positions (inclusive), head first. */
  groups: { name: string; from: number; to: number }[];
}

/**
 * Rows of plot (a). Classes are placed by their D_i count rank, most images first, so every
 * run's head, middle and tail line up and the group boundaries are vertical lines; when all
 * runs rank the classes alike (one split) the axis names the classes.
 */
export function perClassData(s: StageAnalysis): PerClassData {
  const points: PerClassPoint[] = [];
  const means: PerClassMean[] = [];
  const first = s.methods[0].runs[0].results;
  const C = first.classes;
  // Position p holds the class of count rank C-1-p (rankByCount is ascending).
  const order = (counts: readonly number[]) => rankByCount(counts).reverse();
  const orders: number[][] = [];
  for (const m of s.methods) {
    for (const r of m.runs) {
      const ord = order(r.results.train_counts);
      orders.push(ord);
      ord.forEach((cls, pos) => {
        const count = r.results.train_counts[cls];
        points.push({
          method: m.key,
          split: r.results.split,
          cls,
          count,
          acc: r.results.per_class_acc[cls],
          pos,
        });
      });
    }
    for (let pos = 0; pos < C; pos++) {
      const at = m.runs.map((r) => {
        const cls = order(r.results.train_counts)[pos];
        return { count: r.results.train_counts[cls], acc: r.results.per_class_acc[cls] };
      });
      means.push({
        method: m.key,
        pos,
        count: mean(at.map((a) => a.count)),
        acc: mean(at.map((a) => a.acc)),
      });
    }
  }
  const same = orders.every((o) => o.every((c, i) => c === orders[0][i]));
  const names = first.class_names;
  const meanCount = (pos: number) =>
    Math.round(mean(means.filter((x) => x.pos === pos).map((x) => x.count)));
  const labels = Array.from({ length: C }, (_, pos) => {
    if (!same) return `#${pos + 1} (≈${meanCount(pos)})`;
    const cls = orders[0][pos];
    return `${names?.[cls] ?? `class ${cls}`} (${first.train_counts[cls]})`;
  });
  const groupOf = assignGroups(first.train_counts, first.grouping);
  const labelsOfGroups = groupLabels(s);
  const groups: PerClassData["groups"] = [];
  order(first.train_counts).forEach((cls, pos) => {
    const name = labelsOfGroups[groupOf[cls]];
    const last = groups[groups.length - 1];
    if (last && last.name === name) last.to = pos;
    else groups.push({ name, from: pos, to: pos });
  });
  return { points, means, labels, groups };
}

/** A y range fitted to accuracies: 5 points of margin, rounded to tens, inside [0, 100]. */
export function fittedAccDomain(values: readonly number[]): [number, number] {
  const ok = values.filter(Number.isFinite);
  if (!ok.length) return [0, 100];
  const lo = Math.max(0, Math.floor((Math.min(...ok) - 5) / 10) * 10);
  const hi = Math.min(100, Math.ceil((Math.max(...ok) + 5) / 10) * 10);
  return hi > lo ? [lo, hi] : [0, 100];
}

// Every layer of plot (a) repeats the axis titles: vega-lite merges the layers' axes and
// would join differing (or drop missing) titles.
const X_TITLE = "class (its images in D_i), most images first";
const Y_TITLE = "per-class test accuracy (%)";

/**
 * Plot (a): per-class test accuracy, classes ordered by their D_i count (most images left),
 * one colour per method; points are (run, class) pairs, the line joins the mean over runs at
 * each rank. Shaded spans and dashed rules mark the Many/Medium/Few groups; the x axis names
 * the classes with their D_i counts; the y axis is fitted to the accuracies.
 */
export function perClassSpec(s: StageAnalysis): vl.TopLevelSpec {
  const d = perClassData(s);
  const methods = s.methods.map((m) => m.key);
  const C = d.labels.length;
  const domain = fittedAccDomain(d.points.map((p) => p.acc));
  const labelExpr = `${JSON.stringify(d.labels)}[datum.value] || ''`;
  const x = {
    field: "pos",
    type: "quantitative" as const,
    scale: { domain: [-0.5, C - 0.5], nice: false, zero: false },
    axis: {
      values: Array.from({ length: C }, (_, i) => i),
      labelExpr,
      labelAngle: C > 12 ? -90 : -40,
      labelFontSize: C > 30 ? 7 : 10,
      labelOverlap: false,
      grid: false,
      title: X_TITLE,
    },
  };
  const y = {
    field: "acc",
    type: "quantitative" as const,
    scale: { domain, nice: false, zero: false },
    title: Y_TITLE,
  };
  const color = { field: "method", type: "nominal" as const, scale: { domain: methods } };
  const spans = d.groups.map((g, i) => ({
    name: g.name,
    from: g.from - 0.5,
    to: g.to + 0.5,
    mid: (g.from + g.to) / 2,
    shade: i % 2,
  }));
  const top = domain[1];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `${s.stage} probe: per-class accuracy by D_i size`,
    width: Math.max(480, 14 * C),
    height: 300,
    background: "white",
    layer: [
      {
        data: { values: spans },
        mark: { type: "rect", opacity: 0.07, color: "black" },
        encoding: {
          x: { field: "from", type: "quantitative", scale: x.scale, title: X_TITLE },
          x2: { field: "to" },
          opacity: {
            field: "shade",
            type: "quantitative",
            legend: null,
            scale: { range: [0, 0.07] },
          },
        },
      },
      {
        data: { values: spans.slice(1) },
        mark: { type: "rule", strokeDash: [4, 3], color: "#555" },
        encoding: { x: { field: "from", type: "quantitative", scale: x.scale, title: X_TITLE } },
      },
      {
        data: { values: spans },
        mark: { type: "text", baseline: "top", dy: 4, fontWeight: "bold", color: "#333" },
        encoding: {
          x: { field: "mid", type: "quantitative", scale: x.scale, title: X_TITLE },
          y: { datum: top, type: "quantitative", scale: y.scale, title: Y_TITLE },
          text: { field: "name" },
        },
      },
      {
        data: { values: d.points },
        mark: { type: "point", filled: true, opacity: 0.6, size: 40 },
        encoding: { x, y, color },
      },
      {
        data: { values: d.means },
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: { field: "pos", type: "quantitative", scale: x.scale, title: X_TITLE },
          y,
          color,
          order: { field: "pos", type: "quantitative" },
        },
      },
    ],
  };
}

/** Rows of plot (b): per method and group, mean and mean ± std over runs. */
export function groupBarsData(s: StageAnalysis): {
  method: string;
  group: string;
  mean: number;
  lo: number;
  hi: number;
}[] {
  const labels = groupLabels(s);
  return s.methods.flatMap((m) =>
    (["many", "medium", "few"] as const).flatMap((k, g) => {
      const v = m.aggregate[k];
      // A group without classes has no bar (NaN would break the scale).
      if (Number.isNaN(v.mean)) return [];
      return [{
        method: m.key,
        group: labels[g],
        mean: v.mean,
        lo: v.mean - v.std,
        hi: v.mean + v.std,
      }];
    })
  );
}

/**
 * Plot (b): Many/Medium/Few mean accuracy as grouped bars, one bar per method within each
 * group, with error bars of ± population std over runs.
 */
export function groupBarsSpec(s: StageAnalysis): vl.TopLevelSpec {
  const methods = s.methods.map((m) => m.key);
  const labels = [...groupLabels(s)];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `${s.stage} probe: accuracy by group (mean ± std over runs)`,
    background: "white",
    data: { values: groupBarsData(s) },
    width: { step: 28 * Math.max(1, methods.length) },
    height: 300,
    encoding: {
      x: { field: "group", type: "nominal", sort: labels, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: "method", type: "nominal", sort: methods },
    },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          y: {
            field: "mean",
            type: "quantitative",
            // Shared with the error bars; clamping keeps mean + std of a near-100 group inside.
            scale: { domain: [0, 100], clamp: true },
            title: "test accuracy (%)",
          },
          color: { field: "method", type: "nominal", scale: { domain: methods } },
        },
      },
      {
        mark: { type: "rule", color: "black" },
        encoding: { y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } },
      },
    ],
  };
}
