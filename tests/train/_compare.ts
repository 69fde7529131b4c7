/**
 * Compares the final state of two pretraining runs (checkpoint_last.pt): step, weights, BN
 * statistics and counters, momentum buffers and masks, at ≤1e-6 relative; BCL's loss memory
 * and weights exactly.
 * @module
 */
import assert from "node:assert/strict";
import { loadCheckpoint } from "../../src/io/checkpoint.ts";
import { errors } from "../../core/testing.ts";

/** Asserts runs `a` and `b` end in the same state. */
export async function compareRuns(a: string, b: string): Promise<void> {
  const ca = await loadCheckpoint(`${a}/checkpoint_last.pt`);
  const cb = await loadCheckpoint(`${b}/checkpoint_last.pt`);
  assert.equal(ca.step, cb.step);
  assert.deepEqual([...ca.stateDict.keys()], [...cb.stateDict.keys()]);
  for (const [k, t] of ca.stateDict) {
    const { maxRel } = errors(
      Array.from(cb.stateDict.get(k)!.data, Number),
      Array.from(t.data, Number),
    );
    assert.ok(maxRel <= 1e-6, `${k}: resumed differs by ${maxRel}`);
  }
  for (const [k, t] of ca.momentum) {
    const { maxRel } = errors(cb.momentum.get(k)!.data as Float32Array, t.data as Float32Array);
    assert.ok(maxRel <= 1e-6, `momentum ${k}: resumed differs by ${maxRel}`);
  }
  assert.deepEqual([...ca.masks.keys()], [...cb.masks.keys()]);
  for (const [k, t] of ca.masks) assert.deepEqual(cb.masks.get(k)!.data, t.data, `mask ${k}`);
  assert.equal(Boolean(ca.bcl), Boolean(cb.bcl), "BCL state in one checkpoint only");
  for (const [k, t] of ca.bcl ?? []) assert.deepEqual(cb.bcl!.get(k)!.data, t.data, `BCL ${k}`);
}
