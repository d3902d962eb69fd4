// Arithmetic: + - * / % **, unary minus, compound assignments, ++/--.
import type { CorpusCase } from "./types";

/** @differentiable */
export function poly3(x: number, y: number): number {
  return 3 * x * x * x - 2 * x * y + y * y - 7;
}

/** @differentiable */
export function rational(x: number, y: number): number {
  return (x * y + 1) / (x * x + y * y + 2);
}

/** @differentiable */
export function cube(x: number): number {
  return x ** 3;
}

/** @differentiable */
export function powChain(x: number): number {
  return (x ** 2 + 1) ** 1.5 - x ** -2;
}

/** @differentiable */
export function negations(x: number, y: number): number {
  return -x * -(y - -x) + -(-x);
}

/** @differentiable */
export function quotientChain(a: number, b: number, c: number): number {
  return a / b / c + (a - b) / (b * c) - 1 / (a + 4);
}

/** @differentiable */
export function compoundOps(x: number, y: number): number {
  let s = x;
  s += y;
  s *= x;
  s -= 2 * y;
  s /= y + 3;
  s **= 2;
  return s;
}

/** @differentiable */
export function modConst(x: number): number {
  // % with a constant divisor: derivative 1 away from the jumps
  return (x % 2.5) * x + (3 * x) % 1.75;
}

/** @differentiable */
export function modActive(x: number, y: number): number {
  // x % y = x - y * trunc(x / y): d/dx = 1, d/dy = -trunc(x / y)
  return x % y;
}

/** @differentiable */
export function sumOfProducts(a: number, b: number, c: number, d: number): number {
  const p = a * b;
  const q = c * d;
  const r = p - q;
  return r * r + p * q;
}

/** @differentiable(wrt: x) */
export function scaledBy(x: number, k: number): number {
  return k * x * x + k ** 2;
}

/** @differentiable(wrt: x, z) */
export function wrtFirstLast(x: number, y: number, z: number): number {
  return x * y * z + x / (z * z + 1) + y ** 2;
}

/** @differentiable */
export function incDecStatements(x: number): number {
  let a = x;
  a++;
  ++a;
  let b = a * 2;
  a--;
  b += a;
  --a;
  return a * b;
}

/** @differentiable */
export function reassignChain(x: number): number {
  let v = x;
  v = v * v;
  v = v - x;
  v = v / (1 + x * x);
  v = -v;
  return v + x;
}

/** @differentiable(wrt: x) */
export function defaultFromParam(x: number, y: number = x * x + 1): number {
  // the default depends on x: the derivative follows it when y is omitted
  return Math.sin(x) * y;
}

const SAME_LINE_K = 2; /** @differentiable */ export function sameLineMark(x: number): number { return SAME_LINE_K * x * x; }

/** An overloaded function: the mark (and documentation) on the first signature marks the implementation. */
/** @differentiable */
export function overloaded(x: number): number;
export function overloaded(x: number, y: number): number;
export function overloaded(x: number, y: number = 1): number {
  return x * x * y + y;
}

export const cases: CorpusCase[] = [
  { name: "sameLineMark", args: () => [0.7], secondOrder: true },
  { name: "overloaded", args: () => [0.7, 1.5] },
  { name: "defaultFromParam", args: () => [0.9], wrt: [0], secondOrder: true },
  { name: "poly3", args: () => [0.7, -1.3] },
  { name: "rational", args: () => [1.2, -0.4] },
  { name: "cube", args: () => [-1.1], secondOrder: true },
  { name: "powChain", args: () => [0.8], secondOrder: true },
  { name: "negations", args: () => [0.3, 1.9] },
  { name: "quotientChain", args: () => [1.5, 0.6, -2.2] },
  { name: "compoundOps", args: () => [0.9, 1.4] },
  { name: "incDecStatements", args: () => [0.45], secondOrder: true },
  { name: "modConst", args: () => [3.3], secondOrder: true },
  { name: "modConst", label: "modConst@negative", args: () => [-4.1] },
  { name: "modActive", args: () => [7.3, 2.1] },
  { name: "sumOfProducts", args: () => [0.5, -1.5, 2.5, 0.25] },
  { name: "scaledBy", args: () => [1.3, 3], wrt: [0] },
  { name: "wrtFirstLast", args: () => [0.4, -2, 1.1], wrt: [0, 2] },
  { name: "reassignChain", args: () => [1.7], secondOrder: true },
];
