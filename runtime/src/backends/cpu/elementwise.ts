// CPU kernels for elementwise ops: unary maps and binary maps with NumPy broadcasting. Inputs and
// outputs are row-major typed arrays; shapes are already checked by the op.

import type { TensorData } from "../../tensor/dtype.js";
import { broadcastStrides, sameShape, type Shape } from "../../tensor/shape.js";

export type BinaryFn = (a: number, b: number) => number;

/**
 * out[i] = f(a[ia], b[ib]) over `outShape`, where a and b are read through broadcast strides.
 * The innermost dimension runs as a tight loop; the outer ones step like an odometer.
 */
export function mapBinary(a: TensorData, aShape: Shape, b: TensorData, bShape: Shape, out: TensorData, outShape: Shape, f: BinaryFn): void {
  const n = out.length;
  if (n === 0) return;
  // Equal operand shapes are the output's only when no broadcasting to a larger outShape is asked
  // for (broadcastTo and mse pass a scalar dummy operand with a scalar x: [] with [] → [2,2]).
  if (sameShape(aShape, bShape) && a.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
    return;
  }
  if (b.length === 1 && (a.length === n || a.length === 1)) {
    const s = b[0]!;
    if (a.length === n) for (let i = 0; i < n; i++) out[i] = f(a[i]!, s);
    else for (let i = 0; i < n; i++) out[i] = f(a[0]!, s);
    return;
  }
  if (a.length === 1 && b.length === n) {
    const s = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(s, b[i]!);
    return;
  }
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const inner = outShape[rank - 1]!;
  const ia = sa[rank - 1]!;
  const ib = sb[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let offA = 0;
  let offB = 0;
  for (let o = 0; o < n; o += inner) {
    let pa = offA;
    let pb = offB;
    for (let j = 0; j < inner; j++) {
      out[o + j] = f(a[pa]!, b[pb]!);
      pa += ia;
      pb += ib;
    }
    // Advance the odometer over the outer dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      offA += sa[d]!;
      offB += sb[d]!;
      if (index[d]! < outShape[d]!) break;
      offA -= sa[d]! * outShape[d]!;
      offB -= sb[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
}

/** out[i] = cond[ic] ? a[ia] : b[ib], all three broadcast to `outShape`. */
export function select(
  cond: TensorData,
  cShape: Shape,
  a: TensorData,
  aShape: Shape,
  b: TensorData,
  bShape: Shape,
  out: TensorData,
  outShape: Shape,
): void {
  const rank = outShape.length;
  const sc = broadcastStrides(cShape, outShape);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const index = new Array<number>(rank).fill(0);
  let oc = 0;
  let oa = 0;
  let ob = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = cond[oc] ? a[oa]! : b[ob]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      oc += sc[d]!;
      oa += sa[d]!;
      ob += sb[d]!;
      if (index[d]! < outShape[d]!) break;
      oc -= sc[d]! * outShape[d]!;
      oa -= sa[d]! * outShape[d]!;
      ob -= sb[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
}

/** The four arithmetic operators, which get loops without a function call per element. */
export type Arith = "add" | "sub" | "mul" | "div";

/**
 * out = a (op) b for the common layouts — same shape, a scalar on either side, or one operand
 * repeated over the leading axes of the other (a bias row) — with one tight loop per operator.
 * Returns false (writing nothing) for other layouts: then use mapBinary.
 */
export function arithBinary(a: TensorData, aShape: Shape, b: TensorData, bShape: Shape, out: TensorData, outShape: Shape, op: Arith): boolean {
  const n = out.length;
  const na = a.length;
  const nb = b.length;
  // Element i of the output reads a[i % na] and b[i % nb] when each operand is the output's
  // trailing dimensions (or a scalar): true when its shape, without leading 1s, is a suffix of outShape.
  const trailing = (shape: Shape, len: number) => {
    if (len === n || len === 1) return len === n ? sameTrailing(shape, outShape) : true;
    return n % len === 0 && sameTrailing(shape, outShape);
  };
  if (n === 0 || !trailing(aShape, na) || !trailing(bShape, nb)) return false;
  if (na !== n && nb !== n) return false;
  if (na === n && nb === n) {
    switch (op) {
      case "add": for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!; break;
      case "sub": for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!; break;
      case "mul": for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!; break;
      case "div": for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!; break;
    }
    return true;
  }
  if (na === n) {
    // b repeats every nb elements.
    for (let o = 0; o < n; o += nb) {
      switch (op) {
        case "add": for (let j = 0; j < nb; j++) out[o + j] = a[o + j]! + b[j]!; break;
        case "sub": for (let j = 0; j < nb; j++) out[o + j] = a[o + j]! - b[j]!; break;
        case "mul": for (let j = 0; j < nb; j++) out[o + j] = a[o + j]! * b[j]!; break;
        case "div": for (let j = 0; j < nb; j++) out[o + j] = a[o + j]! / b[j]!; break;
      }
    }
    return true;
  }
  for (let o = 0; o < n; o += na) {
    switch (op) {
      case "add": for (let j = 0; j < na; j++) out[o + j] = a[j]! + b[o + j]!; break;
      case "sub": for (let j = 0; j < na; j++) out[o + j] = a[j]! - b[o + j]!; break;
      case "mul": for (let j = 0; j < na; j++) out[o + j] = a[j]! * b[o + j]!; break;
      case "div": for (let j = 0; j < na; j++) out[o + j] = a[j]! / b[o + j]!; break;
    }
  }
  return true;
}

/** `shape` without leading 1s equals the same number of trailing dimensions of `outShape`. */
function sameTrailing(shape: Shape, outShape: Shape): boolean {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const rest = shape.length - start;
  if (rest > outShape.length) return false;
  for (let i = 0; i < rest; i++) if (shape[start + i] !== outShape[outShape.length - rest + i]) return false;
  return true;
}

/** out[i] = g[i] · df(x[i], y[i]): a unary op's pullback (and JVP) in one pass. */
export function scaleBySlope(g: TensorData, x: TensorData, y: TensorData, out: TensorData, df: BinaryFn): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = g[i]! * df(x[i]!, y[i]!);
}
