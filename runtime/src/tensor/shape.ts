// Shape arithmetic shared by every op and backend: sizes, strides, NumPy broadcasting, axes.

import { CotangentError } from "../errors.js";

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides (in elements). */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function shapeError(op: string, why: string): CotangentError {
  return new CotangentError("CT3005", `${op}: ${why}`);
}

/** Checks that a shape is a list of non-negative integers. */
export function checkShape(shape: unknown, op: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw shapeError(op, `a shape is an array of non-negative integers, got ${JSON.stringify(shape)}`);
  return shape as number[];
}

/**
 * The NumPy broadcast of two shapes: aligned at the right, each pair of dimensions equal or one
 * of them 1.
 */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else
      throw shapeError(
        op,
        `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (dimension ${i - n} is ${da} and ${db}; sizes must be equal or 1)`,
      );
  }
  return out;
}

/**
 * Strides of `shape` read as `outShape` under broadcasting: 0 where a dimension is broadcast
 * (size 1 or missing on the left).
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 && outShape[off + i] !== 1 ? 0 : own[i]!;
  return out;
}

/** Normalizes `axis` (a number, an array, or undefined for all) against `rank`; sorted, unique. */
export function normalizeAxes(axis: number | readonly number[] | undefined | null, rank: number, op: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = new Set<number>();
  for (const a of list) out.add(normalizeAxis(a, rank, op));
  return [...out].sort((x, y) => x - y);
}

/** One axis in [-rank, rank) → [0, rank). */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1) || (rank === 0 && axis !== 0 && axis !== -1))
    throw shapeError(op, `axis ${axis} is out of range for a tensor of rank ${rank} (allowed: ${-rank} to ${rank - 1})`);
  return axis < 0 ? axis + rank : axis;
}

/** The shape after reducing `axes`; kept as size-1 dimensions when `keepDims`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/**
 * The axes along which `from` (a broadcast result shape) must be summed to get back `to`,
 * and whether the result then needs a reshape to `to`.
 */
export function unbroadcastAxes(from: Shape, to: Shape): number[] {
  const axes: number[] = [];
  const off = from.length - to.length;
  for (let i = 0; i < from.length; i++) {
    if (i < off) axes.push(i);
    else if (to[i - off] === 1 && from[i] !== 1) axes.push(i);
  }
  return axes;
}
