// Small helpers the op files share: operand conversion (onto one backend), dtype of results, and
// the tangent arithmetic derivative rules do (null is a zero tangent of any shape). Everything
// here runs through the operands' backend, so rules written with these work on every backend.

import type { Backend } from "../backends/backend.js";
import { backendOf, moveTo } from "../backends/index.js";
import { CotangentError } from "../errors.js";
import { promote, type DType } from "../tensor/dtype.js";
import { toTensor, type TensorLike } from "../tensor/create.js";
import { fmtShape, sameShape, unbroadcastAxes } from "../tensor/shape.js";
import { Tensor, isHostStorage } from "../tensor/tensor.js";
import { sumToNumber, type PendingNumber } from "./pending-number.js";

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

/** `x` as a tensor on backend `be` (numbers become scalars of `dtype`). */
export function on(be: Backend, x: TensorLike, dtype: DType, op: string): Tensor {
  return moveTo(toTensor(x, dtype, op), be);
}

/** Both operands as tensors on one backend, with the dtype they combine to. */
export function operands(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor, DType, Backend] {
  const d = binaryDType(a, b);
  const be = backendOf(a, b);
  return [on(be, a, d, op), on(be, b, d, op), d, be];
}

/** A scalar tensor of `dtype` on `be`. */
export function scalar(be: Backend, value: number, dtype: DType): Tensor {
  return be.fill([], dtype, value);
}

export function requireTensor(x: unknown, op: string, what = "the argument"): Tensor {
  if (x instanceof Tensor) {
    x.checkLive(op);
    return x;
  }
  throw new CotangentError("CT3005", `${op}: ${what} must be a Tensor, got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with tensor(...))" : typeof x}.`);
}

export function requireDType(x: Tensor, op: string, allowed: readonly DType[], what = "the argument"): void {
  if (!allowed.includes(x.dtype))
    throw new CotangentError("CT3005", `${op}: ${what} has dtype ${x.dtype}, expected ${allowed.join(" or ")}.`);
}

/**
 * The values of an int32 tensor of indices or labels when they can be read synchronously (host
 * memory), for range checks; undefined on other backends (their kernels clamp out-of-range indices).
 */
export function indexValues(t: Tensor): Int32Array | undefined {
  return isHostStorage(t.storage) ? (t.values as Int32Array) : undefined;
}

/** `t` with dtype `d` (the same tensor when it already has it). */
export function castTo(t: Tensor, d: DType): Tensor {
  return t.dtype === d ? t : t.backend.cast(t, d);
}

/** `t` viewed with another shape of the same size. */
export function reshapeTo(t: Tensor, shape: readonly number[]): Tensor {
  return sameShape(t.shape, shape) ? t : t.backend.reshape(t, shape);
}

/**
 * The cotangent `g` (shaped like a broadcast result) brought back to the shape of the operand
 * `like`: summed over broadcast axes, reshaped, cast to its dtype. A number operand gets a
 * number (read synchronously: CPU only). int32 operands get no cotangent (null).
 */
export function unbroadcastTo(g: Tensor | null, like: TensorLike): Tensor | number | PendingNumber | null {
  if (g === null) return null;
  // A number's cotangent: on a GPU it stays there, pending (see ./pending-number.ts).
  if (typeof like === "number") return sumToNumber(g, isHostStorage(g.storage));
  if (like.dtype === "int32") return null;
  let out = g;
  if (!sameShape(g.shape, like.shape)) {
    const axes = unbroadcastAxes(g.shape, like.shape);
    if (axes.length === 0 && g.size !== like.size)
      throw new CotangentError("CT3008", `a cotangent of shape ${fmtShape(g.shape)} does not reduce to shape ${fmtShape(like.shape)}.`);
    out = reshapeTo(axes.length ? g.backend.reduce("sum", g, axes, g.dtype) : g, like.shape);
  }
  return castTo(out, like.dtype);
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
