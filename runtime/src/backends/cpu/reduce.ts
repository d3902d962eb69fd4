// CPU kernels for reductions over a set of axes. Sums accumulate in float64 whatever the dtype.

import type { TensorData } from "../../tensor/dtype.js";
import { stridesOf, type Shape } from "../../tensor/shape.js";

export type Reduction = "sum" | "max" | "min";

/**
 * Reduces `x` (of `shape`) over `axes` into `out`, which has the reduced shape (kept dims or not:
 * same element order). max/min of an empty set is -Infinity/Infinity.
 */
export function reduce(x: TensorData, shape: Shape, axes: readonly number[], out: TensorData, kind: Reduction): void {
  const rank = shape.length;
  const outN = out.length;
  const acc = new Float64Array(outN).fill(kind === "sum" ? 0 : kind === "max" ? -Infinity : Infinity);
  if (x.length > 0) {
    // Output strides as seen from input indices: 0 along reduced axes.
    const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const ks = stridesOf(keptShape);
    const so = shape.map((_, i) => (axes.includes(i) ? 0 : ks[i]!));
    const index = new Array<number>(rank).fill(0);
    let off = 0;
    const n = x.length;
    if (rank === 0) {
      acc[0] = kind === "sum" ? x[0]! : x[0]!;
    } else if (kind === "sum") {
      for (let i = 0; i < n; i++) {
        acc[off] += x[i]!;
        for (let d = rank - 1; d >= 0; d--) {
          index[d]!++;
          off += so[d]!;
          if (index[d]! < shape[d]!) break;
          off -= so[d]! * shape[d]!;
          index[d] = 0;
        }
      }
    } else {
      const isMax = kind === "max";
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        const cur = acc[off]!;
        // NaN propagates: once NaN, stays NaN.
        if (v !== v || (isMax ? v > cur : v < cur)) acc[off] = v;
        else if (cur !== cur) acc[off] = cur;
        for (let d = rank - 1; d >= 0; d--) {
          index[d]!++;
          off += so[d]!;
          if (index[d]! < shape[d]!) break;
          off -= so[d]! * shape[d]!;
          index[d] = 0;
        }
      }
    }
  }
  for (let i = 0; i < outN; i++) out[i] = acc[i]!;
}

/**
 * Index (along `axis`) of the largest (or smallest) element of every line; ties give the first.
 * `out` has the shape without `axis`.
 */
export function argReduce(x: TensorData, shape: Shape, axis: number, out: Int32Array, isMax: boolean): void {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const len = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = -1;
      let bestV = isMax ? -Infinity : Infinity;
      for (let k = 0; k < len; k++) {
        const v = x[(o * len + k) * inner + i]!;
        if (best < 0 || (isMax ? v > bestV : v < bestV) || (v !== v && bestV === bestV)) {
          best = k;
          bestV = v;
        }
      }
      out[o * inner + i] = Math.max(best, 0);
    }
  }
}
