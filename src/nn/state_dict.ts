/**
 * The mapping between the suite's model state and PyTorch state dicts in the authors' key
 * layout (see arch.ts): export in PyTorch's own key order (including the `normalize.mean` /
 * `normalize.std` buffers and int64 `num_batches_tracked`), import with precise errors
 * (missing key, shape mismatch, unexpected key, each named), conversion between the dual-BN
 * and single-BN layouts (single → dual copies the one BN set into both; dual → single takes
 * the dense set), and inference of the architecture from a state dict's keys and shapes.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { expectKeys } from "../io/checkpoint.ts";
import type { TorchTensor } from "../io/torch_types.ts";
import {
  allBns,
  allConvs,
  type ArchConfig,
  type ArchDef,
  BN_FIELDS,
  bnPrefix,
  bnSets,
  buildArch,
  type Depth,
  DEPTHS,
} from "./arch.ts";
import type { HostState } from "./init.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../../kernels/normalize/mod.ts";

/** Keys of the state dict of `arch` with their shapes, in PyTorch's order. */
export function expectedKeys(arch: ArchDef, withNormalize = true): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (withNormalize) {
    out.set("normalize.mean", [3]);
    out.set("normalize.std", [3]);
  }
  const bn = (name: string, c: number) => {
    for (let s = 0; s < bnSets(arch.config); s++) {
      const p = bnPrefix({ name, channels: c }, arch.config.dualBn, s);
      for (const f of BN_FIELDS) out.set(`${p}.${f}`, f === "num_batches_tracked" ? [] : [c]);
    }
  };
  const conv = (c: { name: string; outC: number; inC: number; k: number }) =>
    out.set(`${c.name}.weight`, [c.outC, c.inC, c.k, c.k]);
  conv(arch.stem.conv);
  bn(arch.stem.bn.name, arch.stem.bn.channels);
  for (const b of arch.blocks) {
    for (const p of b.path) {
      conv(p.conv);
      bn(p.bn.name, p.bn.channels);
    }
    if (b.downsample) {
      conv(b.downsample.conv);
      bn(b.downsample.bn.name, b.downsample.bn.channels);
    }
  }
  for (const h of arch.head) {
    out.set(`${h.fc.name}.weight`, [h.fc.outF, h.fc.inF]);
    if (h.fc.bias) out.set(`${h.fc.name}.bias`, [h.fc.outF]);
    bn(h.bn.name, h.bn.channels);
  }
  return out;
}

/** Exports a host state as a PyTorch state dict (float32 tensors, int64 counters). */
export function hostToTorch(arch: ArchDef, host: HostState): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  for (const [k, shape] of expectedKeys(arch)) {
    if (k === "normalize.mean" || k === "normalize.std") {
      const v = k === "normalize.mean" ? IMAGENET_MEAN : IMAGENET_STD;
      out.set(k, { dtype: "float32", shape, data: new Float32Array(v) });
    } else if (k.endsWith(".num_batches_tracked")) {
      const n = host.counters.get(k);
      if (n === undefined) throw new Error(`hostToTorch: no counter '${k}'`);
      out.set(k, { dtype: "int64", shape: [], data: new BigInt64Array([BigInt(n)]) });
    } else {
      const t = host.tensors.get(k);
      if (!t) throw new Error(`hostToTorch: no tensor '${k}'`);
      out.set(k, { dtype: "float32", shape: [...shape], data: t.data });
    }
  }
  return out;
}

function toF32(t: TorchTensor, key: string, source: string): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  if (d instanceof Float64Array) return Float32Array.from(d);
  throw new UserError(`${source}: '${key}' has dtype ${t.dtype}; expected a floating tensor`);
}

function toCount(t: TorchTensor): number {
  const d = t.data;
  return d instanceof BigInt64Array ? Number(d[0]) : Number(d[0] ?? 0);
}

/** Whether a state dict uses the dual-BN layout. */
export function isDualLayout(sd: Map<string, TorchTensor>): boolean {
  for (const k of sd.keys()) if (k.includes(".bn_list.")) return true;
  return false;
}

/**
 * Imports a state dict into the host state of `arch`. The file may be in either BN layout
 * (converted as described in the module doc). Keys for which `ignore` returns true are
 * dropped first (e.g. a linear-evaluation classifier); anything else unexpected is an error.
 */
export function torchToHost(
  arch: ArchDef,
  sd: Map<string, TorchTensor>,
  opts: { source?: string; ignore?: (key: string) => boolean } = {},
): HostState {
  const source = opts.source ?? "checkpoint";
  const src = new Map<string, TorchTensor>();
  for (const [k, t] of sd) {
    const key = k.startsWith("module.") ? k.slice(7) : k;
    if (opts.ignore?.(key)) continue;
    src.set(key, t);
  }
  for (
    const [k, ref] of [["normalize.mean", IMAGENET_MEAN], ["normalize.std", IMAGENET_STD]] as const
  ) {
    const t = src.get(k);
    if (!t) continue;
    const v = toF32(t, k, source);
    if (v.length !== 3 || v.some((x, i) => Math.abs(x - ref[i]) > 1e-6)) {
      throw new UserError(
        `${source}: '${k}' is [${[...v]}], but the model normalises with the ImageNet values ` +
          `[${ref}]; this checkpoint expects another input normalisation`,
      );
    }
    src.delete(k);
  }
  const srcArch = buildArch({ ...arch.config, dualBn: isDualLayout(src) });
  const expected = expectedKeys(srcArch, false);
  // Old checkpoints may lack num_batches_tracked; it does not change any computation.
  for (const k of expected.keys()) {
    if (k.endsWith(".num_batches_tracked") && !src.has(k)) expected.delete(k);
  }
  expectKeys(src, expected, { source });

  const host: HostState = { tensors: new Map(), counters: new Map() };
  const put = (to: string, from: string) => {
    const t = src.get(from)!;
    host.tensors.set(to, { shape: [...t.shape], data: toF32(t, from, source).slice() });
  };
  const [tc, sc] = [allConvs(arch), allConvs(srcArch)];
  tc.forEach((c, i) => put(`${c.name}.weight`, `${sc[i].name}.weight`));
  const [tb, sb] = [allBns(arch), allBns(srcArch)];
  const srcSets = bnSets(srcArch.config);
  tb.forEach((bn, i) => {
    for (let s = 0; s < bnSets(arch.config); s++) {
      const to = bnPrefix(bn, arch.config.dualBn, s);
      const from = bnPrefix(sb[i], srcArch.config.dualBn, Math.min(s, srcSets - 1));
      for (const f of BN_FIELDS.slice(0, 4)) put(`${to}.${f}`, `${from}.${f}`);
      const n = src.get(`${from}.num_batches_tracked`);
      host.counters.set(`${to}.num_batches_tracked`, n ? toCount(n) : 0);
    }
  });
  for (const h of arch.head) {
    put(`${h.fc.name}.weight`, `${h.fc.name}.weight`);
    if (h.fc.bias) put(`${h.fc.name}.bias`, `${h.fc.name}.bias`);
  }
  return host;
}

/**
 * Infers the architecture of a state dict: depth from the block counts (and Bottleneck from
 * `layer1.0.conv3`), stem from conv1's kernel size, width from conv1's output channels, BN
 * layout from `bn_list` keys, head depth from `fc.fc{k}` and projection size from the last one.
 */
export function inferArch(sd: Map<string, TorchTensor>, source = "checkpoint"): ArchConfig {
  const keys = new Map<string, TorchTensor>();
  for (const [k, t] of sd) keys.set(k.startsWith("module.") ? k.slice(7) : k, t);
  const conv1 = keys.get("conv1.weight");
  if (!conv1 || conv1.shape.length !== 4) {
    throw new UserError(`${source}: no 4-d 'conv1.weight'; not a ResNet checkpoint of this layout`);
  }
  const [width, inC, k] = conv1.shape;
  if (inC !== 3 || (k !== 3 && k !== 7)) {
    throw new UserError(
      `${source}: conv1.weight has shape [${conv1.shape}]; expected [w,3,3,3] (CIFAR stem) or [w,3,7,7] (ImageNet stem)`,
    );
  }
  const bottleneck = keys.has("layer1.0.conv3.weight");
  const counts = [1, 2, 3, 4].map((s) => {
    let j = 0;
    while (keys.has(`layer${s}.${j}.conv1.weight`)) j++;
    return j;
  });
  const depth = (Object.keys(DEPTHS).map(Number) as Depth[]).find((d) =>
    DEPTHS[d].bottleneck === bottleneck && DEPTHS[d].blocks.every((n, i) => n === counts[i])
  );
  if (!depth) {
    throw new UserError(
      `${source}: block counts [${counts}] (${bottleneck ? "Bottleneck" : "BasicBlock"}) match ` +
        `no supported ResNet (10, 18, 34, 50)`,
    );
  }
  let headLayers = 0;
  while (keys.has(`fc.fc${headLayers + 1}.weight`)) headLayers++;
  if (headLayers !== 0 && headLayers !== 2 && headLayers !== 3) {
    throw new UserError(`${source}: projection head with ${headLayers} layers (expected 2 or 3)`);
  }
  const projDim = headLayers ? keys.get(`fc.fc${headLayers}.weight`)!.shape[0] : 128;
  return {
    depth,
    width,
    stem: k === 3 ? "cifar" : "imagenet",
    dualBn: isDualLayout(keys),
    headLayers: headLayers as 0 | 2 | 3,
    projDim,
  };
}
