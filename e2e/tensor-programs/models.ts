// Tensor programs differentiated by the build (both hosts), checked against finite differences
// by e2e/test/tensors.test.ts. They are written as a user writes them: ops as functions and as
// methods, loops, branches, calls and model structs.

import { add, conv2d, crossEntropy, flatten, greater, log, matmul, maxPool2d, mean, mse, relu, sigmoid, softmax, sum, tanh, where, withoutDerivative, type Tensor } from "@cotangent/runtime";

/** Logistic regression: mean binary cross-entropy of sigmoid(x·w + b). */
/** @differentiable(wrt: w, b) */
export function logistic(w: Tensor, b: Tensor, x: Tensor, y: Tensor): Tensor {
  const p = sigmoid(add(matmul(x, w), b));
  const eps = 1e-9;
  const ll = y.mul(log(p.add(eps))).add(y.neg().add(1).mul(p.neg().add(1).add(eps).log()));
  return mean(ll).neg();
}

export interface Mlp {
  w1: Tensor;
  b1: Tensor;
  w2: Tensor;
  b2: Tensor;
}

/** A 2-layer MLP's logits. */
/** @differentiable(wrt: model) */
export function mlpLogits(model: Mlp, x: Tensor): Tensor {
  const h = relu(x.matmul(model.w1).add(model.b1));
  return h.matmul(model.w2).add(model.b2);
}

/** Cross-entropy of the MLP: a model struct differentiated as a whole. */
/** @differentiable(wrt: model) */
export function mlpLoss(model: Mlp, x: Tensor, labels: Tensor): Tensor {
  return crossEntropy(mlpLogits(model, x), labels);
}

/** A recurrent loop with a data-dependent branch per step (tanh or a leaky path). */
/** @differentiable(wrt: wh, wx) */
export function rnn(wh: Tensor, wx: Tensor, xs: Tensor[], h0: Tensor): Tensor {
  let h = h0;
  for (let t = 0; t < xs.length; t++) {
    const pre = matmul(h, wh).add(matmul(xs[t]!, wx));
    if (sum(pre).item() > 0) h = tanh(pre);
    else h = pre.mul(0.5);
  }
  return sum(h.square());
}

/** where with a mask computed from the input (the mask is a constant of differentiation). */
/** @differentiable */
export function hinge(x: Tensor): Tensor {
  const mask = greater(withoutDerivative(x), 0);
  return sum(where(mask, x.square(), x.mul(-0.1)));
}

/** Softmax attention-like mixing, with a number parameter next to tensors. */
/** @differentiable(wrt: q, k, scale) */
export function attention(q: Tensor, k: Tensor, v: Tensor, scale: number, target: Tensor): Tensor {
  const weights = softmax(matmul(q, k, false, true).mul(scale));
  return mse(matmul(weights, v), target);
}

/** A small CNN written with the ops directly: conv → relu → max pool → flatten → dense. */
/** @differentiable(wrt: filter, w) */
export function cnnLoss(filter: Tensor, w: Tensor, images: Tensor, labels: Tensor): Tensor {
  const h = relu(conv2d(images, filter, { padding: "same" }));
  const pooled = maxPool2d(h, { size: 2 });
  const logits = matmul(flatten(pooled, 1), w);
  return crossEntropy(logits, labels);
}

export interface Scaled {
  w: Tensor;
  /** A setting, not a parameter: no derivative (Swift's @noDerivative; seen by the TypeScript host). */
  /** @noDerivative */
  scale: number;
}

/** @differentiable(wrt: model) */
export function scaledSum(model: Scaled): Tensor {
  return sum(model.w.mul(model.scale));
}

/**
 * Array methods over an array of tensors: map with a captured weight, filter on a number, reduce
 * with and without an initial value, spread into a new array, and optional chaining.
 */
/** @differentiable(wrt: w, xs) */
export function ensemble(w: Tensor, xs: Tensor[], gains?: { scale?: number }): Tensor {
  const ys = xs.map((x, i) => tanh(x.matmul(w)).mul(i + 1));
  const kept = ys.filter((_, i) => i !== 1);
  const total = [...kept, ys[1]!.mul(0.5)].reduce((a, b) => a.add(b));
  const squares = ys.reduce((acc, y) => acc.add(sum(y.mul(y))), sum(w.mul(0)));
  return sum(total).mul(gains?.scale ?? 1).add(squares);
}
