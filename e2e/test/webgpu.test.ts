// Differentiated tensor programs on WebGPU, through both hosts (the built runtime and nn packages,
// as an application uses them): the composed programs of e2e/tensor-programs/models.ts and the nn
// models of e2e/tensor-programs/training.ts, gradients (reverse mode) and differentials (forward
// mode) on WebGPU against the same on the CPU in float32 (within 1e-4 relative, 1e-5 absolute);
// training the two-moons MLP of nn.test.ts on WebGPU with Adam; GPU memory over 1000 training steps
// with tidy; and a device lost in the middle of training.
//
// Runs on real WebGPU (Dawn on Mesa's lavapipe here and in CI, scripts/setup-webgpu.sh); fails,
// never skips, without an adapter.

import { afterAll, beforeAll, describe, expect, jest, test } from "@jest/globals";
import * as fs from "fs";
import * as path from "path";
import * as ct from "@cotangent/runtime";
import { Adam, Conv2D, Dense, Flatten, MaxPool2D, Sequential, sequential } from "@cotangent/nn";
import { compileWithBabel, compileWithTsPatch } from "../harness/compile";

jest.setTimeout(120_000);

type Tensor = ct.Tensor;
const { Tensor, tensor, randomNormal, argMax, equal, mean, tidy, webgpuMemory } = ct;

// Internal: makes the device lost as a driver would (the same module instance as the built
// runtime's: @cotangent/runtime resolves to runtime/dist/cjs through the workspace link).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const context = require("../../runtime/dist/cjs/backends/webgpu/context.js") as { simulateDeviceLoss(): void; shutdown(): void };

const MODELS = path.join(__dirname, "..", "tensor-programs", "models.ts");
const TRAINING = path.join(__dirname, "..", "tensor-programs", "training.ts");
const MODELS_SOURCE = fs.readFileSync(MODELS, "utf8");
const TRAINING_SOURCE = fs.readFileSync(TRAINING, "utf8");

beforeAll(async () => {
  await ct.setBackend("webgpu"); // rejects (CT3009, with the reason) when there is no adapter
  await ct.setBackend("cpu");
});

afterAll(async () => {
  await ct.setBackend("cpu");
  context.shutdown();
});

/** Runs `fn` with `name` as the backend for new tensors, then goes back to the CPU. */
async function on<T>(name: "cpu" | "webgpu", fn: () => T | Promise<T>): Promise<T> {
  await ct.setBackend(name);
  try {
    return await fn();
  } finally {
    await ct.setBackend("cpu");
  }
}

// ---- values: copies onto WebGPU, random tangents, comparison -----------------------------------------

/** A float32 tensor on the current backend (normal, seeded: the same numbers on every backend). */
const f32 = (shape: number[], seed: number, stddev = 1): Tensor => randomNormal(shape, { seed, stddev });

/** `v` with every (CPU) tensor copied to the current backend; objects keep their prototype (model classes). */
function copyTensors(v: unknown): unknown {
  if (v instanceof Tensor) return tensor(v.dataSync(), v.shape, v.dtype);
  if (Array.isArray(v)) return v.map(copyTensors);
  if (v && typeof v === "object") {
    const out = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
    for (const k of Object.keys(v)) out[k] = copyTensors((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** A random tangent of `v` (float32 tensors of its tensors' shapes; numbers for a number argument, null elsewhere). */
function randomTangent(v: unknown, seed: { n: number }, top = true): unknown {
  if (v instanceof Tensor) return f32([...v.shape], seed.n++);
  if (typeof v === "number") return top ? Math.sin(seed.n++ * 12.9898) : null;
  if (Array.isArray(v)) return v.map((x) => randomTangent(x, seed, false));
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).map((k) => [k, randomTangent((v as Record<string, unknown>)[k], seed, false)]));
  return null;
}

/** Frees the WebGPU tensors inside `v` (a model, a gradient, a list). */
function disposeAll(v: unknown): void {
  if (v instanceof Tensor) v.dispose();
  else if (Array.isArray(v)) v.forEach(disposeAll);
  else if (v && typeof v === "object") Object.values(v).forEach(disposeAll);
}

/** Frees the tensors of `old` that `next` does not hold (a parameter without a gradient is carried over as it is). */
function disposeReplaced(old: unknown, next: unknown): void {
  const kept = new Set<Tensor>();
  const collect = (v: unknown): void => {
    if (v instanceof Tensor) kept.add(v);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  collect(next);
  const free = (v: unknown): void => {
    if (v instanceof Tensor) {
      if (!kept.has(v)) v.dispose();
    } else if (v && typeof v === "object") Object.values(v).forEach(free);
  };
  free(old);
}

/** Where a WebGPU result differs from the CPU's (same structure; tensors within 1e-4 relative, 1e-5 absolute; int32 exactly). */
async function differences(what: string, g: unknown, c: unknown): Promise<string[]> {
  if (c === null || c === undefined) return g === null || g === undefined ? [] : [`${what}: webgpu gave a value, the CPU null`];
  if (c instanceof Tensor) {
    if (!(g instanceof Tensor)) return [`${what}: webgpu gave ${g === null ? "null" : typeof g}, the CPU a tensor`];
    if (JSON.stringify(g.shape) !== JSON.stringify(c.shape) || g.dtype !== c.dtype)
      return [`${what}: webgpu ${g.dtype} ${JSON.stringify(g.shape)}, cpu ${c.dtype} ${JSON.stringify(c.shape)}`];
    const out = g.backendName === "webgpu" ? [] : [`${what}: computed on ${g.backendName}, not webgpu`];
    const gv = await g.data();
    const cv = await c.data();
    let bad = 0;
    for (let i = 0; i < cv.length; i++) {
      const [a, b] = [gv[i]!, cv[i]!];
      const ok = Number.isNaN(b) ? Number.isNaN(a) : c.dtype === "int32" || !Number.isFinite(b) ? a === b : Math.abs(a - b) <= 1e-5 + 1e-4 * Math.abs(b);
      if (!ok && bad++ < 3) out.push(`${what}[${i}]: webgpu ${a}, cpu ${b}`);
    }
    if (bad > 3) out.push(`${what}: … ${bad} of ${cv.length} differ`);
    return out;
  }
  if (typeof c === "number") return typeof g === "number" && Math.abs(g - c) <= 1e-5 + 1e-4 * Math.abs(c) ? [] : [`${what}: webgpu ${String(g)}, cpu ${c}`];
  if (Array.isArray(c)) {
    if (!Array.isArray(g) || g.length !== c.length) return [`${what}: webgpu gave no array of ${c.length}`];
    const out: string[] = [];
    for (let i = 0; i < c.length; i++) out.push(...(await differences(`${what}[${i}]`, g[i], c[i])));
    return out;
  }
  if (typeof c === "object") {
    const out: string[] = [];
    for (const k of Object.keys(c).sort()) out.push(...(await differences(`${what}.${k}`, (g as Record<string, unknown> | null)?.[k], (c as Record<string, unknown>)[k])));
    return out;
  }
  return g === c ? [] : [`${what}: webgpu ${String(g)}, cpu ${String(c)}`];
}

type Program = (...args: any[]) => Tensor;

/**
 * Value and gradient (reverse mode), value and differential along random tangents (forward mode)
 * of `f` at `makeArgs()`: made on the CPU, then again on WebGPU (the same seeded numbers), compared.
 */
async function expectSameOnBothBackends(f: Program, makeArgs: () => unknown[], wrt: number[]): Promise<void> {
  const run = () => {
    const args = makeArgs();
    const { value, gradient } = ct.valueWithGradient(f as any)(...args) as { value: Tensor; gradient: unknown };
    const tangents = wrt.map((i, k) => randomTangent(args[i], { n: 100 * (k + 1) }));
    const { differential } = ct.valueWithDifferential(f as any)(...args) as { differential: (...t: unknown[]) => unknown };
    return { value, gradient, tangent: differential(...tangents) };
  };
  const cpu = await on("cpu", run);
  const gpu = await on("webgpu", () => tidy(run));
  const problems = [
    ...(await differences("value", gpu.value, cpu.value)),
    ...(await differences("gradient", gpu.gradient, cpu.gradient)),
    ...(await differences("differential", gpu.tangent, cpu.tangent)),
  ];
  disposeAll(gpu);
  expect(problems).toEqual([]);
}

// ---- the composed programs, through both hosts ---------------------------------------------------------

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("through %s: WebGPU gradients agree with the CPU's (float32)", (host, compile) => {
  const m = compile(MODELS_SOURCE, MODELS);
  const nn = compile(TRAINING_SOURCE, TRAINING);

  test("logistic regression (models.ts)", async () => {
    const y = () => tensor(Array.from({ length: 8 }, (_, i) => [i % 2]), [8, 1]);
    await expectSameOnBothBackends(m.logistic, () => [f32([3, 1], 2), f32([1], 3), f32([8, 3], 1), y()], [0, 1]);
  });

  test("2-layer MLP with cross-entropy, a model struct (models.ts)", async () => {
    const args = () => [{ w1: f32([4, 6], 1, 0.5), b1: f32([6], 2, 0.1), w2: f32([6, 3], 3, 0.5), b2: f32([3], 4, 0.1) }, f32([5, 4], 5), tensor([0, 2, 1, 1, 0], [5], "int32")];
    await expectSameOnBothBackends(m.mlpLoss, args, [0]);
  });

  test("where with a constant mask (models.ts)", async () => {
    await expectSameOnBothBackends(m.hinge, () => [tensor([-1.5, -0.3, 0.4, 2.0, 0.7], [5])], [0]);
  });

  test("a small CNN: conv2d, relu, max pooling, flatten, dense, cross-entropy (models.ts)", async () => {
    const args = () => [f32([3, 3, 1, 2], 2, 0.5), f32([8, 3], 3, 0.5), f32([2, 4, 4, 1], 1), tensor([1, 0], [2], "int32")];
    await expectSameOnBothBackends(m.cnnLoss, args, [0, 1]);
  });

  test("Sequential MLP of nn layers (training.ts)", async () => {
    const model = () =>
      new Sequential([
        new Dense(3, 5, { activation: "tanh", seed: 1 }),
        new Dense(5, 4, { activation: "gelu", seed: 2 }),
        new Dense(4, 3, { seed: 3 }),
      ]);
    await expectSameOnBothBackends(nn.classifierLoss, () => [model(), f32([6, 3], 4), tensor([0, 1, 2, 2, 1, 0], [6], "int32")], [0]);
  });

  test("a small CNN of nn layers: Conv2D, MaxPool2D, Flatten, Dense (training.ts)", async () => {
    const model = () =>
      new Sequential([new Conv2D(3, 1, 2, { padding: "same", activation: "relu", seed: 1 }), new MaxPool2D(2), new Flatten(), new Dense(8, 3, { seed: 2 })]);
    await expectSameOnBothBackends(nn.classifierLoss, () => [model(), f32([2, 4, 4, 1], 3), tensor([2, 0], [2], "int32")], [0]);
  });

  test("a model struct of named layers (training.ts)", async () => {
    const model = () => ({ hidden: new Dense(2, 4, { activation: "relu", seed: 5 }), output: new Dense(4, 2, { seed: 6 }) });
    await expectSameOnBothBackends(nn.twoLayerLoss, () => [model(), f32([5, 2], 7), tensor([0, 1, 1, 0, 1], [5], "int32")], [0]);
  });

  // The program left out: rnn reads sum(pre).item() in its loop (a synchronous read: CT3009 on
  // WebGPU). attention differentiates with respect to a number (scale): on WebGPU its gradient is
  // computed there and read once by the async operators; the synchronous gradient is CT3009 with
  // that advice.
  test("attention: the gradient with respect to its number parameter comes from gradientAsync on WebGPU (CT3009 from gradient); the forward mode works", async () => {
    const args = () => [f32([3, 4], 1), f32([5, 4], 2), f32([5, 2], 3), 0.7, f32([3, 2], 4)];
    await on("webgpu", () => {
      expect(() => tidy(() => ct.gradient(m.attention)(...args()))).toThrow(/CT3009: .*plain number argument.*gradientAsync/);
    });
    const grads = () => ct.gradientAsync(m.attention as any)(...args());
    const cpuGrad = await on("cpu", grads);
    const gpuGrad = (await on("webgpu", grads)) as unknown[];
    expect(typeof gpuGrad[2]).toBe("number");
    expect(await differences("attention gradient", gpuGrad, cpuGrad)).toEqual([]);
    const run = () => {
      const a = args();
      return (ct.differential(m.attention as any)(...a) as (...t: unknown[]) => unknown)(f32([3, 4], 5), f32([5, 4], 6), 0.3);
    };
    const cpu = await on("cpu", run);
    const gpu = await on("webgpu", run);
    expect(await differences("attention differential", gpu, cpu)).toEqual([]);
  });

  test("rnn reads item() in its loop: CT3009 on WebGPU with the way out", async () => {
    const xs = [0, 1, 2, 3].map((i) => f32([2, 3], 10 + i));
    await on("webgpu", () => {
      const args = [f32([4, 4], 1, 0.4), f32([3, 4], 2, 0.4), xs.map((x) => copyTensors(x)), f32([2, 4], 3)];
      expect(() => ct.gradient(m.rnn)(...args)).toThrow(/CT3009: item\(\): .*await t\.data\(\)/);
    });
  });

  test("scaledSum: the @noDerivative number field gets no derivative, so WebGPU works", async () => {
    const model = () => ({ w: f32([3], 1), scale: 2 });
    await expectSameOnBothBackends(m.scaledSum, () => [model()], [0]);
  });
});

// ---- training on WebGPU ------------------------------------------------------------------------------------

/** Two interleaved half circles with seeded noise, labels 0 and 1 (as nn.test.ts), on the current backend. */
function twoMoons(n: number, seed: number): { x: Tensor; labels: Tensor } {
  const noise = randomNormal([n, 2], { seed, stddev: 0.1, dtype: "float64" }).dataSync(); // float64: always on the CPU
  const xs = new Float32Array(n * 2);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const upper = i % 2 === 0;
    const t = Math.PI * ((i >> 1) / Math.max(1, (n >> 1) - 1));
    xs[2 * i] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + noise[2 * i]!;
    xs[2 * i + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + noise[2 * i + 1]!;
    ys[i] = upper ? 0 : 1;
  }
  return { x: tensor(xs, [n, 2]), labels: tensor(ys, [n], "int32") };
}

/** One training step inside tidy: the new model and the loss are kept, every intermediate freed; the old model is freed too. */
function trainStep<M>(loss: Program, model: M, optimizer: Adam, x: Tensor, labels: Tensor): { model: M; loss: Tensor } {
  const next = tidy(() => {
    const { value, gradient } = ct.valueWithGradient(loss as any)(model, x, labels) as { value: Tensor; gradient: unknown };
    return { model: optimizer.update(model, gradient), loss: value };
  });
  disposeReplaced(model, next.model);
  return next;
}

const readNumber = async (t: Tensor): Promise<number> => (await t.data())[0]!;

describe("training on WebGPU", () => {
  const nn = compileWithBabel(TRAINING_SOURCE, TRAINING);

  test("the two-moons MLP of nn.test.ts reaches at least 95% train accuracy with Adam (300 steps, read with await data())", async () => {
    await on("webgpu", async () => {
      const { x, labels } = twoMoons(200, 7);
      expect(x.backendName).toBe("webgpu");
      let model = new Sequential([
        new Dense(2, 16, { activation: "relu", seed: 11 }),
        new Dense(16, 16, { activation: "relu", seed: 12 }),
        new Dense(16, 2, { seed: 13 }),
      ]);
      const optimizer = new Adam({ learningRate: 0.03 });
      const first = await readNumber(tidy(() => nn.classifierLoss(model, x, labels)));
      let loss: Tensor | null = null;
      for (let step = 0; step < 300; step++) {
        loss?.dispose();
        ({ model, loss } = trainStep(nn.classifierLoss, model, optimizer, x, labels));
        if (step % 100 === 0) expect(Number.isFinite(await readNumber(loss))).toBe(true);
      }
      const last = await readNumber(loss!);
      expect(last).toBeLessThan(first / 5);
      expect(model).toBeInstanceOf(Sequential);
      const accuracy = await readNumber(tidy(() => mean(equal(argMax(sequential(model, x), -1), labels))));
      expect(accuracy).toBeGreaterThanOrEqual(0.95);
    });
  });

  test("1000 training steps with tidy keep the live GPU buffers flat (equal after step 10 and step 1000)", async () => {
    await on("webgpu", async () => {
      const { x, labels } = twoMoons(32, 3);
      let model = new Sequential([new Dense(2, 8, { activation: "tanh", seed: 1 }), new Dense(8, 2, { seed: 2 })]);
      const optimizer = new Adam({ learningRate: 0.01 });
      const first = tidy(() => nn.classifierLoss(model, x, labels));
      const before = await readNumber(first);
      first.dispose();
      let loss: Tensor | null = null;
      let at10 = webgpuMemory();
      // Steps 10 to 1000 run without an await: an await would let garbage-collected tensors of
      // earlier tests give their buffers back (FinalizationRegistry), which changes the count.
      for (let step = 1; step <= 1000; step++) {
        loss?.dispose();
        ({ model, loss } = trainStep(nn.classifierLoss, model, optimizer, x, labels));
        if (step === 10) at10 = webgpuMemory();
      }
      const at1000 = webgpuMemory();
      const after = await readNumber(loss!);
      expect(Number.isFinite(after)).toBe(true);
      expect(after).toBeLessThan(before);
      expect(at1000.liveBuffers).toBe(at10.liveBuffers);
      // Steady state reuses pooled buffers: (almost) none created after step 10.
      expect(at1000.createdBuffers - at10.createdBuffers).toBeLessThanOrEqual(8);
      loss!.dispose();
      disposeAll(model);
    });
  });
});

// ---- a lost device -------------------------------------------------------------------------------------------

describe("a device lost in the middle of training", () => {
  const nn = compileWithBabel(TRAINING_SOURCE, TRAINING);
  const newModel = () => new Sequential([new Dense(2, 8, { activation: "tanh", seed: 1 }), new Dense(8, 2, { seed: 2 })]);

  test("one warning; new tensors go to the CPU; using the lost tensors is CT3009; setBackend(\"webgpu\") starts a new device and training goes on", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await ct.setBackend("webgpu");
      const { x, labels } = twoMoons(64, 5);
      let model = newModel();
      const optimizer = new Adam({ learningRate: 0.01 });
      let loss: Tensor | null = null;
      for (let step = 0; step < 5; step++) {
        loss?.dispose();
        ({ model, loss } = trainStep(nn.classifierLoss, model, optimizer, x, labels));
      }
      expect(Number.isFinite(await readNumber(loss!))).toBe(true);
      // One more step recorded (not yet read back), then the device goes away, as when a driver resets.
      ({ model, loss } = trainStep(nn.classifierLoss, model, optimizer, x, labels));
      context.simulateDeviceLoss();
      await new Promise((r) => setTimeout(r, 50));

      // It says so, once, and new tensors go to the CPU.
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/WebGPU device was lost.*new tensors go to the CPU now.*setBackend\("webgpu"\)/);
      expect(ct.getBackend()).toBe("cpu");
      // The lost device's tensors: the next step, op or read is a CT3009 error that says the device
      // was lost and gives the way out.
      const wayOut = /CT3009: the webgpu backend stopped: the WebGPU device was lost; .*setBackend\("webgpu"\)/;
      expect(() => trainStep(nn.classifierLoss, model, optimizer, x, labels)).toThrow(wayOut);
      expect(() => ct.add(x, 1)).toThrow(wayOut);
      await expect(loss!.data()).rejects.toThrow(wayOut);

      // Training goes on on the CPU (new tensors, a new optimizer).
      const cpu = twoMoons(64, 5);
      expect(cpu.x.backendName).toBe("cpu");
      let cpuModel = newModel();
      const cpuOptimizer = new Adam({ learningRate: 0.01 });
      let cpuLoss: Tensor | null = null;
      for (let step = 0; step < 5; step++) ({ model: cpuModel, loss: cpuLoss } = trainStep(nn.classifierLoss, cpuModel, cpuOptimizer, cpu.x, cpu.labels));
      expect(cpuLoss!.backendName).toBe("cpu");
      expect(Number.isFinite(cpuLoss!.item())).toBe(true);

      // setBackend("webgpu") starts a new device; the old device's tensors stay unusable (CT3009
      // naming the loss and the op that was running).
      await ct.setBackend("webgpu");
      expect(ct.getBackend()).toBe("webgpu");
      expect(() => ct.add(x, 1)).toThrow(/CT3009: .*this tensor was on a WebGPU device that was lost .*while running .*recreate the tensor/);
      const again = twoMoons(64, 5);
      expect(again.x.backendName).toBe("webgpu");
      let gpuModel = newModel();
      const gpuOptimizer = new Adam({ learningRate: 0.01 });
      let gpuLoss: Tensor | null = null;
      for (let step = 0; step < 5; step++) {
        gpuLoss?.dispose();
        ({ model: gpuModel, loss: gpuLoss } = trainStep(nn.classifierLoss, gpuModel, gpuOptimizer, again.x, again.labels));
      }
      expect(gpuLoss!.backendName).toBe("webgpu");
      // The same seeds and steps on the new device as on the CPU: the same loss (float32).
      expect(Math.abs((await readNumber(gpuLoss!)) - cpuLoss!.item())).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(cpuLoss!.item()));
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      await ct.setBackend("cpu");
    }
  });
});
