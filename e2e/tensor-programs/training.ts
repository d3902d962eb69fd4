// Models built from @cotangent/nn layers, trained by e2e/test/nn.test.ts through both hosts.

import { crossEntropy, type Tensor } from "@cotangent/runtime";
import { applyLayer, sequential, type Layer, type Sequential } from "@cotangent/nn";

/** Cross-entropy of a Sequential classifier. */
/** @differentiable(wrt: model) */
export function classifierLoss(model: Sequential, x: Tensor, labels: Tensor): Tensor {
  return crossEntropy(sequential(model, x), labels);
}

/** A model struct of named layers (Swift-style derived conformance): the gradient has the same fields. */
export interface TwoLayer {
  hidden: Layer;
  output: Layer;
}

/** @differentiable(wrt: model) */
export function twoLayerLoss(model: TwoLayer, x: Tensor, labels: Tensor): Tensor {
  const h = applyLayer(model.hidden, x);
  return crossEntropy(applyLayer(model.output, h), labels);
}
