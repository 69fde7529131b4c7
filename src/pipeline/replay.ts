/**
 * `--config RUN/pipeline.json`: what a pipeline run folder records to repeat its command (the
 * arguments as typed, path options made absolute) and how a replay reads it back.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { UserError } from "../../core/errors.ts";
import type { ScriptName } from "./profiles.ts";

function abs(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

/** Options whose values are paths (made absolute in the replayable record). */
const PATH_OPTIONS = new Set(["data", "split-dir", "out", "pretrained-root"]);

/**
 * The arguments as a pipeline.json records them for `--config`: as typed, but with the path
 * options made absolute (a replay may be typed in another folder) and --dry-run dropped.
 */
export function replayableArgs(args: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(args[i]);
    if (m?.[1] === "dry-run") continue;
    if (!m || !PATH_OPTIONS.has(m[1])) {
      out.push(args[i]);
      continue;
    }
    const value = m[2] ?? args[++i];
    out.push(`--${m[1]}`);
    if (value !== undefined) out.push(abs(cwd, value));
  }
  return out;
}

/** A pipeline.json as far as a replay reads it. */
interface PipelineRecord {
  script?: string;
  replay_args?: string[];
}

/**
 * `--config FILE` (a run folder's pipeline.json): the recorded arguments, then `rest` (which
 * override them). Throws a one-line UserError for a record of another script.
 */
export function replayedArgs(name: ScriptName, file: string, rest: string[]): string[] {
  let rec: PipelineRecord;
  try {
    rec = JSON.parse(Deno.readTextFileSync(file));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "not found" : (e as Error).message;
    throw new UserError(`--config ${file}: ${why}; pass a run folder's pipeline.json`);
  }
  if (!Array.isArray(rec.replay_args)) {
    throw new UserError(`--config ${file}: no replay_args (not a pipeline.json of this version)`);
  }
  if (rec.script !== name) {
    throw new UserError(
      `--config ${file}: recorded by deno task ${rec.script}; replay it with that task`,
    );
  }
  return [...rec.replay_args, ...rest];
}
