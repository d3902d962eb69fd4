// @cotangent/nn: layers (differentiated by Cotangent's own build) and optimizers.

export {
  activate,
  dense,
  convolve,
  applyLayer,
  sequential,
  Dense,
  Conv2D,
  MaxPool2D,
  AvgPool2D,
  Flatten,
  ActivationLayer,
  Sequential,
  type Activation,
  type Layer,
  type DenseOptions,
  type Conv2DOptions,
  type InitOptions,
} from "./layers.js";
export { SGD, Momentum, Adam, type Optimizer, type AdamOptions } from "./optim.js";
