/**
 * The ResNet backbone (BasicBlock / Bottleneck, CIFAR or ImageNet stem) with its projection
 * head (heads.ts) and dual BN, as GPU tensors named by the authors' state_dict keys. One
 * forward runs either branch: "dense" uses the plain conv weights and BN set 0, "pruned"
 * uses w ⊙ mask (the masks from prune.ts) and BN set 1.
 * @module
 */
import { readAll, Tensor } from "../../core/tensor.ts";
import {
  allBns,
  allConvs,
  type ArchConfig,
  type ArchDef,
  buildArch,
  type ConvDef,
} from "./arch.ts";
import { type Branch, DualBatchNorm } from "./dual_bn.ts";
import { headForward, headTensors } from "./heads.ts";
import type { HostState } from "./init.ts";
import { conv2dOp, globalAvgPoolOp, maxPoolOp, normalizeInputOp } from "./ops.ts";

/** What a forward computes. */
export interface ForwardOptions {
  branch: Branch;
  /** Train-mode BN (batch statistics, running update) or eval-mode BN. */
  training: boolean;
  /** "head": projections (default); "backbone": pooled features. */
  output?: "head" | "backbone";
  /**
   * Train mode: how many times each BN layer's running statistics move towards the batch's
   * (default 1), as that many identical train-mode forwards would move them.
   */
  runningUpdates?: number;
}

/** The network: parameters, BN sets and (for the pruned branch) masks. */
export class ResNet {
  readonly arch: ArchDef;
  /** Conv and Linear weights/biases by state_dict key. */
  readonly weights: Map<string, Tensor> = new Map();
  /** BN layers by module name. */
  readonly bns: Map<string, DualBatchNorm> = new Map();
  /** Pruning masks by conv weight key (set by prune.ts); null before the first pruning. */
  masks: Map<string, Tensor> | null = null;

  /** Uploads a host state (from init.ts or a checkpoint) for `config`. */
  constructor(config: ArchConfig, host: HostState) {
    this.arch = buildArch(config);
    for (const c of allConvs(this.arch)) this.#upload(host, `${c.name}.weight`);
    for (const h of this.arch.head) {
      this.#upload(host, `${h.fc.name}.weight`);
      if (h.fc.bias) this.#upload(host, `${h.fc.name}.bias`);
    }
    for (const bn of allBns(this.arch)) {
      this.bns.set(bn.name, new DualBatchNorm(bn, config.dualBn, host));
    }
  }

  #upload(host: HostState, key: string): void {
    const h = host.tensors.get(key);
    if (!h) throw new Error(`ResNet: no value for '${key}'`);
    const t = Tensor.from(h.data, h.shape, { name: key }).keep();
    t.requiresGrad = true;
    this.weights.set(key, t);
  }

  /** The architecture configuration. */
  get config(): ArchConfig {
    return this.arch.config;
  }

  #conv(def: ConvDef, x: Tensor, branch: Branch): Tensor {
    const key = `${def.name}.weight`;
    let mask: Tensor | undefined;
    if (branch === "pruned") {
      mask = this.masks?.get(key);
      if (!mask) throw new Error(`pruned forward without a mask for '${key}' (prune first)`);
    }
    return conv2dOp(x, this.weights.get(key)!, { stride: def.stride, pad: def.pad, mask });
  }

  /** Runs the network on x [N, 3, H, W] (values in [0, 1]; normalised inside). */
  forward(x: Tensor, opts: ForwardOptions): Tensor {
    const { branch, training, runningUpdates } = opts;
    const bn = (name: string) => this.bns.get(name)!;
    const a = this.arch;
    let h = normalizeInputOp(x);
    h = this.#conv(a.stem.conv, h, branch);
    h = bn(a.stem.bn.name).forward(h, branch, { training, relu: true, runningUpdates });
    if (a.stem.maxPool) h = maxPoolOp(h);
    for (const b of a.blocks) {
      let idt = h;
      if (b.downsample) {
        idt = this.#conv(b.downsample.conv, h, branch);
        idt = bn(b.downsample.bn.name).forward(idt, branch, { training, runningUpdates });
      }
      // The block's last BN adds the shortcut and applies the ReLU in its own pass:
      // relu(bn(conv(y)) + idt), as PyTorch's separate ops compute it.
      let y = h;
      b.path.forEach((p, i) => {
        const last = i === b.path.length - 1;
        y = this.#conv(p.conv, y, branch);
        y = bn(p.bn.name).forward(y, branch, {
          training,
          relu: true,
          residual: last ? idt : undefined,
          runningUpdates,
        });
      });
      h = y;
    }
    const feat = globalAvgPoolOp(h);
    if (opts.output === "backbone" || a.head.length === 0) {
      if (opts.output !== "backbone") throw new Error("this model has no projection head");
      return feat;
    }
    return headForward(this, feat, { branch, training, runningUpdates });
  }

  /** Trainable tensors with their keys, in state_dict order. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [k, t] of this.namedTensors()) if (t.requiresGrad) out.push([k, t]);
    return out;
  }

  /** Trainable tensors in state_dict order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every tensor (parameters and BN running statistics) with its key, in state_dict order. */
  namedTensors(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const a = this.arch;
    const conv = (c: ConvDef) =>
      out.push([`${c.name}.weight`, this.weights.get(`${c.name}.weight`)!]);
    const bn = (name: string) => out.push(...this.bns.get(name)!.tensors());
    conv(a.stem.conv);
    bn(a.stem.bn.name);
    for (const b of a.blocks) {
      for (const p of b.path) {
        conv(p.conv);
        bn(p.bn.name);
      }
      if (b.downsample) {
        conv(b.downsample.conv);
        bn(b.downsample.bn.name);
      }
    }
    out.push(...headTensors(this));
    return out;
  }

  /** Reads the whole state back to the host (one flush; for checkpoints and pruning). */
  async toHost(): Promise<HostState> {
    const host: HostState = { tensors: new Map(), counters: new Map() };
    const named = this.namedTensors();
    const data = await readAll(named.map(([, t]) => t));
    named.forEach(([k, t], i) => host.tensors.set(k, { shape: [...t.shape], data: data[i] }));
    for (const bn of this.bns.values()) {
      for (const [k, set] of bn.counters()) host.counters.set(k, set.numBatchesTracked);
    }
    return host;
  }

  /** Frees every GPU buffer of the model (parameters, gradients, statistics, masks). */
  dispose(): void {
    for (const [, t] of this.namedTensors()) t.dispose();
    for (const m of this.masks?.values() ?? []) m.dispose();
    this.masks = null;
  }
}
