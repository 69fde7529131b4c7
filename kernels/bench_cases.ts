/**
 * Every benchmark case of `deno task bench`. A kernel family exports its cases from
 * `kernels/<family>/bench.ts` and adds them here with one spread line.
 * @module
 */
import type { BenchCase } from "../core/kernel.ts";
import { conv2dBench } from "./conv2d/bench.ts";
import { batchnormBench } from "./batchnorm/bench.ts";
import { poolBench } from "./pool/bench.ts";
import { normalizeBench } from "./normalize/bench.ts";
import { linearBench } from "./linear/bench.ts";
import { lossBench } from "./loss/bench.ts";
import { optimBench } from "./optim/bench.ts";
import { augmentBenchCases } from "./augment/bench.ts";

/** All cases, in table order. */
export const benchCases: BenchCase[] = [
  ...conv2dBench,
  ...linearBench,
  ...lossBench,
  ...batchnormBench,
  ...poolBench,
  ...normalizeBench,
  ...optimBench,
  ...augmentBenchCases,
];
