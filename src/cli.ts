/**
 * Shared command-line plumbing for every `deno task` script: option parsing with generated
 * `--help`, and the one-line error policy (say what was wrong and what to do, exit non-zero).
 * Built on `node:util` parseArgs so no registry beyond npm is needed.
 * @module
 */
import { parseArgs } from "node:util";
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
    const flag = (o.short ? `-${o.short}, ` : "    ") + `--${name}` +
      (o.type === "string" ? " <value>" : "");
    let text = o.help;
    if (o.choices) text += ` (one of: ${o.choices.join(", ")})`;
    if (o.default !== undefined && o.default !== false) text += ` [default: ${o.default}]`;
    rows.push([flag, text]);
  }
  rows.push(["    --help", "show this help and exit"]);
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  for (const [f, t] of rows) lines.push(`  ${f.padEnd(w)}${t}`);
  if (spec.epilog) lines.push("", spec.epilog);
  return lines.join("\n");
}

/** Parsed options: strings and booleans by option name, plus positionals. */
export type Parsed = Record<string, string | boolean | string[] | undefined> & {
  positionals: string[];
};

/**
 * Parses `args` against `spec`. Prints help and exits 0 on `--help`; throws UserError on an
 * unknown option, a missing value or a value outside `choices`.
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
      args,
      options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
    });
  } catch (e) {
    throw new UserError(
      `${(e as Error).message.split("\n")[0]} (see: deno task ${spec.name} --help)`,
    );
  }
  const out: Parsed = { positionals: parsed.positionals };
  for (const [name, o] of Object.entries(spec.options)) {
    let v = parsed.values[name] as string | boolean | string[] | undefined;
    if (o.type === "boolean" && parsed.values[`no-${name}`]) v = false;
    if (v === undefined) v = o.default;
    if (o.choices && typeof v === "string" && !o.choices.includes(v)) {
      throw new UserError(`--${name} must be one of ${o.choices.join(", ")}, got "${v}"`);
    }
    out[name] = v;
  }
  return out;
}

/** Reads a numeric option; throws UserError naming the option when it is not a number. */
export function num(p: Parsed, name: string, opts: { int?: boolean; min?: number } = {}): number {
  const raw = p[name];
  const v = typeof raw === "string" ? Number(raw) : NaN;
  if (!Number.isFinite(v) || (opts.int && !Number.isInteger(v))) {
    throw new UserError(`--${name} expects ${opts.int ? "an integer" : "a number"}, got "${raw}"`);
  }
  if (opts.min !== undefined && v < opts.min) {
    throw new UserError(`--${name} must be ≥ ${opts.min}, got ${v}`);
  }
  return v;
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
