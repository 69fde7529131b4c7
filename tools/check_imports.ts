/**
 * The dependency gate of `deno task ok`: reads every static import of the project's
 * TypeScript (not tests) and fails when
 *  - two folders import each other, directly or through others (a cycle in the folder graph);
 *  - a top-level layer imports a layer above it (core → kernels → src → scripts: `core/` may
 *    import nothing of ours, `kernels/` only `core/`, `src/` not `scripts/`);
 *  - a file below `scripts/` names a `scripts/` file in a string (running it by path).
 * `--graph` prints the folder graph instead.
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(decodeURIComponent(new URL("..", import.meta.url).pathname));
/** Top-level folders in layer order: a folder may import only from itself and those before. */
export const LAYERS = ["core", "kernels", "src", "scripts"] as const;

/** Every .ts file under `dir` (relative to ROOT), tests and fixtures excluded. */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(join(ROOT, d))) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) out.push(p);
    }
  };
  try {
    walk(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|import\s*\(\s*"([^"]+)"\s*\)/g;

/** Relative imports of a file, as repository paths. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith(".")) continue;
    out.push(relative(ROOT, resolve(ROOT, dirname(file), spec)));
  }
  return out;
}

/** Strongly connected components of size > 1 (Tarjan). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

function layerOf(path: string): number {
  return LAYERS.indexOf(path.split("/")[0] as typeof LAYERS[number]);
}

if (import.meta.main) {
  const files = [...LAYERS.flatMap(sources), "mod.ts"];
  const graph = new Map<string, Set<string>>();
  const problems: string[] = [];
  for (const f of files) {
    const text = Deno.readTextFileSync(join(ROOT, f));
    const from = dirname(f);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const target of importsOf(f, text)) {
      const to = dirname(target);
      if (to !== from) graph.get(from)!.add(to);
      const lf = layerOf(f), lt = layerOf(target);
      if (f !== "mod.ts" && lt > lf) {
        problems.push(`${f} imports ${target}: ${LAYERS[lf]}/ must not depend on ${LAYERS[lt]}/`);
      }
      if (lt < 0 && f !== "mod.ts") problems.push(`${f} imports ${target}, outside the layers`);
    }
    if (layerOf(f) < layerOf("scripts/x") && /["'`][^"'`]*\bscripts\/\w+\.ts/.test(text)) {
      problems.push(`${f} names a scripts/ file: run tasks through their module, not by path`);
    }
  }
  if (Deno.args.includes("--graph")) {
    for (const [k, v] of [...graph].sort()) console.log(`${k} → ${[...v].sort().join(", ")}`);
  }
  for (const c of cycles(graph)) problems.push(`folder cycle: ${c.join(" ↔ ")}`);
  for (const p of problems) console.error(`error: ${p}`);
  if (problems.length) Deno.exit(1);
  console.log(`imports: ${files.length} files, ${graph.size} folders, no cycle, layers respected`);
}
