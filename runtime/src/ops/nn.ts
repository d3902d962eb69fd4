// Ops for models: softmax, logSoftmax, crossEntropy and mse, with fused derivative rules (the
// composed rules would be correct too, but slower and less stable).

import { mapBinary } from "../backends/cpu/elementwise.js";
import { reduce } from "../backends/cpu/reduce.js";
import { CotangentError } from "../errors.js";
import { broadcastShapes, fmtShape, normalizeAxis, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { defineOp } from "./op.js";
import { castTo, empty, floatDType, requireDType, requireTensor, tangentOf, unbroadcastTo } from "./util.js";

/** log-softmax along one axis, stably: (x − max) − log Σ exp(x − max). */
function logSoftmaxValue(x: Tensor, axis: number, op: string): { y: Tensor; a: number } {
  requireTensor(x, op);
  const a = normalizeAxis(axis, x.rank, op);
  const dtype = floatDType(x.dtype);
  const kept = x.shape.map((d, i) => (i === a ? 1 : d));
  const m = empty(kept, "float64");
  reduce(x.values, x.shape, [a], m.values, "max");
  const mv = m.values;
  for (let i = 0; i < mv.length; i++) if (!Number.isFinite(mv[i]!)) mv[i] = 0;
  // The shifted logits are subtracted from x before log Σ is: x − (max + log Σ) would round
  // max + log Σ at the logits' magnitude (rows of softmax([1000, 1000, 1000]) summed to 1 − 5e-14).
  const z = empty(x.shape, "float64");
  mapBinary(x.values, x.shape, mv, kept, z.values, x.shape, (v, s) => v - s);
  const e = empty(x.shape, "float64");
  for (let i = 0; i < e.values.length; i++) e.values[i] = Math.exp(z.values[i]!);
  const s = empty(kept, "float64");
  reduce(e.values, x.shape, [a], s.values, "sum");
  for (let i = 0; i < mv.length; i++) mv[i] = Math.log(s.values[i]!);
  const y = empty(x.shape, dtype);
  mapBinary(z.values, x.shape, mv, kept, y.values, x.shape, (v, l) => v - l);
  return { y, a };
}

function expOf(t: Tensor): Tensor {
  const out = empty(t.shape, t.dtype);
  for (let i = 0; i < out.values.length; i++) out.values[i] = Math.exp(t.values[i]!);
  return out;
}

/** v − p · Σ_axis v (the Jacobian-vector product of softmax's log, shared by both rules). */
function minusWeightedSum(v: Tensor, p: Tensor, a: number, scaleByP: boolean): Tensor {
  const kept = v.shape.map((d, i) => (i === a ? 1 : d));
  const weighted = empty(v.shape, "float64");
  mapBinary(v.values, v.shape, p.values, p.shape, weighted.values, v.shape, (x, w) => (scaleByP ? x * w : x));
  const s = empty(kept, "float64");
  reduce(weighted.values, v.shape, [a], s.values, "sum");
  const out = empty(v.shape, p.dtype);
  // softmax: p·(v − Σ p v); logSoftmax JVP: v − Σ p v; logSoftmax VJP: v − p Σ v.
  const ps = p.values;
  const ss = s.values;
  const inner = v.shape.slice(a + 1).reduce((q, d) => q * d, 1);
  const len = v.shape[a]!;
  for (let i = 0; i < out.values.length; i++) {
    const outerIdx = Math.floor(i / (len * inner));
    const r = i % inner;
    const sv = ss[outerIdx * inner + r]!;
    out.values[i] = scaleByP ? ps[i]! * (v.values[i]! - sv) : v.values[i]! - ps[i]! * sv;
  }
  return out;
}

/** softmax(x) along `axis` (default -1): exp(x) / Σ exp(x), computed stably. */
export const softmax = defineOp((x: Tensor, axis = -1): Tensor => expOf(logSoftmaxValue(x, axis, "softmax").y), {
  name: "softmax",
  family: "nn",
  arity: 2,
  wrt: [0],
  jvp(x: Tensor, axis: number | undefined, dx: unknown) {
    const { y, a } = logSoftmaxValue(x, axis ?? -1, "softmax");
    const p = expOf(y);
    const d = tangentOf(x, dx, "softmax", "x");
    // dp = p·(dx − Σ p dx)
    return { value: p, tangent: d && castTo(minusWeightedSum(d, p, a, true), p.dtype) };
  },
  vjp(x: Tensor, axis: number | undefined) {
    const { y, a } = logSoftmaxValue(x, axis ?? -1, "softmax");
    const p = expOf(y);
    // bx = p·(g − Σ p g)
    return { value: p, pullback: (g: Tensor | null) => [g && castTo(minusWeightedSum(g, p, a, true), x.dtype), null] };
  },
});

/** log(softmax(x)) along `axis` (default -1), computed stably. */
export const logSoftmax = defineOp((x: Tensor, axis = -1): Tensor => logSoftmaxValue(x, axis, "logSoftmax").y, {
  name: "logSoftmax",
  family: "nn",
  arity: 2,
  wrt: [0],
  jvp(x: Tensor, axis: number | undefined, dx: unknown) {
    const { y, a } = logSoftmaxValue(x, axis ?? -1, "logSoftmax");
    const d = tangentOf(x, dx, "logSoftmax", "x");
    if (d === null) return { value: y, tangent: null };
    // dy = dx − Σ p dx
    const p = expOf(y);
    const kept = d.shape.map((s, i) => (i === a ? 1 : s));
    const pd = empty(d.shape, "float64");
    mapBinary(d.values, d.shape, p.values, p.shape, pd.values, d.shape, (u, w) => u * w);
    const s = empty(kept, "float64");
    reduce(pd.values, d.shape, [a], s.values, "sum");
    const out = empty(d.shape, y.dtype);
    mapBinary(d.values, d.shape, s.values, kept, out.values, d.shape, (u, v) => u - v);
    return { value: y, tangent: out };
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
  const v = labels.values;
  for (let i = 0; i < v.length; i++)
    if (v[i]! < 0 || v[i]! >= classes)
      throw new CotangentError("CT3005", `${op}: label ${v[i]} at position ${i} is out of range: there are ${classes} classes (0 to ${classes - 1}).`);
  return { batch, classes };
}

function crossEntropyValue(logits: Tensor, labels: Tensor) {
  const { batch, classes } = checkLabels(logits, labels, "crossEntropy");
  const { y } = logSoftmaxValue(logits, -1, "crossEntropy");
  let total = 0;
  for (let i = 0; i < batch; i++) total -= y.values[i * classes + labels.values[i]!]!;
  const value = new Tensor(Float64Array.of(batch ? total / batch : NaN), [], "float64");
  return { value: castTo(value, floatDType(logits.dtype)), logp: y, batch, classes };
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
    const { value, logp, batch, classes } = crossEntropyValue(logits, labels);
    const d = tangentOf(logits, dLogits, "crossEntropy", "logits");
    if (d === null) return { value, tangent: null };
    // d(loss) = mean_i (Σ_c p_ic d_ic − d_i,label)
    let t = 0;
    for (let i = 0; i < batch; i++) {
      for (let c = 0; c < classes; c++) t += Math.exp(logp.values[i * classes + c]!) * d.values[i * classes + c]!;
      t -= d.values[i * classes + labels.values[i]!]!;
    }
    return { value, tangent: castTo(new Tensor(Float64Array.of(t / batch), [], "float64"), value.dtype) };
  },
  vjp(logits: Tensor, labels: Tensor) {
    const { value, logp, batch, classes } = crossEntropyValue(logits, labels);
    return {
      value,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null];
        // b = g · (softmax − onehot) / batch
        const s = g.values[0]! / batch;
        const out = empty(logits.shape, floatDType(logits.dtype));
        for (let i = 0; i < batch * classes; i++) out.values[i] = Math.exp(logp.values[i]!) * s;
        for (let i = 0; i < batch; i++) out.values[i * classes + labels.values[i]!] -= s;
        return [out, null];
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
  const diff = empty(shape, "float64");
  mapBinary(pred.values, pred.shape, target.values, target.shape, diff.values, shape, (p, t) => p - t);
  let s = 0;
  for (let i = 0; i < diff.values.length; i++) s += diff.values[i]! * diff.values[i]!;
  const n = diff.size;
  return { value: castTo(new Tensor(Float64Array.of(s / n), [], "float64"), floatDType(pred.dtype)), diff, n };
}

/** Mean squared error mean((pred − target)²), a scalar; target broadcasts to pred's shape. */
export const mse = defineOp((pred: Tensor, target: Tensor): Tensor => mseValue(pred, target).value, {
  name: "mse",
  family: "nn",
  arity: 2,
  wrt: [0, 1],
  jvp(pred: Tensor, target: Tensor, dp: unknown, dt: unknown) {
    const { value, diff, n } = mseValue(pred, target);
    const a = tangentOf(pred, dp, "mse", "predictions");
    const b = tangentOf(target, dt, "mse", "targets");
    if (a === null && b === null) return { value, tangent: null };
    const da = empty(diff.shape, "float64");
    mapBinary(a ? a.values : new Float64Array(1), a ? a.shape : [], b ? b.values : new Float64Array(1), b ? b.shape : [], da.values, diff.shape, (u, v) => u - v);
    let t = 0;
    for (let i = 0; i < n; i++) t += 2 * diff.values[i]! * da.values[i]!;
    return { value, tangent: castTo(new Tensor(Float64Array.of(t / n), [], "float64"), value.dtype) };
  },
  vjp(pred: Tensor, target: Tensor) {
    const { value, diff, n } = mseValue(pred, target);
    return {
      value,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null];
        const s = (2 * g.values[0]!) / n;
        const gp = empty(diff.shape, "float64");
        for (let i = 0; i < n; i++) gp.values[i] = diff.values[i]! * s;
        const neg = empty(diff.shape, "float64");
        for (let i = 0; i < n; i++) neg.values[i] = -gp.values[i]!;
        return [unbroadcastTo(castTo(gp, pred.dtype), pred), unbroadcastTo(neg, target)];
      },
    };
  },
});
