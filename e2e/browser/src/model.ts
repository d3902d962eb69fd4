// The differentiable half of the browser app: a marked loss over an @cotangent/nn Sequential
// model (the Babel plugin generates its derivatives at build time), and the data it is trained on.

import { crossEntropy, map, sum, tensor, type Tensor } from "@cotangent/runtime";
import { Dense, Sequential, sequential } from "@cotangent/nn";

/** Cross-entropy of the MLP's logits against integer class labels. */
/** @differentiable(wrt: model) */
export function loss(model: Sequential, x: Tensor, labels: Tensor): Tensor {
  return crossEntropy(sequential(model, x), labels);
}

/** A small MLP, 2 → 16 → 16 → 2, float32, seeded: the same weights on every backend. */
export function makeModel(): Sequential {
  return new Sequential([
    new Dense(2, 16, { activation: "tanh", seed: 11 }),
    new Dense(16, 16, { activation: "relu", seed: 12 }),
    new Dense(16, 2, { seed: 13 }),
  ]);
}

/** Plain arrays of a seeded two-class set (points inside / outside a circle), made into tensors per backend. */
export function makeData(n: number): { xs: Float32Array; ys: Int32Array } {
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const xs = new Float32Array(n * 2);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = 2 * next() - 1;
    const b = 2 * next() - 1;
    xs[2 * i] = a;
    xs[2 * i + 1] = b;
    ys[i] = a * a + b * b < 0.5 ? 1 : 0;
  }
  return { xs, ys };
}

/** The data as tensors on the current backend. */
export function dataTensors(n: number): { x: Tensor; labels: Tensor } {
  const { xs, ys } = makeData(n);
  return { x: tensor(xs, [n, 2]), labels: tensor(ys, [n], "int32") };
}

/** A custom activation as a kernel function: one WGSL dispatch per map(softClip) on WebGPU. */
/** @differentiable @kernel */
export function softClip(x: number, limit: number): number {
  return limit * Math.tanh(x / limit);
}

/** A loss through the kernel (its VJP: one dispatch for both inputs' cotangents). */
/** @differentiable */
export function clippedEnergy(x: Tensor, scale: Tensor): Tensor {
  return sum(map(softClip)(x.mul(scale), 1.5).square());
}
