// The derivatives at edge points, once, for number code and for tensor ops alike: the semantics
// the number rules (transformer/src/rules.ts) and the tensor rules (runtime/src/backends/cpu/
// ops-table.ts, and the WGSL in runtime/src/backends/webgpu/elementwise.ts) implement. Where the
// calculus gives no single answer the choice is written next to the point; README "Semantics worth
// knowing" states them. e2e/test/edge-points.test.ts checks number code through both hosts and the
// tensor ops on the CPU against every row, in both modes.

export interface EdgePoint {
  /** The number expression of `x` (and `y`), as a user writes it. */
  number: string;
  /** The tensor op applied to `x` (and `y`). */
  tensor: "pow" | "maximum" | "minimum" | "abs" | "sqrt" | "log" | "exp" | "tanh" | "mul" | "div";
  args: [number] | [number, number];
  value: number;
  /** ∂/∂x (and ∂/∂y). */
  gradient: [number] | [number, number];
  why: string;
}

export const EDGE_POINTS: EdgePoint[] = [
  { number: "x ** y", tensor: "pow", args: [0, 0], value: 1, gradient: [0, 0], why: "x^0 is constant: ∂x is 0, not 0·0^-1 = NaN; ∂y = ln(x)·x^y is taken as 0 at x = 0" },
  { number: "x ** y", tensor: "pow", args: [0, 2], value: 0, gradient: [0, 0], why: "∂y at x = 0 is 0 (not -∞·0)" },
  { number: "x ** y", tensor: "pow", args: [0, 0.5], value: 0, gradient: [Infinity, 0], why: "the slope of √x at 0" },
  { number: "x ** y", tensor: "pow", args: [0, -1], value: Infinity, gradient: [-Infinity, 0], why: "-1·0^-2" },
  { number: "x ** y", tensor: "pow", args: [-8, 1 / 3], value: NaN, gradient: [NaN, NaN], why: "JavaScript's pow of a negative base and a fractional exponent is NaN" },
  { number: "x ** y", tensor: "pow", args: [2, 3], value: 8, gradient: [12, 8 * Math.LN2], why: "a regular point" },
  { number: "Math.max(x, y)", tensor: "maximum", args: [1, 1], value: 1, gradient: [1, 0], why: "a tie: all to the first argument (as TensorFlow)" },
  { number: "Math.min(x, y)", tensor: "minimum", args: [1, 1], value: 1, gradient: [1, 0], why: "a tie: all to the first argument" },
  { number: "Math.max(x, y)", tensor: "maximum", args: [NaN, 1], value: NaN, gradient: [0, 1], why: "NaN >= 1 is false: to the second argument" },
  { number: "Math.max(x, y)", tensor: "maximum", args: [1, NaN], value: NaN, gradient: [0, 1], why: "1 >= NaN is false: to the second argument" },
  { number: "Math.min(x, y)", tensor: "minimum", args: [2, -1], value: -1, gradient: [0, 1], why: "a regular point" },
  { number: "Math.abs(x)", tensor: "abs", args: [0], value: 0, gradient: [0], why: "Math.sign(0): the subgradient 0" },
  { number: "Math.abs(x)", tensor: "abs", args: [NaN], value: NaN, gradient: [NaN], why: "Math.sign(NaN)" },
  { number: "Math.sqrt(x)", tensor: "sqrt", args: [0], value: 0, gradient: [Infinity], why: "0.5 / √0" },
  { number: "Math.log(x)", tensor: "log", args: [0], value: -Infinity, gradient: [Infinity], why: "1 / 0" },
  { number: "Math.exp(x)", tensor: "exp", args: [Infinity], value: Infinity, gradient: [Infinity], why: "e^∞" },
  { number: "Math.exp(x)", tensor: "exp", args: [-Infinity], value: 0, gradient: [0], why: "e^-∞" },
  { number: "Math.tanh(x)", tensor: "tanh", args: [Infinity], value: 1, gradient: [0], why: "1 - tanh²(∞)" },
  { number: "x * y", tensor: "mul", args: [Infinity, 0], value: NaN, gradient: [0, Infinity], why: "∂x = y, ∂y = x, as IEEE arithmetic gives them" },
  { number: "x / y", tensor: "div", args: [1, 0], value: Infinity, gradient: [Infinity, -Infinity], why: "1/y and -x/y²" },
  { number: "x / y", tensor: "div", args: [0, 0], value: NaN, gradient: [Infinity, NaN], why: "1/0, and -0/0" },
];
