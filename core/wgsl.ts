/**
 * WGSL source handling: reading kernel files with `#include "file.wgsl"` (shared snippets such
 * as the workgroup reductions, resolved relative to the including file, recursively), then
 * the wgsl-preprocessor pass in which `${NAME}` takes the value of define NAME and
 * `#if ${FLAG}` / `#elif` / `#else` / `#endif` select variants.
 * @module
 */
import { wgsl } from "wgsl-preprocessor";

/** Preprocessor defines: `${NAME}` in WGSL is replaced by the value. */
export type Defines = Record<string, string | number | boolean>;

const sourceCache = new Map<string, string>();
const INCLUDE = /^[ \t]*#include\s+"([^"]+)"[ \t]*$/gm;

/** A WGSL file's text with its `#include` lines replaced by the included files (cached). */
export function wgslSource(file: URL, seen: string[] = []): string {
  const key = file.href;
  const hit = sourceCache.get(key);
  if (hit !== undefined) return hit;
  if (seen.includes(key)) {
    throw new Error(`${file.pathname}: #include cycle through ${seen.join(" → ")}`);
  }
  const text = Deno.readTextFileSync(file).replace(
    INCLUDE,
    (_, name: string) => wgslSource(new URL(name, file), [...seen, key]),
  );
  sourceCache.set(key, text);
  return text;
}

/**
 * Runs `text` through wgsl-preprocessor with `defines`; `where` names the source in errors.
 * A placeholder without a define is an error naming it.
 */
export function preprocess(text: string, defines: Defines, where: string): string {
  const parts = text.split(/\$\{(\w+)\}/);
  const strings: string[] = [];
  const values: unknown[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) strings.push(parts[i]);
    else {
      if (!(parts[i] in defines)) throw new Error(`${where}: no define given for \${${parts[i]}}`);
      values.push(defines[parts[i]]);
    }
  }
  const raw = Object.assign([...strings], { raw: strings }) as unknown as TemplateStringsArray;
  return wgsl(raw, ...values);
}
