// The marked loss of `npm run bench:gpu` (e2e/bench/gpu.mjs): compiled with @cotangent/babel-plugin,
// in-process by gpu.mjs, or at bundle time by babel-loader (gpu.webpack.config.cjs) for the GPU machine.
import { crossEntropy, relu, type Tensor } from "@cotangent/runtime";

export interface Mlp {
  w1: Tensor;
  b1: Tensor;
  w2: Tensor;
  b2: Tensor;
  w3: Tensor;
  b3: Tensor;
}

/** Mean cross-entropy of a 784-256-128-10 relu MLP: a model struct differentiated as a whole. */
/** @differentiable(wrt: model) */
export function loss(model: Mlp, x: Tensor, labels: Tensor): Tensor {
  const h1 = relu(x.matmul(model.w1).add(model.b1));
  const h2 = relu(h1.matmul(model.w2).add(model.b2));
  return crossEntropy(h2.matmul(model.w3).add(model.b3), labels);
}
