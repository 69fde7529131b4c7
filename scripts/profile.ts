/**
 * `deno task profile`: where one training step's time goes, per kernel, family and pass.
 * @module
 */
import { parseCommand, runMain } from "../src/cli.ts";
import { UserError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { initEngine } from "../core/engine.ts";
import { startTuning, TUNE_OPTIONS, tuneFlags } from "../src/tuning.ts";
import { formatProfile, profileStep } from "../src/bench/profile.ts";
import type { Depth } from "../src/nn/arch.ts";
import type { Method } from "../src/train/steps.ts";

const spec = {
  name: "profile",
  description: "Profiles N training steps of a configuration: GPU time per kernel (name, " +
    "shape, calls, ms, % of the step, GFLOP/s or GB/s), totals by family and by pass " +
    "(forward / backward / optimizer / loader), CPU time in JS and encoding against GPU time, " +
    "dispatches and command buffers per step, and GPU memory. GPU times come from " +
    "timestamp queries where the adapter has them, else from timed submissions.",
  options: {
    method: {
      type: "string" as const,
      default: "sdclr",
      choices: ["sdclr", "simclr"],
      help: "pretraining method",
    },
    model: {
      type: "string" as const,
      default: "res18",
      choices: ["res10", "res18", "res34", "res50"],
      help: "backbone",
    },
    width: { type: "string" as const, default: "64", help: "base width" },
    "batch-size": { type: "string" as const, default: "64", help: "batch size" },
    "image-size": { type: "string" as const, default: "32", help: "view side in pixels" },
    steps: { type: "string" as const, default: "3", help: "steps timed and profiled" },
    warmup: { type: "string" as const, default: "1", help: "steps run first (compiles)" },
    loader: {
      type: "boolean" as const,
      default: true,
      help: "views from the loader (--no-loader: fixed views, the step alone)",
    },
    timed: {
      type: "boolean" as const,
      help: "time by submissions even where timestamp queries exist",
    },
    top: { type: "string" as const, default: "30", help: "kernel rows shown" },
    json: { type: "string" as const, help: "also write the report as JSON to FILE" },
    ...TUNE_OPTIONS,
  },
  epilog: "Example: deno task profile --method sdclr --width 64 --batch-size 64 --steps 3",
};

function int(p: Record<string, unknown>, k: string, min: number): number {
  const v = Number(p[k]);
  if (!Number.isInteger(v) || v < min) {
    throw new UserError(`--${k} must be an integer ≥ ${min}, got "${p[k]}"`);
  }
  return v;
}

runMain(async () => {
  const p = parseCommand(spec);
  const config = {
    method: p.method as Method,
    depth: Number(String(p.model).slice(3)) as Depth,
    width: int(p, "width", 1),
    batchSize: int(p, "batch-size", 2),
    imageSize: int(p, "image-size", 8),
    loader: p.loader !== false,
  };
  await initEngine();
  const tuneLine = await startTuning(tuneFlags(p).mode, { ...tuneFlags(p), warn: console.error });
  if (tuneLine) console.error(tuneLine);
  const report = await profileStep(config, {
    steps: int(p, "steps", 1),
    warmup: int(p, "warmup", 0),
    forceTimed: p.timed === true,
    log: (l) => console.error(l),
  });
  console.log(formatProfile(report, int(p, "top", 1)));
  if (p.json) {
    await writeFileAtomic(p.json as string, JSON.stringify(report, null, 2) + "\n");
    console.error(`wrote ${p.json}`);
  }
});
