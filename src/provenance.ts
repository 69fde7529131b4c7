/**
 * How a record (a pretraining run's config.json, a probe's results.json, a pipeline's
 * pipeline.json) was made: the command line as typed and where, the project's git commit and
 * whether the tree had changes, the Deno version, the WebGPU adapter line, the host and the
 * seed. The split files' sources and SHA-256 live beside it in each record (`splitFile`,
 * `splits`; src/data/authors_splits.ts).
 *
 * Also the path convention of records: a path that points inside the run folder is stored
 * relative to the folder of the file that holds it (so a run folder can be moved or copied),
 * anything else absolute; readers resolve relative paths against that folder.
 * @module
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { adapterLine } from "../core/device.ts";

/** The repository root (where deno.json lives). */
export const REPO_ROOT = resolve(decodeURIComponent(new URL("..", import.meta.url).pathname));

/** The project's version control state; "unknown" where no git checkout is found. */
export interface GitState {
  /** Full commit hash of HEAD, or "unknown" (e.g. a copy of the tree without .git). */
  commit: string;
  /** Uncommitted changes to tracked or new (not ignored) files; "unknown" without git. */
  dirty: boolean | "unknown";
}

/** The provenance block of every record. */
export interface Provenance {
  /** The command as typed, e.g. `deno task pretrain --dataset cifar10 --epochs 5`. */
  command: string;
  /** The folder it was typed in (relative paths on the command line are relative to it). */
  cwd: string;
  git: GitState;
  /** Deno's version, e.g. "2.9.6". */
  deno: string;
  /** The WebGPU adapter line the run printed (core/device.ts), or "none" for CPU-only work. */
  adapter: string;
  host: string;
  /** The seed of this stage (null where nothing is random). */
  seed: number | null;
  /** When the record was made, ISO 8601. */
  created: string;
}

/** Shell-quotes one argument for display (and copy-paste). */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** `deno task <task> <args…>`, quoted so it can be pasted into a shell. */
export function commandLine(task: string, args: readonly string[]): string {
  return ["deno", "task", task, ...args].map(shellQuote).join(" ");
}

async function git(args: string[]): Promise<string | null> {
  try {
    const r = await new Deno.Command("git", {
      args: ["-C", REPO_ROOT, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return r.code === 0 ? new TextDecoder().decode(r.stdout) : null;
  } catch {
    return null; // no git installed, or no permission to run it
  }
}

let gitCache: Promise<GitState> | null = null;

/**
 * The repository's commit and dirtiness. A tree copied without `.git` (CI copies it so) or
 * sitting inside some other repository reads as "unknown" rather than as that repository.
 */
export function gitState(): Promise<GitState> {
  gitCache ??= (async () => {
    const unknown: GitState = { commit: "unknown", dirty: "unknown" };
    const top = (await git(["rev-parse", "--show-toplevel"]))?.trim();
    if (!top) return unknown;
    try {
      if (Deno.realPathSync(top) !== Deno.realPathSync(REPO_ROOT)) return unknown;
    } catch {
      return unknown;
    }
    const commit = (await git(["rev-parse", "HEAD"]))?.trim();
    if (!commit) return unknown;
    const status = await git(["status", "--porcelain"]);
    return { commit, dirty: status === null ? "unknown" : status.trim().length > 0 };
  })();
  return gitCache;
}

/** What {@link provenance} needs from the caller. */
export interface ProvenanceOptions {
  /** The `deno task` name. */
  task: string;
  /** The arguments as typed. */
  args: readonly string[];
  /** The caller's folder. */
  cwd: string;
  seed: number | null;
  /** The adapter line of the GPU this process used; omitted: looked up (no device made). */
  adapter?: string;
  /** Stages that use no GPU record "none". */
  gpu?: boolean;
}

/** The provenance block of a record made now. */
export async function provenance(o: ProvenanceOptions): Promise<Provenance> {
  let adapter = o.adapter;
  if (adapter === undefined) {
    if (o.gpu === false) adapter = "none";
    else {
      try {
        adapter = await adapterLine();
      } catch (e) {
        adapter = `unavailable (${(e as Error).message})`;
      }
    }
  }
  return {
    command: commandLine(o.task, o.args),
    cwd: o.cwd,
    git: await gitState(),
    deno: Deno.version.deno,
    adapter,
    host: Deno.hostname(),
    seed: o.seed,
    created: new Date().toISOString(),
  };
}

/** One line for logs: "commit 1a2b3c4d5e6f (uncommitted changes) · deno 2.9.6 · webgpu: …". */
export function provenanceLine(p: Provenance): string {
  const g = p.git.commit === "unknown"
    ? "commit unknown (no git checkout)"
    : `commit ${p.git.commit.slice(0, 12)}${
      p.git.dirty === true ? " (uncommitted changes)" : p.git.dirty === "unknown" ? " (?)" : ""
    }`;
  return `${g} · deno ${p.deno} · ${p.adapter} · host ${p.host} · seed ${p.seed ?? "none"}`;
}

/** Whether `p` is `root` or lies below it. */
export function isInside(p: string, root: string): boolean {
  const r = relative(resolve(root), resolve(p));
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
}

/**
 * How a record stores `path`: relative to `base` (the folder of the record) when it lies
 * inside `runRoot` (the run folder, `base` or a folder above it), else absolute.
 */
export function storedPath(path: string, base: string, runRoot = base): string {
  const abs = resolve(base, path);
  return isInside(abs, runRoot) ? relative(resolve(base), abs) || "." : abs;
}

/** A path read from a record in folder `base`: relative ones are relative to `base`. */
export function loadedPath(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/**
 * The run folder a record in `base` belongs to: the folder itself, or its parent when it is
 * one of a run's stage folders (`pretrain/`, `linear/`, `fewshot/`).
 */
export function runRootOf(base: string): string {
  return /\/(pretrain|linear|fewshot)\/?$/.test(resolve(base)) ? dirname(resolve(base)) : base;
}
