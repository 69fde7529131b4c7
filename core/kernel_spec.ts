/**
 * Kernel specs: the contract between a WGSL kernel and its TypeScript launcher, by NAME.
 *
 * A spec names the kernel's uniform parameters (in order, with their WGSL scalar types) and its
 * bindings (storage arrays or textures, with access and element type, optionally present only
 * in some variants). The WGSL file holds only the kernel body; the declarations — `struct
 * Params`, `var<uniform> p`, one `@group(0) @binding(i) var ...` per binding — are generated
 * from the spec for each variant (WGSL module-scope declarations may come in any order, so the
 * body's aliases and constants can be used by them). Launchers pass params and buffers as
 * records keyed by the same names; packing and binding indices follow the spec, so a field
 * added or reordered on one side cannot silently shift the other.
 * @module
 */
import { type Defines, preprocess, wgslSource } from "./wgsl.ts";

/** WGSL scalar type of a uniform parameter. */
export type ParamType = "u32" | "i32" | "f32";

/** One binding of a kernel. */
export interface BindingDecl {
  /**
   * `read` / `read_write`: a storage array whose element type is `type` (WGSL, may hold
   * `${DEFINE}` placeholders or a body alias such as `VT`); `texture`: `type` is the whole
   * WGSL texture type, e.g. `texture_storage_2d<rgba32float, read>`.
   */
  access: "read" | "read_write" | "texture";
  type: string;
}

/** A binding that exists in every variant, or only where `when` holds for the defines. */
export type BindingSpec =
  | (BindingDecl & { when?: string | ((d: Defines) => boolean) })
  | ((d: Defines) => BindingDecl | null);

/** What a kernel file declares by name. */
export interface KernelSpec {
  /** Display name of the file's kernels, e.g. "batchnorm_fwd". */
  name: string;
  /** The WGSL body (no Params struct, no binding declarations). */
  file: URL;
  /** Uniform parameters in struct order (none: the kernel has no uniform). */
  params: Record<string, ParamType>;
  /** Bindings; binding i + 1 is the i-th entry (binding 0 is the uniform). */
  bindings: Record<string, BindingSpec>;
  /**
   * u32 constants the kernel shares with TypeScript (e.g. the word layout of a record the
   * host packs), emitted as `const NAME: u32 = Vu;` so both sides read one definition.
   */
  constants?: Record<string, number>;
}

/** Declares a kernel spec (identity; gives the literal its type). */
export function defineKernel<S extends KernelSpec>(spec: S): S {
  return spec;
}

/** Parameter values of a spec's launch, by name. */
export type ParamValues<S extends KernelSpec> = { [K in keyof S["params"]]: number };

/** The active bindings of a spec under `defines`: name → [binding index, declaration]. */
export function activeBindings(
  spec: KernelSpec,
  defines: Defines,
): Map<string, [number, BindingDecl]> {
  const out = new Map<string, [number, BindingDecl]>();
  Object.entries(spec.bindings).forEach(([name, b], i) => {
    let decl: BindingDecl | null;
    if (typeof b === "function") decl = b(defines);
    else {
      const on = b.when === undefined ||
        (typeof b.when === "string" ? Boolean(defines[b.when]) : b.when(defines));
      decl = on ? { access: b.access, type: b.type } : null;
    }
    if (decl) out.set(name, [i + 1, decl]);
  });
  return out;
}

/** Words of the Params struct: one per parameter, padded to a multiple of 4 (16 bytes). */
function paramWords(spec: KernelSpec): number {
  const n = Object.keys(spec.params).length;
  return n === 0 ? 0 : Math.ceil(n / 4) * 4;
}

/** The generated WGSL declarations of a spec's variant. */
export function wgslHeader(spec: KernelSpec, defines: Defines): string {
  const lines = [`// generated from the kernel spec "${spec.name}"`];
  const names = Object.entries(spec.params);
  if (names.length) {
    lines.push("struct Params {");
    for (const [k, t] of names) lines.push(`  ${k}: ${t},`);
    for (let i = names.length; i < paramWords(spec); i++) lines.push(`  _pad${i}: u32,`);
    lines.push("}", "@group(0) @binding(0) var<uniform> p: Params;");
  }
  for (const [name, v] of Object.entries(spec.constants ?? {})) {
    lines.push(`const ${name}: u32 = ${v >>> 0}u;`);
  }
  for (const [name, [i, d]] of activeBindings(spec, defines)) {
    const v = d.access === "texture"
      ? `var ${name}: ${d.type}`
      : `var<storage, ${d.access}> ${name}: array<${d.type}>`;
    lines.push(`@group(0) @binding(${i}) ${v};`);
  }
  return lines.join("\n") + "\n";
}

/** The complete WGSL of a spec's variant: generated declarations + body, preprocessed. */
export function kernelSource(spec: KernelSpec, defines: Defines): string {
  return preprocess(wgslHeader(spec, defines) + wgslSource(spec.file), defines, spec.file.pathname);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Packs parameter values by name into the uniform words of `spec` (struct order, padding
 * zero). A missing or unknown name is an error naming it.
 */
export function packParams(spec: KernelSpec, values: Record<string, number>): Uint32Array {
  const words = new Uint32Array(paramWords(spec));
  let i = 0;
  for (const [k, t] of Object.entries(spec.params)) {
    const v = values[k];
    if (v === undefined) throw new Error(`${spec.name}: parameter "${k}" not given`);
    if (t === "f32") {
      f32[0] = v;
      words[i++] = u32[0];
    } else words[i++] = t === "u32" ? v >>> 0 : v | 0;
  }
  for (const k of Object.keys(values)) {
    if (!(k in spec.params)) throw new Error(`${spec.name}: unknown parameter "${k}"`);
  }
  return words;
}
