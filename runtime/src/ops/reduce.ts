// Reductions over axes (a number, an array, or all when omitted; negative axes count from the
// end; keepDims keeps reduced axes as size 1), with their derivative rules. The VJP of a reduction
// broadcasts the cotangent back over the reduced axes. Kernels run on the input's backend.

import type { Backend, Reduction } from "../backends/backend.js";
import { normalizeAxes, normalizeAxis, reducedShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { defineOp } from "./op.js";
import { castTo, floatDType, on, requireTensor, reshapeTo, scalar, tangentOf } from "./util.js";

export type Axis = number | readonly number[];

/** The reduction of x over `axes`, with reduced axes kept as size 1 or dropped. */
function run(x: Tensor, axes: number[], keepDims: boolean, kind: Reduction, dtype = x.dtype): Tensor {
  const kept = x.backend.reduce(kind, x, axes, dtype);
  return keepDims ? kept : reshapeTo(kept, reducedShape(x.shape, axes, false));
}

/** `g` (reduced shape) broadcast back to `shape` and multiplied by `scale` (one kernel). */
function expandBack(g: Tensor, shape: readonly number[], axes: number[], scale: number, dtype: Tensor["dtype"]): Tensor {
  const be = g.backend;
  const kept = reshapeTo(g, reducedShape(shape, axes, true));
  return be.binary("mul", kept, scalar(be, scale, dtype), shape, dtype);
}

function countOf(shape: readonly number[], axes: number[]): number {
  return axes.reduce((p, a) => p * shape[a]!, 1);
}

function defineLinear(name: "sum" | "mean") {
  const value = (x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) => {
    const axes = normalizeAxes(axis, x.rank, name);
    const dtype = name === "mean" ? floatDType(x.dtype) : x.dtype;
    let out = run(x, axes, keepDims ?? false, "sum", dtype);
    if (name === "mean") out = out.backend.binary("div", out, scalar(out.backend, countOf(x.shape, axes), dtype), out.shape, dtype);
    return { out, axes };
  };
  return defineOp(
    (x: Tensor, axis?: Axis, keepDims?: boolean): Tensor => value(requireTensor(x, name), axis, keepDims).out,
    {
      name,
      family: "reduce",
      method: true,
      arity: 3,
      wrt: [0],
      jvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: unknown) {
        const { out } = value(requireTensor(x, name), axis, keepDims);
        const d = tangentOf(x, dx, name, "x");
        return { value: out, tangent: d && castTo(value(on(x.backend, d, d.dtype, name), axis, keepDims).out, out.dtype) };
      },
      vjp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) {
        const { out, axes } = value(requireTensor(x, name), axis, keepDims);
        const scale = name === "mean" ? 1 / countOf(x.shape, axes) : 1;
        return { value: out, pullback: (g: Tensor | null) => [g && x.dtype !== "int32" ? expandBack(on(x.backend, g, g.dtype, name), x.shape, axes, scale, x.dtype) : null, null, null] };
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
function tieWeights(be: Backend, x: Tensor, extremeKept: Tensor, axes: number[]): Tensor {
  const dtype = floatDType(x.dtype);
  const mask = be.cast(be.binary("equal", x, extremeKept, x.shape, "int32"), dtype);
  const counts = be.reduce("sum", mask, axes, dtype);
  return be.binary("div", mask, counts, x.shape, dtype);
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
      method: true,
      arity: 3,
      wrt: [0],
      jvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: unknown) {
        const { out, axes } = value(requireTensor(x, name), axis, keepDims);
        const d = tangentOf(x, dx, name, "x");
        if (d === null) return { value: out, tangent: null };
        const be = x.backend;
        const w = tieWeights(be, x, be.reduce(kind, x, axes, x.dtype), axes);
        const prod = be.binary("mul", on(be, d, w.dtype, name), w, x.shape, w.dtype);
        return { value: out, tangent: castTo(run(prod, axes, keepDims ?? false, "sum"), out.dtype) };
      },
      vjp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) {
        const { out, axes } = value(requireTensor(x, name), axis, keepDims);
        return {
          value: out,
          pullback: (g: Tensor | null) => {
            if (g === null || x.dtype === "int32") return [null, null, null];
            const be = x.backend;
            const w = tieWeights(be, x, be.reduce(kind, x, axes, x.dtype), axes);
            const kept = reshapeTo(on(be, g, g.dtype, name), reducedShape(x.shape, axes, true));
            return [be.binary("mul", kept, w, x.shape, x.dtype), null, null];
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

/**
 * log(Σ exp(x)) over `axis`, computed stably: shifted by the maximum (a line whose maximum is not
 * finite is shifted by 0, so +∞ stays +∞ and an all −∞ line gives −∞).
 */
function logSumExpValue(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) {
  const axes = normalizeAxes(axis, x.rank, "logSumExp");
  const be = x.backend;
  const dtype = floatDType(x.dtype);
  const m = be.cast(be.reduce("max", x, axes, x.dtype), dtype);
  // finite(m) = (m − m == 0): 0 for ±∞ and NaN.
  const zero = scalar(be, 0, dtype);
  const finite = be.binary("equal", be.binary("sub", m, m, m.shape, dtype), zero, m.shape, "int32");
  const shift = be.select(finite, m, zero, m.shape, dtype);
  const e = be.unary("exp", be.binary("sub", x, shift, x.shape, dtype), [], dtype);
  const s = be.reduce("sum", e, axes, dtype);
  const outKept = be.binary("add", be.unary("log", s, [], dtype), shift, shift.shape, dtype);
  const out = keepDims ? outKept : reshapeTo(outKept, reducedShape(x.shape, axes, false));
  return { out, outKept, axes };
}

/** exp(x − logSumExp(x)) over the axes: the softmax weights, the derivative of logSumExp. */
function softWeights(x: Tensor, outKept: Tensor): Tensor {
  const be = x.backend;
  return be.unary("exp", be.binary("sub", x, outKept, x.shape, outKept.dtype), [], outKept.dtype);
}

export const logSumExp = defineOp(
  (x: Tensor, axis?: Axis, keepDims?: boolean): Tensor => logSumExpValue(requireTensor(x, "logSumExp"), axis, keepDims).out,
  {
    name: "logSumExp",
    family: "reduce",
    method: true,
    arity: 3,
    wrt: [0],
    jvp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined, dx: unknown) {
      const { out, outKept, axes } = logSumExpValue(requireTensor(x, "logSumExp"), axis, keepDims);
      const d = tangentOf(x, dx, "logSumExp", "x");
      if (d === null) return { value: out, tangent: null };
      const w = softWeights(x, outKept);
      const prod = x.backend.binary("mul", on(x.backend, d, w.dtype, "logSumExp"), w, x.shape, w.dtype);
      return { value: out, tangent: run(prod, axes, keepDims ?? false, "sum") };
    },
    vjp(x: Tensor, axis: Axis | undefined, keepDims: boolean | undefined) {
      const { out, outKept, axes } = logSumExpValue(requireTensor(x, "logSumExp"), axis, keepDims);
      return {
        value: out,
        pullback: (g: Tensor | null) => {
          if (g === null) return [null, null, null];
          const be = x.backend;
          const w = softWeights(x, outKept);
          const kept = reshapeTo(on(be, g, w.dtype, "logSumExp"), outKept.shape);
          return [be.binary("mul", kept, w, x.shape, w.dtype), null, null];
        },
      };
    },
  },
);

function defineArg(name: "argMax" | "argMin") {
  return defineOp(
    (x: Tensor, axis: number = -1): Tensor => {
      requireTensor(x, name);
      const a = normalizeAxis(axis, x.rank, name);
      return x.backend.argReduce(x, a, name === "argMax");
    },
    { name, method: true, family: "reduce", why: "an index is an integer, which has no derivative" },
  );
}

/** Index of the largest element along `axis` (default -1), int32. No derivative. */
export const argMax = defineArg("argMax");
/** Index of the smallest element along `axis` (default -1), int32. No derivative. */
export const argMin = defineArg("argMin");
