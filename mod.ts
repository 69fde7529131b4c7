/**
 * SDCLR on WebGPU: the public API of the suite.
 * @module
 */
export * from "./src/cli.ts";
export * from "./src/io/npy.ts";
