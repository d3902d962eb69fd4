// Optimizers on WebGPU inside tidy(...): their state (Adam's moments, Momentum's velocity) is kept
// across scopes with keep(), so a training loop wrapped in tidy runs for many steps with flat GPU
// memory, and gives the same parameters as on the CPU.

import { afterAll, beforeAll, describe, expect, test, jest } from "@jest/globals";
import * as ct from "@cotangent/runtime";
import { Adam, Momentum, SGD, type Optimizer } from "@cotangent/nn";

jest.setTimeout(60_000);

beforeAll(async () => {
  await ct.setBackend("webgpu"); // fails (no skip) when there is no adapter: see runtime/test/webgpu-preflight.test.ts
});

afterAll(async () => {
  await ct.setBackend("cpu");
});

/** A model of two tensors, its values as float32 arrays (from any backend). */
async function valuesOf(model: { w: ct.Tensor; b: ct.Tensor }): Promise<number[][]> {
  return [Array.from(await model.w.data()), Array.from(await model.b.data())];
}

describe.each([
  ["Adam", () => new Adam({ learningRate: 0.05 })],
  ["Momentum", () => new Momentum({ learningRate: 0.05, momentum: 0.9 })],
  ["SGD", () => new SGD({ learningRate: 0.05 })],
] as const)("%s on WebGPU", (_name, make: () => Optimizer) => {
  test("updates inside tidy for 200 steps with flat GPU memory, matching the CPU", async () => {
    const wValues = [0.5, -1.5, 2.0, 0.25];
    const gValues = [0.1, -0.2, 0.3, -0.4];
    const run = async (backend: "cpu" | "webgpu") => {
      await ct.setBackend(backend);
      let model = { w: ct.tensor(wValues, [2, 2]), b: ct.tensor([1, -1]) };
      const grad = { w: ct.tensor(gValues, [2, 2]), b: ct.tensor([0.5, -0.5]) };
      const optimizer = make();
      const live: number[] = [];
      for (let step = 0; step < 200; step++) {
        const before = model;
        model = ct.tidy(() => optimizer.update(model, grad));
        if (step > 0) {
          before.w.dispose();
          before.b.dispose();
        }
        if (backend === "webgpu" && (step === 10 || step === 199)) live.push(ct.webgpuMemory().liveBuffers);
      }
      return { values: await valuesOf(model), live };
    };
    const cpu = await run("cpu");
    const gpu = await run("webgpu");
    gpu.values.flat().forEach((v, i) => expect(Math.abs(v - cpu.values.flat()[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(cpu.values.flat()[i]!))));
    expect(gpu.live[1]).toBe(gpu.live[0]);
  });
});
