/**
 * Networks: architecture description, ResNet with dual BN and projection heads, pruning,
 * initialisation, the authors' state_dict layout, and frozen-model inference.
 * @module
 */
export * from "./arch.ts";
export * from "./dual_bn.ts";
export * from "./embed.ts";
export * from "./heads.ts";
export * from "./init.ts";
export * from "./prune.ts";
export * from "./prune_cpu.ts";
export * from "./resnet.ts";
export * from "./state_dict.ts";
