/**
 * The pretraining methods a sweep can run and the options beyond the paper every pipeline
 * (and the demo) takes (docs/method.md §10): `--methods simclr,sdclr,bcl-i,bcl-d` (or `all`),
 * the temperature schedule (`--tau-schedule cosine --tau-min --tau-max --tau-period`, on any
 * method) and BCL's settings (`--bcl-beta --bcl-k --bcl-strength`, for its runs). BCL-I is
 * SimCLR + BCL, BCL-D is SDCLR + BCL, as the BCL paper names them.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { type OptionSpec, type Parsed, parseNumber } from "../cli.ts";
import { TAU_DEFAULTS, TAU_SCHEDULES, type TauScheduleName } from "../train/tau.ts";
import { BCL_DEFAULTS, type BclConfig } from "../train/bcl.ts";

/** Every method, in the order `--methods all` runs them. */
export const METHOD_NAMES = ["simclr", "sdclr", "bcl-i", "bcl-d"] as const;
/** One of METHOD_NAMES. */
export type MethodName = typeof METHOD_NAMES[number];

/** The pretraining method and BCL flag behind a method name. */
export function methodParts(m: MethodName): { method: "simclr" | "sdclr"; bcl: boolean } {
  return { method: m === "sdclr" || m === "bcl-d" ? "sdclr" : "simclr", bcl: m.startsWith("bcl") };
}

/** The method name of a pretraining method with or without BCL. */
export function methodName(method: "simclr" | "sdclr", bcl: boolean): MethodName {
  return bcl ? (method === "sdclr" ? "bcl-d" : "bcl-i") : method;
}

/** Parses `--methods`: names from METHOD_NAMES, each once, or `all`. */
export function parseMethods(s: string): MethodName[] {
  if (s.trim().toLowerCase() === "all") return [...METHOD_NAMES];
  const ms = s.split(",").map((m) => m.trim().toLowerCase()).filter(Boolean);
  for (const m of ms) {
    if (!(METHOD_NAMES as readonly string[]).includes(m)) {
      throw new UserError(
        `--methods "${s}": expected a list of ${METHOD_NAMES.join(", ")} (or all), ` +
          "e.g. simclr,sdclr",
      );
    }
  }
  if (ms.length === 0 || new Set(ms).size !== ms.length) {
    throw new UserError(`--methods "${s}": name each method once, e.g. simclr,sdclr`);
  }
  return ms as MethodName[];
}

/** The temperature of a pipeline's runs. */
export interface TauSettings {
  schedule: TauScheduleName;
  min: number;
  max: number;
  period: number;
}

/** The cosine schedule's settings (pretrain, the pipelines and the demo). */
export const TAU_SETTING_OPTIONS: Record<string, OptionSpec> = {
  "tau-min": { type: "string", help: `cosine schedule: τ− [default: ${TAU_DEFAULTS.min}]` },
  "tau-max": { type: "string", help: `cosine schedule: τ+ [default: ${TAU_DEFAULTS.max}]` },
  "tau-period": {
    type: "string",
    help: `cosine schedule: T in epochs (a full period is 2T) [default: ${TAU_DEFAULTS.period}]`,
  },
};

/** BCL's settings; `who` starts their help ("BCL", or "BCL runs" in a sweep). */
export function bclSettingOptions(who: string): Record<string, OptionSpec> {
  return {
    "bcl-beta": {
      type: "string",
      help: `${who}: momentum β of the loss memory [default: ${BCL_DEFAULTS.beta}]`,
    },
    "bcl-k": {
      type: "string",
      help: `${who}: RandAugment ops per view, 1-4 [default: ${BCL_DEFAULTS.k}]`,
    },
    "bcl-strength": {
      type: "string",
      help: `${who}: maximum RandAugment strength S, 0-30 [default: ${BCL_DEFAULTS.strength}]`,
    },
  };
}

/** Options of the temperature schedule and BCL (pipelines and the demo). */
export const BEYOND_OPTIONS: Record<string, OptionSpec> = {
  "tau-schedule": {
    type: "string",
    default: "constant",
    choices: TAU_SCHEDULES,
    help: "NT-Xent temperature per epoch for every method: constant (the --temp value) or " +
      "cosine (Kukleva et al. 2023, docs/method.md §10)",
  },
  ...TAU_SETTING_OPTIONS,
  bcl: {
    type: "boolean",
    help: "boosted contrastive learning on this configuration's method (BCL-I on SimCLR, " +
      "BCL-D on SDCLR); --methods bcl-i,bcl-d picks it per method",
  },
  ...bclSettingOptions("BCL runs"),
};

/**
 * The schedule and BCL settings of parsed options (`bcl`: whether this run uses BCL). Cosine
 * settings without `--tau-schedule cosine` are an error unless `lenient` (a replayed config
 * may carry them for a schedule a later flag turned off).
 */
export function beyondSettings(v: Parsed, bcl: boolean, lenient = false): {
  tau: TauSettings;
  bcl: BclConfig | null;
} {
  const s = (k: string) => v[k] as string | undefined;
  const schedule = (s("tau-schedule") ?? "constant") as TauScheduleName;
  const given = new Set(v.given ?? []);
  if (schedule === "constant" && !lenient) {
    const idle = ["tau-min", "tau-max", "tau-period"].filter((k) => given.has(k));
    if (idle.length) {
      throw new UserError(
        `${
          idle.map((k) => `--${k}`).join(", ")
        } set the cosine schedule: add --tau-schedule cosine`,
      );
    }
  }
  const opt = (k: string, def: number, range: Parameters<typeof parseNumber>[2]) =>
    s(k) === undefined ? def : parseNumber(k, s(k), range);
  const tau: TauSettings = {
    schedule,
    min: opt("tau-min", TAU_DEFAULTS.min, { above: 0 }),
    max: opt("tau-max", TAU_DEFAULTS.max, { above: 0 }),
    period: opt("tau-period", TAU_DEFAULTS.period, { above: 0 }),
  };
  const b: BclConfig = {
    beta: opt("bcl-beta", BCL_DEFAULTS.beta, { min: 0, below: 1 }),
    k: opt("bcl-k", BCL_DEFAULTS.k, { int: true, min: 1, max: 4 }),
    strength: opt("bcl-strength", BCL_DEFAULTS.strength, { min: 0, max: 30 }),
  };
  return { tau, bcl: bcl ? b : null };
}

/**
 * The run-name suffix and label tags of the schedule and BCL: `_tauCos0.1-1-T200` / `tauCos…`
 * and `_bcl` (+ its settings where they differ from the defaults) / `bcl…`, so that runs of
 * different (method, schedule) never share a folder or an analysis row.
 */
export function beyondTags(tau: TauSettings, bcl: BclConfig | null): {
  suffix: string;
  label: string[];
} {
  let suffix = "";
  const label: string[] = [];
  if (tau.schedule === "cosine") {
    const t = `tauCos${tau.min}-${tau.max}-T${tau.period}`;
    suffix += `_${t}`;
    label.push(t);
  }
  if (bcl) {
    const d = BCL_DEFAULTS;
    const parts = (bcl.beta !== d.beta ? `B${bcl.beta}` : "") + (bcl.k !== d.k ? `K${bcl.k}` : "") +
      (bcl.strength !== d.strength ? `S${bcl.strength}` : "");
    suffix += `_bcl${parts}`;
    if (parts) label.push(`bcl${parts}`);
  }
  return { suffix, label };
}

/** The pretraining flags of the schedule and BCL (nothing for a constant τ without BCL). */
export function beyondPretrainArgs(tau: TauSettings, bcl: BclConfig | null): string[] {
  const a: string[] = [];
  if (tau.schedule === "cosine") {
    a.push("--tau-schedule", "cosine", "--tau-min", String(tau.min), "--tau-max", String(tau.max));
    a.push("--tau-period", String(tau.period));
  }
  if (bcl) {
    a.push("--bcl", "--bcl-beta", String(bcl.beta), "--bcl-k", String(bcl.k));
    a.push("--bcl-strength", String(bcl.strength));
  }
  return a;
}
