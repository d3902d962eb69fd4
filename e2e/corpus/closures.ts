// Arrow functions: `differentiable(...)` arrows, JSDoc-marked arrow consts, and local
// arrows capturing outer variables (captured values are constants). Also withoutDerivative.
import { differentiable, withoutDerivative } from "@cotangent/runtime";
import type { CorpusCase } from "./types";

const SCALE = 2.5;
const WEIGHTS = [0.5, -1.25, 2];
const ORIGIN = { x: 0.3, y: -0.1 };

export const softClip = differentiable((x: number): number => 2 * Math.tanh(x / 2));

export const swish = differentiable((x: number): number => {
  const s = 1 / (1 + Math.exp(-x));
  return x * s;
});

export const weightedSum = differentiable((xs: number[]): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += WEIGHTS[i % WEIGHTS.length] * xs[i];
  return s;
});

export const composeArrows = differentiable((x: number, y: number): number => softClip(x * y) + swish(y - x));

/** @differentiable */
export const markedArrow = (x: number): number => x * Math.exp(-SCALE * x);

/** @differentiable(wrt: x) */
export const markedArrowWrt = (x: number, n: number): number => {
  let r = 0;
  for (let i = 0; i < n; i++) r += Math.cos(x * i);
  return r;
};

export const wrtOption = differentiable((x: number, n: number): number => Math.sin(x) ** n + x / n, { wrt: ["x"] });

/** @differentiable */
export function captureModuleConst(x: number): number {
  const f = (t: number) => SCALE * t * t;
  return f(x) + f(x + 1);
}

/** @differentiable */
export function captureLocalConst(x: number): number {
  const k = 3;
  const offsets = [0.5, 1, 1.5];
  const g = (t: number): number => Math.sin(k * t) + offsets[1] * t;
  let s = 0;
  for (const o of offsets) s += g(x * o);
  return s;
}

/** @differentiable */
export function captureObject(p: { x: number; y: number }): number {
  const d = (q: { x: number; y: number }) => (q.x - ORIGIN.x) ** 2 + (q.y - ORIGIN.y) ** 2;
  return Math.sqrt(d(p)) + d({ x: p.y, y: p.x });
}

/** @differentiable */
export function arrowInLoop(xs: number[]): number {
  const damp = 0.9;
  const step = (v: number, x: number): number => v * damp + Math.sin(x);
  let v = 0;
  for (const x of xs) v = step(v, x);
  return v;
}

/** @differentiable */
export function nestedArrows(x: number): number {
  const c = 1.5;
  const outer = (a: number) => {
    const inner = (b: number, s: number) => b * c + s;
    return inner(a * a, a);
  };
  return outer(x) * outer(x / 2);
}

/** @differentiable */
export function arrowWithBranches(x: number, y: number): number {
  const lim = 1;
  const soft = (t: number): number => (t > lim ? lim + Math.log(t) : t < -lim ? -lim - Math.log(-t) : t);
  return soft(x) * soft(y) + soft(x * y);
}

/** @differentiable */
export function stopGradient(x: number): number {
  // the second factor is a constant: d/dx = x (not 2x)
  return x * withoutDerivative(x);
}

/** @differentiable */
export function stopGradientPartial(x: number, y: number): number {
  const c = withoutDerivative(x * y);
  return c * Math.sin(x) + y * y;
}

/** @differentiable */
export function captureLoopCounter(x: number): number {
  // the local arrow's pullback reads `k` when it runs: it must see each iteration's value
  let s = 0;
  for (let k = 1; k <= 3; k++) {
    const inner = (v: number) => v * v * k;
    s += inner(x);
  }
  return s;
}

/** @differentiable */
export function captureReassigned(x: number): number {
  let s = 0;
  let k = 2;
  const inner = (v: number) => Math.sin(v * k);
  s += inner(x);
  k = 5;
  s += inner(x);
  return s;
}

/** A factory: the marked arrow captures the factory's parameter, so its derivatives must too. */
export const makeScaledSquare = (a: number) => differentiable((x: number) => a * x * x + Math.sin(a * x));
export const scaledSquare = makeScaledSquare(3);

export const cases: CorpusCase[] = [
  { name: "scaledSquare", args: () => [0.4] },
  { name: "captureLoopCounter", args: () => [1.3], secondOrder: true },
  { name: "captureReassigned", args: () => [1.3], secondOrder: true },
  { name: "softClip", args: () => [0.7], secondOrder: true },
  { name: "swish", args: () => [-0.4], secondOrder: true },
  { name: "weightedSum", args: () => [[0.1, 0.2, 0.3, 0.4, 0.5]] },
  { name: "composeArrows", args: () => [0.6, -0.9] },
  { name: "markedArrow", args: () => [0.45], secondOrder: true },
  { name: "markedArrowWrt", args: () => [0.45, 4], wrt: [0] },
  { name: "wrtOption", args: () => [0.8, 3], wrt: [0] },
  { name: "captureModuleConst", args: () => [-0.3], secondOrder: true },
  { name: "captureLocalConst", args: () => [0.8], secondOrder: true },
  { name: "captureObject", args: () => [{ x: 1.1, y: 0.6 }] },
  { name: "arrowInLoop", args: () => [[0.2, -0.5, 1.3, 0.7]] },
  { name: "nestedArrows", args: () => [0.9], secondOrder: true },
  { name: "arrowWithBranches", args: () => [1.8, -0.4] },
  { name: "arrowWithBranches", label: "arrowWithBranches@negative", args: () => [1.8, -1.6] },
  { name: "stopGradient", args: () => [1.7], expectedGradient: (x: number) => x },
  {
    name: "stopGradientPartial",
    args: () => [0.8, -1.1],
    expectedGradient: (x: number, y: number) => [x * y * Math.cos(x), 2 * y],
  },
];
