/**
 * Test helper: the values our writer serialises into the committed `ours_written.pt` and
 * `ours_checkpoint.pt` (which PyTorch then loaded with weights_only=True to make
 * `ours_torch.json`). Changing anything here changes those files: regenerate as described in
 * tests/golden/gen_torch_fixtures.py.
 * @module
 */
import type { Checkpoint } from "../../src/io/checkpoint.ts";
import type { PyWritable } from "../../src/io/torch_pickle.ts";
import { OrderedDict, PyFloat, type PyKey, type TorchTensor } from "../../src/io/torch_types.ts";

/** float32 tensor from values. */
export function f32(shape: number[], values: number[]): TorchTensor {
  return { dtype: "float32", shape, data: Float32Array.from(values) };
}

/** int64 scalar tensor. */
export function i64(v: bigint): TorchTensor {
  return { dtype: "int64", shape: [], data: BigInt64Array.of(v) };
}

/** Values exercising every kind the writer supports (special floats included). */
export function sampleValue(): Map<PyKey, PyWritable> {
  const sd = new OrderedDict<PyKey, PyWritable>([
    ["conv1.weight", f32([2, 3, 1, 1], [0.1, -0.2, 3e-39, 1e30, -0, 0.5])],
    ["bn1.bn_list.0.running_var", f32([2], [Infinity, NaN])],
    ["bn1.bn_list.0.num_batches_tracked", i64(2n ** 62n + 5n)],
  ]);
  const tensors = new Map<PyKey, PyWritable>([
    [0, { dtype: "float64", shape: [2], data: Float64Array.of(1 / 3, -1e300) }],
    [1, { dtype: "int32", shape: [1, 2], data: Int32Array.of(-(2 ** 31), 42) }],
    [2, { dtype: "uint8", shape: [3], data: Uint8Array.of(0, 128, 255) }],
    [3, { dtype: "bool", shape: [2], data: Uint8Array.of(1, 0) }],
    [4, f32([0, 4], [])],
    [5, f32([], [2.5])],
  ]);
  return new Map<PyKey, PyWritable>([
    ["state_dict", sd],
    ["epoch", 5],
    ["lr", 0.125],
    ["lr_one", new PyFloat(1)],
    ["name", "sdclr µ→"],
    ["flags", [true, false, null, []]],
    ["big", 2 ** 40 + 1],
    ["huge", 2n ** 70n],
    ["neg", -7],
    ["neg_big", -(2 ** 31) - 1],
    ["tensors", tensors],
    ["empty", new OrderedDict()],
  ]);
}

/** A suite checkpoint in the documented layout. */
export function sampleCheckpoint(): Checkpoint {
  return {
    stateDict: new Map([
      ["conv1.weight", f32([1, 2, 1, 1], [0.25, -1.5])],
      ["bn1.bn_list.1.num_batches_tracked", i64(3n)],
    ]),
    momentum: new Map([["conv1.weight", f32([1, 2, 1, 1], [1e-3, -0])]]),
    masks: new Map([["conv1.weight", {
      dtype: "bool",
      shape: [1, 2, 1, 1],
      data: Uint8Array.of(1, 0),
    }]]),
    epoch: 12,
    step: 2345,
    rng: [0x9e3779b9, 7, 0, 4294967295],
    config: { method: "sdclr", prune: 0.9, lr: 0.5 },
  };
}
