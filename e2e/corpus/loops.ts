// Loops: for, for…of, while, do…while, break, continue, return inside loops, nesting,
// trip counts that depend on the input.
import type { CorpusCase } from "./types";

/** @differentiable(wrt: x) */
export function powerLoop(x: number, n: number): number {
  let r = 1;
  for (let i = 0; i < n; i++) {
    r *= x;
  }
  return r;
}

/** @differentiable */
export function taylorExp(x: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 20; k++) {
    term = (term * x) / k;
    sum += term;
  }
  return sum;
}

/** @differentiable */
export function newtonSqrt(a: number): number {
  let x = a;
  for (let i = 0; i < 8; i++) {
    x = 0.5 * (x + a / x);
  }
  return x;
}

/** @differentiable */
export function halveUntilSmall(x: number): number {
  // the trip count depends on x
  let v = x;
  let count = 0;
  while (v > 1) {
    v = v / 2;
    count++;
  }
  return v * v + count;
}

/** @differentiable */
export function doWhileGrowth(x: number): number {
  let v = x;
  let steps = 0;
  do {
    v = v * 1.5 + 0.1;
    steps += 1;
  } while (v < 10 && steps < 50);
  return v;
}

/** @differentiable */
export function breakOnThreshold(x: number): number {
  let acc = 0;
  for (let i = 1; i <= 100; i++) {
    acc += x / i;
    if (acc > 3) break;
  }
  return acc * acc;
}

/** @differentiable */
export function continueOddSkips(x: number): number {
  let s = 0;
  for (let i = 0; i < 10; i++) {
    if (i % 2 === 1) continue;
    s += Math.sin(x * i);
  }
  return s;
}

/** @differentiable */
export function returnInsideLoop(x: number): number {
  let v = x;
  for (let i = 0; i < 100; i++) {
    v = v * v + 0.25;
    if (v > 2) {
      return v + i;
    }
  }
  return -v;
}

/** @differentiable */
export function whileReturn(x: number, y: number): number {
  let a = x;
  let b = y;
  while (true) {
    a = a + b * 0.1;
    b = b * 0.9;
    if (a > 5) return a * b;
    if (b < 0.01) return a;
  }
}

/** @differentiable */
export function nestedLoops(x: number, y: number): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j <= i; j++) {
      s += (x * i - y * j) * (x + j);
    }
  }
  return s;
}

/** @differentiable */
export function nestedBreakContinue(x: number): number {
  let s = 0;
  for (let i = 0; i < 6; i++) {
    if (i === 2) continue;
    let t = x;
    let j = 0;
    while (true) {
      t = t * 0.8 + i;
      j++;
      if (j > i) break;
      if (t > 20) break;
    }
    s += t;
  }
  return s;
}

/** @differentiable */
export function loopWithBranch(x: number): number {
  let v = x;
  for (let i = 0; i < 12; i++) {
    if (v > 1) {
      v = Math.sqrt(v);
    } else {
      v = v * 2 + 0.1;
    }
  }
  return v;
}

/** @differentiable */
export function countingDownStatements(x: number): number {
  let r = 0;
  let i = 5;
  while (i > 0) {
    i--;
    r = r * x + i;
  }
  return r;
}

/** @differentiable */
export function bisectionStep(x: number): number {
  // fixed number of damped iterations towards the root of t^3 - x
  let t = 1;
  for (let k = 0; k < 30; k++) {
    t = t - (t * t * t - x) / (3 * t * t);
  }
  return t;
}

/** @differentiable */
export function loopLocalScopes(x: number): number {
  let total = 0;
  for (let i = 0; i < 3; i++) {
    const a = x * (i + 1);
    let b = a * a;
    {
      const c = Math.cos(b);
      b += c;
    }
    total += b;
  }
  return total;
}

/** @differentiable(wrt: x) */
export function trigRecurrence(x: number, n: number): number {
  // Chebyshev-like recurrence with a trip count given by n
  let a = 1;
  let b = x;
  for (let k = 1; k < n; k++) {
    const c = 2 * x * b - a;
    a = b;
    b = c;
  }
  return b;
}

/** @differentiable */
export function forOfReassigned(x: number): number {
  // for…of keeps iterating the array it started with
  let a = [x, 2 * x];
  let s = 0;
  for (const v of a) {
    s += v * v;
    a = [v, v * 3, v];
  }
  return s + a[1];
}

/** @differentiable */
export function letWithoutInitInLoop(x: number): number {
  // `let t;` starts undefined in every iteration
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let t: number | undefined;
    if (i % 2 === 0) t = x * (i + 1);
    s += (t ?? 1) * x;
  }
  return s;
}

/** Recomputed in the pullback (tape plan): a loop-local value of x and the counter, a chain on it, branches on both. */
/** @differentiable */
export function recomputedChain(x: number): number {
  let s = 0;
  for (let i = 0; i < 40; i += 2) {
    const t = (x * (i - 20)) / 20;
    const u = t * t - x;
    if (u > 0.1 && t > 0) {
      s = s + u * t;
    } else if (i > 30) {
      s = s - u;
    } else {
      s = s + Math.sin(u) * t;
    }
  }
  return s;
}

/** Recomputation in an inner loop, with a counter stepped down and an outer counter read through a local. */
/** @differentiable */
export function recomputedNested(x: number, y: number): number {
  let s = 0;
  for (let j = 0; j < 3; j++) {
    const w = y * j;
    for (let i = 5; i > 0; i--) {
      const t = x * i - w;
      if (t < 1) {
        s = s + t * t * y;
      } else {
        s = s + Math.log(t) * x;
      }
    }
  }
  return s;
}

/** Not recomputable: the value reads a variable the body changes after it (saved, and the branch recorded). */
/** @differentiable */
export function recomputeRefused(x: number): number {
  let s = 0;
  let y = x;
  for (let i = 0; i < 12; i++) {
    const t = y * (i + 1);
    if (t > 1) {
      s = s + t * x;
    } else {
      s = s + t * t;
    }
    y = y * 0.7 + 0.1;
  }
  return s;
}

/** Not recomputable: the value is read before its assignment in the body (the previous iteration's value), so it is saved. */
/** @differentiable */
export function readBeforeRecompute(x: number): number {
  let s = 0;
  let t: number;
  for (let i = 0; i < 8; i++) {
    if (i > 0) {
      s = s + t! * t! * x;
    }
    t = x * (i + 1);
  }
  return s;
}

export const cases: CorpusCase[] = [
  { name: "recomputedChain", label: "recomputedChain@positive", args: () => [0.8], secondOrder: true },
  { name: "recomputedChain", label: "recomputedChain@negative", args: () => [-1.3], secondOrder: true },
  { name: "recomputedNested", args: () => [0.45, 1.7] },
  { name: "recomputeRefused", args: () => [0.6], secondOrder: true },
  { name: "readBeforeRecompute", args: () => [0.6], secondOrder: true },
  { name: "forOfReassigned", args: () => [0.7], secondOrder: true },
  { name: "letWithoutInitInLoop", args: () => [0.7], secondOrder: true },
  { name: "powerLoop", args: () => [1.3, 5], wrt: [0] },
  { name: "taylorExp", args: () => [0.9], secondOrder: true },
  { name: "newtonSqrt", args: () => [2.7], secondOrder: true },
  { name: "halveUntilSmall", label: "halveUntilSmall@3trips", args: () => [6.3], secondOrder: true },
  { name: "halveUntilSmall", label: "halveUntilSmall@0trips", args: () => [0.7], secondOrder: true },
  { name: "doWhileGrowth", label: "doWhileGrowth@many", args: () => [0.3], secondOrder: true },
  { name: "doWhileGrowth", label: "doWhileGrowth@once", args: () => [12], secondOrder: true },
  { name: "breakOnThreshold", args: () => [0.85], secondOrder: true },
  { name: "continueOddSkips", args: () => [0.3], secondOrder: true },
  { name: "returnInsideLoop", label: "returnInsideLoop@return", args: () => [1.1], secondOrder: true },
  { name: "returnInsideLoop", label: "returnInsideLoop@after", args: () => [0.2] },
  { name: "whileReturn", label: "whileReturn@first", args: () => [4.5, 2] },
  { name: "whileReturn", label: "whileReturn@second", args: () => [0.5, 0.3] },
  { name: "nestedLoops", args: () => [0.7, -0.4] },
  { name: "nestedBreakContinue", args: () => [1.3], secondOrder: true },
  { name: "loopWithBranch", args: () => [3.7], secondOrder: true },
  { name: "countingDownStatements", args: () => [0.6], secondOrder: true },
  { name: "bisectionStep", args: () => [2.4], secondOrder: true },
  { name: "loopLocalScopes", args: () => [0.45], secondOrder: true },
  { name: "trigRecurrence", args: () => [0.37, 6], wrt: [0] },
];
