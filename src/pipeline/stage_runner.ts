/**
 * Runs a pipeline's stages as child processes and passes them the stop signals the pipeline
 * gets (SIGTERM, SIGUSR1, SIGINT; see src/train/stop.ts): a running pretraining then saves its
 * checkpoint at the current step and exits with PREEMPTED_EXIT, a probe (which has nothing to
 * save) just ends, and the pipeline stops after it instead of starting the next stage.
 * @module
 */
import { PREEMPTED_EXIT, StopRequest } from "../train/stop.ts";

/** How a stage ended. */
export type StageEnd = "ok" | "failed" | "stopped";

/** Spawns stages one at a time, forwarding stop signals to the running one. */
export class StageRunner {
  readonly stop: StopRequest;
  #child: Deno.ChildProcess | null = null;

  constructor() {
    this.stop = StopRequest.listen({
      what: "the running stage saves what it can and stops; no further stage starts",
      onSignal: (sig) => this.#forward(sig),
    });
  }

  /**
   * Runs `deno ARGS` in `cwd` with the parent's stdout/stderr; "stopped" when it exited with
   * PREEMPTED_EXIT or any way after a stop signal.
   */
  async run(args: string[], cwd: string): Promise<StageEnd> {
    const env: Record<string, string> = {};
    if (!Deno.env.get("XDG_RUNTIME_DIR")) env.XDG_RUNTIME_DIR = "/tmp";
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd,
      env,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    // A signal between the check in the caller and the spawn: pass it on now.
    if (this.stop.signal) this.#forward(this.stop.signal);
    const { code } = await child.status;
    this.#child = null;
    if (code === PREEMPTED_EXIT || (this.stop.requested && code !== 0)) return "stopped";
    return code === 0 ? "ok" : "failed";
  }

  #forward(sig: Deno.Signal): void {
    try {
      this.#child?.kill(sig);
    } catch {
      // Already exited.
    }
  }

  /** Stops listening. */
  dispose(): void {
    this.stop.dispose();
  }
}
