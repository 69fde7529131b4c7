/**
 * Finding the results files that `deno task analyse` was pointed at: run folders, parent
 * folders holding run folders (searched a few levels deep), results files themselves, and
 * glob patterns the shell left unexpanded.
 * @module
 */
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { UserError } from "../../core/errors.ts";
import { readResults, type Results, type Stage, STAGES } from "./results.ts";

/** How many folder levels below an input the search for run folders goes. */
export const MAX_SEARCH_DEPTH = 4;

/** One results file found and validated. */
export interface FoundResults {
  /** Real path of the results file. */
  path: string;
  results: Results;
}

/** What discovery found, plus inputs that held nothing (reported, not fatal). */
export interface Discovery {
  found: FoundResults[];
  warnings: string[];
}

const GLOB_CHARS = /[*?[]/;

function globSegmentRegExp(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i];
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const end = seg.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += "[" + seg.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Expands `*`, `?` and `[...]` in an absolute path, one path segment at a time (no `**`);
 * hidden entries only match a pattern that starts with a dot. Returns sorted matches.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const parts = pattern.split("/").filter((p, i) => p !== "" || i === 0);
  let current = [parts[0] === "" ? "/" : parts[0]];
  for (const seg of parts.slice(1)) {
    const next: string[] = [];
    for (const base of current) {
      if (!GLOB_CHARS.test(seg)) {
        next.push(join(base, seg));
        continue;
      }
      if (!(await isDir(base))) continue;
      const re = globSegmentRegExp(seg);
      for await (const e of Deno.readDir(base)) {
        if (e.name.startsWith(".") && !seg.startsWith(".")) continue;
        if (re.test(e.name)) next.push(join(base, e.name));
      }
    }
    current = next;
  }
  const out: string[] = [];
  for (const p of current) {
    try {
      await Deno.stat(p);
      out.push(p);
    } catch { /* a literal segment after a glob may not exist under every match */ }
  }
  return out.sort();
}

async function findRunFiles(
  dir: string,
  stages: readonly Stage[],
  depth: number,
  out: string[],
): Promise<void> {
  let isRun = false;
  for (const stage of STAGES) {
    const p = join(dir, stage, "results.json");
    if (await isFile(p)) {
      isRun = true;
      if (stages.includes(stage)) out.push(p);
    }
  }
  // A run folder holds checkpoints and logs, never other runs: do not descend into it.
  if (isRun || depth >= MAX_SEARCH_DEPTH) return;
  const subdirs: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !e.name.startsWith(".") && e.name !== "node_modules") {
      subdirs.push(e.name);
    }
  }
  for (const name of subdirs.sort()) await findRunFiles(join(dir, name), stages, depth + 1, out);
}

function noResultsMessage(where: string, stages: readonly Stage[]): string {
  const looked = stages.map((s) => `<run>/${s}/results.json`).join(" or ");
  const task = stages.length === 1 ? `deno task ${stages[0]}` : "deno task linear / fewshot";
  return `no results.json under ${where} (looked for ${looked} up to ${MAX_SEARCH_DEPTH} ` +
    `levels deep); run ${task} first`;
}

/**
 * Resolves `inputs` (relative to `cwd`) to validated results files of the selected stages.
 * An input may be a run folder, a folder above run folders, a results file, or a glob.
 * Duplicates (same real path) are dropped. Throws UserError when an input does not exist,
 * a file is invalid, a file's `stage` contradicts its folder, or nothing at all was found.
 */
export async function discoverResults(
  inputs: readonly string[],
  stages: readonly Stage[],
  cwd: string = Deno.cwd(),
): Promise<Discovery> {
  if (inputs.length === 0) {
    throw new UserError("no run folder given; pass RUN_DIR... (see: deno task analyse --help)");
  }
  const warnings: string[] = [];
  const files: string[] = [];
  for (const input of inputs) {
    const abs = isAbsolute(input) ? input : resolve(cwd, input);
    let paths = [abs];
    if (GLOB_CHARS.test(input) && !(await isDir(abs)) && !(await isFile(abs))) {
      paths = await expandGlob(abs);
      if (paths.length === 0) throw new UserError(`no path matches ${input}`);
    }
    const before = files.length;
    for (const p of paths) {
      if (await isFile(p)) files.push(p);
      else if (await isDir(p)) await findRunFiles(p, stages, 0, files);
      else throw new UserError(`${input}: no such file or folder`);
    }
    if (files.length === before) warnings.push(noResultsMessage(input, stages));
  }
  const seen = new Set<string>();
  const found: FoundResults[] = [];
  for (const f of files) {
    const real = await Deno.realPath(f);
    if (seen.has(real)) continue;
    seen.add(real);
    const results = await readResults(real);
    const folder = basename(dirname(real));
    if ((STAGES as readonly string[]).includes(folder) && folder !== results.stage) {
      throw new UserError(`${real}: stage "${results.stage}" is in a "${folder}" folder`);
    }
    // An explicitly named file of another stage is simply not part of this analysis.
    if (stages.includes(results.stage)) found.push({ path: real, results });
  }
  if (found.length === 0) throw new UserError(noResultsMessage(inputs.join(", "), stages));
  return { found, warnings };
}
