// CPU kernels that move data without arithmetic: transpose, slice, pad, concat, gather.

import type { TensorData } from "../../tensor/dtype.js";
import { stridesOf, type Shape } from "../../tensor/shape.js";

/** out = x with its axes permuted: out's axis i is x's axis perm[i]. */
export function transpose(x: TensorData, shape: Shape, perm: readonly number[], out: TensorData): void {
  const rank = shape.length;
  const xs = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const st = perm.map((p) => xs[p]!); // stride in x for each output axis
  const index = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = x[off]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      off += st[d]!;
      if (index[d]! < outShape[d]!) break;
      off -= st[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
}

/**
 * Copies the box `begin … begin+size` of `src` (shape `srcShape`) into the box at `dstBegin` of
 * `dst` (shape `dstShape`); `size` is the box's shape. Slice, pad and concat are all this copy.
 */
export function copyBox(
  src: TensorData,
  srcShape: Shape,
  begin: readonly number[],
  dst: TensorData,
  dstShape: Shape,
  dstBegin: readonly number[],
  size: readonly number[],
): void {
  const rank = size.length;
  const total = size.reduce((p, d) => p * d, 1);
  if (total === 0) return;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  let so = 0;
  let doff = 0;
  for (let i = 0; i < rank; i++) {
    so += begin[i]! * ss[i]!;
    doff += dstBegin[i]! * ds[i]!;
  }
  const inner = size[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  for (let done = 0; done < total; done += inner) {
    for (let j = 0; j < inner; j++) dst[doff + j] = src[so + j]!;
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      so += ss[d]!;
      doff += ds[d]!;
      if (index[d]! < size[d]!) break;
      so -= ss[d]! * size[d]!;
      doff -= ds[d]! * size[d]!;
      index[d] = 0;
    }
  }
}

/**
 * Gathers along `axis`: out[o, i, r] = x[o, indices[i], r], where o runs over the axes before
 * `axis` and r over those after. Indices are checked by the op.
 */
export function gather(x: TensorData, shape: Shape, axis: number, indices: Int32Array, out: TensorData): void {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const len = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const m = indices.length;
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < m; i++) {
      const src = (o * len + indices[i]!) * inner;
      const dst = (o * m + i) * inner;
      for (let r = 0; r < inner; r++) out[dst + r] = x[src + r]!;
    }
}

/** The transpose of gather: adds each gathered row back at its index (repeated indices add up). */
export function scatterAdd(g: TensorData, shape: Shape, axis: number, indices: Int32Array, out: TensorData): void {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const len = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const m = indices.length;
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < m; i++) {
      const dst = (o * len + indices[i]!) * inner;
      const src = (o * m + i) * inner;
      for (let r = 0; r < inner; r++) out[dst + r] += g[src + r]!;
    }
}
