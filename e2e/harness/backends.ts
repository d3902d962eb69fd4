// Running one computation on the CPU and on WebGPU and comparing what comes back (float32): the
// helpers of the tests that hold WebGPU results to the CPU's (higher-order-tensors, kernels).

import { expect } from "@jest/globals";
import * as ct from "@cotangent/runtime";

/**
 * What `make` returns (tensors, numbers, lists of them, or a promise of those) with the backend
 * set to `backend` while it runs, read back as numbers. Every tensor must have been computed on
 * that backend.
 */
export async function readOn(backend: "cpu" | "webgpu", make: () => unknown): Promise<number[]> {
  await ct.setBackend(backend);
  try {
    const out = await make();
    for (const t of [out].flat(2)) if (t instanceof ct.Tensor) expect(t.backend.name).toBe(backend);
    const read = async (v: unknown): Promise<number[]> =>
      v instanceof ct.Tensor ? [...(await v.data())] : Array.isArray(v) ? (await Promise.all(v.map(read))).flat() : [v as number];
    return await read(out);
  } finally {
    await ct.setBackend("cpu");
  }
}

/** Same length, and every WebGPU number within 1e-4 of the CPU's largest magnitude (at least 1). */
export function expectCloseToCpu(gpu: readonly number[], cpu: readonly number[]): void {
  expect(gpu.length).toBe(cpu.length);
  const scale = Math.max(1, ...cpu.map(Math.abs));
  gpu.forEach((g, i) => expect(Math.abs(g - cpu[i]!)).toBeLessThanOrEqual(1e-4 * scale));
}
