// App-style code as people write it, marked unchanged: a physics step over an array of bodies
// with map/reduce, an objective built with spread and optional fields, a scoring function with
// filter/some, and a pipeline of chained array methods.
import type { CorpusCase, Value } from "./types";

interface Body {
  x: number;
  y: number;
  vx: number;
  vy: number;
  mass: number;
}

interface Settings {
  dt?: number;
  drag?: number;
  gravity?: { x: number; y: number };
}

/** @differentiable */
export function springForce(a: Body, b: Body, k: number): { fx: number; fy: number } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  return { fx: k * dx, fy: k * dy };
}

/** @differentiable */
export function step(bodies: Body[], k: number, settings: Settings): Body[] {
  const dt = settings.dt ?? 0.01;
  const drag = settings?.drag ?? 0;
  const gx = settings.gravity?.x ?? 0;
  const gy = settings.gravity?.y ?? -9.8;
  return bodies.map((b, i) => {
    const neighbours = bodies.filter((_, j) => j !== i);
    const force = neighbours
      .map((n) => springForce(b, n, k))
      .reduce((acc, f) => ({ fx: acc.fx + f.fx, fy: acc.fy + f.fy }), { fx: 0, fy: 0 });
    const ax = force.fx / b.mass + gx - drag * b.vx;
    const ay = force.fy / b.mass + gy - drag * b.vy;
    const vx = b.vx + dt * ax;
    const vy = b.vy + dt * ay;
    return { ...b, vx, vy, x: b.x + dt * vx, y: b.y + dt * vy };
  });
}

/** @differentiable(wrt: bodies, k) */
export function simulate(bodies: Body[], k: number, steps: number): number {
  let state = bodies;
  for (let s = 0; s < steps; s++) state = step(state, k, { dt: 0.05, drag: 0.1 });
  const energy = state.reduce((e, b) => e + 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy), 0);
  const centre = state.reduce((c, b) => c + b.y * b.mass, 0) / state.reduce((m, b) => m + b.mass, 0);
  return energy + centre;
}

interface Candidate {
  score: number;
  weight: number;
  bonus?: number;
}

/** @differentiable */
export function ranking(items: Candidate[], threshold: number): number {
  const kept = items.filter((c) => c.score > threshold);
  const hasHeavy = kept.some((c) => c.weight > 2);
  const best = Math.max(...kept.map((c) => c.score * c.weight));
  const total = kept.reduce((s, c) => s + c.score * c.weight + (c.bonus ?? 0) * threshold, 0);
  return (hasHeavy ? 0.5 : 1) * total + best;
}

/** @differentiable */
export function objective(params: { a: number; b: number; c?: number }, data: [number, number][]): number {
  const withDefaults = { c: 1, ...params };
  const residuals = data.map(([x, y]) => withDefaults.a * x * x + withDefaults.b * x + withDefaults.c - y);
  const [first, ...others] = residuals;
  return first * first + others.reduce((s, r) => s + r * r, 0) / Math.max(1, others.length);
}

export const cases: CorpusCase[] = [
  {
    name: "simulate",
    args: () => [
      [
        { x: 0, y: 1, vx: 0.1, vy: 0, mass: 1 },
        { x: 1, y: 0.5, vx: -0.2, vy: 0.3, mass: 2 },
        { x: -0.5, y: 0, vx: 0, vy: -0.1, mass: 1.5 },
      ],
      0.8,
      4,
    ],
    wrt: [0, 1],
  },
  {
    name: "ranking",
    args: () => [
      [
        { score: 0.9, weight: 1.5 },
        { score: 0.2, weight: 3, bonus: 0.5 },
        { score: 1.4, weight: 2.5, bonus: 0.25 },
        { score: 0.6, weight: 0.5 },
      ] as Value[],
      0.5,
    ],
  },
  { name: "objective", label: "objective@noC", args: () => [{ a: 0.5, b: -1 }, [[0, 1], [1, 0.2], [2, 1.5]]] },
  { name: "objective", label: "objective@withC", args: () => [{ a: 0.5, b: -1, c: 0.3 }, [[0, 1], [1, 0.2], [2, 1.5]]] },
];
