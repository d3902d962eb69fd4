// Layers: plain classes whose fields are tensors (the parameters) and NoDerivative settings, and
// marked functions that apply them. The build differentiates these functions like any user code,
// so the gradient of a loss with respect to a layer (or a model made of layers) is an object with
// the same field names holding tensors: `{ weight, bias }` for a Dense layer.

import {
  add,
  avgPool2d,
  conv2d,
  flatten,
  gelu,
  leakyRelu,
  matmul,
  maxPool2d,
  randomNormal,
  relu,
  sigmoid,
  softplus,
  tanh,
  zeros,
  type DType,
  type NoDerivative,
  type Tensor,
} from "@cotangent/runtime";

export type Activation = "linear" | "relu" | "tanh" | "sigmoid" | "gelu" | "softplus" | "leakyRelu";

/**
 * `x` through the named activation function ("linear": unchanged).
 *
 * @example
 * activate(h, "relu");
 */
/** @differentiable(wrt: x) */
export function activate(x: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case "relu":
      return relu(x);
    case "tanh":
      return tanh(x);
    case "sigmoid":
      return sigmoid(x);
    case "gelu":
      return gelu(x);
    case "softplus":
      return softplus(x);
    case "leakyRelu":
      return leakyRelu(x);
    default:
      return x;
  }
}

/** How layer parameters are initialized. */
export interface InitOptions {
  /** Seed of the initial weights (the same seed gives the same model everywhere). Default 0. */
  seed?: number;
  /** Default float32. Use float64 for gradient checks. */
  dtype?: DType;
}

/** He initialization for relu-like activations, Glorot otherwise (stddev of a normal). */
function initStddev(fanIn: number, fanOut: number, activation: Activation): number {
  return activation === "relu" || activation === "leakyRelu" || activation === "gelu" ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
}

export interface DenseOptions extends InitOptions {
  /** Default "linear". */
  activation?: Activation;
}

/** A fully connected layer: activation(x · weight + bias), x of shape [batch, inputSize]. */
export class Dense {
  readonly kind: NoDerivative<"dense"> = "dense";
  /** [inputSize, outputSize] */
  weight: Tensor;
  /** [outputSize] */
  bias: Tensor;
  activation: NoDerivative<Activation>;

  constructor(inputSize: number, outputSize: number, options: DenseOptions = {}) {
    this.activation = options.activation ?? "linear";
    const dtype = options.dtype ?? "float32";
    this.weight = randomNormal([inputSize, outputSize], { seed: options.seed ?? 0, stddev: initStddev(inputSize, outputSize, this.activation), dtype });
    this.bias = zeros([outputSize], dtype);
  }
}

/** Applies a Dense layer. */
/** @differentiable(wrt: layer, x) */
export function dense(layer: Dense, x: Tensor): Tensor {
  return activate(add(matmul(x, layer.weight), layer.bias), layer.activation);
}

export interface Conv2DOptions extends InitOptions {
  /** Default 1. */
  stride?: number;
  /** Default "valid". */
  padding?: "same" | "valid";
  /** Default "linear". */
  activation?: Activation;
}

/** A 2-D convolution over NHWC images: activation(conv2d(x, filter) + bias). */
export class Conv2D {
  readonly kind: NoDerivative<"conv2d"> = "conv2d";
  /** [height, width, inChannels, outChannels] (HWIO) */
  filter: Tensor;
  /** [outChannels] */
  bias: Tensor;
  stride: NoDerivative<number>;
  padding: NoDerivative<"same" | "valid">;
  activation: NoDerivative<Activation>;

  constructor(filterSize: number | readonly [number, number], inChannels: number, outChannels: number, options: Conv2DOptions = {}) {
    const [fh, fw] = typeof filterSize === "number" ? [filterSize, filterSize] : filterSize;
    this.activation = options.activation ?? "linear";
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? "valid";
    const dtype = options.dtype ?? "float32";
    const fanIn = fh * fw * inChannels;
    this.filter = randomNormal([fh, fw, inChannels, outChannels], { seed: options.seed ?? 0, stddev: initStddev(fanIn, fh * fw * outChannels, this.activation), dtype });
    this.bias = zeros([outChannels], dtype);
  }
}

/** Applies a Conv2D layer. */
/** @differentiable(wrt: layer, x) */
export function convolve(layer: Conv2D, x: Tensor): Tensor {
  const y = conv2d(x, layer.filter, { stride: layer.stride, padding: layer.padding });
  return activate(add(y, layer.bias), layer.activation);
}

/** Max pooling over NHWC images (no parameters). */
export class MaxPool2D {
  readonly kind: NoDerivative<"maxPool2d"> = "maxPool2d";
  size: NoDerivative<number>;
  stride: NoDerivative<number>;
  padding: NoDerivative<"same" | "valid">;

  constructor(size: number, options: { stride?: number; padding?: "same" | "valid" } = {}) {
    this.size = size;
    this.stride = options.stride ?? size;
    this.padding = options.padding ?? "valid";
  }
}

/** Average pooling over NHWC images (no parameters). */
export class AvgPool2D {
  readonly kind: NoDerivative<"avgPool2d"> = "avgPool2d";
  size: NoDerivative<number>;
  stride: NoDerivative<number>;
  padding: NoDerivative<"same" | "valid">;

  constructor(size: number, options: { stride?: number; padding?: "same" | "valid" } = {}) {
    this.size = size;
    this.stride = options.stride ?? size;
    this.padding = options.padding ?? "valid";
  }
}

/** Flattens everything but the batch axis: [batch, …] → [batch, n]. */
export class Flatten {
  readonly kind: NoDerivative<"flatten"> = "flatten";
}

/** An activation as a layer of its own. */
export class ActivationLayer {
  readonly kind: NoDerivative<"activation"> = "activation";
  activation: NoDerivative<Activation>;

  constructor(activation: Activation) {
    this.activation = activation;
  }
}

/** Any layer `applyLayer` knows. */
export type Layer = Dense | Conv2D | MaxPool2D | AvgPool2D | Flatten | ActivationLayer;

/** Applies any layer (dispatching on its `kind`). */
/** @differentiable(wrt: layer, x) */
export function applyLayer(layer: Layer, x: Tensor): Tensor {
  const kind = layer.kind;
  if (kind === "dense") return dense(layer as Dense, x);
  if (kind === "conv2d") return convolve(layer as Conv2D, x);
  if (kind === "maxPool2d") {
    const pool = layer as MaxPool2D;
    return maxPool2d(x, { size: pool.size, stride: pool.stride, padding: pool.padding });
  }
  if (kind === "avgPool2d") {
    const pool = layer as AvgPool2D;
    return avgPool2d(x, { size: pool.size, stride: pool.stride, padding: pool.padding });
  }
  if (kind === "flatten") return flatten(x, 1);
  return activate(x, (layer as ActivationLayer).activation);
}

/**
 * Layers applied in order. The gradient with respect to a Sequential is `{ layers: [...] }` with
 * one tangent per layer (layers without parameters get null fields).
 *
 * @example
 * const model = new Sequential([new Dense(2, 16, { activation: "relu" }), new Dense(16, 2)]);
 * const logits = sequential(model, x);
 */
export class Sequential {
  layers: Layer[];

  constructor(layers: Layer[]) {
    this.layers = layers;
  }
}

/** Applies a Sequential model. */
/** @differentiable(wrt: model, x) */
export function sequential(model: Sequential, x: Tensor): Tensor {
  let h = x;
  for (const layer of model.layers) h = applyLayer(layer, h);
  return h;
}
