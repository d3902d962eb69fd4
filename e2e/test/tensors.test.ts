// Tensor programs through the transformer and both hosts (e2e/tensor-programs/models.ts):
// gradients from the generated reverse mode against central finite differences in float64, and
// the generated forward mode against the reverse mode (⟨J·u, v⟩ = ⟨u, Jᵀ·v⟩).

import { describe, expect, test } from "@jest/globals";
import * as fs from "fs";
import * as path from "path";
import * as ct from "@cotangent/runtime";
import { compileWithBabel, compileWithTsPatch } from "../harness/compile";
import { checkForwardAgainstReverse, checkGradient, f64 } from "../harness/tensor-check";

const FILE = path.join(__dirname, "..", "tensor-programs", "models.ts");
const SOURCE = fs.readFileSync(FILE, "utf8");
const { tensor } = ct;
type Tensor = ct.Tensor;

test.each([
  ["ts-patch", compileWithTsPatch],
  ["babel", compileWithBabel],
] as const)("a field marked @noDerivative gets no derivative (%s: the file's own interface is read)", (_host, compile) => {
  const model = { w: tensor([1, 2, 3], [3], "float64"), scale: 2 };
  const g = ct.gradient(compile(SOURCE, FILE).scaledSum)(model) as { w: Tensor; scale: unknown };
  expect(Array.from(g.w.values)).toEqual([2, 2, 2]);
  expect(g.scale === 0 || g.scale === null).toBe(true);
});

test.each([
  ["ts-patch", compileWithTsPatch],
  ["babel", compileWithBabel],
] as const)("a NoDerivative<string> field passed to a helper that does not differentiate it is no error (%s)", (_host, compile) => {
  const source = `import { relu, tanh, sum, type NoDerivative, type Tensor } from "@cotangent/runtime";
type Activation = "relu" | "tanh";
interface Layer { w: Tensor; activation: NoDerivative<Activation>; }
/** @differentiable(wrt: x) */
function activate(x: Tensor, activation: Activation): Tensor {
  return activation === "relu" ? relu(x) : tanh(x);
}
/** @differentiable(wrt: layer) */
export function apply(layer: Layer, x: Tensor): Tensor {
  return sum(activate(x.matmul(layer.w), layer.activation));
}
`;
  const m = compile(source, path.join(path.dirname(FILE), "layer-nd.ts"));
  const layer = { w: tensor([[0.5, -1], [2, 0.25]], [2, 2], "float64"), activation: "tanh" as const };
  const x = tensor([[1, 2]], [1, 2], "float64");
  const g = ct.gradient(m.apply)(layer, x) as { w: Tensor; activation: unknown };
  // d/dW sum(tanh(x W)) = xᵀ (1 − tanh²(x W))
  const h = [1 * 0.5 + 2 * 2, 1 * -1 + 2 * 0.25].map((v) => 1 - Math.tanh(v) ** 2);
  expect(Array.from(g.w.values).map((v) => +v.toFixed(12))).toEqual([1 * h[0]!, 1 * h[1]!, 2 * h[0]!, 2 * h[1]!].map((v) => +v.toFixed(12)));
  expect(g.activation ?? null).toBeNull();
});

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("tensor programs through %s", (_host, compile) => {
  const m = compile(SOURCE, FILE);

  test("logistic regression", () => {
    const x = f64([8, 3], 1);
    const y = tensor(Array.from({ length: 8 }, (_, i) => [i % 2]), [8, 1], "float64");
    const args = [f64([3, 1], 2), f64([1], 3), x, y];
    checkGradient(m.logistic, args, [0, 1]);
    checkForwardAgainstReverse(m.logistic, args, [0, 1]);
  });

  test("2-layer MLP with cross-entropy, a model struct", () => {
    const model = { w1: f64([4, 6], 1, 0.5), b1: f64([6], 2, 0.1), w2: f64([6, 3], 3, 0.5), b2: f64([3], 4, 0.1) };
    const x = f64([5, 4], 5);
    const labels = tensor([0, 2, 1, 1, 0], [5], "int32");
    checkGradient(m.mlpLoss, [model, x, labels], [0]);
    checkForwardAgainstReverse(m.mlpLoss, [model, x, labels], [0]);
    // The gradient is a struct with the model's fields.
    const g = ct.gradient(m.mlpLoss)(model, x, labels) as Record<string, Tensor>;
    expect(Object.keys(g).sort()).toEqual(["b1", "b2", "w1", "w2"]);
    expect(g.w1!.shape).toEqual([4, 6]);
  });

  test("recurrent loop with a branch per step", () => {
    const xs = [0, 1, 2, 3].map((i) => f64([2, 3], 10 + i));
    const args = [f64([4, 4], 1, 0.4), f64([3, 4], 2, 0.4), xs, f64([2, 4], 3)];
    checkGradient(m.rnn, args, [0, 1]);
    checkForwardAgainstReverse(m.rnn, args, [0, 1]);
  });

  test("where with a constant mask", () => {
    const x = tensor([-1.5, -0.3, 0.4, 2.0, 0.7], [5], "float64");
    checkGradient(m.hinge, [x], [0]);
    checkForwardAgainstReverse(m.hinge, [x], [0]);
  });

  test("a small CNN: conv2d, relu, max pooling, flatten, dense, cross-entropy", () => {
    const images = f64([2, 4, 4, 1], 1);
    const labels = tensor([1, 0], [2], "int32");
    const args = [f64([3, 3, 1, 2], 2, 0.5), f64([8, 3], 3, 0.5), images, labels];
    checkGradient(m.cnnLoss, args, [0, 1]);
    checkForwardAgainstReverse(m.cnnLoss, args, [0, 1]);
  });

  test("array methods over an array of tensors (map, filter, reduce, spread, ?.)", () => {
    const xs = [0, 1, 2].map((i) => f64([2, 3], 20 + i));
    for (const gains of [{ scale: 0.7 }, undefined]) {
      const args = [f64([3, 2], 5, 0.5), xs, gains];
      checkGradient(m.ensemble, args, [0, 1]);
      checkForwardAgainstReverse(m.ensemble, args, [0, 1]);
    }
  });

  test("softmax attention with a number parameter", () => {
    const args = [f64([3, 4], 1), f64([5, 4], 2), f64([5, 2], 3), 0.7, f64([3, 2], 4)];
    checkGradient(m.attention, args, [0, 1, 3]);
    checkForwardAgainstReverse(m.attention, args, [0, 1, 3]);
  });
});
