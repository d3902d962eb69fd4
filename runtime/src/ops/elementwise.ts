// Elementwise ops: unary maps, binary maps with NumPy broadcasting, where and clip, each with its
// JVP and VJP. Kernels run on the operands' backend (../backends); binary VJPs sum the cotangent
// back over broadcast axes (unbroadcastTo).

import type { Backend, BinaryOp, UnaryOp } from "../backends/backend.js";
import { moveTo } from "../backends/index.js";
import { lazyCotangents } from "../ad/derivatives.js";
import { toTensor } from "../tensor/create.js";
import type { DType } from "../tensor/dtype.js";
import { broadcastShapes, sameShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { composedRule, defineOp } from "./op.js";
import { castTo, floatDType, on, operands, scalar, tangentOf, unbroadcastTo, type TensorLike } from "./util.js";

// ---- tangent arithmetic the rules share (null is zero) ----------------------------------------

function binaryOn(be: Backend, op: BinaryOp, a: Tensor, b: Tensor, dtype: DType): Tensor {
  return be.binary(op, a, b, broadcastShapes(a.shape, b.shape, op), dtype);
}

/** @internal a + b for tangents (broadcasting; null is zero). */
export function tAdd(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  const [x, y, d, be] = operands(a, b, "add");
  return binaryOn(be, "add", x, y, d);
}
/** @internal a · b for tangents. */
export function tMul(a: Tensor | null, b: Tensor): Tensor | null {
  if (a === null) return null;
  const [x, y, d, be] = operands(a, b, "mul");
  return binaryOn(be, "mul", x, y, d);
}
/** @internal −a. */
export function tNeg(a: Tensor | null): Tensor | null {
  return a === null ? null : a.backend.unary("neg", a, [], a.dtype);
}
/** @internal a · s for a number s. */
export function tScale(a: Tensor | null, s: number): Tensor | null {
  return a === null ? null : binaryOn(a.backend, "mul", a, scalar(a.backend, s, a.dtype), a.dtype);
}

/** A tangent made to match the result's backend, dtype and (broadcast) shape. */
function finish(t: Tensor | null, value: Tensor): Tensor | null {
  if (t === null) return null;
  const [x] = operands(t, value, "tangent");
  const b = sameShape(x.shape, value.shape) ? x : x.backend.broadcastTo(x, value.shape);
  return castTo(b, value.dtype);
}

// ---- unary ops -------------------------------------------------------------------------------

/** The tensor an elementwise op reads: numbers become float32 scalars on the CPU. */
function input(x: TensorLike, name: string): Tensor {
  const t = toTensor(x, "float32", name);
  t.checkLive(name);
  return t;
}

/**
 * ∂y/∂(option k) of a unary op with numeric options, as a tensor of x's shape on x's backend (clip's
 * bounds, leakyRelu's alpha). Given, the options are differentiated too (they are in `wrt`): a
 * differentiated number passed as an option (`clip(x, -s, s)`, `leakyRelu(x, a)`) got a zero
 * derivative before, silently (found by e2e/test/property-tensors.test.ts). Their cotangents are
 * numbers (computed only when read; CT3009 on WebGPU, as every number argument's).
 */
type OptionSlope = (x: Tensor, p: number[], k: number) => Tensor;

/**
 * y = f(x) and its rules; `params(...options)` gives the op's numeric parameters (alpha, bounds)
 * from its `options` (the arguments after x; `arity` counts x and them).
 */
function defineUnary<A extends unknown[]>(name: UnaryOp, params: (...options: A) => number[], arity = 1, keepDType = false, optionSlope?: OptionSlope) {
  const apply = (x: Tensor, p: number[]) => x.backend.unary(name, x, p, keepDType ? x.dtype : floatDType(x.dtype));
  // g · f′(x) in one kernel when g has x's shape (always, for tangents and cotangents of x).
  // It runs on the backend g and y meet on, with x and y moved there: a CPU input (a number, or a
  // CPU tensor) whose cotangent or tangent lives on WebGPU once handed the WebGPU tensor to the CPU
  // kernel, which failed with a TypeError instead of computing (or, for a number input, instead of
  // the CT3009 error that a number argument's derivative cannot come from WebGPU).
  // Without the backend's fused kernel: the op's composed rule (runtime/rules/jvp.ts), whose
  // tangent along x alone is the same g · f′(x) (the Jacobian is diagonal: JVP and VJP agree).
  const alongSlope = (g: Tensor, x: Tensor, y: Tensor, p: number[]): Tensor => {
    const [gg, yy, , be] = operands(g, y, name);
    const slopeTimes = be.unaryBackward;
    if (slopeTimes) return slopeTimes.call(be, name, castTo(gg, yy.dtype), moveTo(x, be), yy, p);
    const r = composedRule(name)(moveTo(x, be), ...p, castTo(gg, yy.dtype), ...p.map(() => 0)) as { tangent: Tensor };
    return castTo(r.tangent, yy.dtype);
  };
  const none = new Array<null>(arity - 1).fill(null);
  const optionIndices = optionSlope ? Array.from({ length: arity - 1 }, (_, k) => k) : [];
  /** Option k's tangent `dk` (a number's: a scalar tensor) times its slope, or null. */
  const optionTerm = (options: unknown[], dk: unknown, t: Tensor, y: Tensor, p: number[], k: number): Tensor | null => {
    if (typeof options[k] !== "number" || t.dtype === "int32") return null;
    const d = tangentOf(options[k] as number, dk, name, `option ${k + 1}`);
    // the number's tangent brought to y's backend, dtype and shape first (as binary ops do)
    return d === null ? null : tMul(finish(d, y), optionSlope!(t, p, k));
  };
  return defineOp((x: TensorLike, ...options: A): Tensor => apply(input(x, name), params(...options)), {
    name,
    family: "elementwise",
    method: true,
    arity,
    wrt: [0, ...optionIndices.map((k) => k + 1)],
    jvp(x: TensorLike, ...rest: unknown[]) {
      const options = rest.slice(0, arity - 1);
      const p = params(...(options as A));
      const t = input(x, name);
      const y = apply(t, p);
      const d = tangentOf(x, rest[arity - 1], name, "x");
      let tangent = d === null ? null : alongSlope(d, t, y, p);
      for (const k of optionIndices) tangent = tAdd(tangent, optionTerm(options, rest[arity + k], t, y, p, k));
      return { value: y, tangent: finish(tangent, y) };
    },
    vjp(x: TensorLike, ...options: A) {
      const p = params(...options);
      const t = input(x, name);
      const y = apply(t, p);
      if (!optionSlope) return { value: y, pullback: (g: Tensor | null) => [unbroadcastTo(g === null ? null : alongSlope(g, t, y, p), x), ...none] };
      return {
        value: y,
        pullback: (g: Tensor | null) =>
          g === null
            ? [null, ...none]
            : // each computed when read: a constant option (clip(x, -1, 1)) needs none (and on WebGPU a number's cotangent is CT3009)
              lazyCotangents([
                () => unbroadcastTo(alongSlope(g, t, y, p), x),
                ...optionIndices.map((k) => () => (typeof options[k] !== "number" || t.dtype === "int32" ? null : unbroadcastTo(tMul(g, optionSlope(t, p, k)), options[k] as number))),
              ]),
      };
    },
  });
}

/** 1 where `cmp(x, bound)` holds, else 0, in x's float dtype. */
function maskWhere(x: Tensor, cmp: "less" | "greater", bound: number): Tensor {
  const be = x.backend;
  const dtype = floatDType(x.dtype);
  return be.cast(be.binary(cmp, x, scalar(be, bound, x.dtype), x.shape, "int32"), dtype);
}

const noParams = (): number[] => [];

/** -x */
export const neg = defineUnary("neg", noParams);
/** x² */
export const square = defineUnary("square", noParams);
/** √x (its derivative is infinite at 0). */
export const sqrt = defineUnary("sqrt", noParams);
/** eˣ */
export const exp = defineUnary("exp", noParams);
/** Natural logarithm. */
export const log = defineUnary("log", noParams);
/** log(1 + x), accurate for small x. */
export const log1p = defineUnary("log1p", noParams);
/** |x|; its derivative at 0 is taken as 0. */
export const abs = defineUnary("abs", noParams);
export const sin = defineUnary("sin", noParams);
export const cos = defineUnary("cos", noParams);
export const tanh = defineUnary("tanh", noParams);
/** 1 / (1 + e⁻ˣ), computed without overflow. */
export const sigmoid = defineUnary("sigmoid", noParams);
/** max(x, 0); its derivative at 0 is taken as 0. */
export const relu = defineUnary("relu", noParams);
/** log(1 + eˣ), computed without overflow. */
export const softplus = defineUnary("softplus", noParams);
/**
 * GELU, tanh approximation (as jax.nn.gelu's default and the GPT-2 code):
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 */
export const gelu = defineUnary("gelu", noParams);
/** x for x > 0, alpha·x otherwise (default alpha 0.2, as tfjs). ∂/∂alpha = min(x, 0). */
export const leakyRelu = defineUnary("leakyRelu", (alpha: number = 0.2) => [alpha], 2, false, (x) =>
  x.backend.binary("minimum", x, scalar(x.backend, 0, x.dtype), x.shape, floatDType(x.dtype)),
);
/**
 * x limited to [min, max]; the derivative is 1 inside the interval (ends included) and 0 outside.
 * The bounds are differentiated too: ∂/∂min is 1 where x < min, ∂/∂max is 1 where x > max.
 */
export const clip = defineUnary("clip", (min: number, max: number) => [min, max], 3, true, (x, p, k) => maskWhere(x, k === 0 ? "less" : "greater", p[k]!));

// ---- binary ops ------------------------------------------------------------------------------

function defineBinary(name: BinaryOp, keepInt: boolean): (a: TensorLike, b: TensorLike) => Tensor {
  /**
   * g · ∂(a op b)/∂(operand) at the broadcast shape: the backend's fused kernel, or else the op's
   * composed rule (runtime/rules/jvp.ts) with g as that operand's tangent and 0 as the other's
   * (elementwise, so the same product serves the JVP and, summed back over broadcast axes, the VJP).
   * At an infinite operand the rule's 0·∞ can give NaN where the fused kernel has the slope.
   */
  const slopeTimes = (be: Backend, operand: 0 | 1, g: Tensor, x: Tensor, y: Tensor, value: Tensor): Tensor => {
    const fused = be.binaryBackward;
    if (fused) return fused.call(be, name, operand, g, x, y, value);
    const r = composedRule(name)(x, y, operand === 0 ? g : 0, operand === 1 ? g : 0) as { tangent: Tensor };
    const t = castTo(r.tangent, value.dtype);
    return sameShape(t.shape, g.shape) ? t : t.backend.broadcastTo(t, g.shape);
  };
  const compute = (a: TensorLike, b: TensorLike) => {
    const [x, y, d, be] = operands(a, b, name);
    x.checkLive(name);
    y.checkLive(name);
    const value = binaryOn(be, name, x, y, keepInt ? d : floatDType(d));
    return { x, y, value, be };
  };
  return defineOp((a: TensorLike, b: TensorLike): Tensor => compute(a, b).value, {
    name,
    family: "elementwise",
    method: true,
    arity: 2,
    wrt: [0, 1],
    jvp(a: TensorLike, b: TensorLike, ta: unknown, tb: unknown) {
      const { x, y, value, be } = compute(a, b);
      const along = (t: Tensor | null, operand: 0 | 1) => {
        if (t === null) return null;
        const g = finish(t, value)!; // the tangent at the result's shape
        return slopeTimes(be, operand, g, x, y, value);
      };
      const t = tAdd(along(tangentOf(a, ta, name, "a"), 0), along(tangentOf(b, tb, name, "b"), 1));
      return { value, tangent: finish(t, value) };
    },
    vjp(a: TensorLike, b: TensorLike) {
      const { x, y, value, be } = compute(a, b);
      return {
        value,
        pullback: (g: Tensor | null) => {
          if (g === null) return [null, null];
          const gg = finish(g, value)!;
          // Each cotangent is computed only if read: generated code reads none for a constant
          // operand. Computed eagerly, the cotangent of a number operand (x.add(1e-9), x.mul(0.5))
          // made every such pullback throw CT3009 on WebGPU (a number's cotangent cannot be read
          // back from the GPU synchronously), although the constant needs no derivative.
          return lazyCotangents([() => unbroadcastTo(slopeTimes(be, 0, gg, x, y, value), a), () => unbroadcastTo(slopeTimes(be, 1, gg, x, y, value), b)]);
        },
      };
    },
  });
}

/** a + b, broadcasting. */
export const add = defineBinary("add", true);
/** a − b, broadcasting. */
export const sub = defineBinary("sub", true);
/** a · b elementwise, broadcasting. */
export const mul = defineBinary("mul", true);
/** a / b elementwise, broadcasting (float result). */
export const div = defineBinary("div", false);
/**
 * aᵇ elementwise. ∂/∂b = log(a)·aᵇ is taken as 0 where a = 0 (as the number rule of x ** y), so a
 * zero base with a constant exponent never gives NaN.
 */
export const pow = defineBinary("pow", false);
/** The larger of a and b; where they are equal the derivative goes to a (as Math.max's). */
export const maximum = defineBinary("maximum", true);
/** The smaller of a and b; where they are equal the derivative goes to a (as Math.min's). */
export const minimum = defineBinary("minimum", true);

// ---- where -------------------------------------------------------------------------------------

function whereValue(be: Backend, cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape, "where"), b.shape, "where");
  return be.select(cond, a, b, shape, a.dtype);
}

function whereArgs(cond: Tensor | number, a: TensorLike, b: TensorLike) {
  const [x, y, , be] = operands(a, b, "where");
  return { c: on(be, cond, "int32", "where"), x, y, be };
}

/**
 * a where `cond` is non-zero, else b (all three broadcast). The derivative flows to a where cond
 * holds and to b elsewhere; cond (a mask) has none.
 */
export const where = defineOp(
  (cond: Tensor | number, a: TensorLike, b: TensorLike): Tensor => {
    const { c, x, y, be } = whereArgs(cond, a, b);
    return whereValue(be, c, x, y);
  },
  {
    name: "where",
    family: "elementwise",
    arity: 3,
    wrt: [1, 2],
    jvp(cond: Tensor | number, a: TensorLike, b: TensorLike, _dc: unknown, ta: unknown, tb: unknown) {
      const { c, x, y, be } = whereArgs(cond, a, b);
      const value = whereValue(be, c, x, y);
      const dA = tangentOf(a, ta, "where", "a");
      const dB = tangentOf(b, tb, "where", "b");
      if (dA === null && dB === null) return { value, tangent: null };
      const zero = scalar(be, 0, value.dtype);
      const pick = (t: Tensor | null) => (t === null ? zero : castTo(on(be, t, value.dtype, "where"), value.dtype));
      return { value, tangent: finish(whereValue(be, c, pick(dA), pick(dB)), value) };
    },
    vjp(cond: Tensor | number, a: TensorLike, b: TensorLike) {
      const { c, x, y, be } = whereArgs(cond, a, b);
      const value = whereValue(be, c, x, y);
      return {
        value,
        pullback: (g: Tensor | null) => {
          if (g === null) return [null, null, null];
          const zero = scalar(be, 0, g.dtype);
          // Computed only if read (a constant number operand needs none; see the binary ops).
          return lazyCotangents([null, () => unbroadcastTo(whereValue(be, c, g, zero), a), () => unbroadcastTo(whereValue(be, c, zero, g), b)]);
        },
      };
    },
  },
);

// ---- comparisons: masks, no derivative ---------------------------------------------------------

function defineCompare(name: BinaryOp): (a: TensorLike, b: TensorLike) => Tensor {
  return defineOp(
    (a: TensorLike, b: TensorLike): Tensor => {
      const [x, y, , be] = operands(a, b, name);
      return binaryOn(be, name, x, y, "int32");
    },
    { name, method: true, family: "compare", why: "a comparison gives a mask of 0s and 1s, which has no derivative" },
  );
}

/** 1 where a == b, else 0 (int32). */
export const equal = defineCompare("equal");
export const notEqual = defineCompare("notEqual");
export const greater = defineCompare("greater");
export const greaterEqual = defineCompare("greaterEqual");
export const less = defineCompare("less");
export const lessEqual = defineCompare("lessEqual");

/** `x` converted to `dtype` (float → int32 truncates toward zero). No derivative into int32. */
export const cast = defineOp((x: Tensor, dtype: Tensor["dtype"]): Tensor => castTo(x, dtype), {
  name: "cast",
  family: "elementwise",
  method: true,
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
