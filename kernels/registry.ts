/**
 * Every kernel of the suite, by family, for `deno task kernels` (list / check / dump).
 * A new family adds its `check.ts` list here.
 * @module
 */
import type { KernelInfo } from "../core/kernel.ts";
import { elementwiseKernels } from "./elementwise/check.ts";
import { augmentKernels } from "./augment/check.ts";
import { batchnormKernels } from "./batchnorm/check.ts";
import { poolKernels } from "./pool/check.ts";
import { normalizeKernels } from "./normalize/check.ts";
import { linearKernels } from "./linear/check.ts";
import { lossKernels } from "./loss/check.ts";
import { optimKernels } from "./optim/check.ts";
import { conv2dKernels } from "./conv2d/check.ts";
import { knnKernels } from "./knn/check.ts";

/** All kernels. */
export const allKernels: KernelInfo[] = [
  ...elementwiseKernels,
  ...augmentKernels,
  ...batchnormKernels,
  ...poolKernels,
  ...normalizeKernels,
  ...linearKernels,
  ...lossKernels,
  ...optimKernels,
  ...conv2dKernels,
  ...knnKernels,
];
