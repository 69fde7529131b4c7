/**
 * Un-augmented probe features kept on disk between the probe stages of one run: the linear
 * and the few-shot probe of a checkpoint both need the validation and test features, and
 * computing them is most of a small probe's time (10,000 test images ≈ 10 s on lavapipe).
 *
 * A file is `<run>/feature_cache/<what>_<key>.npy` (float32 [n, dim], readable with
 * `numpy.load`); the key is a SHA-256 over the checkpoint's bytes and the images' identity
 * (source name, input size, recipe kind, every image id and label), so another checkpoint or
 * image list never reads a stale file. Files are written atomically; an unreadable or
 * mis-shaped file is recomputed. `--force` on a stage recomputes and overwrites.
 * @module
 */
import { parseNpy, writeNpy } from "../io/npy.ts";
import { sha256Hex } from "../io/sha256.ts";
import { FeatureBank } from "./probe_features.ts";
import type { ProbeImages } from "./probe_data.ts";

/** Where a stage keeps its features, and for which checkpoint. */
export interface FeatureCache {
  /** Folder of the cache files (created on first write). */
  dir: string;
  /** SHA-256 of the checkpoint file the features come from. */
  checkpointSha256: string;
  /** Recompute and overwrite instead of reading (a stage's --force). */
  refresh?: boolean;
}

/** The cache file for `images` (what: "val", "test", "train"). */
export async function cacheFile(c: FeatureCache, images: ProbeImages, what: string) {
  const ids = new Int32Array(images.n);
  for (let i = 0; i < images.n; i++) ids[i] = images.source.id(i);
  const head = new TextEncoder().encode(
    JSON.stringify([c.checkpointSha256, images.name, images.size, images.kind, images.n]),
  );
  const bytes = new Uint8Array(head.length + ids.byteLength + images.labels.byteLength);
  bytes.set(head);
  bytes.set(new Uint8Array(ids.buffer), head.length);
  const labels = images.labels;
  bytes.set(
    new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength),
    head.length + ids.byteLength,
  );
  const key = (await sha256Hex(bytes)).slice(0, 20);
  return `${c.dir}/${what}_${key}.npy`;
}

/** The cached bank of `images`, or null when absent, unreadable or of another shape. */
export async function readCachedBank(
  path: string,
  images: ProbeImages,
): Promise<FeatureBank | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return null;
  }
  try {
    const a = parseNpy(bytes, path);
    if (a.dtype !== "<f4" || a.shape.length !== 2 || a.shape[0] !== images.n) return null;
    return FeatureBank.fromHost(a.data as Float32Array, images.n, a.shape[1], images.labels);
  } catch {
    return null;
  }
}

/** Saves a bank's features for the next stage (atomically). */
export async function writeCachedBank(path: string, bank: FeatureBank): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await writeNpy(path, await bank.read(), [bank.n, bank.dim]);
}
