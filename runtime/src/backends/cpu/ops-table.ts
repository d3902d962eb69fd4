// The scalar functions behind the elementwise ops on the CPU: f and its derivative per unary op,
// f and its partials per binary op. (The WebGPU backend has the same table as WGSL snippets.)

import type { BinaryOp, UnaryOp } from "../backend.js";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
export const sigmoidOf = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplusOf = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

export interface UnaryRule {
  /** y = f(x); `p` holds the op's parameters (leakyRelu: [alpha], clip: [min, max]). */
  f: (x: number, p: readonly number[]) => number;
  /** dy/dx from x and y. */
  df: (x: number, y: number, p: readonly number[]) => number;
}

export const UNARY: Record<UnaryOp, UnaryRule> = {
  neg: { f: (x) => -x, df: () => -1 },
  square: { f: (x) => x * x, df: (x) => 2 * x },
  sqrt: { f: Math.sqrt, df: (_x, y) => 0.5 / y },
  exp: { f: Math.exp, df: (_x, y) => y },
  log: { f: Math.log, df: (x) => 1 / x },
  log1p: { f: Math.log1p, df: (x) => 1 / (1 + x) },
  // Math.sign, as the number rule: 0 at ±0, NaN at NaN.
  abs: { f: Math.abs, df: (x) => (x > 0 ? 1 : x < 0 ? -1 : x * 0) },
  sin: { f: Math.sin, df: (x) => Math.cos(x) },
  cos: { f: Math.cos, df: (x) => -Math.sin(x) },
  tanh: { f: Math.tanh, df: (_x, y) => 1 - y * y },
  sigmoid: { f: sigmoidOf, df: (_x, y) => y * (1 - y) },
  relu: { f: (x) => (x > 0 ? x : x === x ? 0 : x), df: (x) => (x > 0 ? 1 : 0) },
  softplus: { f: softplusOf, df: (x) => sigmoidOf(x) },
  // GELU, tanh approximation (as jax.nn.gelu's default and the GPT-2 code).
  gelu: {
    f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
    df: (x) => {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
    },
  },
  leakyRelu: { f: (x, p) => (x > 0 ? x : p[0]! * x), df: (x, _y, p) => (x > 0 ? 1 : p[0]!) },
  clip: { f: (x, p) => (x < p[0]! ? p[0]! : x > p[1]! ? p[1]! : x), df: (x, _y, p) => (x >= p[0]! && x <= p[1]! ? 1 : 0) },
};

export interface BinaryRule {
  f: (a: number, b: number) => number;
  /** ∂f/∂a and ∂f/∂b from a, b and y = f(a, b); absent for comparisons. */
  da?: (a: number, b: number, y: number) => number;
  db?: (a: number, b: number, y: number) => number;
}

export const BINARY: Record<BinaryOp, BinaryRule> = {
  add: { f: (a, b) => a + b, da: () => 1, db: () => 1 },
  sub: { f: (a, b) => a - b, da: () => 1, db: () => -1 },
  mul: { f: (a, b) => a * b, da: (_a, b) => b, db: (a) => a },
  div: { f: (a, b) => a / b, da: (_a, b) => 1 / b, db: (_a, b, y) => -y / b },
  // ∂/∂b = log(a)·aᵇ is taken as 0 where a = 0 (as the number rule of x ** y).
  pow: { f: Math.pow, da: (a, b) => (b === 0 ? 0 : b * Math.pow(a, b - 1)), db: (a, _b, y) => (a === 0 ? 0 : Math.log(a) * y) },
  // Ties (and a NaN operand) as the number rules of Math.max/min: all to a when a >= b (a <= b).
  maximum: { f: (a, b) => (a >= b ? a : b !== b ? b : a !== a ? a : b), da: (a, b) => (a >= b ? 1 : 0), db: (a, b) => (a >= b ? 0 : 1) },
  minimum: { f: (a, b) => (a <= b ? a : b !== b ? b : a !== a ? a : b), da: (a, b) => (a <= b ? 1 : 0), db: (a, b) => (a <= b ? 0 : 1) },
  equal: { f: (a, b) => (a === b ? 1 : 0) },
  notEqual: { f: (a, b) => (a !== b ? 1 : 0) },
  greater: { f: (a, b) => (a > b ? 1 : 0) },
  greaterEqual: { f: (a, b) => (a >= b ? 1 : 0) },
  less: { f: (a, b) => (a < b ? 1 : 0) },
  lessEqual: { f: (a, b) => (a <= b ? 1 : 0) },
};
