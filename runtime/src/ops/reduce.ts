// Reductions over axes (a number, an array, or all when omitted; negative axes count from the
// end; keepDims keeps reduced axes as size 1), with their derivative rules. The VJP of a reduction
// broadcasts the cotangent back over the reduced axes.

import { argReduce, reduce, type Reduction } from "../backends/cpu/reduce.js";
import { mapBinary } from "../backends/cpu/elementwise.js";
import { normalizeAxes, normalizeAxis, reducedShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { defineOp } from "./op.js";
import { empty, floatDType, requireTensor, tangentOf } from "./util.js";

export type Axis = number | readonly number[];

function run(x: Tensor, axes: number[], keepDims: boolean, kind: Reduction, dtype = x.dtype): Tensor {
  const out = empty(reducedShape(x.shape, axes, keepDims), dtype);
  reduce(x.values, x.shape, axes, out.values, kind);
  return out;
}

/** `g` (reduced shape) broadcast back to `shape`, times `scale`. */
function expandBack(g: Tensor, shape: readonly number[], axes: number[], scale: number, dtype = g.dtype): Tensor {
  const kept = reducedShape(shape, axes, true);
  const out = empty(shape, dtype);
  const ones = empty(shape, dtype); // broadcasting target only; values unused
  mapBinary(ones.values, shape, g.values, kept, out.values, shape, (_o, v) => v * scale);
  return out;
}

function countOf(shape: readonly number[], axes: number[]): number {
  return axes.reduce((p, a) => p * shape[a]!, 1);
}

function defineLinear(name: "sum" | "mean") {
  const value = (x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) => {
    const axes = normalizeAxes(axis, x.rank, name);
    const dtype = name === "mean" ? floatDType(x.dtype) : x.dtype;
    const out = run(x, axes, keepDims ?? false, "sum", dtype);
    if (name === "mean") {
      const n = countOf(x.shape, axes);
      const v = out.values;
      for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
    }
    return { out, axes };
  };
  return defineOp(
    (x: Tensor, axis?: Axis, keepDims?: boolean): Tensor => value(requireTensor(x, name), axis, keepDims).out,
    {
      name,
      family: "reduce",
      arity: 3,
      wrt: [0],
      jvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: unknown) {
        const { out } = value(requireTensor(x, name), axis, keepDims);
        const d = tangentOf(x, dx, name, "x");
        return { value: out, tangent: d && value(d, axis, keepDims).out };
      },
      vjp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) {
        const { out, axes } = value(requireTensor(x, name), axis, keepDims);
        const scale = name === "mean" ? 1 / countOf(x.shape, axes) : 1;
        return { value: out, pullback: (g: Tensor | null) => [g && x.dtype !== "int32" ? expandBack(g, x.shape, axes, scale, x.dtype) : null, null, null] };
      },
    },
  );
}

/**
 * The sum over `axis` (all axes when omitted).
 *
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 0).arraySync(); // [4, 6]
 * sum(x, -1, true);                              // keeps the last axis as size 1
 */
export const sum = defineLinear("sum");
/** The mean over `axis` (all axes when omitted). int32 input gives a float32 mean. */
export const mean = defineLinear("mean");

/** 1 where x equals the reduced extreme, divided by the number of ties in its line. */
function tieWeights(x: Tensor, extreme: Tensor, axes: number[]): Tensor {
  const kept = reducedShape(x.shape, axes, true);
  const mask = empty(x.shape, floatDType(x.dtype));
  mapBinary(x.values, x.shape, extreme.values, kept, mask.values, x.shape, (v, m) => (v === m ? 1 : 0));
  const counts = run(mask, axes, true, "sum");
  const out = empty(x.shape, mask.dtype);
  mapBinary(mask.values, x.shape, counts.values, kept, out.values, x.shape, (w, c) => w / c);
  return out;
}

function defineExtreme(name: "max" | "min") {
  const kind: Reduction = name;
  const value = (x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) => {
    const axes = normalizeAxes(axis, x.rank, name);
    return { axes, out: run(x, axes, keepDims ?? false, kind) };
  };
  return defineOp(
    (x: Tensor, axis?: Axis, keepDims?: boolean): Tensor => value(requireTensor(x, name), axis, keepDims).out,
    {
      name,
      family: "reduce",
      arity: 3,
      wrt: [0],
      jvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: unknown) {
        const { out, axes } = value(requireTensor(x, name), axis, keepDims);
        const d = tangentOf(x, dx, name, "x");
        if (d === null) return { value: out, tangent: null };
        const w = tieWeights(x, run(x, axes, true, kind), axes);
        const prod = empty(x.shape, w.dtype);
        mapBinary(d.values, x.shape, w.values, x.shape, prod.values, x.shape, (a, b) => a * b);
        return { value: out, tangent: run(prod, axes, keepDims ?? false, "sum", out.dtype) };
      },
      vjp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) {
        const { out, axes } = value(requireTensor(x, name), axis, keepDims);
        return {
          value: out,
          pullback: (g: Tensor | null) => {
            if (g === null || x.dtype === "int32") return [null, null, null];
            const w = tieWeights(x, run(x, axes, true, kind), axes);
            const back = expandBack(g, x.shape, axes, 1, x.dtype);
            const res = empty(x.shape, x.dtype);
            mapBinary(back.values, x.shape, w.values, x.shape, res.values, x.shape, (a, b) => a * b);
            return [res, null, null];
          },
        };
      },
    },
  );
}

/** The largest element over `axis`; among ties the derivative is split evenly. NaN wins. */
export const max = defineExtreme("max");
/** The smallest element over `axis`; among ties the derivative is split evenly. NaN wins. */
export const min = defineExtreme("min");

/** log(Σ exp(x)) over `axis`, computed stably (shifted by the maximum). */
function logSumExpValue(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) {
  const axes = normalizeAxes(axis, x.rank, "logSumExp");
  const m = run(x, axes, true, "max", floatDType(x.dtype));
  const kept = m.shape;
  // A line whose maximum is ±Infinity shifts by 0 instead (so +Inf stays +Inf, all -Inf gives -Inf).
  const mv = m.values;
  for (let i = 0; i < mv.length; i++) if (!Number.isFinite(mv[i]!)) mv[i] = 0;
  const e = empty(x.shape, m.dtype);
  mapBinary(x.values, x.shape, mv, kept, e.values, x.shape, (v, s) => Math.exp(v - s));
  const s = run(e, axes, true, "sum");
  const outKept = empty(kept, m.dtype);
  for (let i = 0; i < outKept.values.length; i++) outKept.values[i] = Math.log(s.values[i]!) + mv[i]!;
  const out = keepDims ? outKept : new Tensor(outKept.values, reducedShape(x.shape, axes, false), outKept.dtype);
  return { out, outKept, axes };
}

/** exp(x − logSumExp(x)) over the axes: the softmax weights, the derivative of logSumExp. */
function softWeights(x: Tensor, outKept: Tensor): Tensor {
  const w = empty(x.shape, outKept.dtype);
  mapBinary(x.values, x.shape, outKept.values, outKept.shape, w.values, x.shape, (v, l) => Math.exp(v - l));
  return w;
}

export const logSumExp = defineOp(
  (x: Tensor, axis?: Axis, keepDims?: boolean): Tensor => logSumExpValue(requireTensor(x, "logSumExp"), axis, keepDims).out,
  {
    name: "logSumExp",
    family: "reduce",
    arity: 3,
    wrt: [0],
    jvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: unknown) {
      const { out, outKept, axes } = logSumExpValue(requireTensor(x, "logSumExp"), axis, keepDims);
      const d = tangentOf(x, dx, "logSumExp", "x");
      if (d === null) return { value: out, tangent: null };
      const w = softWeights(x, outKept);
      const prod = empty(x.shape, w.dtype);
      mapBinary(d.values, x.shape, w.values, x.shape, prod.values, x.shape, (a, b) => a * b);
      return { value: out, tangent: run(prod, axes, keepDims ?? false, "sum") };
    },
    vjp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) {
      const { out, outKept, axes } = logSumExpValue(requireTensor(x, "logSumExp"), axis, keepDims);
      return {
        value: out,
        pullback: (g: Tensor | null) => {
          if (g === null) return [null, null, null];
          const w = softWeights(x, outKept);
          const back = expandBack(g, x.shape, axes, 1, w.dtype);
          const res = empty(x.shape, w.dtype);
          mapBinary(back.values, x.shape, w.values, x.shape, res.values, x.shape, (a, b) => a * b);
          return [res, null, null];
        },
      };
    },
  },
);

function defineArg(name: "argMax" | "argMin") {
  return defineOp(
    (x: Tensor, axis = -1): Tensor => {
      requireTensor(x, name);
      const a = normalizeAxis(axis, x.rank, name);
      const out = empty(reducedShape(x.shape, [a], false), "int32");
      argReduce(x.values, x.shape, a, out.values as Int32Array, name === "argMax");
      return out;
    },
    { name, family: "reduce", why: "an index is an integer, which has no derivative" },
  );
}

/** Index of the largest element along `axis` (default -1), int32. No derivative. */
export const argMax = defineArg("argMax");
/** Index of the smallest element along `axis` (default -1), int32. No derivative. */
export const argMin = defineArg("argMin");
