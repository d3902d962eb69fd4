// Every differentiable Math function, plus the zero-derivative ones.
import type { CorpusCase } from "./types";

/** @differentiable */
export function trig(x: number): number {
  return Math.sin(x) * Math.cos(2 * x) + Math.tan(x / 3);
}

/** @differentiable */
export function inverseTrig(x: number): number {
  return Math.asin(x) + 2 * Math.acos(x / 2) - Math.atan(3 * x);
}

/** @differentiable */
export function angle(y: number, x: number): number {
  return Math.atan2(y, x);
}

/** @differentiable */
export function angleBothQuadrants(y: number, x: number): number {
  // second quadrant (x < 0, y > 0) and a nested atan2
  return Math.atan2(y, x) * Math.atan2(x * y, 1 + y * y);
}

/** @differentiable */
export function hyperbolic(x: number): number {
  return Math.sinh(x) - Math.cosh(x / 2) + Math.tanh(3 * x);
}

/** @differentiable */
export function inverseHyperbolic(x: number): number {
  return Math.asinh(x) + Math.acosh(1 + x * x) * Math.atanh(x / 2);
}

/** @differentiable */
export function exps(x: number): number {
  return Math.exp(x) + Math.expm1(x / 4) * Math.exp(-x * x);
}

/** @differentiable */
export function logs(x: number): number {
  return Math.log(x) + Math.log1p(x) * Math.log2(x + 1) - Math.log10(3 * x);
}

/** @differentiable */
export function roots(x: number): number {
  return Math.sqrt(x) + Math.cbrt(x - 5) + Math.sqrt(x * x + 1);
}

/** @differentiable */
export function powActive(x: number, y: number): number {
  return Math.pow(x, y) + Math.pow(y, 2) + Math.pow(2, x);
}

/** @differentiable */
export function hypot2(x: number, y: number): number {
  return Math.hypot(x, y);
}

/** @differentiable */
export function hypot3(x: number, y: number, z: number): number {
  return Math.hypot(x, 2 * y, z - 1) * x;
}

/** @differentiable */
export function absolute(x: number, y: number): number {
  return Math.abs(x) * y + Math.abs(y - 3);
}

/** @differentiable */
export function minMax(x: number, y: number, z: number): number {
  return Math.max(x, y, z) * 2 + Math.min(x, y) - Math.max(x * x, 0.5) * Math.min(z, 10);
}

/** @differentiable */
export function steps(x: number, y: number): number {
  // floor/ceil/round/trunc/sign have zero derivative; here they scale active terms
  return Math.floor(x) * y + Math.ceil(y) * x + Math.round(x * y) + Math.trunc(-x) * x * x + Math.sign(y - 1) * y;
}

/** @differentiable */
export function softplus(x: number): number {
  return Math.log(1 + Math.exp(x));
}

/** @differentiable */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** @differentiable */
export function gaussian(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return Math.exp(-0.5 * z * z) / (sigma * Math.sqrt(2 * Math.PI));
}

/** @differentiable */
export function nestedMath(x: number): number {
  return Math.sin(Math.exp(Math.cos(x))) * Math.sqrt(1 + Math.tanh(x) ** 2);
}

/** @differentiable */
export function logSumExp2(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** @differentiable */
export function powAtZeroBase(x: number, y: number): number {
  // ∂/∂y x^y at x = 0 is 0, not 0·log(0)
  return x ** y + Math.pow(x, y);
}

export const cases: CorpusCase[] = [
  { name: "powAtZeroBase", args: () => [0, 2] },
  { name: "trig", args: () => [0.6], secondOrder: true },
  { name: "inverseTrig", args: () => [0.3], secondOrder: true },
  { name: "angle", args: () => [0.8, 1.7] },
  { name: "angleBothQuadrants", args: () => [1.2, -0.7] },
  { name: "hyperbolic", args: () => [0.4], secondOrder: true },
  { name: "inverseHyperbolic", args: () => [0.9], secondOrder: true },
  { name: "exps", args: () => [0.35], secondOrder: true },
  { name: "logs", args: () => [2.2], secondOrder: true },
  { name: "roots", args: () => [1.6], secondOrder: true },
  { name: "powActive", args: () => [1.3, 2.4] },
  { name: "hypot2", args: () => [3.1, -4.2] },
  { name: "hypot3", args: () => [0.5, 1.5, -2] },
  { name: "absolute", args: () => [-1.3, 0.8] },
  { name: "absolute", label: "absolute@positive", args: () => [2.1, 4.5] },
  { name: "minMax", args: () => [0.3, 1.1, -0.6] },
  { name: "minMax", label: "minMax@zMax", args: () => [-0.9, 0.2, 0.7] },
  { name: "steps", args: () => [1.35, 2.6] },
  { name: "softplus", args: () => [-0.8], secondOrder: true },
  { name: "sigmoid", args: () => [1.25], secondOrder: true },
  { name: "gaussian", args: () => [0.3, -0.2, 1.4] },
  { name: "nestedMath", args: () => [0.75], secondOrder: true },
  { name: "logSumExp2", args: () => [0.2, 1.9] },
];
