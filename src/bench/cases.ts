/**
 * Every benchmark case of `deno task bench`. A kernel family exports its cases from
 * `kernels/<family>/bench.ts` and adds them here with one spread line.
 * @module
 */
import type { BenchCase } from "../../kernels/types.ts";
import { conv2dBench } from "../../kernels/conv2d/bench.ts";

/** All cases, in table order. */
export const benchCases: BenchCase[] = [
  ...conv2dBench,
];
