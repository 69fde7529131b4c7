/**
 * Every benchmark case of `deno task bench`. A kernel family exports its cases from
 * `kernels/<family>/bench.ts` and adds them here with one spread line.
 * @module
 */
import type { BenchCase } from "../../kernels/types.ts";
import { conv2dBench } from "../../kernels/conv2d/bench.ts";
import { batchnormBench } from "../../kernels/batchnorm/bench.ts";
import { poolBench } from "../../kernels/pool/bench.ts";
import { normalizeBench } from "../../kernels/normalize/bench.ts";
import { linearBench } from "../../kernels/linear/bench.ts";
import { lossBench } from "../../kernels/loss/bench.ts";
import { optimBench } from "../../kernels/optim/bench.ts";
import { augmentBenchCases } from "../../kernels/augment/bench.ts";

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
