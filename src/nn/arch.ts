/**
 * Architecture description of the suite's networks as plain data: every convolution, batch
 * norm and linear layer with its shape and its name in the authors' state_dict. The model
 * (resnet.ts), the initialiser, the pruner and the checkpoint mapping all walk this one list,
 * so names and shapes cannot drift apart.
 *
 * Names follow the authors' released code: `conv1`, `bn1`, `layer{1..4}.{j}.conv{1..3}` /
 * `.bn{1..3}`, the projection head under `fc.fc{k}` / `fc.bn{k}`. With dual BN every BN owns
 * `bn_list.0` (dense branch) and `bn_list.1` (pruned branch) and the shortcut is
 * `downsample.conv` / `downsample.bn`; with single BN the BN fields sit directly under the
 * layer name and the shortcut is the Sequential `downsample.0` / `downsample.1`.
 * @module
 */

/** Supported depths. */
export type Depth = 10 | 18 | 34 | 50;

/** Stem variant: CIFAR (3×3 s1, no max-pool) or ImageNet (7×7 s2 + max-pool 3×3 s2). */
export type Stem = "cifar" | "imagenet";

/** Everything that fixes the network's shapes. */
export interface ArchConfig {
  depth: Depth;
  /** Base width (64 in the paper); stages use w, 2w, 4w, 8w. */
  width: number;
  stem: Stem;
  /** Two BN sets per BN layer (SDCLR) or one. */
  dualBn: boolean;
  /** Projection head depth: 3 (SDCLR), 2 (SimCLR) or 0 (no head, backbone only). */
  headLayers: 0 | 2 | 3;
  /** Projection output size (128). */
  projDim: number;
}

/** Block counts and block type per depth. */
export const DEPTHS: Record<Depth, { blocks: number[]; bottleneck: boolean }> = {
  10: { blocks: [1, 1, 1, 1], bottleneck: false },
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
};

/** A convolution (no bias). `name` is its module name; the weight key is `name.weight`. */
export interface ConvDef {
  name: string;
  inC: number;
  outC: number;
  k: number;
  stride: number;
  pad: number;
}

/** A batch norm layer (module name; keys depend on single/dual layout). */
export interface BnDef {
  name: string;
  channels: number;
}

/** A linear layer. */
export interface LinearDef {
  name: string;
  inF: number;
  outF: number;
  bias: boolean;
}

/** One residual block: its main path (conv, bn) pairs and optional shortcut. */
export interface BlockDef {
  name: string;
  path: { conv: ConvDef; bn: BnDef }[];
  downsample: { conv: ConvDef; bn: BnDef } | null;
}

/** The whole network. */
export interface ArchDef {
  config: ArchConfig;
  stem: { conv: ConvDef; bn: BnDef; maxPool: boolean };
  blocks: BlockDef[];
  /** Size of the pooled backbone feature. */
  featDim: number;
  head: { fc: LinearDef; bn: BnDef }[];
}

/** Builds the layer list of a configuration. */
export function buildArch(config: ArchConfig): ArchDef {
  const { depth, width: w, stem, dualBn, headLayers, projDim } = config;
  const d = DEPTHS[depth];
  if (!d) throw new Error(`unsupported depth ${depth} (use 10, 18, 34 or 50)`);
  if (!Number.isInteger(w) || w < 1) throw new Error(`width must be a positive integer, got ${w}`);
  const expansion = d.bottleneck ? 4 : 1;
  const conv = (name: string, inC: number, outC: number, k: number, stride = 1): ConvDef => ({
    name,
    inC,
    outC,
    k,
    stride,
    pad: k === 7 ? 3 : k === 3 ? 1 : 0,
  });
  const stemConv = stem === "cifar" ? conv("conv1", 3, w, 3) : conv("conv1", 3, w, 7, 2);
  const blocks: BlockDef[] = [];
  let inC = w;
  for (let s = 0; s < 4; s++) {
    const planes = w << s;
    for (let j = 0; j < d.blocks[s]; j++) {
      const name = `layer${s + 1}.${j}`;
      const stride = j === 0 && s > 0 ? 2 : 1;
      const outC = planes * expansion;
      const path = d.bottleneck
        ? [
          conv(`${name}.conv1`, inC, planes, 1),
          conv(`${name}.conv2`, planes, planes, 3, stride),
          conv(`${name}.conv3`, planes, outC, 1),
        ]
        : [conv(`${name}.conv1`, inC, planes, 3, stride), conv(`${name}.conv2`, planes, planes, 3)];
      let downsample: BlockDef["downsample"] = null;
      if (stride !== 1 || inC !== outC) {
        const [c, b] = dualBn ? ["conv", "bn"] : ["0", "1"];
        downsample = {
          conv: conv(`${name}.downsample.${c}`, inC, outC, 1, stride),
          bn: { name: `${name}.downsample.${b}`, channels: outC },
        };
      }
      blocks.push({
        name,
        path: path.map((c, i) => ({
          conv: c,
          bn: { name: `${name}.bn${i + 1}`, channels: c.outC },
        })),
        downsample,
      });
      inC = outC;
    }
  }
  const featDim = inC;
  const head: ArchDef["head"] = [];
  for (let k = 1; k <= headLayers; k++) {
    const outF = k === headLayers ? projDim : featDim;
    head.push({
      fc: { name: `fc.fc${k}`, inF: featDim, outF, bias: k === 1 },
      bn: { name: `fc.bn${k}`, channels: outF },
    });
  }
  return {
    config,
    stem: { conv: stemConv, bn: { name: "bn1", channels: w }, maxPool: stem === "imagenet" },
    blocks,
    featDim,
    head,
  };
}

/** Every convolution of the network in forward order (these are the prunable weights). */
export function allConvs(a: ArchDef): ConvDef[] {
  const out = [a.stem.conv];
  for (const b of a.blocks) {
    for (const p of b.path) out.push(p.conv);
    if (b.downsample) out.push(b.downsample.conv);
  }
  return out;
}

/** Every BN layer (backbone then head) in forward order. */
export function allBns(a: ArchDef): BnDef[] {
  const out = [a.stem.bn];
  for (const b of a.blocks) {
    for (const p of b.path) out.push(p.bn);
    if (b.downsample) out.push(b.downsample.bn);
  }
  for (const h of a.head) out.push(h.bn);
  return out;
}

/** BN fields in the order PyTorch's state_dict lists them. */
export const BN_FIELDS = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"];

/** The key prefix of BN set `set` (0 dense, 1 pruned) of a BN layer. */
export function bnPrefix(bn: BnDef, dualBn: boolean, set: number): string {
  return dualBn ? `${bn.name}.bn_list.${set}` : bn.name;
}

/** Number of BN sets of a configuration. */
export function bnSets(config: ArchConfig): number {
  return config.dualBn ? 2 : 1;
}

/** Short human description, e.g. "ResNet-18 w8 cifar-stem dual-BN head3→128". */
export function describeArch(c: ArchConfig): string {
  return `ResNet-${c.depth} width ${c.width} ${c.stem} stem, ${c.dualBn ? "dual" : "single"} BN, ` +
    (c.headLayers ? `${c.headLayers}-layer head → ${c.projDim}` : "no head");
}
