/**
 * Shared command-line plumbing for every `deno task` script: option parsing with generated
 * `--help`, option aliases (our kebab-case beside the authors' snake_case), the one numeric
 * parser every script and pipeline uses, paths relative to where the user typed the command,
 * and the one-line error policy (say what was wrong and what to do, exit non-zero).
 * Built on `node:util` parseArgs so no registry beyond npm is needed.
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, isAbsolute, resolve } from "node:path";
import { UserError } from "../core/errors.ts";

/** One option of a command. `type: "boolean"` options also accept `--no-NAME`. */
export interface OptionSpec {
  type: "string" | "boolean";
  /** Default value (strings are parsed by the caller; shown in --help). */
  default?: string | boolean;
  short?: string;
  help: string;
  /** Allowed values for string options; anything else is a usage error. */
  choices?: readonly string[];
  multiple?: boolean;
  /** Other long names accepted for this option (e.g. `batch-size` for `batch_size`). */
  aliases?: readonly string[];
}

/** A command: name, one-paragraph description and its options. */
export interface CommandSpec {
  name: string;
  description: string;
  options: Record<string, OptionSpec>;
  /** Text shown after the options, e.g. examples. */
  epilog?: string;
  /** Allow positional arguments (returned in `positionals`). */
  positionals?: boolean;
}

/** Renders the `--help` text of a command. */
export function helpText(spec: CommandSpec): string {
  const lines = [`Usage: deno task ${spec.name} [options]`, "", spec.description, "", "Options:"];
  const rows: [string, string][] = [];
  for (const [name, o] of Object.entries(spec.options)) {
    const names = [name, ...(o.aliases ?? [])].map((n) => `--${n}`).join(", ");
    const flag = (o.short ? `-${o.short}, ` : "    ") + names +
      (o.type === "string" ? " <value>" : "");
    let text = o.help;
    if (o.choices) text += ` (one of: ${o.choices.join(", ")})`;
    if (o.default !== undefined && o.default !== false) text += ` [default: ${o.default}]`;
    rows.push([flag, text]);
  }
  rows.push(["    --help", "show this help and exit"]);
  const w = Math.min(Math.max(...rows.map((r) => r[0].length)) + 2, 44);
  for (const [f, t] of rows) {
    lines.push(f.length + 2 > w ? `  ${f}\n  ${"".padEnd(w)}${t}` : `  ${f.padEnd(w)}${t}`);
  }
  if (spec.epilog) lines.push("", spec.epilog);
  return lines.join("\n");
}

/**
 * Parsed options: strings and booleans by option name, the positionals, and `given`: the
 * options that appeared on the command line (not filled in from defaults), by canonical name.
 */
export type Parsed = Record<string, string | boolean | string[] | undefined> & {
  positionals: string[];
  given: string[];
};

/** A number that looks like a value, not like a flag: "-1", "-0.5", "-.5", "-1e-3". */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * Rewrites aliases to canonical names and glues a negative number to the string option before
 * it (`--seed -1` → `--seed=-1`, which parseArgs would otherwise read as an unknown flag).
 */
function normalizeArgs(spec: CommandSpec, args: string[]): string[] {
  const canonical = new Map<string, string>();
  const shortString = new Set<string>();
  for (const [name, o] of Object.entries(spec.options)) {
    for (const a of o.aliases ?? []) {
      canonical.set(a, name);
      if (o.type === "boolean") canonical.set(`no-${a}`, `no-${name}`);
    }
    if (o.short && o.type === "string") shortString.add(o.short);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    const m = /^--([^=]+)(=.*)?$/.exec(a);
    if (m && canonical.has(m[1])) a = `--${canonical.get(m[1])}${m[2] ?? ""}`;
    const long = /^--([^=]+)$/.exec(a);
    const isString = long
      ? spec.options[long[1]]?.type === "string"
      : /^-[^-]$/.test(a) && shortString.has(a[1]);
    if (isString && i + 1 < args.length && NEGATIVE_NUMBER.test(args[i + 1])) {
      out.push(`${a}=${args[++i]}`.replace(/^-([^-])=/, "-$1"));
    } else out.push(a);
  }
  return out;
}

/**
 * Parses `args` against `spec`. Prints help and exits 0 on `--help`; throws UserError on an
 * unknown option, a missing value or a value outside `choices`. A later flag overrides an
 * earlier one (`--dual-bn … --no-dual-bn` is off), so replayed settings can be overridden.
 */
export function parseCommand(spec: CommandSpec, args: string[] = Deno.args): Parsed {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText(spec));
    Deno.exit(0);
  }
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
    if (o.multiple) options[name].multiple = true;
    if (o.type === "boolean") options[`no-${name}`] = { type: "boolean" };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: normalizeArgs(spec, args),
      options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
      tokens: true,
    });
  } catch (e) {
    throw new UserError(
      `${(e as Error).message.split("\n")[0]} (see: deno task ${spec.name} --help)`,
    );
  }
  // The last of --NAME / --no-NAME wins; every option seen counts as given.
  const lastBool = new Map<string, boolean>();
  const given = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option") continue;
    const neg = t.name.startsWith("no-") && spec.options[t.name.slice(3)]?.type === "boolean";
    const name = neg ? t.name.slice(3) : t.name;
    given.add(name);
    if (spec.options[name]?.type === "boolean") lastBool.set(name, !neg);
  }
  const out: Parsed = { positionals: parsed.positionals, given: [...given] };
  for (const [name, o] of Object.entries(spec.options)) {
    let v = parsed.values[name] as string | boolean | string[] | undefined;
    if (o.type === "boolean" && lastBool.has(name)) v = lastBool.get(name);
    if (v === undefined) v = o.default;
    if (o.choices && typeof v === "string" && !o.choices.includes(v)) {
      throw new UserError(`--${name} must be one of ${o.choices.join(", ")}, got "${v}"`);
    }
    out[name] = v;
  }
  return out;
}

/** The accepted range of a numeric option (`min`/`max` inclusive, `above`/`below` exclusive). */
export interface NumberRange {
  int?: boolean;
  min?: number;
  max?: number;
  above?: number;
  below?: number;
}

function describeRange(r: NumberRange): string {
  const lo = r.min !== undefined ? `[${r.min}` : r.above !== undefined ? `(${r.above}` : null;
  const hi = r.max !== undefined ? `${r.max}]` : r.below !== undefined ? `${r.below})` : null;
  if (lo && hi) return `in ${lo}, ${hi}`;
  if (r.min !== undefined) return `≥ ${r.min}`;
  if (r.above !== undefined) return `> ${r.above}`;
  if (r.max !== undefined) return `≤ ${r.max}`;
  return `< ${r.below}`;
}

/**
 * The one numeric parser of every script and pipeline: `raw` (what the user typed for
 * `--name`) as a number in `range`; throws a one-line UserError naming the option otherwise.
 */
export function parseNumber(name: string, raw: unknown, range: NumberRange = {}): number {
  const v = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(v) || (range.int && !Number.isInteger(v))) {
    throw new UserError(`--${name} expects ${range.int ? "an integer" : "a number"}, got "${raw}"`);
  }
  const bad = (range.min !== undefined && v < range.min) ||
    (range.max !== undefined && v > range.max) ||
    (range.above !== undefined && v <= range.above) ||
    (range.below !== undefined && v >= range.below);
  if (bad) throw new UserError(`--${name} must be ${describeRange(range)}, got ${v}`);
  return v;
}

/** Reads numeric option `name` of `p` (see parseNumber). */
export function num(p: Parsed, name: string, range: NumberRange = {}): number {
  return parseNumber(name, p[name], range);
}

/** Reads numeric option `name` when it was given (or has a default), else undefined. */
export function optNum(p: Parsed, name: string, range: NumberRange = {}): number | undefined {
  return p[name] === undefined ? undefined : parseNumber(name, p[name], range);
}

/**
 * The folder the user typed the command in: `deno task` runs scripts in the project root and
 * passes the caller's folder as INIT_CWD.
 */
export function callerCwd(): string {
  return Deno.env.get("INIT_CWD") ?? Deno.cwd();
}

/** `path` resolved against `cwd` (default: the caller's folder); undefined stays undefined. */
export function userPath<T extends string | undefined>(path: T, cwd = callerCwd()): T {
  if (path === undefined) return path;
  return (isAbsolute(path) ? path : resolve(cwd, path)) as T;
}

/** Throws a one-line UserError unless the folder that will hold `path` exists. */
export function parentMustExist(path: string, flag: string): void {
  const dir = dirname(path);
  try {
    if (Deno.statSync(dir).isDirectory) return;
  } catch { /* reported below */ }
  throw new UserError(`${flag} ${path}: the folder ${dir} does not exist; create it first`);
}

/**
 * Takes `--config FILE` (or `--config=FILE`) out of `args`: the record a replay starts from.
 * Returns the file (resolved against the caller's folder) and the other arguments, which the
 * caller appends after the replayed ones so that they override them.
 */
export function takeConfigFlag(
  args: readonly string[],
  cwd = callerCwd(),
): { file?: string; rest: string[] } {
  const i = args.findIndex((a) => a === "--config" || a.startsWith("--config="));
  if (i < 0) return { rest: [...args] };
  const inline = args[i].startsWith("--config=");
  const file = inline ? args[i].slice("--config=".length) : args[i + 1];
  if (!file || file.startsWith("-")) {
    throw new UserError(
      "--config expects a file: a run's config.json, results.json or pipeline.json",
    );
  }
  const rest = args.filter((_, j) => j !== i && (inline || j !== i + 1));
  if (rest.some((a) => a === "--config" || a.startsWith("--config="))) {
    throw new UserError("--config given twice; replay one record at a time");
  }
  return { file: userPath(file, cwd), rest };
}

/**
 * Runs a script's main function with the error policy: a UserError (or a Deno.errors.NotFound)
 * prints `error: <message>` on one line and exits 1; anything else prints its stack and exits 2.
 */
export async function runMain(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`error: ${e.message}`);
      Deno.exit(1);
    }
    if (e instanceof Deno.errors.NotFound) {
      console.error(`error: ${(e as Error).message}`);
      Deno.exit(1);
    }
    console.error(e);
    Deno.exit(2);
  }
}
