// Ops that move data: reshape, flatten, transpose, expandDims, squeeze, broadcastTo, concat, stack,
// slice, gather, pad, oneHot. Their derivatives move the tangent the same way and the cotangent
// back (transpose by the inverse permutation, slice by padding, concat by slicing, gather by
// scatter-add).

import { backendOf, moveTo } from "../backends/index.js";
import { CotangentError } from "../errors.js";
import { promote } from "../tensor/dtype.js";
import { broadcastShapes, fmtShape, normalizeAxes, normalizeAxis, sameShape, sizeOf, unbroadcastAxes } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { defineOp } from "./op.js";
import { lazyCotangents } from "../ad/derivatives.js";
import { addTangent, scaleTangent } from "../ad/tangent.js";
import { castTo, indexValues, requireDType, requireTensor, reshapeTo, tangentOf, unbroadcastTo } from "./util.js";

/**
 * Defines an op that is linear in its first argument (a Tensor): the JVP applies the op to the
 * tangent with the same options, the VJP applies `transpose` to the cotangent. An op that is only
 * affine (pad with a non-zero fill value) gives `linearPart`, what the JVP applies instead.
 */
function defineLinearMove<A extends unknown[]>(
  name: string,
  forward: (x: Tensor, ...options: A) => Tensor,
  transpose: (g: Tensor, x: Tensor, ...options: A) => Tensor,
  arity: number,
  linearPart: (dx: Tensor, ...options: A) => Tensor = forward,
) {
  const pad = (n: number) => new Array<null>(n).fill(null);
  return defineOp((x: Tensor, ...options: A): Tensor => forward(requireTensor(x, name), ...options), {
    name,
    family: "movement",
    method: true,
    arity,
    wrt: [0],
    jvp(x: Tensor, ...rest: unknown[]) {
      const options = rest.slice(0, arity - 1) as A;
      const value = forward(requireTensor(x, name), ...options);
      const d = tangentOf(x, rest[arity - 1], name, "x");
      return { value, tangent: d && linearPart(moveTo(d, value.backend), ...options) };
    },
    vjp(x: Tensor, ...options: A) {
      const value = forward(requireTensor(x, name), ...options);
      return { value, pullback: (g: Tensor | null) => [g && x.dtype !== "int32" ? castTo(transpose(moveTo(g, x.backend), x, ...options), x.dtype) : null, ...pad(arity - 1)] };
    },
  });
}

// ---- reshape family --------------------------------------------------------------------------

function reshapeValue(x: Tensor, shape: readonly number[]): Tensor {
  const op = "reshape";
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < -1))
    throw new CotangentError("CT3005", `${op}: a shape is an array of non-negative integers (one may be -1), got ${JSON.stringify(shape)}.`);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new CotangentError("CT3005", `${op}: at most one dimension may be -1, got ${fmtShape(shape)}.`);
  let target = [...shape];
  if (unknown === 1) {
    const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    if (known === 0 || x.size % known !== 0)
      throw new CotangentError("CT3005", `${op}: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}: ${x.size} is not a multiple of ${known}.`);
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (sizeOf(target) !== x.size)
    throw new CotangentError("CT3005", `${op}: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(target)} (${sizeOf(target)} elements).`);
  return reshapeTo(x, target);
}

/**
 * The same elements in a new shape; one dimension may be -1 (inferred).
 *
 * @example
 * reshape(x, [-1, 784]);
 */
export const reshape = defineLinearMove("reshape", reshapeValue, (g, x) => reshapeValue(g, x.shape), 2);

function flattenValue(x: Tensor, axis: number = 0): Tensor {
  const a = x.rank === 0 ? 0 : normalizeAxis(axis, x.rank, "flatten");
  return reshapeValue(x, [...x.shape.slice(0, a), x.shape.slice(a).reduce((p, d) => p * d, 1)]);
}

/**
 * The axes from `axis` on (default 0: all) as one dimension.
 *
 * @example
 * flatten(images, 1); // [batch, h, w, c] → [batch, h·w·c]
 */
export const flatten = defineLinearMove<[axis?: number]>("flatten", flattenValue, (g, x) => reshapeValue(g, x.shape), 2);

/** A size-1 axis inserted at `axis` (negative counts from the end of the result). */
export const expandDims = defineLinearMove<[axis?: number]>(
  "expandDims",
  (x: Tensor, axis: number = 0) => {
    const a = normalizeAxis(axis, x.rank + 1, "expandDims");
    const shape = [...x.shape];
    shape.splice(a, 0, 1);
    return reshapeTo(x, shape);
  },
  (g, x) => reshapeValue(g, x.shape),
  2,
);

/** Size-1 axes removed: those listed, or all of them. */
export const squeeze = defineLinearMove<[axis?: number | readonly number[]]>(
  "squeeze",
  (x: Tensor, axis?: number | readonly number[]) => {
    const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes(axis, x.rank, "squeeze");
    for (const a of axes)
      if (x.shape[a] !== 1) throw new CotangentError("CT3005", `squeeze: axis ${a} of ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1.`);
    return reshapeTo(x, x.shape.filter((_, i) => !axes.includes(i)));
  },
  (g, x) => reshapeValue(g, x.shape),
  2,
);

// ---- transpose ---------------------------------------------------------------------------------

function permutation(x: Tensor, perm: readonly number[] | undefined): number[] {
  if (perm === undefined) return x.shape.map((_, i) => x.rank - 1 - i);
  const p = perm.map((a) => normalizeAxis(a, x.rank, "transpose"));
  if (p.length !== x.rank || new Set(p).size !== p.length)
    throw new CotangentError("CT3005", `transpose: ${JSON.stringify(perm)} is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}.`);
  return p;
}

function transposeValue(x: Tensor, perm?: readonly number[]): Tensor {
  const p = permutation(x, perm);
  if (p.every((a, i) => a === i)) return x;
  return x.backend.transpose(x, p);
}

/** Axes permuted: axis i of the result is axis perm[i] of x (default: reversed). */
// Explicit option tuples (here and for expandDims, squeeze, slice and pad): inferred from the
// transpose callbacks, the exported types dropped or required options (`transpose(x)`,
// `expandDims(x, 1)`, `squeeze(x, 0)`, `slice(x, begin)`, `pad(x, paddings, value)` did not type-check).
export const transpose = defineLinearMove<[perm?: readonly number[]]>("transpose", transposeValue, (g, x, perm) => {
  const p = permutation(x, perm);
  const inverse = new Array<number>(p.length);
  p.forEach((a, i) => (inverse[a] = i));
  return transposeValue(g, inverse);
}, 2);

// ---- broadcastTo -------------------------------------------------------------------------------

function broadcastValue(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes(x.shape, shape, "broadcastTo");
  if (!sameShape(target, shape))
    throw new CotangentError("CT3005", `broadcastTo: ${fmtShape(x.shape)} cannot be broadcast to ${fmtShape(shape)}.`);
  return sameShape(x.shape, shape) ? x : x.backend.broadcastTo(x, shape);
}

/** Sums `g` over the axes that broadcasting added or stretched, back to `shape`. */
function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  return reshapeTo(g.backend.reduce("sum", g, unbroadcastAxes(g.shape, shape), g.dtype), shape);
}

/** x repeated along size-1 (or missing leading) axes to `shape`. */
export const broadcastTo = defineLinearMove("broadcastTo", broadcastValue, (g, x) => sumTo(g, x.shape), 2);

// ---- slice and pad -----------------------------------------------------------------------------

function sliceBox(x: Tensor, begin: readonly number[], size?: readonly number[]): { begin: number[]; size: number[] } {
  const op = "slice";
  if (!Array.isArray(begin) || begin.length > x.rank)
    throw new CotangentError("CT3005", `${op}: begin ${JSON.stringify(begin)} must list at most ${x.rank} start indices for ${fmtShape(x.shape)}.`);
  const b = x.shape.map((d, i) => {
    const v = begin[i] ?? 0;
    const s = v < 0 ? v + d : v;
    if (!Number.isInteger(v) || s < 0 || s > d) throw new CotangentError("CT3005", `${op}: begin[${i}] = ${v} is out of range for a dimension of size ${d}.`);
    return s;
  });
  const sz = x.shape.map((d, i) => {
    const v = size?.[i] ?? -1;
    const s = v === -1 ? d - b[i]! : v;
    if (!Number.isInteger(s) || s < 0 || b[i]! + s > d)
      throw new CotangentError("CT3005", `${op}: size[${i}] = ${v} from begin ${b[i]} does not fit in a dimension of size ${d} (shape ${fmtShape(x.shape)}).`);
    return s;
  });
  return { begin: b, size: sz };
}

function sliceValue(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  const box = sliceBox(x, begin, size);
  return x.backend.slice(x, box.begin, box.size);
}

/**
 * The box starting at `begin` with `size` (a size of -1, or a missing entry, runs to the end;
 * negative begins count from the end).
 *
 * @example
 * slice(x, [0, 1], [-1, 2]); // all rows, columns 1 and 2
 */
export const slice = defineLinearMove<[begin: readonly number[], size?: readonly number[]]>("slice", sliceValue, (g, x, begin, size) => {
  const box = sliceBox(x, begin, size);
  return g.backend.pad(g, box.begin, x.shape, 0);
}, 3);

/** `paddings[i] = [before, after]` for axis i (pad). */
export type Paddings = readonly (readonly [number, number])[];

function padValue(x: Tensor, paddings: Paddings, value = 0): Tensor {
  if (!Array.isArray(paddings) || paddings.length !== x.rank || paddings.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0)))
    throw new CotangentError("CT3005", `pad: paddings must be ${x.rank} pairs [before, after] of non-negative integers for ${fmtShape(x.shape)}, got ${JSON.stringify(paddings)}.`);
  const shape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  return x.backend.pad(x, paddings.map((p) => p[0]), shape, value);
}

/**
 * x surrounded by `value` (default 0): `paddings[i] = [before, after]` for axis i.
 *
 * @example
 * pad(img, [[0, 0], [1, 1], [1, 1], [0, 0]]); // one pixel of zeros around NHWC images
 */
export const pad = defineOp((x: Tensor, paddings: Paddings, value: number = 0): Tensor => padValue(requireTensor(x, "pad"), paddings, value), {
  name: "pad",
  family: "movement",
  method: true,
  arity: 3,
  // The fill value is differentiated too (its derivative is 1 on the border): a differentiated
  // number passed as the value (`pad(x, p, s)`) got a zero derivative before, silently (found by
  // e2e/test/property-tensors.test.ts). As a linear move otherwise: x's tangent padded with the
  // value's tangent (0 when constant), x's cotangent the inside of g.
  wrt: [0, 2],
  jvp(x: Tensor, paddings: Paddings, value: number | undefined, dx: unknown, _dPaddings: unknown, dValue: unknown) {
    const out = padValue(requireTensor(x, "pad"), paddings, value);
    const d = tangentOf(x, dx, "pad", "x");
    const dv = typeof value === "number" && typeof dValue === "number" && out.dtype !== "int32" ? dValue : 0;
    if (d === null && dv === 0) return { value: out, tangent: null };
    const inside = d === null ? out.backend.fill(x.shape, out.dtype, 0) : moveTo(d, out.backend);
    return { value: out, tangent: castTo(padValue(inside, paddings, dv), out.dtype) };
  },
  vjp(x: Tensor, paddings: Paddings, value: number | undefined) {
    const out = padValue(requireTensor(x, "pad"), paddings, value);
    return {
      value: out,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null, null];
        const inside = () => sliceValue(moveTo(g, x.backend), paddings.map((p) => p[0]), x.shape);
        // Each computed when read: a constant value needs none. The value's cotangent is the sum of
        // g over the padding (all of g less its inside), a pending number on a GPU.
        return lazyCotangents([
          () => (x.dtype !== "int32" ? castTo(inside(), x.dtype) : null),
          null,
          () => (typeof value === "number" && x.dtype !== "int32" ? addTangent(unbroadcastTo(g, value), scaleTangent(unbroadcastTo(inside(), value), -1)) : null),
        ]);
      },
    };
  },
});

// ---- concat and stack --------------------------------------------------------------------------

function checkList(xs: unknown, op: string): Tensor[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new CotangentError("CT3005", `${op}: expected a non-empty array of tensors.`);
  return xs.map((x, i) => requireTensor(x, op, `element ${i}`));
}

function concatValue(xs: readonly Tensor[], axis: number): Tensor {
  const op = "concat";
  const list = checkList(xs, op);
  const first = list[0]!;
  const a = normalizeAxis(axis, first.rank, op);
  let dtype = first.dtype;
  for (const [i, t] of list.entries()) {
    dtype = promote(dtype, t.dtype);
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== a && d !== first.shape[j]))
      throw new CotangentError("CT3005", `${op}: element ${i} has shape ${fmtShape(t.shape)}, which does not match ${fmtShape(first.shape)} outside axis ${a}.`);
  }
  const be = backendOf(list);
  return be.concat(list.map((t) => moveTo(t, be)), a, dtype);
}

/** The pieces of a cotangent of concat, one per input. */
function splitBack(g: Tensor, xs: readonly Tensor[], axis: number): (Tensor | null)[] {
  const a = normalizeAxis(axis, xs[0]!.rank, "concat");
  let at = 0;
  return xs.map((t) => {
    const begin = t.shape.map((_, j) => (j === a ? at : 0));
    at += t.shape[a]!;
    return t.dtype === "int32" ? null : castTo(sliceValue(g, begin, t.shape), t.dtype);
  });
}

/** Tensors joined along an existing axis (default 0). */
export const concat = defineOp((xs: readonly Tensor[], axis: number = 0): Tensor => concatValue(xs, axis), {
  name: "concat",
  family: "movement",
  arity: 2,
  wrt: [0],
  jvp(xs: readonly Tensor[], axis: number | undefined, dxs: unknown) {
    const value = concatValue(xs, axis ?? 0);
    if (dxs == null || (Array.isArray(dxs) && dxs.every((d) => d == null))) return { value, tangent: null };
    const parts = xs.map((x, i) => tangentOf(x, (dxs as unknown[])[i], "concat", `element ${i}`) ?? value.backend.fill(x.shape, value.dtype, 0));
    return { value, tangent: castTo(concatValue(parts, axis ?? 0), value.dtype) };
  },
  vjp(xs: readonly Tensor[], axis: number | undefined) {
    const value = concatValue(xs, axis ?? 0);
    return { value, pullback: (g: Tensor | null) => [g && splitBack(g, xs, axis ?? 0), null] };
  },
});

function stackValue(xs: readonly Tensor[], axis: number): Tensor {
  const list = checkList(xs, "stack");
  const first = list[0]!;
  for (const [i, t] of list.entries())
    if (!sameShape(t.shape, first.shape))
      throw new CotangentError("CT3005", `stack: element ${i} has shape ${fmtShape(t.shape)}, element 0 has ${fmtShape(first.shape)}; stacked tensors must have one shape.`);
  const a = normalizeAxis(axis, first.rank + 1, "stack");
  return concatValue(list.map((t) => {
    const shape = [...t.shape];
    shape.splice(a, 0, 1);
    return reshapeTo(t, shape);
  }), a);
}

/** Tensors of one shape joined along a new axis (default 0). */
export const stack = defineOp((xs: readonly Tensor[], axis: number = 0): Tensor => stackValue(xs, axis), {
  name: "stack",
  family: "movement",
  arity: 2,
  wrt: [0],
  jvp(xs: readonly Tensor[], axis: number | undefined, dxs: unknown) {
    const value = stackValue(xs, axis ?? 0);
    if (dxs == null || (Array.isArray(dxs) && dxs.every((d) => d == null))) return { value, tangent: null };
    const parts = xs.map((x, i) => tangentOf(x, (dxs as unknown[])[i], "stack", `element ${i}`) ?? value.backend.fill(x.shape, value.dtype, 0));
    return { value, tangent: castTo(stackValue(parts, axis ?? 0), value.dtype) };
  },
  vjp(xs: readonly Tensor[], axis: number | undefined) {
    const value = stackValue(xs, axis ?? 0);
    return {
      value,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null];
        const a = normalizeAxis(axis ?? 0, xs[0]!.rank + 1, "stack");
        return [xs.map((x, i) => {
          const begin = g.shape.map((_, j) => (j === a ? i : 0));
          const size = g.shape.map((d, j) => (j === a ? 1 : d));
          return x.dtype === "int32" ? null : castTo(reshapeValue(sliceValue(g, begin, size), x.shape), x.dtype);
        }), null];
      },
    };
  },
});

// ---- gather and oneHot -------------------------------------------------------------------------

function checkIndices(x: Tensor, indices: Tensor, axis: number, op: string): void {
  requireDType(indices, op, ["int32"], "indices");
  const n = x.shape[axis]!;
  const v = indexValues(indices);
  if (!v) return; // on a device: its kernel clamps, the values cannot be read here
  for (let i = 0; i < v.length; i++)
    if (v[i]! < 0 || v[i]! >= n)
      throw new CotangentError("CT3005", `${op}: index ${v[i]} (at position ${i}) is out of range for axis ${axis} of size ${n} (shape ${fmtShape(x.shape)}).`);
}

function gatherValue(x: Tensor, indices: Tensor | readonly number[], axis: number): { value: Tensor; idx: Tensor; a: number } {
  const op = "gather";
  requireTensor(x, op, "x");
  const idx = Array.isArray(indices) ? new Tensor(Int32Array.from(indices as number[]), [indices.length], "int32") : requireTensor(indices, op, "indices");
  const a = normalizeAxis(axis, x.rank, op);
  checkIndices(x, idx, a, op);
  const be = backendOf(x, idx);
  const onBe = moveTo(idx, be);
  return { value: be.gather(moveTo(x, be), onBe, a), idx: onBe, a };
}

/**
 * Slices of x along `axis` (default 0) picked by an int32 index tensor; the result has the
 * indices' shape in place of that axis. The cotangent adds back at each index (repeats add up).
 *
 * @example
 * gather(embeddings, tokenIds); // [vocab, dim] → [...tokenIds.shape, dim]
 */
export const gather = defineOp((x: Tensor, indices: Tensor | readonly number[], axis: number = 0): Tensor => gatherValue(x, indices, axis).value, {
  name: "gather",
  family: "movement",
  method: true,
  arity: 3,
  wrt: [0],
  jvp(x: Tensor, indices: Tensor | readonly number[], axis: number | undefined, dx: unknown) {
    const { value } = gatherValue(x, indices, axis ?? 0);
    const d = tangentOf(x, dx, "gather", "x");
    return { value, tangent: d && gatherValue(d, indices, axis ?? 0).value };
  },
  vjp(x: Tensor, indices: Tensor | readonly number[], axis: number | undefined) {
    const { value, idx, a } = gatherValue(x, indices, axis ?? 0);
    return {
      value,
      pullback: (g: Tensor | null) => {
        if (g === null || x.dtype === "int32") return [null, null, null];
        return [castTo(idx.backend.scatterAdd(moveTo(g, idx.backend), idx, a, x.shape), x.dtype), null, null];
      },
    };
  },
});

/**
 * One-hot rows: for int32 `indices` of shape S, a tensor of shape [...S, depth] with 1 at each
 * index (float32 by default). No derivative (its input is integers).
 */
export const oneHot = defineOp(
  (indices: Tensor, depth: number, dtype: Tensor["dtype"] = "float32"): Tensor => {
    const op = "oneHot";
    requireTensor(indices, op, "indices");
    requireDType(indices, op, ["int32"], "indices");
    if (!Number.isInteger(depth) || depth < 0) throw new CotangentError("CT3005", `${op}: depth must be a non-negative integer, got ${depth}.`);
    const v = indexValues(indices);
    if (v)
      for (let i = 0; i < v.length; i++)
        if (v[i]! < 0 || v[i]! >= depth) throw new CotangentError("CT3005", `${op}: index ${v[i]} (at position ${i}) is out of range for depth ${depth}.`);
    return indices.backend.oneHot(indices, depth, dtype);
  },
  { name: "oneHot", family: "movement", why: "its input is integer indices, which have no derivative" },
);
