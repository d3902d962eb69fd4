// Arrays: number[] and tuple parameters, element reads/writes, literals, push,
// new Array(n).fill(0), length, for…of, destructuring.
import type { CorpusCase } from "./types";

/** @differentiable */
export function sum(xs: number[]): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}

/** @differentiable */
export function dotProduct(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
  }
  return s;
}

/** @differentiable */
export function norm2(v: number[]): number {
  let s = 0;
  for (const x of v) {
    s += x * x;
  }
  return Math.sqrt(s);
}

/** @differentiable */
export function logSumExp(xs: number[]): number {
  let m = xs[0];
  for (const x of xs) if (x > m) m = x;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** @differentiable */
export function horner(coeffs: number[], x: number): number {
  let r = 0;
  for (let i = coeffs.length - 1; i >= 0; i--) {
    r = r * x + coeffs[i];
  }
  return r;
}

/** @differentiable */
export function tupleParam(p: [number, number], q: [number, number, number]): number {
  return p[0] * q[2] - p[1] * q[0] + q[1] * q[1];
}

/** @differentiable */
export function tupleDestructuring(p: [number, number, number]): number {
  const [a, b, c] = p;
  const [u, v] = [a * b, b + c];
  return u * v - c;
}

/** @differentiable */
export function arrayLiteral(x: number, y: number): number {
  const v = [x, y, x * y, Math.sin(x)];
  return v[0] * v[3] + v[1] * v[2] + v.length;
}

/** @differentiable */
export function pushThenReduce(x: number): number {
  const ys: number[] = [];
  for (let i = 0; i < 6; i++) {
    ys.push(Math.cos(x * i) + i);
  }
  let prod = 1;
  for (const y of ys) prod *= y;
  return prod / ys.length;
}

/** @differentiable */
export function pushInputDependent(x: number): number {
  // grows until the running value passes 5: length depends on x
  const ys: number[] = [x];
  while (ys[ys.length - 1] < 5) {
    ys.push(ys[ys.length - 1] * 1.7 + 0.2);
  }
  let s = 0;
  for (let i = 0; i < ys.length; i++) s += ys[i] / (i + 1);
  return s;
}

/** @differentiable */
export function fillAccumulator(xs: number[]): number {
  const acc = new Array(3).fill(0);
  for (let i = 0; i < xs.length; i++) {
    acc[i % 3] += xs[i] * xs[i];
  }
  return acc[0] - 2 * acc[1] + 3 * acc[2];
}

/** @differentiable */
export function prefixSums(xs: number[]): number {
  const ps = new Array(xs.length).fill(0);
  ps[0] = xs[0];
  for (let i = 1; i < xs.length; i++) ps[i] = ps[i - 1] + xs[i];
  let s = 0;
  for (const p of ps) s += p * p;
  return s;
}

/** @differentiable */
export function writeLocalCopy(xs: number[]): number {
  const ys: number[] = [];
  for (const x of xs) ys.push(x);
  for (let i = 0; i < ys.length; i++) {
    ys[i] = ys[i] * (i + 1);
  }
  ys[0] *= ys[ys.length - 1];
  return sum(ys);
}

/** @differentiable */
export function writeParamElements(input: number[]): number {
  // a parameter belongs to the caller: write into a copy (writing into `input` is CT1004)
  const xs = input.slice();
  for (let i = 1; i < xs.length; i++) {
    xs[i] = xs[i] + xs[i - 1] * 0.5;
  }
  return xs[xs.length - 1] * xs[0];
}

/** @differentiable */
export function matrixQuadForm(m: number[][], v: number[]): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) {
    for (let j = 0; j < m[i].length; j++) {
      s += v[i] * m[i][j] * v[j];
    }
  }
  return s;
}

/** @differentiable */
export function matVecNorm(m: number[][], v: number[]): number {
  const out: number[] = [];
  for (const row of m) {
    let acc = 0;
    for (let j = 0; j < row.length; j++) acc += row[j] * v[j];
    out.push(acc);
  }
  return norm2(out);
}

/** @differentiable */
export function softmaxEntropy(xs: number[]): number {
  const n = xs.length;
  const e = new Array(n).fill(0);
  let z = 0;
  for (let i = 0; i < n; i++) {
    e[i] = Math.exp(xs[i]);
    z += e[i];
  }
  let h = 0;
  for (let i = 0; i < n; i++) {
    const p = e[i] / z;
    h -= p * Math.log(p);
  }
  return h;
}

/** @differentiable */
export function maxElement(xs: number[]): number {
  let best = xs[0];
  for (const x of xs) {
    best = Math.max(best, x);
  }
  return best * best;
}

/** @differentiable */
export function reverseAndWeighStatements(xs: number[]): number {
  const r: number[] = [];
  for (let i = xs.length - 1; i >= 0; i--) r.push(xs[i]);
  let s = 0;
  let w = 0;
  for (const x of r) {
    w++;
    s += x * w;
  }
  return s;
}

/** @differentiable */
export function firstPositive(xs: number[]): number {
  for (const x of xs) {
    if (x > 0) return x * x;
  }
  return 0;
}

/** @differentiable */
export function convolve(signal: number[], kernel: [number, number, number]): number {
  let s = 0;
  for (let i = 1; i + 1 < signal.length; i++) {
    const c = kernel[0] * signal[i - 1] + kernel[1] * signal[i] + kernel[2] * signal[i + 1];
    s += c * c;
  }
  return s;
}

/** @differentiable */
export function fillWithInput(x: number): number {
  const b: number[] = new Array(3).fill(x);
  b[1] = b[1] * b[2];
  return b[0] + b[1] + Math.max(b[2]);
}

/** @differentiable */
export function pushedPair(x: number): number[] {
  const r: number[] = [];
  r.push(x);
  r.push(x * x);
  return r;
}

/** @differentiable */
export function pushedPairInLoop(x: number): number {
  // the callee's pullback undoes its pushes: the array it returned must not change
  let a = 0;
  for (let i = 0; i < 2; i++) a += pushedPair(x * (i + 1))[1];
  return a;
}

/** @differentiable */
export function shiftWithinArray(x: number): number {
  // an element copied within an array of numbers is not an alias
  const w = [x, 2 * x, 3 * x];
  w[0] = w[1];
  return w[0] * w[2];
}

/** @differentiable */
export function iterateOneRowWriteAnother(x: number): number {
  // m[0] is iterated while m[1] is written: different rows, no aliasing
  const m = [[x, 1], [2, x]];
  for (const e of m[0]) m[1][0] += e;
  return m[1][0] * m[1][1];
}

export const cases: CorpusCase[] = [
  { name: "shiftWithinArray", args: () => [1.3], secondOrder: true },
  { name: "iterateOneRowWriteAnother", args: () => [1.3], secondOrder: true },
  { name: "pushedPairInLoop", args: () => [0.3], secondOrder: true },
  { name: "fillWithInput", args: () => [0.7], secondOrder: true },
  { name: "sum", args: () => [[0.5, -1.5, 2.25]] },
  { name: "dotProduct", args: () => [[1, 2, 3], [0.5, -0.25, 0.125]] },
  { name: "norm2", args: () => [[3, -4, 1.5]] },
  { name: "logSumExp", args: () => [[0.1, 1.7, -0.3, 0.9]] },
  { name: "horner", args: () => [[1, -2, 0.5, 0.25], 1.3] },
  { name: "tupleParam", args: () => [[0.3, 1.2], [-0.5, 2, 0.7]] },
  { name: "tupleDestructuring", args: () => [[0.6, -1.1, 2.3]] },
  { name: "arrayLiteral", args: () => [0.4, 1.6] },
  { name: "pushThenReduce", args: () => [0.27], secondOrder: true },
  { name: "pushInputDependent", label: "pushInputDependent@long", args: () => [0.35], secondOrder: true },
  { name: "pushInputDependent", label: "pushInputDependent@short", args: () => [4.1], secondOrder: true },
  { name: "fillAccumulator", args: () => [[0.3, 1.1, -0.7, 2, 0.5, -1.2, 0.9]] },
  { name: "prefixSums", args: () => [[1.5, -0.5, 0.25, 2]] },
  { name: "writeLocalCopy", args: () => [[0.2, 0.7, -1.3]] },
  { name: "writeParamElements", args: () => [[0.5, 1.5, -0.5, 2]] },
  { name: "matrixQuadForm", args: () => [[[1, 0.5], [-0.25, 2]], [0.7, -1.1]] },
  { name: "matVecNorm", args: () => [[[1, 0.5, 0], [-0.25, 2, 1]], [0.7, -1.1, 0.3]] },
  { name: "softmaxEntropy", args: () => [[0.2, -0.4, 1.1]] },
  { name: "maxElement", args: () => [[0.3, 2.2, -1.5, 1.9]] },
  { name: "reverseAndWeighStatements", args: () => [[1, 2, 3, 4]] },
  { name: "firstPositive", label: "firstPositive@found", args: () => [[-1, -0.5, 0.8, 3]] },
  { name: "firstPositive", label: "firstPositive@none", args: () => [[-1, -0.5]] },
  { name: "convolve", args: () => [[0.1, 0.5, -0.2, 0.9, 1.3], [0.25, 0.5, 0.25]] },
];
