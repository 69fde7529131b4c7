/**
 * `deno task kernels check` entries of the normalisation family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn } from "../../core/testing.ts";
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  L2_NORMALIZE,
  l2NormalizeBackward,
  l2NormalizeForward,
  NORMALIZE_CHANNELS,
  normalizeChannelsBackward,
  normalizeChannelsForward,
} from "./mod.ts";
import {
  l2NormalizeBwdRef,
  l2NormalizeRef,
  normalizeChannelsBwdRef,
  normalizeChannelsRef,
} from "./reference.ts";

const CHAN_SHAPES = [[2, 3, 5, 7], [16, 3, 32, 32], [1, 3, 224, 224]];
const L2_SHAPES = [[6, 11], [512, 128], [3, 200]];

async function chanRows(bwd: boolean): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const shape of CHAN_SHAPES) {
    const [, C, H, W] = shape;
    const n = shape.reduce((a, b) => a * b, 1);
    const xd = randn(n, n);
    const x = Tensor.from(xd, shape);
    const y = normalizeChannelsForward(x);
    let row;
    if (bwd) {
      const consts = Tensor.from(new Float32Array([...IMAGENET_MEAN, ...IMAGENET_STD]), [6]);
      const gx = normalizeChannelsBackward(x, consts);
      row = errors(
        await gx.read(),
        normalizeChannelsBwdRef(xd, { C, HW: H * W, std: IMAGENET_STD }),
      );
      gx.dispose();
      consts.dispose();
    } else {
      row = errors(
        await y.read(),
        normalizeChannelsRef(xd, { C, HW: H * W, mean: IMAGENET_MEAN, std: IMAGENET_STD }),
      );
    }
    out.push({ shape: `[${shape}]`, ...row, tol: 1e-4 });
    x.dispose();
    y.dispose();
  }
  return out;
}

async function l2Rows(bwd: boolean): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [N, d] of L2_SHAPES) {
    const zd = randn(N * d, N * d + 3);
    const z = Tensor.from(zd, [N, d]);
    const { u, norm } = l2NormalizeForward(z);
    let row;
    if (bwd) {
      const gud = randn(N * d, 9);
      const gu = Tensor.from(gud, [N, d]);
      const gz = l2NormalizeBackward(gu, { z, norm });
      row = errors(await gz.read(), l2NormalizeBwdRef(gud, zd, { N, d }));
      gu.dispose();
      gz.dispose();
    } else {
      row = errors(await u.read(), l2NormalizeRef(zd, { N, d }).u);
    }
    out.push({ shape: `[${N},${d}]`, ...row, tol: 1e-4 });
    for (const t of [z, u, norm]) t.dispose();
  }
  return out;
}

/** Normalisation kernels. */
export const normalizeKernels: KernelInfo[] = [
  {
    name: "normalize_channels_fwd",
    family: "normalize",
    description: "y = (x − mean[c]) / std[c] (ImageNet constants by default)",
    spec: NORMALIZE_CHANNELS,
    entry: "main",
    defines: { VEC4: true, BWD: false },
    check: () => chanRows(false),
  },
  {
    name: "normalize_channels_bwd",
    family: "normalize",
    description: "gx = gy / std[c]",
    spec: NORMALIZE_CHANNELS,
    entry: "main",
    defines: { VEC4: true, BWD: true },
    check: () => chanRows(true),
  },
  {
    name: "l2_normalize_fwd",
    family: "normalize",
    description: "u = z / max(‖z‖, 1e-12) per row (F.normalize)",
    spec: L2_NORMALIZE,
    entry: "main",
    defines: { VEC4: true, BWD: false, TPR: 8 },
    check: () => l2Rows(false),
  },
  {
    name: "l2_normalize_bwd",
    family: "normalize",
    description: "gz = (gu − u·(u·gu)) / ‖z‖ (gu / eps below eps)",
    spec: L2_NORMALIZE,
    entry: "main",
    defines: { VEC4: true, BWD: true, TPR: 8 },
    check: () => l2Rows(true),
  },
];
