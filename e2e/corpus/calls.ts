// Calls between differentiable functions: helpers, chains of calls, mutual recursion,
// recursion, nested function declarations, calls inside loops and branches.
import type { CorpusCase } from "./types";

/** @differentiable */
function square(x: number): number {
  return x * x;
}

/** @differentiable */
function affine(x: number, a: number, b: number): number {
  return a * x + b;
}

/** @differentiable */
export function callHelpers(x: number, y: number): number {
  return square(affine(x, y, 1)) + square(y);
}

/** @differentiable */
function stage3(x: number): number {
  return Math.sin(x) * 2;
}

/** @differentiable */
function stage2(x: number): number {
  return stage3(x * x) + x;
}

/** @differentiable */
export function callChain(x: number): number {
  return stage2(stage2(x) - 1);
}

/** @differentiable(wrt: x) */
export function powRec(x: number, n: number): number {
  if (n === 0) return 1;
  if (n % 2 === 0) {
    const h = powRec(x, n / 2);
    return h * h;
  }
  return x * powRec(x, n - 1);
}

/** @differentiable */
export function useRecursion(x: number): number {
  return powRec(x, 7) - 3 * powRec(x, 2);
}

/** @differentiable(wrt: x) */
export function isEvenish(x: number, depth: number): number {
  if (depth <= 0) return x;
  return Math.cos(isOddish(x * 1.1, depth - 1));
}

/** @differentiable(wrt: x) */
export function isOddish(x: number, depth: number): number {
  if (depth <= 0) return x * x;
  return Math.sin(isEvenish(x + 0.3, depth - 1)) * x;
}

/** @differentiable */
export function mutualEntry(x: number): number {
  return isEvenish(x, 5);
}

/** @differentiable */
export function nestedDeclaration(x: number, y: number): number {
  function inner(a: number): number {
    return a * Math.exp(-a * a);
  }
  function twice(b: number): number {
    return inner(inner(b));
  }
  return twice(x) + inner(y) * x;
}

/** @differentiable */
export function callsInLoop(x: number): number {
  let s = 0;
  for (let i = 0; i < 5; i++) {
    s += square(x - i) * affine(x, 0.5, i);
  }
  return s;
}

/** @differentiable */
export function callsInBranches(x: number, y: number): number {
  if (square(x) > y) {
    return affine(y, x, x);
  }
  return stage2(y) * x;
}

/** @differentiable */
function sumSquares(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += square(x);
  return s;
}

/** @differentiable */
export function arrayThroughCalls(xs: number[]): number {
  const ys: number[] = [];
  for (const x of xs) ys.push(affine(x, 2, -1));
  return Math.sqrt(sumSquares(ys));
}

/** @differentiable(wrt: x) */
export function fib(x: number, n: number): number {
  // Fibonacci-like recursion on a smooth function of x
  if (n < 2) return n === 0 ? 1 : x;
  return fib(x, n - 1) * 0.5 + fib(x, n - 2) * x;
}

/** @differentiable */
export function useFib(x: number): number {
  return fib(x, 6);
}

/** @differentiable */
function normalize(p: { x: number; y: number }): { x: number; y: number } {
  const n = Math.hypot(p.x, p.y);
  return { x: p.x / n, y: p.y / n };
}

/** @differentiable */
export function objectReturningCall(x: number, y: number): number {
  const u = normalize({ x, y });
  const [a, b] = pair(x);
  return u.x * a + u.y * b;
}

/** @differentiable */
function pair(x: number): [number, number] {
  return [Math.cos(x), Math.sin(x) * x];
}

/** @differentiable */
function scaledByDefault(x: number, y: number = x * 2): number {
  return x * y;
}

/** @differentiable */
export function callsWithDefault(x: number): number {
  // the omitted argument takes its default, which depends on x
  return scaledByDefault(x) + scaledByDefault(x, 3);
}

export const cases: CorpusCase[] = [
  { name: "callsWithDefault", args: () => [0.7], secondOrder: true },
  { name: "callHelpers", args: () => [0.7, -1.2] },
  { name: "callChain", args: () => [0.9], secondOrder: true },
  { name: "powRec", args: () => [1.1, 11], wrt: [0] },
  { name: "useRecursion", args: () => [0.95], secondOrder: true },
  { name: "isEvenish", args: () => [0.4, 4], wrt: [0] },
  { name: "mutualEntry", args: () => [0.4], secondOrder: true },
  { name: "nestedDeclaration", args: () => [0.6, 1.3] },
  { name: "callsInLoop", args: () => [1.7], secondOrder: true },
  { name: "callsInBranches", label: "callsInBranches@then", args: () => [1.5, 0.4] },
  { name: "callsInBranches", label: "callsInBranches@else", args: () => [0.5, 0.4] },
  { name: "arrayThroughCalls", args: () => [[0.3, 1.4, -0.8]] },
  { name: "useFib", args: () => [0.8], secondOrder: true },
  { name: "objectReturningCall", args: () => [0.6, -1.4] },
];
