// Small helpers the op files share: operand conversion, dtype of results, and the tangent
// arithmetic derivative rules do (null is a zero tangent of any shape).

import { CotangentError } from "../errors.js";
import { allocate, promote, type DType } from "../tensor/dtype.js";
import { toTensor, type TensorLike } from "../tensor/create.js";
import { fmtShape, sameShape, unbroadcastAxes } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { reduce } from "../backends/cpu/reduce.js";

export type { TensorLike };

/** The dtype two operands combine to; a plain number takes the other side's dtype. */
export function binaryDType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promote(a.dtype, b.dtype);
  if (a instanceof Tensor) return a.dtype;
  if (b instanceof Tensor) return b.dtype;
  return "float32";
}

/** The dtype of a float-valued result: int32 inputs give float32. */
export function floatDType(d: DType): DType {
  return d === "int32" ? "float32" : d;
}

export function operands(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor, DType] {
  const d = binaryDType(a, b);
  return [toTensor(a, d, op), toTensor(b, d, op), d];
}

export function unary(x: TensorLike, op: string): Tensor {
  return toTensor(x, "float32", op);
}

export function requireTensor(x: unknown, op: string, what = "the argument"): Tensor {
  if (x instanceof Tensor) return x;
  throw new CotangentError("CT3005", `${op}: ${what} must be a Tensor, got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with tensor(...))" : typeof x}.`);
}

export function requireDType(x: Tensor, op: string, allowed: readonly DType[], what = "the argument"): void {
  if (!allowed.includes(x.dtype))
    throw new CotangentError("CT3005", `${op}: ${what} has dtype ${x.dtype}, expected ${allowed.join(" or ")}.`);
}

/** A new tensor of `shape` and `dtype` whose storage the caller fills. */
export function empty(shape: readonly number[], dtype: DType): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return new Tensor(allocate(dtype, n), shape, dtype);
}

/**
 * The cotangent `g` (shaped like a broadcast result) brought back to the shape of the operand
 * `like`: summed over broadcast axes, reshaped, cast to its dtype. A number operand gets a
 * number. int32 operands get no cotangent (null).
 */
export function unbroadcastTo(g: Tensor | null, like: TensorLike): Tensor | number | null {
  if (g === null) return null;
  if (typeof like === "number") {
    let s = 0;
    for (let i = 0; i < g.values.length; i++) s += g.values[i]!;
    return s;
  }
  if (like.dtype === "int32") return null;
  let out = g;
  if (!sameShape(g.shape, like.shape) && like.size > 0 && isTrailing(like.shape, g.shape)) {
    // A bias-like operand (repeated over g's leading axes): sum the rows.
    const n = like.size;
    const acc = new Float64Array(n);
    const gv = g.values;
    for (let o = 0; o < gv.length; o += n) for (let j = 0; j < n; j++) acc[j] += gv[o + j]!;
    out = empty(like.shape, g.dtype);
    out.values.set(acc);
  } else if (!sameShape(g.shape, like.shape)) {
    const axes = unbroadcastAxes(g.shape, like.shape);
    const r = empty(like.shape, g.dtype);
    if (r.size !== 0) {
      reduce(g.values, g.shape, axes, r.values, "sum");
    }
    if (axes.length === 0 && g.size !== like.size)
      throw new CotangentError("CT3008", `a cotangent of shape ${fmtShape(g.shape)} does not reduce to shape ${fmtShape(like.shape)}.`);
    out = r;
  }
  return castTo(out, like.dtype);
}

/** `t` with dtype `d` (the same tensor when it already has it). */
export function castTo(t: Tensor, d: DType): Tensor {
  if (t.dtype === d) return t;
  const out = allocate(d, t.size);
  const v = t.values;
  for (let i = 0; i < v.length; i++) out[i] = v[i]!;
  return new Tensor(out, t.shape, d);
}

/** Expects a tangent of `primal`: a Tensor of the same shape, a number for a number, or null. */
export function tangentOf(primal: TensorLike, t: unknown, op: string, which: string): Tensor | null {
  if (t === null || t === undefined) return null;
  if (typeof primal === "number") {
    if (typeof t !== "number") throw new CotangentError("CT3008", `${op}: the tangent of ${which} (a number) must be a number.`);
    return t === 0 ? null : toTensor(t, "float64", op);
  }
  if (!(t instanceof Tensor)) throw new CotangentError("CT3008", `${op}: the tangent of ${which} must be a Tensor of shape ${fmtShape(primal.shape)}, got ${typeof t}.`);
  if (!sameShape(t.shape, primal.shape))
    throw new CotangentError("CT3008", `${op}: the tangent of ${which} has shape ${fmtShape(t.shape)}, expected ${fmtShape(primal.shape)}.`);
  return t;
}

/** `shape` without its leading 1s is the trailing part of `of`. */
function isTrailing(shape: readonly number[], of: readonly number[]): boolean {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const rest = shape.length - start;
  if (rest > of.length) return false;
  for (let i = 0; i < rest; i++) if (shape[start + i] !== of[of.length - rest + i]) return false;
  return true;
}
