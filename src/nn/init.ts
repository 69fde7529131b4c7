/**
 * Initial values of a network, drawn from the suite's seeded PRNG as the authors' models
 * initialise them: convolutions Kaiming normal (fan_out, ReLU gain: std = √(2 / (O·kh·kw))),
 * BN weight 1 and bias 0 with running mean 0 / variance 1, and the projection head's Linear
 * layers with PyTorch's default (weight and bias U(−1/√fan_in, 1/√fan_in)).
 * @module
 */
import { Prng } from "../../core/prng.ts";
import { allBns, allConvs, type ArchDef, BN_FIELDS, bnPrefix, bnSets } from "./arch.ts";

/** Host values by state_dict key; `num_batches_tracked` entries are plain numbers. */
export interface HostState {
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  counters: Map<string, number>;
}

/** Draws the initial state of `arch` from `seed` (same seed → same bits). */
export function initState(arch: ArchDef, seed: number): HostState {
  const rng = Prng.named(seed, "init");
  const tensors: HostState["tensors"] = new Map();
  const counters: HostState["counters"] = new Map();
  for (const c of allConvs(arch)) {
    const n = c.outC * c.inC * c.k * c.k;
    const std = Math.sqrt(2 / (c.outC * c.k * c.k));
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    tensors.set(`${c.name}.weight`, { shape: [c.outC, c.inC, c.k, c.k], data });
  }
  for (const bn of allBns(arch)) {
    for (let s = 0; s < bnSets(arch.config); s++) {
      const p = bnPrefix(bn, arch.config.dualBn, s);
      const shape = [bn.channels];
      tensors.set(`${p}.weight`, { shape, data: new Float32Array(bn.channels).fill(1) });
      tensors.set(`${p}.bias`, { shape, data: new Float32Array(bn.channels) });
      tensors.set(`${p}.running_mean`, { shape, data: new Float32Array(bn.channels) });
      tensors.set(`${p}.running_var`, { shape, data: new Float32Array(bn.channels).fill(1) });
      counters.set(`${p}.${BN_FIELDS[4]}`, 0);
    }
  }
  for (const { fc } of arch.head) {
    const bound = 1 / Math.sqrt(fc.inF);
    const w = new Float32Array(fc.outF * fc.inF);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * bound;
    tensors.set(`${fc.name}.weight`, { shape: [fc.outF, fc.inF], data: w });
    if (fc.bias) {
      const b = new Float32Array(fc.outF);
      for (let i = 0; i < b.length; i++) b[i] = (2 * rng.uniform() - 1) * bound;
      tensors.set(`${fc.name}.bias`, { shape: [fc.outF], data: b });
    }
  }
  return { tensors, counters };
}
