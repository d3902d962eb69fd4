// Elementwise ops: unary maps, binary maps with NumPy broadcasting, where and clip, each with its
// JVP and VJP. Binary VJPs sum the cotangent back over broadcast axes (unbroadcastTo).

import { arithBinary, mapBinary, mapUnary, scaleBySlope, select, type Arith, type BinaryFn, type UnaryFn } from "../backends/cpu/elementwise.js";
import { toTensor } from "../tensor/create.js";
import { broadcastShapes } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { defineOp } from "./op.js";
import { castTo, empty, floatDType, operands, tangentOf, unbroadcastTo, type TensorLike } from "./util.js";

// ---- kernels as tensor functions (no derivatives: the rules below use them) -------------------

/** f applied to every element; int32 input gives float output unless `keepInt`. */
function map1(x: Tensor, f: UnaryFn, keepInt = false): Tensor {
  const out = empty(x.shape, keepInt ? x.dtype : floatDType(x.dtype));
  mapUnary(x.values, out.values, f);
  return out;
}

const fAdd: BinaryFn = (a, b) => a + b;
const fSub: BinaryFn = (a, b) => a - b;
const fMul: BinaryFn = (a, b) => a * b;
const fDiv: BinaryFn = (a, b) => a / b;
const ARITH = new Map<BinaryFn, Arith>([
  [fAdd, "add"],
  [fSub, "sub"],
  [fMul, "mul"],
  [fDiv, "div"],
]);

function map2(a: Tensor, b: Tensor, f: BinaryFn, op: string, dtype = a.dtype): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = empty(shape, dtype);
  const arith = ARITH.get(f);
  if (arith === undefined || !arithBinary(a.values, a.shape, b.values, b.shape, out.values, shape, arith))
    mapBinary(a.values, a.shape, b.values, b.shape, out.values, shape, f);
  return out;
}

/** Tangent/cotangent arithmetic on tensors (null is zero). @internal */
export function tAdd(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  const [x, y] = operands(a, b, "add");
  return map2(x, y, fAdd, "add", x.dtype);
}
/** @internal */
export function tMul(a: Tensor | null, b: Tensor): Tensor | null {
  if (a === null) return null;
  const [x, y] = operands(a, b, "mul");
  return map2(x, y, fMul, "mul", x.dtype);
}
/** @internal */
export function tNeg(a: Tensor | null): Tensor | null {
  return a === null ? null : map1(a, (v) => -v);
}
/** @internal */
export function tScale(a: Tensor | null, s: number): Tensor | null {
  return a === null ? null : map1(a, (v) => v * s);
}
/** A tangent made to match the result's dtype and (broadcast) shape. */
function finish(t: Tensor | null, value: Tensor): Tensor | null {
  if (t === null) return null;
  if (t.shape.length !== value.shape.length || t.size !== value.size) t = map2(t, empty(value.shape, t.dtype), (x) => x, "broadcast");
  return castTo(t, value.dtype);
}

// ---- unary ops -------------------------------------------------------------------------------

interface UnaryDef {
  name: string;
  f: UnaryFn;
  /** dy/dx from x and y = f(x). */
  df: BinaryFn;
}

function defineUnary(def: UnaryDef): (x: TensorLike) => Tensor {
  const { name, f, df } = def;
  const op = (x: TensorLike): Tensor => map1(toTensor(x, "float32", name), f);
  // g · f'(x) in one pass when g has x's shape (always, for tangents and cotangents of x).
  const alongSlope = (g: Tensor, x: Tensor, y: Tensor): Tensor => {
    if (g.size !== x.size) return tMul(g, map2(x, y, df, name, y.dtype))!;
    const out = empty(y.shape, y.dtype);
    scaleBySlope(g.values, x.values, y.values, out.values, df);
    return out;
  };
  return defineOp(op, {
    name,
    family: "elementwise",
    arity: 1,
    wrt: [0],
    jvp(x: TensorLike, dx: unknown) {
      const t = toTensor(x, "float32", name);
      const y = map1(t, f);
      const d = tangentOf(x, dx, name, "x");
      return { value: y, tangent: finish(d === null ? null : alongSlope(d, t, y), y) };
    },
    vjp(x: TensorLike) {
      const t = toTensor(x, "float32", name);
      const y = map1(t, f);
      return { value: y, pullback: (g: Tensor | null) => [unbroadcastTo(g === null ? null : alongSlope(g, t, y), x)] };
    },
  });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const sigmoidOf = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplusOf = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** -x */
export const neg = defineUnary({ name: "neg", f: (x) => -x, df: () => -1 });
/** x² */
export const square = defineUnary({ name: "square", f: (x) => x * x, df: (x) => 2 * x });
/** √x (its derivative is infinite at 0). */
export const sqrt = defineUnary({ name: "sqrt", f: Math.sqrt, df: (_x, y) => 0.5 / y });
/** eˣ */
export const exp = defineUnary({ name: "exp", f: Math.exp, df: (_x, y) => y });
/** Natural logarithm. */
export const log = defineUnary({ name: "log", f: Math.log, df: (x) => 1 / x });
/** log(1 + x), accurate for small x. */
export const log1p = defineUnary({ name: "log1p", f: Math.log1p, df: (x) => 1 / (1 + x) });
/** |x|; its derivative at 0 is taken as 0. */
export const abs = defineUnary({ name: "abs", f: Math.abs, df: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) });
export const sin = defineUnary({ name: "sin", f: Math.sin, df: (x) => Math.cos(x) });
export const cos = defineUnary({ name: "cos", f: Math.cos, df: (x) => -Math.sin(x) });
export const tanh = defineUnary({ name: "tanh", f: Math.tanh, df: (_x, y) => 1 - y * y });
/** 1 / (1 + e⁻ˣ), computed without overflow. */
export const sigmoid = defineUnary({ name: "sigmoid", f: sigmoidOf, df: (_x, y) => y * (1 - y) });
/** max(x, 0); its derivative at 0 is taken as 0. */
export const relu = defineUnary({ name: "relu", f: (x) => (x > 0 ? x : x === x ? 0 : x), df: (x) => (x > 0 ? 1 : 0) });
/** log(1 + eˣ), computed without overflow. */
export const softplus = defineUnary({ name: "softplus", f: softplusOf, df: (x) => sigmoidOf(x) });
/**
 * GELU, tanh approximation (as jax.nn.gelu's default and the GPT-2 code):
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 */
export const gelu = defineUnary({
  name: "gelu",
  f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
  df: (x) => {
    const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
    const t = Math.tanh(u);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
  },
});

/** x for x > 0, alpha·x otherwise (default alpha 0.2, as tfjs). */
export const leakyRelu = defineOp(
  (x: TensorLike, alpha = 0.2): Tensor => map1(toTensor(x, "float32", "leakyRelu"), (v) => (v > 0 ? v : alpha * v)),
  {
    name: "leakyRelu",
    family: "elementwise",
    arity: 2,
    wrt: [0],
    jvp(x: TensorLike, alpha: number | undefined, dx: unknown) {
      const a = alpha ?? 0.2;
      const t = toTensor(x, "float32", "leakyRelu");
      const y = map1(t, (v) => (v > 0 ? v : a * v));
      const d = tangentOf(x, dx, "leakyRelu", "x");
      return { value: y, tangent: finish(d && tMul(d, map1(t, (v) => (v > 0 ? 1 : a))), y) };
    },
    vjp(x: TensorLike, alpha: number | undefined) {
      const a = alpha ?? 0.2;
      const t = toTensor(x, "float32", "leakyRelu");
      const y = map1(t, (v) => (v > 0 ? v : a * v));
      return { value: y, pullback: (g: Tensor | null) => [unbroadcastTo(g && tMul(g, map1(t, (v) => (v > 0 ? 1 : a))), x), null] };
    },
  },
);

// ---- binary ops ------------------------------------------------------------------------------

interface BinaryDef {
  name: string;
  f: BinaryFn;
  /** ∂f/∂a and ∂f/∂b from a, b and the result; null when constant 1 (saves a pass). */
  da: ((a: number, b: number, y: number) => number) | null;
  db: ((a: number, b: number, y: number) => number) | null;
  /** Result stays int32 for int32 operands. */
  keepInt: boolean;
}

/** p(a, b, y) over the broadcast shape. */
function partial(a: Tensor, b: Tensor, y: Tensor, p: (a: number, b: number, y: number) => number, op: string): Tensor {
  const ab = map2(a, b, (u, v) => u, op, y.dtype); // a broadcast to y's shape
  const bb = map2(a, b, (_u, v) => v, op, y.dtype);
  const out = empty(y.shape, y.dtype);
  const av = ab.values;
  const bv = bb.values;
  const yv = y.values;
  const ov = out.values;
  for (let i = 0; i < ov.length; i++) ov[i] = p(av[i]!, bv[i]!, yv[i]!);
  return out;
}

function defineBinary(def: BinaryDef): (a: TensorLike, b: TensorLike) => Tensor {
  const { name, f, da, db, keepInt } = def;
  const compute = (a: TensorLike, b: TensorLike) => {
    const [x, y, d] = operands(a, b, name);
    const dtype = keepInt ? d : floatDType(d);
    return { x, y, value: map2(x, y, f, name, dtype) };
  };
  // Special cases keep add/sub/mul/div rules to one pass per operand.
  const along = (g: Tensor, which: "a" | "b", x: Tensor, y: Tensor, value: Tensor): Tensor => {
    const p = which === "a" ? da : db;
    if (name === "sub" && which === "b") return tNeg(g)!;
    if (name === "mul") return tMul(g, which === "a" ? y : x)!;
    if (p === null) return g;
    return tMul(g, partial(x, y, value, p, name))!;
  };
  return defineOp((a: TensorLike, b: TensorLike): Tensor => compute(a, b).value, {
    name,
    family: "elementwise",
    arity: 2,
    wrt: [0, 1],
    jvp(a: TensorLike, b: TensorLike, ta: unknown, tb: unknown) {
      const { x, y, value } = compute(a, b);
      const dA = tangentOf(a, ta, name, "a");
      const dB = tangentOf(b, tb, name, "b");
      const t = tAdd(dA && along(dA, "a", x, y, value), dB && along(dB, "b", x, y, value));
      return { value, tangent: finish(t, value) };
    },
    vjp(a: TensorLike, b: TensorLike) {
      const { x, y, value } = compute(a, b);
      return {
        value,
        pullback: (g: Tensor | null) => (g === null ? [null, null] : [unbroadcastTo(along(g, "a", x, y, value), a), unbroadcastTo(along(g, "b", x, y, value), b)]),
      };
    },
  });
}

/** a + b, broadcasting. */
export const add = defineBinary({ name: "add", f: fAdd, da: null, db: null, keepInt: true });
/** a − b, broadcasting. */
export const sub = defineBinary({ name: "sub", f: fSub, da: null, db: null, keepInt: true });
/** a · b elementwise, broadcasting. */
export const mul = defineBinary({ name: "mul", f: fMul, da: null, db: null, keepInt: true });
/** a / b elementwise, broadcasting (float result). */
export const div = defineBinary({ name: "div", f: fDiv, da: (_a, b) => 1 / b, db: (_a, b, y) => -y / b, keepInt: false });
/**
 * aᵇ elementwise. ∂/∂b = log(a)·aᵇ is taken as 0 where a = 0 (as the number rule of x ** y), so a
 * zero base with a constant exponent never gives NaN.
 */
export const pow = defineBinary({
  name: "pow",
  f: Math.pow,
  da: (a, b) => (b === 0 ? 0 : b * Math.pow(a, b - 1)),
  db: (a, _b, y) => (a === 0 ? 0 : Math.log(a) * y),
  keepInt: false,
});
/** The larger of a and b; where they are equal the derivative is split evenly. */
export const maximum = defineBinary({
  name: "maximum",
  f: (a, b) => (a >= b ? a : b !== b ? b : a !== a ? a : b),
  da: (a, b) => (a > b ? 1 : a === b ? 0.5 : 0),
  db: (a, b) => (b > a ? 1 : a === b ? 0.5 : 0),
  keepInt: true,
});
/** The smaller of a and b; where they are equal the derivative is split evenly. */
export const minimum = defineBinary({
  name: "minimum",
  f: (a, b) => (a <= b ? a : b !== b ? b : a !== a ? a : b),
  da: (a, b) => (a < b ? 1 : a === b ? 0.5 : 0),
  db: (a, b) => (b < a ? 1 : a === b ? 0.5 : 0),
  keepInt: true,
});

// ---- where and clip --------------------------------------------------------------------------

function whereValue(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape, "where"), b.shape, "where");
  const out = empty(shape, a.dtype);
  select(cond.values, cond.shape, a.values, a.shape, b.values, b.shape, out.values, shape);
  return out;
}

/**
 * a where `cond` is non-zero, else b (all three broadcast). The derivative flows to a where cond
 * holds and to b elsewhere; cond (a mask) has none.
 */
export const where = defineOp(
  (cond: Tensor | number, a: TensorLike, b: TensorLike): Tensor => {
    const [x, y] = operands(a, b, "where");
    return whereValue(toTensor(cond, "int32", "where"), x, y);
  },
  {
    name: "where",
    family: "elementwise",
    arity: 3,
    wrt: [1, 2],
    jvp(cond: Tensor | number, a: TensorLike, b: TensorLike, _dc: unknown, ta: unknown, tb: unknown) {
      const c = toTensor(cond, "int32", "where");
      const [x, y] = operands(a, b, "where");
      const value = whereValue(c, x, y);
      const dA = tangentOf(a, ta, "where", "a");
      const dB = tangentOf(b, tb, "where", "b");
      if (dA === null && dB === null) return { value, tangent: null };
      const zero = toTensor(0, value.dtype, "where");
      return { value, tangent: finish(whereValue(c, castTo(dA ?? zero, value.dtype), castTo(dB ?? zero, value.dtype)), value) };
    },
    vjp(cond: Tensor | number, a: TensorLike, b: TensorLike) {
      const c = toTensor(cond, "int32", "where");
      const [x, y] = operands(a, b, "where");
      const value = whereValue(c, x, y);
      return {
        value,
        pullback: (g: Tensor | null) => {
          if (g === null) return [null, null, null];
          const zero = toTensor(0, g.dtype, "where");
          return [null, unbroadcastTo(whereValue(c, g, zero), a), unbroadcastTo(whereValue(c, zero, g), b)];
        },
      };
    },
  },
);

/** x limited to [min, max]; the derivative is 1 inside the interval (ends included) and 0 outside. */
export const clip = defineOp(
  (x: TensorLike, min: number, max: number): Tensor => map1(toTensor(x, "float32", "clip"), (v) => (v < min ? min : v > max ? max : v), true),
  {
    name: "clip",
    family: "elementwise",
    arity: 3,
    wrt: [0],
    jvp(x: TensorLike, min: number, max: number, dx: unknown) {
      const t = toTensor(x, "float32", "clip");
      const value = map1(t, (v) => (v < min ? min : v > max ? max : v), true);
      const d = tangentOf(x, dx, "clip", "x");
      return { value, tangent: finish(d && tMul(d, map1(t, (v) => (v >= min && v <= max ? 1 : 0))), value) };
    },
    vjp(x: TensorLike, min: number, max: number) {
      const t = toTensor(x, "float32", "clip");
      const value = map1(t, (v) => (v < min ? min : v > max ? max : v), true);
      return { value, pullback: (g: Tensor | null) => [unbroadcastTo(g && tMul(g, map1(t, (v) => (v >= min && v <= max ? 1 : 0))), x), null, null] };
    },
  },
);

// ---- comparisons: masks, no derivative ---------------------------------------------------------

function defineCompare(name: string, f: BinaryFn): (a: TensorLike, b: TensorLike) => Tensor {
  return defineOp(
    (a: TensorLike, b: TensorLike): Tensor => {
      const [x, y] = operands(a, b, name);
      return map2(x, y, f, name, "int32");
    },
    { name, family: "compare", why: "a comparison gives a mask of 0s and 1s, which has no derivative" },
  );
}

/** 1 where a == b, else 0 (int32). */
export const equal = defineCompare("equal", (a, b) => (a === b ? 1 : 0));
export const notEqual = defineCompare("notEqual", (a, b) => (a !== b ? 1 : 0));
export const greater = defineCompare("greater", (a, b) => (a > b ? 1 : 0));
export const greaterEqual = defineCompare("greaterEqual", (a, b) => (a >= b ? 1 : 0));
export const less = defineCompare("less", (a, b) => (a < b ? 1 : 0));
export const lessEqual = defineCompare("lessEqual", (a, b) => (a <= b ? 1 : 0));

/** `x` converted to `dtype` (float → int32 truncates toward zero). No derivative into int32. */
export const cast = defineOp((x: Tensor, dtype: Tensor["dtype"]): Tensor => castTo(x, dtype), {
  name: "cast",
  family: "elementwise",
  arity: 2,
  wrt: [0],
  jvp(x: Tensor, dtype: Tensor["dtype"], dx: unknown) {
    const value = castTo(x, dtype);
    const d = tangentOf(x, dx, "cast", "x");
    return { value, tangent: dtype === "int32" || d === null ? null : castTo(d, dtype) };
  },
  vjp(x: Tensor, dtype: Tensor["dtype"]) {
    const value = castTo(x, dtype);
    return { value, pullback: (g: Tensor | null) => [dtype === "int32" || x.dtype === "int32" || g === null ? null : castTo(g, x.dtype), null] };
  },
});
