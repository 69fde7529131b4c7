/**
 * PyTorch's side of the step bench: one tools/bench_step_torch.py process per configuration,
 * kept alive so that its timed trials can alternate with ours (background load on a shared
 * machine then hits both sides of a ratio alike, and neither side pays start-up per trial).
 * @module
 */
import { textLines } from "../../core/text_lines.ts";
import type { StepConfig } from "./step_runner.ts";

const SCRIPT = new URL("../../tools/bench_step_torch.py", import.meta.url).pathname;

/** A built PyTorch step, warmed up, waiting for trials. */
export interface TorchSteps {
  /** Runs `steps` steps; resolves to their mean seconds per step. */
  trial(steps: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts PyTorch on `c` (building the model and running `warmup` steps), or returns a note
 * saying why there is no PyTorch column (no python3, no torch, or the script failed).
 */
export async function startTorchSteps(
  c: StepConfig,
  warmup: number,
  /** The interpreter (tests pass stand-ins). */
  python = "python3",
): Promise<TorchSteps | { note: string }> {
  let child;
  try {
    child = new Deno.Command(python, {
      args: [SCRIPT],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch {
    return { note: `${python} not found: PyTorch column skipped` };
  }
  const spec = {
    method: c.method,
    depth: c.depth,
    width: c.width,
    batch: c.batchSize,
    size: c.imageSize,
    loader: c.loader,
    warmup,
  };
  const stdin = child.stdin.getWriter();
  const out = textLines(child.stdout);
  // Read from the start, so that a chatty stderr (warnings) can never fill the pipe and stall.
  const stderr = new Response(child.stderr).text();
  // False when the script has already exited (a broken pipe): failure() then says why.
  const send = (s: string) =>
    stdin.write(new TextEncoder().encode(s + "\n")).then(() => true, () => false);
  // Why it stopped: the last line of stderr (read only once the process has ended).
  const failure = async (): Promise<{ note: string }> => {
    await stdin.close().catch(() => {});
    for await (const _ of out); // to its end, which releases the pipe
    const [status, err] = await Promise.all([child.status, stderr]);
    const last = err.trim().split("\n").pop() ?? "";
    return status.code === 3
      ? { note: `PyTorch column skipped: ${last}` }
      : { note: `tools/bench_step_torch.py failed (exit ${status.code}): ${last}` };
  };
  if (!await send(JSON.stringify(spec))) return await failure();
  const ready = await out.next();
  if (ready.done || ready.value !== "ready") return await failure();
  return {
    async trial(steps) {
      const r = await send(String(steps)) ? await out.next() : { done: true as const };
      const s = r.done ? NaN : Number(r.value);
      if (!Number.isFinite(s)) throw new Error((await failure()).note);
      return s;
    },
    async close() {
      await stdin.close().catch(() => {});
      for await (const _ of out); // to its end, which releases the pipe
      await Promise.all([child.status, stderr]);
    },
  };
}
