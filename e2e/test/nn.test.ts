// @cotangent/nn through both hosts: layer gradients (the layers were differentiated by Cotangent's
// own build) against finite differences, a small CNN, model structs, and training: an MLP fits a
// seeded two-moons set.

import { describe, expect, test } from "@jest/globals";
import * as fs from "fs";
import * as path from "path";
import * as ct from "@cotangent/runtime";
import { Adam, Conv2D, Dense, Flatten, MaxPool2D, Sequential, sequential, SGD } from "@cotangent/nn";
import { compileWithBabel, compileWithTsPatch } from "../harness/compile";
import { checkForwardAgainstReverse, checkGradient, f64 } from "../harness/tensor-check";

const FILE = path.join(__dirname, "..", "tensor-programs", "training.ts");
const SOURCE = fs.readFileSync(FILE, "utf8");
const { tensor, randomNormal, argMax, equal, mean } = ct;
type Tensor = ct.Tensor;

/** Two interleaved half circles with seeded noise, labels 0 and 1. */
function twoMoons(n: number, seed: number): { x: Tensor; labels: Tensor } {
  const noise = randomNormal([n, 2], { seed, stddev: 0.1, dtype: "float64" }).dataSync();
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

const accuracy = (logits: Tensor, labels: Tensor) => mean(equal(argMax(logits, -1), labels)).item();

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("@cotangent/nn through %s", (_host, compile) => {
  const m = compile(SOURCE, FILE);

  test("Sequential MLP: gradient with respect to the model against finite differences", () => {
    const model = new Sequential([
      new Dense(3, 5, { activation: "tanh", seed: 1, dtype: "float64" }),
      new Dense(5, 4, { activation: "gelu", seed: 2, dtype: "float64" }),
      new Dense(4, 3, { seed: 3, dtype: "float64" }),
    ]);
    const x = f64([6, 3], 4);
    const labels = tensor([0, 1, 2, 2, 1, 0], [6], "int32");
    checkGradient(m.classifierLoss, [model, x, labels], [0]);
    checkForwardAgainstReverse(m.classifierLoss, [model, x, labels], [0]);
    const g = ct.gradient(m.classifierLoss)(model, x, labels) as { layers: { weight: Tensor; bias: Tensor }[] };
    expect(g.layers).toHaveLength(3);
    expect(g.layers[1]!.weight.shape).toEqual([5, 4]);
    expect(g.layers[2]!.bias.shape).toEqual([3]);
  });

  test("a small CNN of layers: Conv2D, MaxPool2D, Flatten, Dense", () => {
    const model = new Sequential([
      new Conv2D(3, 1, 2, { padding: "same", activation: "relu", seed: 1, dtype: "float64" }),
      new MaxPool2D(2),
      new Flatten(),
      new Dense(8, 3, { seed: 2, dtype: "float64" }),
    ]);
    const images = f64([2, 4, 4, 1], 3);
    const labels = tensor([2, 0], [2], "int32");
    checkGradient(m.classifierLoss, [model, images, labels], [0]);
    checkForwardAgainstReverse(m.classifierLoss, [model, images, labels], [0]);
  });

  test("a model struct of named layers gets a gradient with the same fields", () => {
    const model = { hidden: new Dense(2, 4, { activation: "relu", seed: 5, dtype: "float64" }), output: new Dense(4, 2, { seed: 6, dtype: "float64" }) };
    const x = f64([5, 2], 7);
    const labels = tensor([0, 1, 1, 0, 1], [5], "int32");
    checkGradient(m.twoLayerLoss, [model, x, labels], [0]);
    const g = ct.gradient(m.twoLayerLoss)(model, x, labels) as Record<string, Record<string, unknown>>;
    expect(Object.keys(g).sort()).toEqual(["hidden", "output"]);
    expect(g.hidden!.weight).toBeInstanceOf(ct.Tensor);
    // NoDerivative fields get no tangent.
    expect(g.hidden!.activation ?? null).toBeNull();
  });

  test("training: an MLP fits a seeded two-moons set to at least 95% train accuracy", () => {
    const { x, labels } = twoMoons(200, 7);
    let model = new Sequential([
      new Dense(2, 16, { activation: "relu", seed: 11 }),
      new Dense(16, 16, { activation: "relu", seed: 12 }),
      new Dense(16, 2, { seed: 13 }),
    ]);
    const optimizer = new Adam({ learningRate: 0.03 });
    const first = m.classifierLoss(model, x, labels).item();
    for (let step = 0; step < 300; step++) {
      const { value, gradient } = ct.valueWithGradient(m.classifierLoss)(model, x, labels) as { value: Tensor; gradient: unknown };
      expect(Number.isFinite(value.item())).toBe(true);
      model = optimizer.update(model, gradient);
    }
    const last = m.classifierLoss(model, x, labels).item();
    expect(last).toBeLessThan(first / 5);
    expect(model).toBeInstanceOf(Sequential);
    expect(accuracy(sequential(model, x), labels)).toBeGreaterThanOrEqual(0.95);
  });

  test("SGD lowers the loss of the same model", () => {
    const { x, labels } = twoMoons(64, 3);
    let model = new Sequential([new Dense(2, 8, { activation: "tanh", seed: 1 }), new Dense(8, 2, { seed: 2 })]);
    const sgd = new SGD({ learningRate: 0.5 });
    const before = m.classifierLoss(model, x, labels).item();
    for (let i = 0; i < 50; i++) model = sgd.update(model, ct.gradient(m.classifierLoss)(model, x, labels));
    expect(m.classifierLoss(model, x, labels).item()).toBeLessThan(before * 0.8);
  });
});
