/**
 * Optional PyTorch CPU column of `deno task bench --torch`: cases that carry a `torch` spec
 * are timed by tools/bench_torch.py (PyTorch on the CPU, same shapes) in one subprocess.
 * Without python3 + torch the column is skipped with a note; the suite never needs Python.
 * @module
 */
import type { BenchCase, TorchBenchCase, TorchSpec } from "../../core/kernel.ts";

/** The torch spec of a case, if it has one. */
export function torchSpec(c: BenchCase): TorchSpec | undefined {
  return (c as TorchBenchCase).torch;
}

const SCRIPT = new URL("../../tools/bench_torch.py", import.meta.url).pathname;

/** Seconds per run for each spec (same order), or a note saying why there are none. */
export async function runTorch(
  specs: TorchSpec[],
  quick: boolean,
): Promise<{ seconds: (number | null)[] } | { note: string }> {
  if (!specs.length) return { seconds: [] };
  let child;
  try {
    child = new Deno.Command("python3", {
      args: [SCRIPT, ...(quick ? ["--quick"] : [])],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch {
    return { note: "python3 not found: torch column skipped" };
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(specs)));
  await w.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (out.code === 3) return { note: `torch column skipped: ${stderr.split("\n").pop()}` };
  if (out.code !== 0) {
    return { note: `tools/bench_torch.py failed (exit ${out.code}): ${stderr.split("\n").pop()}` };
  }
  const parsed = JSON.parse(new TextDecoder().decode(out.stdout)) as { seconds: (number | null)[] };
  return { seconds: parsed.seconds };
}
