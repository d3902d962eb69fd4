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

describe("Adam's many-parameter kernels on WebGPU (adamMany)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require("../../runtime/dist/cjs/backends/webgpu/program.js") as { dispatchCounter: { dispatches: number } };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const context = require("../../runtime/dist/cjs/backends/webgpu/context.js") as { currentContext(): { device: GPUDevice } | null };

  test("nine parameters (more than one group fits), one of them empty, one with an int32 gradient: the CPU's values in fewer dispatches", async () => {
    const shapes = [[3, 4], [4], [5, 2], [0], [7], [2, 2, 2], [1], [6, 3], [3]];
    const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.9 + seed) * 2);
    const run = async (backend: "cpu" | "webgpu") => {
      await ct.setBackend(backend);
      let model = shapes.map((s, k) => ct.tensor(values(s.reduce((a, b) => a * b, 1), k), s, "float32"));
      const grad = shapes.map((s, k) =>
        k === 4 ? ct.tensor([1, -2, 3, 0, 5, -6, 7], s, "int32") : ct.tensor(values(s.reduce((a, b) => a * b, 1), k + 20), s, "float32"),
      );
      const optimizer = new Adam({ learningRate: 0.05 });
      let dispatches = 0;
      for (let step = 0; step < 5; step++) {
        const before = program.dispatchCounter.dispatches;
        model = optimizer.update(model, grad);
        dispatches = program.dispatchCounter.dispatches - before;
      }
      return { values: (await Promise.all(model.map((t) => t.data()))).map((d) => [...d]), dispatches };
    };
    const cpu = await run("cpu");
    const gpu = await run("webgpu");
    gpu.values.flat().forEach((v, i) => expect(Math.abs(v - cpu.values.flat()[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(cpu.values.flat()[i]!))));
    // Eight non-empty parameters, five bindings each, in groups that fit the device's storage bindings.
    const limit = context.currentContext()!.device.limits.maxStorageBuffersPerShaderStage;
    expect(gpu.dispatches).toBe(Math.ceil(8 / Math.floor(limit / 5)));
    expect(gpu.dispatches).toBeLessThan(8);
  });
});
