/**
 * Datasets and splits: readers (CIFAR binary/python, Fashion-MNIST IDX, ImageNet-style
 * lists of JPEGs), resizing, the seeded long-tail split generator, and split file reading.
 * @module
 */
export * from "./readers/types.ts";
export {
  CIFAR10_CLASSES,
  CIFAR_PIXELS,
  CIFAR_SIDE,
  cifarHint,
  parseCifarBinary,
  readCifarBinary,
} from "./readers/cifar_binary.ts";
export {
  type CifarBatch,
  cifarBatchFromDict,
  readCifarPickle,
  readCifarPickleBatch,
} from "./readers/cifar_pickle.ts";
export { safeUnpickle } from "./readers/safe_unpickle.ts";
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  type IdxArray,
  type IdxPairOptions,
  parseIdx,
  readFashionMnist,
  readIdx,
  readIdxPair,
} from "./readers/idx.ts";
export * from "./readers/image_list.ts";
export * from "./readers/resize.ts";
export * from "./readers/load_dataset.ts";
export * from "./split_profiles.ts";
export * from "./splits.ts";
export * from "./split_check.ts";
export * from "./split_read.ts";
export * from "./split_write.ts";
