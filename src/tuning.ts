/**
 * The `--tune` and `--retune` options of the commands that run training steps (pretrain,
 * bench --step, profile) and what they switch on: the autotuner of core/autotune.ts with its
 * per-adapter cache file.
 *
 * `auto` (the default) tunes on hardware GPUs, whose best tiles this project cannot measure
 * in advance, and not on software adapters (lavapipe), whose defaults were chosen by
 * measurement here and where every candidate kernel costs seconds to compile.
 * @module
 */
import { Autotuner, tuneCacheFile } from "../core/autotune.ts";
import { engine } from "../core/engine.ts";
import type { OptionSpec } from "./cli.ts";

/** Values of `--tune`. */
export const TUNE_MODES = ["auto", "on", "off"] as const;
export type TuneMode = typeof TUNE_MODES[number];

/** The two options, to spread into a command's spec. */
export const TUNE_OPTIONS: Record<"tune" | "retune", OptionSpec> = {
  tune: {
    type: "string",
    default: "auto",
    choices: TUNE_MODES,
    help: "time candidate conv kernel configurations per shape on first use and keep the " +
      "fastest per adapter (auto: on GPUs, off on software adapters); the cache is " +
      "$SDCLR_TUNE_DIR, else ~/.cache/sdclr-webgpu/autotune",
  },
  retune: {
    type: "boolean",
    help: "time again, ignoring (and then replacing) this adapter's cached winners",
  },
};

/**
 * Sets engine().tuner for `mode` (the engine must exist). Returns one line for the log saying
 * what was decided and where the cache is, or null when tuning is off.
 */
export async function startTuning(
  mode: TuneMode,
  o: { retune?: boolean; warn?: (line: string) => void } = {},
): Promise<string | null> {
  const e = engine();
  const on = mode === "on" || o.retune || (mode === "auto" && !e.profile.isSoftware);
  if (!on) {
    e.tuner = null;
    return null;
  }
  const file = tuneCacheFile(e.profile.adapter);
  e.tuner = await Autotuner.open({
    adapter: e.profile.adapter,
    file,
    retune: o.retune,
    warn: o.warn,
  });
  const known = e.tuner.entries().size;
  return `autotune: ${o.retune ? "retuning" : `${known} tuned shape(s) cached`} in ${
    file ?? "memory (no HOME or SDCLR_TUNE_DIR)"
  }`;
}

/** Reads `--tune`/`--retune` from parsed options. */
export function tuneFlags(p: Record<string, unknown>): { mode: TuneMode; retune: boolean } {
  return { mode: (p.tune as TuneMode | undefined) ?? "auto", retune: p.retune === true };
}
