// Array methods with callbacks, inlined into loops by normalization: map, forEach, filter,
// flatMap, reduce/reduceRight (with and without an initial value), some/every, find/findIndex
// (and their Last forms), Array.from, entries/keys/values in for…of, concat, indexOf-style queries.
// Callbacks read and write the enclosing function's variables; derivatives flow to what they capture.
import type { CorpusCase } from "./types";

/** @differentiable */
export function mapThenSum(xs: number[], k: number): number {
  const ys = xs.map((x, i) => x * k + i);
  let s = 0;
  for (const y of ys) s += y * y;
  return s;
}

/** @differentiable */
export function reduceWithInitial(xs: number[], w: number): number {
  return xs.reduce((acc, x, i) => acc + Math.sin(x * w) * (i + 1), 0.5);
}

/** @differentiable */
export function reduceWithoutInitial(xs: number[]): number {
  return xs.reduce((a, b) => a * b + Math.exp(b / 4));
}

/** @differentiable */
export function reduceRightHorner(coeffs: number[], x: number): number {
  // coeffs[0] + x * (coeffs[1] + x * (…)), folded from the right
  return coeffs.reduceRight((acc, c) => acc * x + c, 0);
}

/** @differentiable */
export function reduceRightWithoutInitial(xs: number[]): number {
  return xs.reduceRight((a, b) => a / (1 + b * b));
}

/** @differentiable */
export function forEachCapturesAndWrites(xs: number[], k: number): number {
  let s = 0;
  let count = 0;
  xs.forEach((x) => {
    s += Math.tanh(x * k);
    count++;
  });
  xs.forEach((x) => (s = s * 0.9 + x));
  return s / count;
}

/** @differentiable */
export function filterPositiveSquares(xs: number[], shift: number): number {
  const pos = xs.filter((x) => x - shift > 0);
  let s = 0;
  for (const p of pos) s += p * p * shift;
  return s;
}

/** @differentiable */
export function blockCallbackWithReturns(xs: number[], lim: number): number {
  const clipped = xs.map((x) => {
    if (x > lim) return lim + Math.log(x - lim + 1);
    if (x < -lim) {
      const d = -lim - x;
      return -lim - d / (1 + d);
    }
    return x;
  });
  return clipped.reduce((a, b) => a + b * b, 0);
}

/** @differentiable */
export function someEveryDecide(xs: number[], k: number): number {
  const big = xs.some((x) => x * k > 2);
  const allPos = xs.every((x) => x > 0);
  return (big ? k * k : k) + (allPos ? xs[0] * k : xs[1]);
}

/** @differentiable */
export function findAndIndex(xs: number[], t: number): number {
  const first = xs.find((x) => x > t);
  const i = xs.findIndex((x) => x > t);
  const last = xs.findLast((x) => x < t) ?? 0;
  const j = xs.findLastIndex((x) => x < t);
  return (first ?? 0) * t + i + last * last + j * t;
}

/** @differentiable */
export function flatMapPairs(xs: number[], k: number): number {
  const pairs = xs.flatMap((x) => [x, x * k]);
  const mixed = xs.flatMap((x, i) => (i % 2 === 0 ? [x, x] : x * k));
  let s = 0;
  for (let i = 0; i < pairs.length; i++) s += pairs[i] * (i + 1);
  for (const m of mixed) s += Math.sin(m);
  return s;
}

/** @differentiable(wrt: x) */
export function arrayFromLength(x: number, n: number): number {
  const powers = Array.from({ length: n }, (_, i) => x ** (i + 1) / (i + 1));
  const copy = Array.from(powers);
  const scaled = Array.from(copy, (p, i) => p * (n - i));
  return scaled.reduce((a, b) => a + b, 0);
}

/** @differentiable */
export function entriesKeysValues(xs: number[], w: number): number {
  let s = 0;
  for (const [i, x] of xs.entries()) s += x * (i + w);
  for (const i of xs.keys()) s += xs[i] * w;
  for (const v of xs.values()) s += v * v;
  return s;
}

/** @differentiable */
export function concatAndQueries(a: number[], b: number[], x: number): number {
  const all = a.concat(b, [x, x * x], x / 2);
  const where = all.indexOf(x);
  const has = all.includes(x * x) ? 1 : 0;
  let s = 0;
  for (const v of all) s += v * v;
  return s + where * x + has + (Array.isArray(b) ? b[0] : 0);
}

/** @differentiable */
export function chainedMethods(xs: number[], k: number): number {
  return xs
    .map((x) => x * k)
    .filter((y) => y > 0)
    .map((y) => Math.sqrt(y))
    .reduce((a, b) => a + b, 0);
}

/** @differentiable */
export function nestedCallbacks(m: number[][], v: number[]): number {
  const rows = m.map((row) => row.reduce((acc, e, j) => acc + e * v[j], 0));
  return rows.map((r) => r * r).reduce((a, b) => a + b, 0);
}

/** @differentiable */
export function squared(x: number): number {
  return x * x + Math.sin(x);
}

/** @differentiable */
export function markedCallback(xs: number[]): number {
  const local = (x: number) => x * 3 + 1;
  return xs.map(squared).map(local).reduce((a, b) => a + b, 0);
}

/** @differentiable */
export function callbackInLoop(xs: number[], x: number): number {
  // the callback's `let` starts afresh each call, and each outer iteration rebuilds the array
  let total = 0;
  for (let r = 1; r <= 3; r++) {
    const scaled = xs.map((v) => {
      let t;
      if (v > 0) t = v * r;
      return (t ?? v) * x;
    });
    total += scaled.reduce((a, b) => a + b * b, 0);
  }
  return total;
}

/** @differentiable */
export function functionCallback(xs: number[], k: number): number {
  return xs.map(function (x) {
    return x * k - 1;
  }).reduce(function (a, b) {
    return a + Math.cos(b);
  }, 0);
}

/** @differentiable */
export function objectsInCallbacks(ps: { x: number; y: number }[], s: number): number {
  const moved = ps.map((p) => ({ x: p.x + s * p.y, y: p.y * s }));
  return moved.reduce((acc, p) => acc + p.x * p.y, 0);
}

/** @differentiable */
export function fillInPlace(xs: number[], x: number): number {
  // fill on arrays the function has: element writes, with fill's index rules.
  const ys = xs.slice();
  ys.fill(x * x, 1);
  ys.fill(Math.sin(x), -1);
  const zs = new Array(4).fill(0);
  zs.fill(x, 1, 3);
  let s = 0;
  for (let i = 0; i < ys.length; i++) s += ys[i] * (i + 1) + zs[i % 4] * xs[i];
  return s + ys.fill(0.5, 10).length;
}

export const cases: CorpusCase[] = [
  { name: "fillInPlace", args: () => [[0.3, -1.2, 2, 0.5], 0.7] },
  { name: "mapThenSum", args: () => [[0.5, -1.2, 2], 0.7] },
  { name: "reduceWithInitial", args: () => [[0.3, -0.8, 1.1], 1.3] },
  { name: "reduceWithoutInitial", args: () => [[0.6, 1.4, -0.5, 0.9]] },
  { name: "reduceRightHorner", args: () => [[1, -2, 0.5, 0.25], 1.3] },
  { name: "reduceRightWithoutInitial", args: () => [[0.6, 1.4, -0.5]] },
  { name: "forEachCapturesAndWrites", args: () => [[0.4, -0.9, 1.6], 0.8] },
  { name: "filterPositiveSquares", args: () => [[0.5, -1.5, 2.25, 1.1], 0.3] },
  { name: "blockCallbackWithReturns", args: () => [[0.4, 2.5, -3.1, -0.2], 1.2] },
  { name: "someEveryDecide", args: () => [[0.4, 1.5, 2.5], 1.1] },
  { name: "someEveryDecide", label: "someEveryDecide@none", args: () => [[0.4, -1.5, 0.5], 0.9] },
  { name: "findAndIndex", args: () => [[0.2, 1.4, -0.6, 2.2], 1.1] },
  { name: "findAndIndex", label: "findAndIndex@missing", args: () => [[0.2, 0.4], 1.1] },
  { name: "flatMapPairs", args: () => [[0.3, -0.7, 1.2], 1.5] },
  { name: "arrayFromLength", args: () => [0.8, 4], wrt: [0] },
  { name: "entriesKeysValues", args: () => [[0.3, -0.7, 1.2], 0.5] },
  { name: "concatAndQueries", args: () => [[0.3, 1.5], [-0.7, 2], 1.7] },
  { name: "chainedMethods", args: () => [[0.3, -0.7, 1.2, 2.5], 1.4] },
  { name: "nestedCallbacks", args: () => [[[1, 0.5], [-0.25, 2]], [0.7, -1.1]] },
  { name: "markedCallback", args: () => [[0.3, -0.7, 1.2]] },
  { name: "callbackInLoop", args: () => [[0.3, -0.7, 1.2], 0.9] },
  { name: "functionCallback", args: () => [[0.3, -0.7, 1.2], 0.9] },
  { name: "objectsInCallbacks", args: () => [[{ x: 0.3, y: 1.2 }, { x: -0.5, y: 0.4 }], 0.8] },
];
