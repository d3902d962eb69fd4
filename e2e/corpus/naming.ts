// Local names that collide with generated ones (a tangent `d` + name, an adjoint `b` + name)
// when prefixed: `o` → `do` is a reserved word. Own file, so a failure does not hide others.
import type { CorpusCase } from "./types";

/** @differentiable */
export function objectLiteral(x: number, y: number): number {
  const o = { a: x * y, b: { c: x + y, d: [x, y] } };
  o.b.c *= 2;
  o.b.d[1] = o.a - o.b.d[0];
  return o.a + o.b.c * o.b.d[1];
}

/** @differentiable */
export function paramNamedO(o: { w: number[]; b: number }, x: number): number {
  let s = o.b;
  for (let i = 0; i < o.w.length; i++) s += o.w[i] * x ** i;
  return Math.tanh(s);
}

/** @differentiable */
export function shortNames(f: number, i: number): number {
  let e = f * i;
  let n = e + f;
  const t = [n, e];
  let r = t[0] * t[1];
  let b = r - n;
  return b * f + e;
}

export const cases: CorpusCase[] = [
  { name: "objectLiteral", args: () => [0.8, -0.3] },
  { name: "paramNamedO", args: () => [{ w: [0.3, -0.2, 0.5], b: 0.1 }, 0.9] },
  { name: "shortNames", args: () => [0.7, -1.2] },
];
