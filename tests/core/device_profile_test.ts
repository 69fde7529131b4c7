import { engine, initEngine } from "../../core/engine.ts";
import { guessSubgroupSize } from "../../core/device_profile.ts";

await initEngine({ quiet: true });

Deno.test("device profile: subgroup guess from reported sizes, software SIMD width, vendor", () => {
  const cases: [Parameters<typeof guessSubgroupSize>[0], number][] = [
    [{ description: "llvmpipe (LLVM 15.0.6, 256 bits)", subgroupMinSize: 8, isSoftware: true }, 8],
    [{ description: "llvmpipe (LLVM 15.0.6, 256 bits)", isSoftware: true }, 8],
    [{ description: "llvmpipe (LLVM 17.0.6, 512 bits)", isSoftware: true }, 16],
    [{ description: "SwiftShader Device", isSoftware: true }, 8],
    [{ vendor: "nvidia", description: "NVIDIA H200", isSoftware: false }, 32],
    [{ vendor: "4318", isSoftware: false }, 32],
    [{ vendor: "amd", architecture: "rdna-3", isSoftware: false }, 64],
    [{ vendor: "intel", architecture: "gen-12lp", isSoftware: false }, 16],
    [{ vendor: "amd", subgroupMinSize: 32, isSoftware: false }, 32],
    [{ vendor: "apple", isSoftware: false }, 32],
  ];
  for (const [facts, want] of cases) {
    const got = guessSubgroupSize(facts);
    if (got !== want) throw new Error(`${JSON.stringify(facts)}: ${got}, expected ${want}`);
  }
});

Deno.test("device profile: built once from the adapter, consistent with the device", () => {
  const e = engine(), p = e.profile;
  if (p !== engine().profile || !Object.isFrozen(p)) throw new Error("profile not one object");
  if (p.isSoftware !== e.gpu.isSoftware || p.preferTextureLoads !== p.isSoftware) {
    throw new Error("texture preference must follow the adapter kind");
  }
  const l = e.device.limits;
  if (
    p.limits.maxWorkgroupsPerDimension !== l.maxComputeWorkgroupsPerDimension ||
    p.limits.maxTextureDimension2D !== l.maxTextureDimension2D ||
    p.limits.maxWorkgroupSize[0] !== l.maxComputeWorkgroupSizeX
  ) throw new Error("limits differ from the device's");
  const wgs = p.tiledWorkgroupSize;
  if (!(wgs >= 1 && wgs <= p.subgroupSize && wgs <= l.maxComputeInvocationsPerWorkgroup)) {
    throw new Error(`tiled workgroup ${wgs} vs subgroup ${p.subgroupSize}`);
  }
  // Lavapipe (the CPU machines' adapter): one lane per 32 bits of its named SIMD width (8 at
  // 256 bits, 16 at the 512 that core/device.ts asks for on AVX-512 CPUs), one subgroup a
  // tiled workgroup.
  const bits = /llvmpipe|lavapipe/i.test(p.adapter) ? /(\d+) bits/.exec(p.adapter) : null;
  if (bits && (p.subgroupSize !== Number(bits[1]) / 32 || wgs !== p.subgroupSize)) {
    throw new Error(`lavapipe profile: subgroup ${p.subgroupSize}, tiled workgroup ${wgs}`);
  }
});
