// Every tensor op, and the side effects that make Tensor complete: methods and tangent arithmetic.

export {
  add, sub, mul, div, pow, maximum, minimum, neg, square, sqrt, exp, log, log1p, abs, sin, cos, tanh, sigmoid, relu, leakyRelu,
  gelu, softplus, clip, where, cast, equal, notEqual, greater, greaterEqual, less, lessEqual,
} from "./elementwise.js";
export { sum, mean, max, min, logSumExp, argMax, argMin, type Axis } from "./reduce.js";
export { matmul } from "./matmul.js";
export { reshape, flatten, transpose, expandDims, squeeze, broadcastTo, concat, stack, slice, gather, pad, oneHot, type Paddings } from "./movement.js";
export { softmax, logSoftmax, crossEntropy, mse } from "./nn.js";
export { conv2d, maxPool2d, maxPool2dIndices, avgPool2d, type Conv2DOptions, type Pool2DOptions } from "./conv.js";
export { map, defineKernel } from "./map.js";
export { fused } from "./fused.js";
export { listOps, getOp, opOf, primitiveManifest, type OpInfo, type OpFamily, type PrimitiveManifest } from "./op.js";
import "./methods.js";
import "./tangent-space.js";
