// Ops for models: softmax, logSoftmax, crossEntropy and mse, with fused derivative rules (the
// composed rules would be correct too, but slower and less stable). Kernels run on the inputs'
// backend: logSoftmax is one kernel; the rest are a few elementwise and reduction kernels.

import type { Backend } from "../backends/backend.js";
import { backendOf, moveTo } from "../backends/index.js";
import { CotangentError } from "../errors.js";
import { broadcastShapes, fmtShape, normalizeAxis, sameShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { defineOp } from "./op.js";
import { castTo, floatDType, indexValues, requireDType, requireTensor, reshapeTo, scalar, tangentOf, unbroadcastTo } from "./util.js";

/** log-softmax along one axis, stably: (x − max) − log Σ exp(x − max). */
function logSoftmaxValue(x: Tensor, axis: number, op: string): { y: Tensor; a: number } {
  requireTensor(x, op);
  const a = normalizeAxis(axis, x.rank, op);
  return { y: x.backend.logSoftmax(x, a), a };
}

function expOf(t: Tensor): Tensor {
  return t.backend.unary("exp", t, [], t.dtype);
}

/**
 * softmax JVP/VJP: p·(v − Σ_axis p·v) (scaleByP), and logSoftmax VJP: v − p·Σ_axis v (not scaleByP).
 */
function minusWeightedSum(v: Tensor, p: Tensor, a: number, scaleByP: boolean): Tensor {
  const be = p.backend;
  const d = p.dtype;
  const u = moveTo(v, be);
  const s = be.reduce("sum", scaleByP ? be.binary("mul", u, p, p.shape, d) : castTo(u, d), [a], d);
  if (scaleByP) return be.binary("mul", p, be.binary("sub", u, s, p.shape, d), p.shape, d);
  return be.binary("sub", u, be.binary("mul", p, s, p.shape, d), p.shape, d);
}

/** softmax(x) along `axis` (default -1): exp(x) / Σ exp(x), computed stably. */
export const softmax = defineOp((x: Tensor, axis: number = -1): Tensor => expOf(logSoftmaxValue(x, axis, "softmax").y), {
  name: "softmax",
  family: "nn",
  method: true,
  arity: 2,
  wrt: [0],
  jvp(x: Tensor, axis: number | undefined, dx: unknown) {
    const { y, a } = logSoftmaxValue(x, axis ?? -1, "softmax");
    const p = expOf(y);
    const d = tangentOf(x, dx, "softmax", "x");
    // dp = p·(dx − Σ p dx)
    return { value: p, tangent: d && minusWeightedSum(d, p, a, true) };
  },
  vjp(x: Tensor, axis: number | undefined) {
    const { y, a } = logSoftmaxValue(x, axis ?? -1, "softmax");
    const p = expOf(y);
    // bx = p·(g − Σ p g)
    return { value: p, pullback: (g: Tensor | null) => [g && castTo(minusWeightedSum(g, p, a, true), x.dtype), null] };
  },
});

/** log(softmax(x)) along `axis` (default -1), computed stably. */
export const logSoftmax = defineOp((x: Tensor, axis: number = -1): Tensor => logSoftmaxValue(x, axis, "logSoftmax").y, {
  name: "logSoftmax",
  family: "nn",
  method: true,
  arity: 2,
  wrt: [0],
  jvp(x: Tensor, axis: number | undefined, dx: unknown) {
    const { y, a } = logSoftmaxValue(x, axis ?? -1, "logSoftmax");
    const d = tangentOf(x, dx, "logSoftmax", "x");
    if (d === null) return { value: y, tangent: null };
    // dy = dx − Σ p dx
    const be = y.backend;
    const p = expOf(y);
    const u = moveTo(d, be);
    const s = be.reduce("sum", be.binary("mul", u, p, p.shape, p.dtype), [a], p.dtype);
    return { value: y, tangent: be.binary("sub", u, s, y.shape, y.dtype) };
  },
  vjp(x: Tensor, axis: number | undefined) {
    const { y, a } = logSoftmaxValue(x, axis ?? -1, "logSoftmax");
    // bx = g − p Σ g
    return { value: y, pullback: (g: Tensor | null) => [g && castTo(minusWeightedSum(g, expOf(y), a, false), x.dtype), null] };
  },
});

function checkLabels(logits: Tensor, labels: Tensor, op: string): { batch: number; classes: number } {
  requireTensor(logits, op, "logits");
  requireTensor(labels, op, "labels");
  requireDType(labels, op, ["int32"], "labels (class indices)");
  if (logits.rank !== 2) throw new CotangentError("CT3005", `${op}: logits must have shape [batch, classes], got ${fmtShape(logits.shape)}.`);
  const [batch, classes] = logits.shape as [number, number];
  if (labels.rank !== 1 || labels.shape[0] !== batch)
    throw new CotangentError("CT3005", `${op}: labels must have shape [${batch}] (one class index per row of logits ${fmtShape(logits.shape)}), got ${fmtShape(labels.shape)}.`);
  const v = indexValues(labels);
  if (v)
    for (let i = 0; i < v.length; i++)
      if (v[i]! < 0 || v[i]! >= classes)
        throw new CotangentError("CT3005", `${op}: label ${v[i]} at position ${i} is out of range: there are ${classes} classes (0 to ${classes - 1}).`);
  return { batch, classes };
}

/**
 * −mean over rows of logp[i, labels[i]], and the one-hot matrix of the labels (made when a rule
 * reads it). A backend with the fused kernels computes the loss (and the cotangent) in one pass each.
 */
function crossEntropyValue(logits: Tensor, labels: Tensor) {
  const { batch, classes } = checkLabels(logits, labels, "crossEntropy");
  const be = backendOf(logits, labels);
  const x = moveTo(logits, be);
  const lab = moveTo(labels, be);
  const fused = x.dtype !== "float64" && be.crossEntropyLoss && be.crossEntropyBackward ? { loss: be.crossEntropyLoss, backward: be.crossEntropyBackward } : null;
  const f = fused?.loss.call(be, x, lab) ?? null;
  const logp = f ? f.logp : logSoftmaxValue(x, -1, "crossEntropy").y;
  const d = logp.dtype;
  let oneHot: Tensor | null = null;
  const hot = (): Tensor => (oneHot ??= be.oneHot(lab, classes, d));
  let value: Tensor;
  if (f) value = f.loss;
  else {
    const picked = be.reduce("sum", be.binary("mul", hot(), logp, logp.shape, d), [0, 1], d);
    value = reshapeTo(be.binary("mul", picked, scalar(be, batch ? -1 / batch : NaN, d), picked.shape, d), []);
  }
  return { value, logp, hot, lab, fused, batch, be };
}

/**
 * Mean cross-entropy of `logits` ([batch, classes]) against int32 class `labels` ([batch]):
 * −mean(logSoftmax(logits)[i, labels[i]]). A scalar tensor. Labels have no derivative.
 */
export const crossEntropy = defineOp((logits: Tensor, labels: Tensor): Tensor => crossEntropyValue(logits, labels).value, {
  name: "crossEntropy",
  family: "nn",
  arity: 2,
  wrt: [0],
  jvp(logits: Tensor, labels: Tensor, dLogits: unknown) {
    const { value, logp, hot, batch, be } = crossEntropyValue(logits, labels);
    const dl = tangentOf(logits, dLogits, "crossEntropy", "logits");
    if (dl === null) return { value, tangent: null };
    // d(loss) = mean_i Σ_c (p_ic − onehot_ic) d_ic
    const d = logp.dtype;
    const diff = be.binary("sub", expOf(logp), hot(), logp.shape, d);
    const t = be.reduce("sum", be.binary("mul", diff, moveTo(dl, be), logp.shape, d), [0, 1], d);
    return { value, tangent: reshapeTo(be.binary("mul", t, scalar(be, 1 / batch, d), t.shape, d), []) };
  },
  vjp(logits: Tensor, labels: Tensor) {
    const { value, logp, hot, lab, fused, batch, be } = crossEntropyValue(logits, labels);
    return {
      value,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null];
        if (fused) return [castTo(fused.backward.call(be, logp, lab, castTo(moveTo(g, be), "float32")), floatDType(logits.dtype)), null];
        // b = g · (softmax − onehot) / batch
        const d = logp.dtype;
        const scale = be.binary("mul", moveTo(g, be), scalar(be, 1 / batch, d), [], d);
        const diff = be.binary("sub", expOf(logp), hot(), logp.shape, d);
        return [castTo(be.binary("mul", diff, reshapeTo(scale, [1, 1]), logp.shape, floatDType(logits.dtype)), floatDType(logits.dtype)), null];
      },
    };
  },
});

function mseValue(pred: Tensor, target: Tensor) {
  requireTensor(pred, "mse", "predictions");
  requireTensor(target, "mse", "targets");
  const shape = broadcastShapes(pred.shape, target.shape, "mse");
  if (!sameShape(shape, pred.shape))
    throw new CotangentError("CT3005", `mse: targets ${fmtShape(target.shape)} would broadcast predictions ${fmtShape(pred.shape)} to ${fmtShape(shape)}; give them the predictions' shape.`);
  const be: Backend = backendOf(pred, target);
  const d = floatDType(pred.dtype);
  const diff = be.binary("sub", moveTo(pred, be), moveTo(target, be), shape, d);
  const n = diff.size;
  const total = be.reduce("sum", be.unary("square", diff, [], d), shape.map((_, i) => i), d);
  const value = reshapeTo(be.binary("mul", total, scalar(be, 1 / n, d), total.shape, d), []);
  return { value, diff, n, be };
}

/** Mean squared error mean((pred − target)²), a scalar; target broadcasts to pred's shape. */
export const mse = defineOp((pred: Tensor, target: Tensor): Tensor => mseValue(pred, target).value, {
  name: "mse",
  family: "nn",
  arity: 2,
  wrt: [0, 1],
  jvp(pred: Tensor, target: Tensor, dp: unknown, dt: unknown) {
    const { value, diff, n, be } = mseValue(pred, target);
    const a = tangentOf(pred, dp, "mse", "predictions");
    const b = tangentOf(target, dt, "mse", "targets");
    if (a === null && b === null) return { value, tangent: null };
    const d = diff.dtype;
    const zero = scalar(be, 0, d);
    const da = be.binary("sub", a ? moveTo(a, be) : zero, b ? moveTo(b, be) : zero, diff.shape, d);
    const t = be.reduce("sum", be.binary("mul", diff, da, diff.shape, d), diff.shape.map((_, i) => i), d);
    return { value, tangent: reshapeTo(be.binary("mul", t, scalar(be, 2 / n, d), t.shape, d), []) };
  },
  vjp(pred: Tensor, target: Tensor) {
    const { value, diff, n, be } = mseValue(pred, target);
    return {
      value,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null];
        const d = diff.dtype;
        const s = be.binary("mul", moveTo(g, be), scalar(be, 2 / n, d), [], d);
        const gp = be.binary("mul", diff, s, diff.shape, d);
        return [unbroadcastTo(castTo(gp, pred.dtype === "int32" ? d : pred.dtype), pred), unbroadcastTo(be.unary("neg", gp, [], d), target)];
      },
    };
  },
});
