// Everyday syntax inside marked functions: array spread and rest elements, spread arguments,
// optional chaining with `??`, labeled break/continue, try/finally.
import type { CorpusCase } from "./types";

/** @differentiable */
export function spreadLiteral(xs: number[], y: number): number {
  const all = [y, ...xs, y * y, ...[1, y]];
  let s = 0;
  for (let i = 0; i < all.length; i++) s += all[i] * (i + 1);
  return s;
}

/** @differentiable */
export function spreadPushAndMax(xs: number[], y: number): number {
  const out: number[] = [y];
  out.push(...xs, y * 2);
  return Math.max(...out) + Math.min(0.5, ...xs, y) * y + out.length;
}

/** @differentiable */
export function weigh3(a: number, b: number, c: number): number {
  return a * 3 + b * b + Math.sin(c);
}

/** @differentiable */
export function spreadCallArguments(p: [number, number, number], q: [number, number], x: number): number {
  return weigh3(...p) + weigh3(x, ...q) + weigh3(x, x, ...([p[0]] as [number]));
}

/** @differentiable */
export function restElements(xs: number[]): number {
  const [first, second, ...rest] = xs;
  let s = first * second;
  for (const r of rest) s += r * r;
  const [, ...tail] = rest;
  return s + tail.length * first;
}

interface Options {
  scale?: number;
  offset?: { x: number; y?: number };
}

/** @differentiable */
export function optionalFields(x: number, o: Options): number {
  const scale = o?.scale ?? 1;
  const ox = o.offset?.x ?? 0;
  const oy = o.offset?.y ?? -1;
  return scale * x * x + ox * x + oy;
}

/** @differentiable */
export function optionalElements(xs: number[], k: number): number {
  const ys: (number[] | undefined)[] = [xs, undefined];
  const a = ys[0]?.[1] ?? 0;
  const b = ys[1]?.[0] ?? k;
  return a * k + b * b;
}

/** @differentiable */
export function labeledLoops(m: number[][], t: number): number {
  let s = 0;
  outer: for (let i = 0; i < m.length; i++) {
    for (let j = 0; j < m[i].length; j++) {
      if (m[i][j] > t * 4) break outer;
      if (m[i][j] < 0) continue outer;
      s += m[i][j] * t;
    }
    s *= 1.5;
  }
  return s;
}

/** @differentiable */
export function labeledWhile(x: number): number {
  let v = x;
  let n = 0;
  rows: while (n < 4) {
    n++;
    let k = 0;
    do {
      k++;
      if (k === 2) continue rows;
      v = v * 0.5 + Math.sin(v);
    } while (k < 3);
    v += 100; // never reached: `continue rows` always fires at k === 2
  }
  return v;
}

/** @differentiable */
export function labeledBlock(x: number): number {
  let r = x;
  check: {
    if (x < 0) break check;
    r = Math.sqrt(x) * r;
  }
  return r;
}

/** @differentiable */
export function tryFinally(xs: number[], k: number): number {
  let s = 0;
  let calls = 0;
  for (const x of xs) {
    try {
      if (x < 0) continue;
      s += Math.exp(x * k);
      if (s > 50) return s;
    } finally {
      calls++;
      s *= 0.9;
    }
  }
  return s / calls;
}

/** @differentiable */
export function objectSpread(p: { x: number; y: number }, s: number): number {
  const q = { ...p, y: p.y * s };
  const r = { z: s, ...q };
  const t = { ...r, ...{ w: r.x * 2 } };
  return r.x * r.y + r.z * q.x + t.w * t.z;
}

/** @differentiable */
export function sumSquares(...xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x * x;
  return s;
}

/** @differentiable */
export function weightedRest(w: number, ...xs: number[]): number {
  // Calls of a rest function pack their trailing arguments (spreads too), also with none.
  const inner = (scale: number, ...ys: number[]) => ys.reduce((acc, y) => acc + scale * Math.sin(y), 0);
  return xs.reduce((acc, x, i) => acc + w * x * (i + 1), 0) + sumSquares(w, ...xs) + sumSquares() + inner(w, w, ...xs) + xs.length;
}

/** @differentiable(wrt: xs) */
export function restOnly(scale: number, ...xs: number[]): number {
  return scale * sumSquares(...xs) + Math.max(...xs);
}

export const cases: CorpusCase[] = [
  { name: "objectSpread", args: () => [{ x: 0.7, y: -1.3 }, 1.4] },
  { name: "spreadLiteral", args: () => [[0.3, -1.2, 2], 0.7] },
  { name: "spreadPushAndMax", args: () => [[0.3, -1.2, 2], 0.7] },
  { name: "spreadPushAndMax", label: "spreadPushAndMax@yWins", args: () => [[0.3, -1.2, 0.2], 1.4] },
  { name: "spreadCallArguments", args: () => [[0.3, -1.2, 2], [1.1, -0.4], 0.7] },
  { name: "restElements", args: () => [[0.3, -1.2, 2, 0.5, 1.5]] },
  { name: "sumSquares", args: () => [0.3, -1.2, 2] },
  // A differentiated rest parameter's gradient is an array even for one argument (or none), as its type says.
  { name: "sumSquares", label: "sumSquares@one", args: () => [0.7], expectedGradient: (x: number) => [2 * x] },
  { name: "weightedRest", args: () => [0.8, 0.3, -1.2, 2] },
  { name: "weightedRest", label: "weightedRest@noRest", args: () => [0.8], expectedGradient: (w: number) => [2 * w + Math.sin(w) + w * Math.cos(w)] },
  { name: "restOnly", args: () => [1.5, 0.3, -1.2, 2], wrt: [1, 2, 3] },
  { name: "optionalFields", label: "optionalFields@full", args: () => [0.7, { scale: 2, offset: { x: 0.5, y: 0.25 } }] },
  { name: "optionalFields", label: "optionalFields@partial", args: () => [0.7, { offset: { x: 0.5 } }] },
  { name: "optionalFields", label: "optionalFields@empty", args: () => [0.7, {}] },
  { name: "optionalElements", args: () => [[0.3, -1.2], 0.7] },
  { name: "labeledLoops", args: () => [[[0.5, 1, -0.2, 0.3], [0.25, 0.75], [9, 1]], 0.8] },
  { name: "labeledWhile", args: () => [0.6], secondOrder: true },
  { name: "labeledBlock", label: "labeledBlock@positive", args: () => [0.6], secondOrder: true },
  { name: "labeledBlock", label: "labeledBlock@negative", args: () => [-0.6], secondOrder: true },
  { name: "tryFinally", args: () => [[0.3, -1.2, 0.9], 0.7] },
  { name: "tryFinally", label: "tryFinally@early", args: () => [[2, 1.5, 0.9], 2] },
];
