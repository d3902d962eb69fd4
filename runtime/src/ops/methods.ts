// Ops as Tensor methods: `a.add(b)` is `add(a, b)`. Each method's derivatives are its op's, with
// the tensor the method is called on as parameter 0 (a "receiver" record, see
// ../ad/derivatives.ts), so generated code differentiates `a.add(b)` with respect to `a` too.

import { defineDerivatives, getDerivatives, type AnyFunction } from "../ad/derivatives.js";
import type { TensorLike } from "../tensor/create.js";
import type { DType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import type { Axis } from "./reduce.js";
import * as elementwise from "./elementwise.js";
import * as matmulOps from "./matmul.js";
import * as movement from "./movement.js";
import * as nn from "./nn.js";
import { defineOp, getOp, noteMethod } from "./op.js";
import { full } from "../tensor/create.js";
import * as reduceOps from "./reduce.js";

const { add, sub, mul, div, pow, maximum, minimum, neg, square, sqrt, exp, log, log1p, abs, sin, cos, tanh, sigmoid, relu, leakyRelu, gelu, softplus, clip, cast } = elementwise;
const { equal, notEqual, greater, greaterEqual, less, lessEqual } = elementwise;
const { sum, mean, max, min, logSumExp, argMax, argMin } = reduceOps;
const { matmul } = matmulOps;
const { reshape, flatten, transpose, expandDims, squeeze, broadcastTo, slice, gather, pad } = movement;
const { softmax, logSoftmax } = nn;

/** The class's own item(), before the method is replaced by the differentiable op below. */
const classItem = Tensor.prototype.item;
const readItem = (t: Tensor): number => classItem.call(t);

/**
 * `t.item()` as an op: the number in a one-element tensor. Differentiable (the number's
 * derivative is the tensor's), so `if (loss.item() > 0)` and `sum(h).item() * 2` both work in
 * marked functions.
 */
const item = defineOp((t: Tensor): number => readItem(t), {
  name: "item",
  exported: false,
  family: "movement",
  arity: 1,
  wrt: [0],
  jvp: (t: Tensor, dt: unknown) => ({ value: readItem(t), tangent: dt instanceof Tensor ? readItem(dt) : 0 }),
  vjp: (t: Tensor) => ({ value: readItem(t), pullback: (g: number | null) => [g === null || g === 0 ? null : full(t.shape, g, t.dtype === "int32" ? "float32" : t.dtype)] }),
});

/** Reading values out as plain data: no derivative (a number per element would lose it). */
const READS = ["dataSync", "arraySync", "data"] as const;
for (const name of READS)
  defineOp((t: Tensor) => (Tensor.prototype[name] as () => unknown).call(t), {
    name,
    exported: false,
    family: "movement",
    why: "it reads the values out as plain numbers, which carry no derivative; use item() for a one-element tensor, or withoutDerivative(t) if constants are intended",
  });

/** Method name → op. Every entry becomes `Tensor.prototype[name]`. */
const METHODS = {
  add, sub, mul, div, pow, maximum, minimum, neg, square, sqrt, exp, log, log1p, abs, sin, cos, tanh, sigmoid, relu, leakyRelu, gelu, softplus, clip, cast,
  equal, notEqual, greater, greaterEqual, less, lessEqual,
  sum, mean, max, min, logSumExp, argMax, argMin,
  matmul,
  reshape, flatten, transpose, expandDims, squeeze, broadcastTo, slice, gather, pad,
  softmax, logSoftmax,
  item,
} as const;

declare module "../tensor/tensor.js" {
  // Written out (not mapped from the op types, which refer to Tensor themselves).
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    maximum(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    neg(): Tensor;
    square(): Tensor;
    sqrt(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    abs(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    leakyRelu(alpha?: number): Tensor;
    gelu(): Tensor;
    softplus(): Tensor;
    clip(min: number, max: number): Tensor;
    cast(dtype: DType): Tensor;
    /** Masks (int32 0/1); no derivative. */
    equal(b: TensorLike): Tensor;
    notEqual(b: TensorLike): Tensor;
    greater(b: TensorLike): Tensor;
    greaterEqual(b: TensorLike): Tensor;
    less(b: TensorLike): Tensor;
    lessEqual(b: TensorLike): Tensor;
    sum(axis?: Axis, keepDims?: boolean): Tensor;
    mean(axis?: Axis, keepDims?: boolean): Tensor;
    max(axis?: Axis, keepDims?: boolean): Tensor;
    min(axis?: Axis, keepDims?: boolean): Tensor;
    logSumExp(axis?: Axis, keepDims?: boolean): Tensor;
    /** int32 indices; no derivative. */
    argMax(axis?: number): Tensor;
    argMin(axis?: number): Tensor;
    matmul(b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(axis?: number): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    expandDims(axis?: number): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    slice(begin: readonly number[], size?: readonly number[]): Tensor;
    gather(indices: Tensor | readonly number[], axis?: number): Tensor;
    pad(paddings: readonly (readonly [number, number])[], value?: number): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
  }
}

for (const name of READS) noteMethod(getOp(name)!.fn, name);

for (const [method, op] of Object.entries(METHODS) as [string, AnyFunction][]) {
  const impl = function (this: Tensor, ...rest: unknown[]) {
    return op(this, ...rest);
  };
  Object.defineProperty(impl, "name", { value: method });
  Object.defineProperty(Tensor.prototype, method, { value: impl, writable: true, configurable: true, enumerable: false });
  noteMethod(op, method);
  const d = getDerivatives(op);
  if (d) defineDerivatives(impl, { name: `Tensor.${method}`, arity: d.arity, wrt: d.wrt, jvp: d.jvp, vjp: d.vjp, receiver: true });
}
