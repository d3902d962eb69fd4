// The forward-mode rule of every differentiable tensor op, written once, with the public ops, as a
// user would write a marked function. Cotangent differentiates these rules itself
// (scripts/gen-rules.mjs runs the Babel host over this file and writes
// runtime/src/rules/jvp.generated.ts), and runtime/src/rules/index.ts registers the results as the
// derivatives of each op's JVP: that is what second derivatives through tensor code (gradient of a
// gradient, Hessian-vector products, gradient penalties) differentiate.
//
// Conventions (those of an op's JVP, see runtime/src/ad/derivatives.ts):
//   - `<op>Jvp(...args, ...tangents)` takes the op's arguments, then one tangent per argument, and
//     returns { value, tangent }; the differentiated parameters (`wrt`) are the op's own and their
//     tangents. Tangents arrive concrete (zeros, never null): the registration fills them in.
//   - Masks (comparisons) take their operands through withoutDerivative: a mask is piecewise
//     constant, so it contributes nothing to the next derivative.
//   - Edge points follow the ops' own rules (ties of maximum/minimum go to the first operand, of
//     max/min reductions are split evenly; pow's ∂a is 0 where b = 0 and ∂b is 0 where a = 0);
//     runtime/test/rules.test.ts holds the backends' fused first-order kernels equal to these.

import type { Axis, Conv2DOptions, DType, Pool2DOptions } from "@cotangent/runtime";
import {
  Tensor,
  abs,
  add,
  avgPool2d,
  broadcastTo,
  cast,
  clip,
  concat,
  conv2d,
  cos,
  crossEntropy,
  div,
  equal,
  exp,
  expandDims,
  flatten,
  gather,
  gelu,
  greater,
  greaterEqual,
  leakyRelu,
  less,
  lessEqual,
  log,
  log1p,
  logSoftmax,
  logSumExp,
  matmul,
  max,
  maxPool2d,
  maxPool2dIndices,
  maximum,
  mean,
  min,
  minimum,
  mse,
  mul,
  neg,
  oneHot,
  pad,
  pow,
  relu,
  reshape,
  sigmoid,
  sin,
  slice,
  softmax,
  softplus,
  sqrt,
  square,
  squeeze,
  stack,
  sub,
  sum,
  tanh,
  transpose,
  where,
  withoutDerivative,
  zeros,
} from "@cotangent/runtime";

/** What a rule returns: the op's value and its tangent. */
export interface Jvp {
  value: Tensor;
  tangent: Tensor;
}

type Operand = Tensor | number;

// ---- unary elementwise: tangent = dx · f′(x) ---------------------------------------------------

/** @differentiable */
export function negJvp(x: Tensor, dx: Tensor): Jvp {
  return { value: neg(x), tangent: neg(dx) };
}

/** @differentiable */
export function squareJvp(x: Tensor, dx: Tensor): Jvp {
  return { value: square(x), tangent: mul(dx, mul(x, 2)) };
}

/** @differentiable */
export function sqrtJvp(x: Tensor, dx: Tensor): Jvp {
  const y = sqrt(x);
  return { value: y, tangent: div(dx, mul(y, 2)) };
}

/** @differentiable */
export function expJvp(x: Tensor, dx: Tensor): Jvp {
  const y = exp(x);
  return { value: y, tangent: mul(dx, y) };
}

/** @differentiable */
export function logJvp(x: Tensor, dx: Tensor): Jvp {
  return { value: log(x), tangent: div(dx, x) };
}

/** @differentiable */
export function log1pJvp(x: Tensor, dx: Tensor): Jvp {
  return { value: log1p(x), tangent: div(dx, add(x, 1)) };
}

/** |x|: slope sign(x), 0 at 0. */
/** @differentiable */
export function absJvp(x: Tensor, dx: Tensor): Jvp {
  const c = withoutDerivative(x);
  return { value: abs(x), tangent: where(greater(c, 0), dx, where(less(c, 0), neg(dx), 0)) };
}

/** @differentiable */
export function sinJvp(x: Tensor, dx: Tensor): Jvp {
  return { value: sin(x), tangent: mul(dx, cos(x)) };
}

/** @differentiable */
export function cosJvp(x: Tensor, dx: Tensor): Jvp {
  return { value: cos(x), tangent: neg(mul(dx, sin(x))) };
}

/** @differentiable */
export function tanhJvp(x: Tensor, dx: Tensor): Jvp {
  const y = tanh(x);
  return { value: y, tangent: mul(dx, sub(1, square(y))) };
}

/** @differentiable */
export function sigmoidJvp(x: Tensor, dx: Tensor): Jvp {
  const y = sigmoid(x);
  return { value: y, tangent: mul(dx, mul(y, sub(1, y))) };
}

/** max(x, 0): slope 1 where x > 0, else 0. */
/** @differentiable */
export function reluJvp(x: Tensor, dx: Tensor): Jvp {
  return { value: relu(x), tangent: where(greater(withoutDerivative(x), 0), dx, 0) };
}

/** @differentiable */
export function softplusJvp(x: Tensor, dx: Tensor): Jvp {
  return { value: softplus(x), tangent: mul(dx, sigmoid(x)) };
}

/**
 * GELU (tanh form): with u = c·(x + k·x³) and t = tanh(u), the slope is
 * ½(1 + t) + ½x(1 − t²)·c·(1 + 3k·x²).
 */
/** @differentiable */
export function geluJvp(x: Tensor, dx: Tensor): Jvp {
  const c = Math.sqrt(2 / Math.PI);
  const k = 0.044715;
  const t = tanh(mul(add(x, mul(pow(x, 3), k)), c));
  const du = mul(add(mul(square(x), 3 * k), 1), c);
  const slope = add(mul(add(t, 1), 0.5), mul(mul(x, 0.5), mul(sub(1, square(t)), du)));
  return { value: gelu(x), tangent: mul(dx, slope) };
}

/** x for x > 0, alpha·x otherwise; ∂/∂alpha = min(x, 0). */
/** @differentiable(wrt: x, alpha, dx, dAlpha) */
export function leakyReluJvp(x: Tensor, alpha: number | undefined, dx: Tensor, dAlpha: number): Jvp {
  const a = alpha === undefined ? 0.2 : alpha;
  const slopeX = where(greater(withoutDerivative(x), 0), dx, mul(dx, a));
  return { value: leakyRelu(x, a), tangent: add(slopeX, mul(minimum(x, 0), dAlpha)) };
}

/** x limited to [lo, hi]: slope 1 inside (ends included); below, the tangent is lo's, above, hi's. */
/** @differentiable(wrt: x, lo, hi, dx, dLo, dHi) */
export function clipJvp(x: Tensor, lo: number, hi: number, dx: Tensor, dLo: number, dHi: number): Jvp {
  const c = withoutDerivative(x);
  const below = less(c, withoutDerivative(lo));
  const above = greater(c, withoutDerivative(hi));
  return { value: clip(x, lo, hi), tangent: where(below, dLo, where(above, dHi, dx)) };
}

/** A cast keeps the tangent in the new float dtype; into int32 there is none (zeros). */
/** @differentiable(wrt: x, dx) */
export function castJvp(x: Tensor, dtype: DType, dx: Tensor, _dDType: unknown): Jvp {
  const value = cast(x, dtype);
  if (dtype === "int32") return { value, tangent: mul(value, 0) };
  return { value, tangent: cast(dx, dtype) };
}

// ---- binary elementwise ---------------------------------------------------------------------

/** @differentiable */
export function addJvp(a: Operand, b: Operand, da: Operand, db: Operand): Jvp {
  return { value: add(a, b), tangent: add(da, db) };
}

/** @differentiable */
export function subJvp(a: Operand, b: Operand, da: Operand, db: Operand): Jvp {
  return { value: sub(a, b), tangent: sub(da, db) };
}

/** @differentiable */
export function mulJvp(a: Operand, b: Operand, da: Operand, db: Operand): Jvp {
  return { value: mul(a, b), tangent: add(mul(da, b), mul(a, db)) };
}

/** (da − db·a/b) / b */
/** @differentiable */
export function divJvp(a: Operand, b: Operand, da: Operand, db: Operand): Jvp {
  const y = div(a, b);
  return { value: y, tangent: div(sub(da, mul(db, y)), b) };
}

/** ∂a = b·a^(b−1), 0 where b = 0; ∂b = log(a)·aᵇ, 0 where a = 0. */
/** @differentiable */
export function powJvp(a: Operand, b: Operand, da: Operand, db: Operand): Jvp {
  const y = pow(a, b);
  const slopeA = where(equal(withoutDerivative(b), 0), 0, mul(b, pow(a, sub(b, 1))));
  // A plain-number base keeps its float64 logarithm (log of a number is a float32 scalar).
  const logA = typeof a === "number" ? Math.log(a) : log(a);
  const slopeB = where(equal(withoutDerivative(a), 0), 0, mul(logA, y));
  return { value: y, tangent: add(mul(da, slopeA), mul(db, slopeB)) };
}

/** Ties go to the first operand (as Math.max's derivative). */
/** @differentiable */
export function maximumJvp(a: Operand, b: Operand, da: Operand, db: Operand): Jvp {
  return { value: maximum(a, b), tangent: where(greaterEqual(withoutDerivative(a), withoutDerivative(b)), da, db) };
}

/** @differentiable */
export function minimumJvp(a: Operand, b: Operand, da: Operand, db: Operand): Jvp {
  return { value: minimum(a, b), tangent: where(lessEqual(withoutDerivative(a), withoutDerivative(b)), da, db) };
}

/** @differentiable(wrt: a, b, da, db) */
export function whereJvp(cond: Tensor | number, a: Operand, b: Operand, _dCond: unknown, da: Operand, db: Operand): Jvp {
  return { value: where(cond, a, b), tangent: where(cond, da, db) };
}

// ---- reductions --------------------------------------------------------------------------------

/** @differentiable(wrt: x, dx) */
export function sumJvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: Tensor, _dAxis: unknown, _dKeepDims: unknown): Jvp {
  return { value: sum(x, axis, keepDims), tangent: sum(dx, axis, keepDims) };
}

/** @differentiable(wrt: x, dx) */
export function meanJvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: Tensor, _dAxis: unknown, _dKeepDims: unknown): Jvp {
  return { value: mean(x, axis, keepDims), tangent: mean(dx, axis, keepDims) };
}

/** The tangent of the extreme: dx averaged over the elements equal to it (ties split evenly). */
/** @differentiable(wrt: x, dx) */
export function maxJvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: Tensor, _dAxis: unknown, _dKeepDims: unknown): Jvp {
  const c = withoutDerivative(x);
  const ties = cast(where(equal(c, max(c, axis, true)), 1, 0), c.dtype);
  return { value: max(x, axis, keepDims), tangent: sum(mul(dx, div(ties, sum(ties, axis, true))), axis, keepDims) };
}

/** @differentiable(wrt: x, dx) */
export function minJvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: Tensor, _dAxis: unknown, _dKeepDims: unknown): Jvp {
  const c = withoutDerivative(x);
  const ties = cast(where(equal(c, min(c, axis, true)), 1, 0), c.dtype);
  return { value: min(x, axis, keepDims), tangent: sum(mul(dx, div(ties, sum(ties, axis, true))), axis, keepDims) };
}

/** The tangent is dx weighted by the softmax over the axes, exp(x − logSumExp(x)). */
/** @differentiable(wrt: x, dx) */
export function logSumExpJvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: Tensor, _dAxis: unknown, _dKeepDims: unknown): Jvp {
  const weights = exp(sub(x, logSumExp(x, axis, true)));
  return { value: logSumExp(x, axis, keepDims), tangent: sum(mul(dx, weights), axis, keepDims) };
}

// ---- matmul, convolution, pooling: bilinear or linear ----------------------------------------

/** @differentiable(wrt: a, b, da, db) */
export function matmulJvp(a: Tensor, b: Tensor, transposeA: boolean | undefined, transposeB: boolean | undefined, da: Tensor, db: Tensor, _dTA: unknown, _dTB: unknown): Jvp {
  return { value: matmul(a, b, transposeA, transposeB), tangent: add(matmul(da, b, transposeA, transposeB), matmul(a, db, transposeA, transposeB)) };
}

/** @differentiable(wrt: x, filter, dx, dFilter) */
export function conv2dJvp(x: Tensor, filter: Tensor, options: Conv2DOptions | undefined, dx: Tensor, dFilter: Tensor, _dOptions: unknown): Jvp {
  return { value: conv2d(x, filter, options), tangent: add(conv2d(dx, filter, options), conv2d(x, dFilter, options)) };
}

/** Each output's tangent is dx at the window's (first) maximum: a gather at maxPool2dIndices. */
/** @differentiable(wrt: x, dx) */
export function maxPool2dJvp(x: Tensor, options: Pool2DOptions, dx: Tensor, _dOptions: unknown): Jvp {
  const at = maxPool2dIndices(withoutDerivative(x), options);
  return { value: maxPool2d(x, options), tangent: gather(reshape(dx, [-1]), at) };
}

/** @differentiable(wrt: x, dx) */
export function avgPool2dJvp(x: Tensor, options: Pool2DOptions, dx: Tensor, _dOptions: unknown): Jvp {
  return { value: avgPool2d(x, options), tangent: avgPool2d(dx, options) };
}

// ---- movement: linear, the tangent moves as the value -----------------------------------------

/** @differentiable(wrt: x, dx) */
export function reshapeJvp(x: Tensor, shape: readonly number[], dx: Tensor, _dShape: unknown): Jvp {
  return { value: reshape(x, shape), tangent: reshape(dx, shape) };
}

/** @differentiable(wrt: x, dx) */
export function flattenJvp(x: Tensor, axis: number | undefined, dx: Tensor, _dAxis: unknown): Jvp {
  return { value: flatten(x, axis), tangent: flatten(dx, axis) };
}

/** @differentiable(wrt: x, dx) */
export function expandDimsJvp(x: Tensor, axis: number | undefined, dx: Tensor, _dAxis: unknown): Jvp {
  return { value: expandDims(x, axis), tangent: expandDims(dx, axis) };
}

/** @differentiable(wrt: x, dx) */
export function squeezeJvp(x: Tensor, axis: number | readonly number[] | undefined, dx: Tensor, _dAxis: unknown): Jvp {
  return { value: squeeze(x, axis), tangent: squeeze(dx, axis) };
}

/** @differentiable(wrt: x, dx) */
export function transposeJvp(x: Tensor, perm: readonly number[] | undefined, dx: Tensor, _dPerm: unknown): Jvp {
  return { value: transpose(x, perm), tangent: transpose(dx, perm) };
}

/** @differentiable(wrt: x, dx) */
export function broadcastToJvp(x: Tensor, shape: readonly number[], dx: Tensor, _dShape: unknown): Jvp {
  return { value: broadcastTo(x, shape), tangent: broadcastTo(dx, shape) };
}

/** @differentiable(wrt: x, dx) */
export function sliceJvp(x: Tensor, begin: readonly number[], size: readonly number[] | undefined, dx: Tensor, _dBegin: unknown, _dSize: unknown): Jvp {
  return { value: slice(x, begin, size), tangent: slice(dx, begin, size) };
}

/** @differentiable(wrt: x, dx) */
export function gatherJvp(x: Tensor, indices: Tensor | readonly number[], axis: number | undefined, dx: Tensor, _dIndices: unknown, _dAxis: unknown): Jvp {
  return { value: gather(x, indices, axis), tangent: gather(dx, indices, axis) };
}

/** x padded with `value`: the padding's tangent is the value's. */
/** @differentiable(wrt: x, value, dx, dValue) */
export function padJvp(x: Tensor, paddings: readonly (readonly [number, number])[], value: number | undefined, dx: Tensor, _dPaddings: unknown, dValue: number): Jvp {
  // 1 in the padding, 0 inside, in x's dtype.
  const c = withoutDerivative(x);
  const outside = pad(zeros(c.shape, c.dtype), paddings, 1);
  return { value: pad(x, paddings, value), tangent: add(pad(dx, paddings, 0), mul(outside, dValue)) };
}

/** @differentiable(wrt: xs, dxs) */
export function concatJvp(xs: readonly Tensor[], axis: number | undefined, dxs: readonly Tensor[], _dAxis: unknown): Jvp {
  return { value: concat(xs, axis), tangent: concat(dxs, axis) };
}

/** @differentiable(wrt: xs, dxs) */
export function stackJvp(xs: readonly Tensor[], axis: number | undefined, dxs: readonly Tensor[], _dAxis: unknown): Jvp {
  return { value: stack(xs, axis), tangent: stack(dxs, axis) };
}

/** `t.item()`: the number's tangent is the one-element tangent's. */
/** @differentiable */
export function itemJvp(t: Tensor, dt: Tensor): { value: number; tangent: number } {
  return { value: t.item(), tangent: dt.item() };
}

// ---- nn ----------------------------------------------------------------------------------------

/** p·(dx − Σ p·dx) along the axis. */
/** @differentiable(wrt: x, dx) */
export function softmaxJvp(x: Tensor, axis: number | undefined, dx: Tensor, _dAxis: unknown): Jvp {
  const ax = axis === undefined ? -1 : axis;
  const p = softmax(x, ax);
  return { value: p, tangent: mul(p, sub(dx, sum(mul(dx, p), ax, true))) };
}

/** dx − Σ p·dx along the axis. */
/** @differentiable(wrt: x, dx) */
export function logSoftmaxJvp(x: Tensor, axis: number | undefined, dx: Tensor, _dAxis: unknown): Jvp {
  const ax = axis === undefined ? -1 : axis;
  const y = logSoftmax(x, ax);
  return { value: y, tangent: sub(dx, sum(mul(dx, exp(y)), ax, true)) };
}

/** −mean over rows of the log-softmax tangent at each row's label. */
/** @differentiable(wrt: logits, dLogits) */
export function crossEntropyJvp(logits: Tensor, labels: Tensor, dLogits: Tensor, _dLabels: unknown): Jvp {
  const p = softmax(logits, -1);
  const dLogp = sub(dLogits, sum(mul(dLogits, p), -1, true));
  const picked = sum(mul(dLogp, oneHot(labels, withoutDerivative(logits).shape[1]!)), -1);
  return { value: crossEntropy(logits, labels), tangent: neg(mean(picked)) };
}

/** mean(2·(pred − target)·(dPred − dTarget)); target broadcasts to pred's shape. */
/** @differentiable */
export function mseJvp(pred: Tensor, target: Tensor, dPred: Tensor, dTarget: Tensor): Jvp {
  return { value: mse(pred, target), tangent: mean(mul(mul(sub(pred, target), 2), sub(dPred, dTarget))) };
}
