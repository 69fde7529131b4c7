/**
 * TF.js (tfjs-core + tfjs-backend-webgpu 4.22) as the benchmark's reference, in the same
 * process as our engine.
 *
 * Device: the webgpu backend registers itself on import when `navigator.gpu` exists (Deno
 * exposes it) and, on `setBackend("webgpu")`, calls `navigator.gpu.requestAdapter` with
 * `powerPreference: "high-performance"` and requests its own device with the adapter's limits.
 * Our engine asks for the high-performance adapter first too, so both run on the same adapter
 * (on a CPU-only machine there is just lavapipe), each with its own GPUDevice. Under Deno 2 no
 * shim is needed: nothing on this path touches `window`, `document` or `OffscreenCanvas` (only
 * canvas/pixel ops do). `tf.grads` is not usable here (tfjs-core's Node bundle registers no
 * gradients), so backward cases call the gradient kernels by name with `tf.engine().runKernel`,
 * which is what the gradient functions would dispatch.
 * @module
 */

import type { Tf } from "../../core/kernel.ts";

export type { Tf };

interface WebGpuBackendInternals {
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
  device: GPUDevice;
}

/** Loads TF.js and activates the webgpu backend; throws with the reason when it cannot. */
export async function loadTf(): Promise<Tf> {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-webgpu");
  // Production mode, as a deployed model would run: no debug-mode checks between ops.
  tf.env().set("PROD", true);
  if (!(await tf.setBackend("webgpu"))) throw new Error("TF.js could not start its webgpu backend");
  await tf.ready();
  return tf;
}

/**
 * Waits until TF.js has executed everything recorded so far, without reading data back:
 * ends the backend's open compute pass, submits its pending command encoder (work that
 * `data()` would submit before mapping) and waits for the queue. Uses backend internals of
 * tfjs-backend-webgpu 4.22 (no public API does this without a readback).
 */
export async function syncTf(tf: Tf): Promise<void> {
  const b = tf.backend() as unknown as WebGpuBackendInternals;
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await b.device.queue.onSubmittedWorkDone();
}
