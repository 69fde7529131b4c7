/**
 * Runs a pipeline's stages as child processes and passes them the stop signals the pipeline
 * gets (SIGTERM, SIGUSR1, SIGINT; see src/train/stop.ts): a running pretraining then saves its
 * checkpoint at the current step and exits with PREEMPTED_EXIT, a probe (which has nothing to
 * save) just ends, and the pipeline stops after it instead of starting the next stage.
 * @module
 */
import { textLines } from "../../core/text_lines.ts";
import { PREEMPTED_EXIT, StopRequest } from "../train/stop.ts";

/** How a stage ended. */
export type StageEnd = "ok" | "failed" | "stopped";

/** How `StageRunner.run` shows a stage's output. */
export interface StageOutput {
  /**
   * Prefix of every output line (stdout and stderr, line by line), for stages that run side
   * by side; without it the stage writes to the parent's stdout and stderr directly.
   */
  label?: string;
}

/**
 * Spawns stages (one at a time, or several side by side), forwarding stop signals to every
 * running one.
 */
export class StageRunner {
  readonly stop: StopRequest;
  #children = new Set<Deno.ChildProcess>();

  constructor() {
    this.stop = StopRequest.listen({
      what: "the running stages save what they can and stop; no further stage starts",
      onSignal: (sig) => this.#forward(sig),
    });
  }

  /**
   * Runs `deno ARGS` in `cwd`; "stopped" when it exited with PREEMPTED_EXIT or any way after a
   * stop signal.
   */
  async run(args: string[], cwd: string, out: StageOutput = {}): Promise<StageEnd> {
    const env: Record<string, string> = {};
    if (!Deno.env.get("XDG_RUNTIME_DIR")) env.XDG_RUNTIME_DIR = "/tmp";
    const io = out.label === undefined ? "inherit" : "piped";
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd,
      env,
      stdin: "null",
      stdout: io,
      stderr: io,
    }).spawn();
    this.#children.add(child);
    // A signal between the check in the caller and the spawn: pass it on now.
    if (this.stop.signal) this.#forward(this.stop.signal);
    const copies = out.label === undefined ? [] : [
      labelLines(child.stdout, Deno.stdout, out.label),
      labelLines(child.stderr, Deno.stderr, out.label),
    ];
    const { code } = await child.status;
    await Promise.all(copies);
    this.#children.delete(child);
    if (code === PREEMPTED_EXIT || (this.stop.requested && code !== 0)) return "stopped";
    return code === 0 ? "ok" : "failed";
  }

  #forward(sig: Deno.Signal): void {
    for (const child of this.#children) {
      try {
        child.kill(sig);
      } catch {
        // Already exited.
      }
    }
  }

  /** Stops listening. */
  dispose(): void {
    this.stop.dispose();
  }
}

/**
 * Runs `fn` on every item, `jobs` at a time (in item order), and waits for all of them: one
 * that throws does not cancel the others (a pipeline rerun resumes each). Returns what they
 * threw, in the order they threw it.
 */
export async function sideBySide<T>(
  items: readonly T[],
  jobs: number,
  fn: (t: T) => Promise<void>,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      try {
        await fn(items[next++]);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return errors;
}

/** Copies a stream to `to` line by line, each line prefixed with `[label] `. */
export async function labelLines(
  from: ReadableStream<Uint8Array>,
  to: { writeSync(b: Uint8Array): number },
  label: string,
): Promise<void> {
  const enc = new TextEncoder();
  const write = (line: string) => {
    const b = enc.encode(`[${label}] ${line}\n`);
    for (let n = 0; n < b.length;) n += to.writeSync(b.subarray(n));
  };
  for await (const line of textLines(from)) write(line);
}
