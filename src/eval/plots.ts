/**
 * The analysis plots as vega-lite specs, rendered to SVG with vega's headless view. All data
 * is inline and the view gets a loader that refuses every load, so rendering never touches
 * the network or the file system.
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { StageAnalysis } from "./analyse.ts";
import { GROUP_NAMES, mean, rankByCount } from "./metrics.ts";

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
}

/** One vertex of a method's mean line in plot (a): means over runs at one count rank. */
export interface PerClassMean {
  method: string;
  rank: number;
  count: number;
  acc: number;
}

/**
 * Rows of plot (a): every run's classes, and the per-rank mean line of each method.
 * `omitted` counts (run, class) pairs without D_i images, which a log axis cannot show.
 */
export function perClassData(
  s: StageAnalysis,
): { points: PerClassPoint[]; means: PerClassMean[]; omitted: number } {
  const points: PerClassPoint[] = [];
  const means: PerClassMean[] = [];
  let omitted = 0;
  for (const m of s.methods) {
    const ranked = m.runs.map((r) => rankByCount(r.results.train_counts));
    for (const r of m.runs) {
      r.results.train_counts.forEach((count, cls) => {
        if (count <= 0) omitted++;
        else {
          points.push({
            method: m.key,
            split: r.results.split,
            cls,
            count,
            acc: r.results.per_class_acc[cls],
          });
        }
      });
    }
    // Splits assign ranks to different classes, so runs are aligned by count rank.
    for (let rank = 0; rank < m.classes; rank++) {
      const counts = m.runs.map((r, i) => r.results.train_counts[ranked[i][rank]]);
      const accs = m.runs.map((r, i) => r.results.per_class_acc[ranked[i][rank]]);
      const count = mean(counts);
      if (count > 0) means.push({ method: m.key, rank, count, acc: mean(accs) });
    }
  }
  return { points, means, omitted };
}

/**
 * Plot (a): per-class test accuracy against the class's D_i count (log x). One colour per
 * method; faint points are single (run, class) pairs, the line joins the mean over runs at
 * each count rank (x = mean count at that rank).
 */
export function perClassSpec(s: StageAnalysis): vl.TopLevelSpec {
  const { points, means } = perClassData(s);
  const methods = s.methods.map((m) => m.key);
  const x = {
    field: "count",
    type: "quantitative" as const,
    scale: { type: "log" as const },
    title: "images of the class in D_i (log scale)",
  };
  const y = {
    field: "acc",
    type: "quantitative" as const,
    scale: { domain: [0, 100] },
    title: "per-class test accuracy (%)",
  };
  const color = { field: "method", type: "nominal" as const, scale: { domain: methods } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `${s.stage} probe: per-class accuracy vs training count`,
    width: 480,
    height: 300,
    background: "white",
    layer: [
      {
        data: { values: points },
        mark: { type: "point", filled: true, opacity: 0.35, size: 25 },
        encoding: { x, y, color },
      },
      {
        data: { values: means },
        mark: { type: "line", strokeWidth: 2 },
        encoding: { x, y, color, order: { field: "rank", type: "quantitative" } },
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
