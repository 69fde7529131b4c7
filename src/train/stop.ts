/**
 * Stopping a long run without losing work: SIGTERM (what Slurm, systemd and `kill` send on
 * preemption or at a time limit), SIGUSR1 (what `#SBATCH --signal=B:USR1@SECONDS` sends
 * before the limit, forwarded by our array scripts) and SIGINT (Ctrl-C) no longer kill the
 * process outright: they are recorded, pretraining finishes the step it is in, writes
 * `checkpoint_last.pt` at that step and exits with PREEMPTED_EXIT. `--resume` continues from
 * there exactly. A second Ctrl-C a second or more after the first quits at once (a terminal
 * can deliver one Ctrl-C twice: to the process group and forwarded by `deno task`).
 * @module
 */

/**
 * Exit status of a run that stopped on a signal after saving its state (EX_TEMPFAIL of
 * sysexits.h: "try again later"). The Slurm array scripts requeue a task that exits with it.
 */
export const PREEMPTED_EXIT = 75;

/** The signals that ask for a clean stop. */
export const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGUSR1", "SIGINT"];

/** Options of StopRequest.listen. */
export interface StopOptions {
  /** Called on every stop signal received (e.g. to forward it to a child process). */
  onSignal?: (signal: Deno.Signal) => void;
  /** Quiet: no "stopping after this step" line on stderr. */
  quiet?: boolean;
  /** What happens now, for the stderr line (default "stopping at a safe point"). */
  what?: string;
}

/** Records stop signals until disposed. */
export class StopRequest {
  #signal: Deno.Signal | null = null;
  #firstAt = 0;
  #listeners: [Deno.Signal, () => void][] = [];

  /** The first stop signal received, or null. */
  get signal(): Deno.Signal | null {
    return this.#signal;
  }

  /** Whether a stop was asked for. */
  get requested(): boolean {
    return this.#signal !== null;
  }

  /** Records a stop as if `signal` had arrived (tests; callers with their own reasons). */
  request(signal: Deno.Signal): void {
    this.#signal ??= signal;
  }

  /** Starts listening for STOP_SIGNALS (replacing their default action: terminate). */
  static listen(o: StopOptions = {}): StopRequest {
    const s = new StopRequest();
    for (const sig of STOP_SIGNALS) {
      const fn = () => {
        const first = s.#signal === null;
        if (!first && sig === "SIGINT" && performance.now() - s.#firstAt > 1000) {
          console.error("second Ctrl-C: quitting without saving");
          Deno.exit(130);
        }
        if (first) {
          s.#signal = sig;
          s.#firstAt = performance.now();
          if (!o.quiet) {
            console.error(
              `${sig}: ${o.what ?? "stopping at a safe point"} (Ctrl-C again to quit without ` +
                "saving)",
            );
          }
        }
        o.onSignal?.(sig);
      };
      Deno.addSignalListener(sig, fn);
      s.#listeners.push([sig, fn]);
    }
    return s;
  }

  /** Stops listening (the signals' default actions return). */
  dispose(): void {
    for (const [sig, fn] of this.#listeners) Deno.removeSignalListener(sig, fn);
    this.#listeners = [];
  }
}
