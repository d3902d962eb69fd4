// ++ / -- used inside expressions (prefix and postfix values). Kept in their own file so a
// host that rejects them does not take the other corpus files down.
import type { CorpusCase } from "./types";

/** @differentiable */
export function incDec(x: number): number {
  let a = x;
  a++;
  ++a;
  let b = a-- * 2;
  b += --a;
  return a * b;
}

/** @differentiable */
export function reverseAndWeigh(xs: number[]): number {
  const r: number[] = [];
  for (let i = xs.length - 1; i >= 0; i--) r.push(xs[i]);
  let s = 0;
  let i = 0;
  for (const x of r) {
    s += x * ++i;
  }
  return s;
}

/** @differentiable */
export function countingDown(x: number): number {
  let r = 0;
  let i = 5;
  while (i-- > 0) {
    r = r * x + i;
  }
  return r;
}

/** @differentiable */
export function incInValueIndex(xs: number[], x: number): number {
  // the target's index is evaluated before the right-hand side's i++ (JavaScript order)
  const a = [0, 0, 0];
  let i = 0;
  a[i] = xs[i++] * x;
  a[i] = xs[i++] * x * x;
  return a[0] + 10 * a[1] + 100 * a[2];
}

export const cases: CorpusCase[] = [
  { name: "incInValueIndex", args: () => [[1, 2, 3], 0.7] },
  { name: "incDec", args: () => [0.45], secondOrder: true },
  { name: "reverseAndWeigh", args: () => [[1, 2, 3, 4]] },
  { name: "countingDown", args: () => [0.6], secondOrder: true },
];
