/**
 * `deno task kernels [list|check|dump NAME]`: the kernels users study.
 *   list        every kernel: name, family, WGSL file, what it computes
 *   check       runs each against its CPU f64 reference at several shapes; prints a table;
 *               exits 1 if any row fails
 *   dump NAME   prints the final WGSL after preprocessing (default variant, for this
 *               device); --defines also prints the preprocessor defines it was built with
 *               (after the WGSL: they can be long)
 */
import { parseCommand, runMain } from "../src/cli.ts";
import { UserError } from "../core/errors.ts";
import { initEngine } from "../core/engine.ts";
import { kernelSource } from "../core/kernel_spec.ts";
import type { KernelInfo } from "../core/kernel.ts";
import { allKernels } from "../kernels/registry.ts";

const spec = {
  name: "kernels",
  description: "List the WGSL kernels, check them against their CPU references, or dump one.",
  positionals: true,
  options: {
    filter: { type: "string" as const, help: "only kernels whose name contains this text" },
    quick: {
      type: "boolean" as const,
      help: "check: small shapes only (what deno task test runs), skipping the big-tile variants",
    },
    defines: {
      type: "boolean" as const,
      help: "dump: also print the preprocessor defines, after the WGSL",
    },
  },
  epilog: "Commands:\n  list (default)\n  check [--filter TEXT] [--quick]\n  dump NAME [--defines]",
};

function fileOf(k: KernelInfo): URL {
  return k.spec.file;
}

function rel(u: URL): string {
  return u.pathname.replace(new URL("../", import.meta.url).pathname, "");
}

runMain(async () => {
  const p = parseCommand(spec);
  const [cmd = "list", arg] = p.positionals;
  const filter = (p.filter as string | undefined) ?? "";
  const kernels = allKernels.filter((k) => k.name.includes(filter));
  if (cmd === "list") {
    const w = Math.max(...kernels.map((k) => k.name.length)) + 2;
    const fw = Math.max(...kernels.map((k) => k.family.length)) + 2;
    for (const k of kernels) {
      console.log(`${k.name.padEnd(w)}${k.family.padEnd(fw)}${rel(fileOf(k))}  ${k.description}`);
    }
    console.log(`${kernels.length} kernels`);
  } else if (cmd === "dump") {
    const k = allKernels.find((k) => k.name === arg);
    if (!k) {
      throw new UserError(`no kernel named "${arg ?? ""}"; see: deno task kernels list`);
    }
    // Planned variants (conv2d's tiles) depend on the device profile.
    await initEngine({ quiet: true });
    console.log(`// ${k.name}: ${k.description}\n// ${rel(fileOf(k))} entry ${k.entry ?? "main"}`);
    const d = k.defines ?? {};
    console.log(kernelSource(k.spec, d));
    const n = Object.keys(d).length;
    if (n > 0) {
      console.log(
        p.defines
          ? `// defines: ${JSON.stringify(k.defines)}`
          : `// built with ${n} preprocessor defines (--defines prints them)`,
      );
    }
  } else if (cmd === "check") {
    await initEngine();
    let failed = 0;
    const head = ["kernel", "shape", "max abs err", "max rel err", "tol", "result"];
    const lines: string[][] = [];
    for (const k of kernels) {
      for (const r of await k.check({ quick: p.quick === true })) {
        const ok = r.maxRel <= r.tol;
        if (!ok) failed++;
        lines.push([
          k.name,
          r.shape,
          r.maxAbs.toExponential(2),
          r.maxRel.toExponential(2),
          r.tol.toExponential(0),
          ok ? "pass" : "FAIL",
        ]);
      }
    }
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)) + 2);
    console.log(head.map((h, i) => h.padEnd(widths[i])).join(""));
    for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i])).join(""));
    console.log(`${lines.length - failed} passed, ${failed} failed`);
    if (failed) Deno.exit(1);
  } else {
    throw new UserError(`unknown command "${cmd}"; use list, check or dump NAME`);
  }
});
