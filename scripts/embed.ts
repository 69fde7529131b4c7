/**
 * `deno task embed`: features of images under a frozen checkpoint (eval-mode BN).
 * @module
 */
import {
  type CommandSpec,
  num,
  optNum,
  parentMustExist,
  parseCommand,
  runMain,
  userPath,
} from "../src/cli.ts";
import { UserError } from "../core/errors.ts";
import { initEngine } from "../core/engine.ts";
import { readNpy, writeNpy } from "../src/io/npy.ts";
import { describeArch } from "../src/nn/arch.ts";
import { embed, inputImages, loadForInference, preparePruned } from "../src/nn/embed.ts";

const spec: CommandSpec = {
  name: "embed",
  description:
    "Computes features of images with a pretrained checkpoint (this suite's or the authors' " +
    "PyTorch layout; architecture inferred from the keys) and writes them as float32 .npy [N, D].",
  options: {
    checkpoint: { type: "string", help: "checkpoint .pt (required)" },
    input: {
      type: "string",
      help: "images .npy: uint8 [N,H,W,C] or float32 [N,3,H,W] in [0,1] (required)",
    },
    out: { type: "string", help: "output .npy (required)" },
    branch: {
      type: "string",
      default: "dense",
      choices: ["dense", "pruned"],
      help: "dense network, or the pruned one (masked weights, pruned BN set)",
    },
    output: {
      type: "string",
      default: "backbone",
      choices: ["backbone", "head"],
      help: "pooled backbone features or projection-head outputs",
    },
    "prune-percent": {
      type: "string",
      help: "prune fraction for --branch pruned [default: the checkpoint's stored masks]",
    },
    "batch-size": { type: "string", default: "128", help: "images per forward" },
    quiet: { type: "boolean", help: "print nothing but errors" },
  },
};

async function main() {
  const p = parseCommand(spec);
  for (const k of ["checkpoint", "input", "out"]) {
    if (typeof p[k] !== "string") throw new UserError(`--${k} is required (see --help)`);
  }
  // Relative to where the command was typed; every input checked before the GPU starts.
  const ckPath = userPath(p.checkpoint as string);
  const input = userPath(p.input as string);
  const outPath = userPath(p.out as string);
  if (!outPath.endsWith(".npy")) throw new UserError(`--out ${outPath}: must end in .npy`);
  parentMustExist(outPath, "--out");
  const batch = num(p, "batch-size", { int: true, min: 1 });
  const pp = optNum(p, "prune-percent", { min: 0, below: 1 }) ?? null;
  if (pp !== null && p.branch !== "pruned") {
    throw new UserError("--prune-percent applies to --branch pruned only");
  }
  const say = (s: string) => p.quiet || console.log(s);
  const images = inputImages(await readNpy(input), input);
  try {
    Deno.statSync(ckPath);
  } catch {
    throw new UserError(`--checkpoint ${ckPath}: no such file`);
  }
  await initEngine({ quiet: Boolean(p.quiet) });
  const loaded = await loadForInference(ckPath);
  try {
    say(`${ckPath}: ${describeArch(loaded.model.config)}`);
    if (loaded.ignored.length) say(`ignored keys: ${loaded.ignored.join(", ")}`);
    const branch = p.branch as "dense" | "pruned";
    if (branch === "pruned") say(await preparePruned(loaded, pp, ckPath));
    const output = p.output as "backbone" | "head";
    if (output === "head" && loaded.model.arch.head.length === 0) {
      throw new UserError(`${ckPath} has no projection head; use --output backbone`);
    }
    const r = await embed(loaded.model, images, {
      branch,
      output,
      batch,
    });
    const n = images.shape[0];
    await writeNpy(outPath, r.data, [n, r.dim]);
    say(`wrote ${outPath}: [${n}, ${r.dim}] float32`);
  } finally {
    loaded.model.dispose();
  }
}

if (import.meta.main) await runMain(main);
