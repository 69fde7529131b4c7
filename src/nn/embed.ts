/**
 * Frozen-model inference: load any checkpoint in the authors' layout (ours, or PyTorch's
 * own, wrapped or not, with or without `module.`), infer its architecture from the keys and
 * shapes, and compute eval-mode features (pooled backbone or projection head) of a branch.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { findStateDict } from "../io/checkpoint.ts";
import { loadTorch } from "../io/torch_file.ts";
import type { NpyArray } from "../io/npy.ts";
import { isTensor, type TorchTensor } from "../io/torch_types.ts";
import { Tensor, tidy } from "../../core/tensor.ts";
import { noGrad } from "../../core/tape.ts";
import { allConvs, buildArch } from "./arch.ts";
import type { Branch } from "./dual_bn.ts";
import { pruneModel, setMasks } from "./prune.ts";
import { ResNet } from "./resnet.ts";
import { inferArch, torchToHost } from "./state_dict.ts";

/** A model loaded for inference, and how its pruned branch was masked. */
export interface LoadedModel {
  model: ResNet;
  /** Masks found in the checkpoint (conv module name → 0/1), if any. */
  storedMasks: Map<string, Uint8Array> | null;
  /** Keys of the file that are not part of the model (e.g. a linear classifier). */
  ignored: string[];
}

/** Keys a checkpoint may carry that the embedding model does not use. */
function isClassifierKey(k: string): boolean {
  return k === "fc.weight" || k === "fc.bias";
}

/** Loads a checkpoint for inference (architecture inferred; see module doc). */
export async function loadForInference(path: string): Promise<LoadedModel> {
  const top = await loadTorch(path);
  const sd = findStateDict(top, path);
  const cfg = inferArch(sd, path);
  const ignored = [...sd.keys()].filter((k) => isClassifierKey(k.replace(/^module\./, "")));
  const host = torchToHost(buildArch(cfg), sd, { source: path, ignore: isClassifierKey });
  const model = new ResNet(cfg, host);
  let storedMasks: Map<string, Uint8Array> | null = null;
  const m = top instanceof Map ? top.get("masks") : undefined;
  if (m instanceof Map && m.size > 0) {
    storedMasks = new Map();
    for (const [k, t] of m) {
      if (typeof k !== "string" || !isTensor(t)) continue;
      storedMasks.set(k.replace(/^module\./, ""), (t as TorchTensor).data as Uint8Array);
    }
    const names = allConvs(model.arch).map((c) => c.name);
    const missing = names.filter((n) => !storedMasks!.has(n));
    if (missing.length) {
      model.dispose();
      throw new UserError(`${path}: 'masks' lacks the mask of conv '${missing[0]}'`);
    }
  }
  return { model, storedMasks, ignored };
}

/**
 * Prepares the pruned branch: masks from `prunePercent` when given, else the checkpoint's
 * stored masks, else an error saying to pass --prune-percent.
 */
export async function preparePruned(
  l: LoadedModel,
  prunePercent: number | null,
  source: string,
): Promise<string> {
  if (prunePercent !== null) {
    const r = await pruneModel(l.model, prunePercent);
    return `masks recomputed at ${prunePercent} (sparsity ${(100 * r.sparsity).toFixed(2)}%)`;
  }
  if (l.storedMasks) {
    setMasks(l.model, l.storedMasks);
    return "masks from the checkpoint";
  }
  throw new UserError(
    `${source} holds no pruning masks; give --prune-percent P to prune its weights by magnitude`,
  );
}

/** Converts an input array to float NCHW in [0, 1]: uint8 [N,H,W,C] or float32 [N,3,H,W]. */
export function inputImages(a: NpyArray, source: string): { data: Float32Array; shape: number[] } {
  if (a.dtype === "|u1" && a.shape.length === 4 && (a.shape[3] === 3 || a.shape[3] === 1)) {
    const [n, h, w, c] = a.shape;
    const src = a.data as Uint8Array;
    const out = new Float32Array(n * 3 * h * w);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < h * w; p++) {
        for (let ch = 0; ch < 3; ch++) {
          out[(i * 3 + ch) * h * w + p] = src[(i * h * w + p) * c + (c === 3 ? ch : 0)] / 255;
        }
      }
    }
    return { data: out, shape: [n, 3, h, w] };
  }
  if (a.dtype === "<f4" && a.shape.length === 4 && a.shape[1] === 3) {
    return { data: a.data as Float32Array, shape: a.shape };
  }
  throw new UserError(
    `${source}: expected uint8 images [N,H,W,C] (C 1 or 3) or float32 [N,3,H,W], got ${a.dtype} ` +
      `[${a.shape}]`,
  );
}

/** Eval-mode features of every image, computed in batches; returns [N, D] values. */
export async function embed(
  model: ResNet,
  images: { data: Float32Array; shape: number[] },
  opts: { branch: Branch; output: "backbone" | "head"; batch?: number },
): Promise<{ data: Float32Array; dim: number }> {
  const [n, c, h, w] = images.shape;
  const bs = opts.batch ?? 128;
  const per = c * h * w;
  let out: Float32Array | null = null;
  let dim = 0;
  for (let s = 0; s < n; s += bs) {
    const m = Math.min(bs, n - s);
    const y = tidy(() =>
      noGrad(() => {
        const x = Tensor.from(images.data.subarray(s * per, (s + m) * per), [m, c, h, w]);
        return model.forward(x, { branch: opts.branch, training: false, output: opts.output });
      })
    );
    const v = await y.read();
    y.dispose();
    dim = y.shape[1];
    out ??= new Float32Array(n * dim);
    out.set(v, s * dim);
  }
  return { data: out ?? new Float32Array(0), dim };
}
