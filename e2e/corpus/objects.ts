// Plain objects of numbers: fields, nesting, destructuring, objects built and updated in loops.
import type { CorpusCase } from "./types";

export interface Point {
  x: number;
  y: number;
}

export interface Body {
  pos: Point;
  vel: Point;
  mass: number;
}

/** @differentiable */
export function pointNorm(p: Point): number {
  return Math.sqrt(p.x * p.x + p.y * p.y);
}

/** @differentiable */
export function distance(a: Point, b: Point): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  return Math.hypot(dx, dy);
}

/** @differentiable */
export function kineticEnergy(b: Body): number {
  return 0.5 * b.mass * (b.vel.x * b.vel.x + b.vel.y * b.vel.y);
}

/** @differentiable */
export function destructureObject(b: Body): number {
  const {
    pos: { x, y },
    vel,
    mass: m,
  } = b;
  return m * (x * vel.y - y * vel.x);
}

/** @differentiable */
export function simulate(b: Body, dt: number): number {
  // explicit Euler under a spring force; fields updated in a loop on a local copy
  const s = { px: b.pos.x, py: b.pos.y, vx: b.vel.x, vy: b.vel.y };
  for (let i = 0; i < 10; i++) {
    const ax = -s.px / b.mass;
    const ay = -s.py / b.mass;
    s.vx += ax * dt;
    s.vy += ay * dt;
    s.px += s.vx * dt;
    s.py += s.vy * dt;
  }
  return s.px * s.px + s.py * s.py;
}

/** @differentiable */
export function objectLiteralFields(x: number, y: number): number {
  const obj = { a: x * y, b: { c: x + y, d: [x, y] } };
  obj.b.c *= 2;
  obj.b.d[1] = obj.a - obj.b.d[0];
  return obj.a + obj.b.c * obj.b.d[1];
}

/** @differentiable */
export function accumulateStats(xs: number[]): number {
  const st = { n: 0, mean: 0, m2: 0 };
  for (const x of xs) {
    st.n += 1;
    const d = x - st.mean;
    st.mean += d / st.n;
    st.m2 += d * (x - st.mean);
  }
  return st.m2 / (st.n - 1);
}

/** @differentiable */
export function objectWithArray(model: { w: number[]; b: number }, x: number): number {
  let s = model.b;
  for (let i = 0; i < model.w.length; i++) s += model.w[i] * x ** i;
  return Math.tanh(s);
}

/** @differentiable */
export function polygonArea(pts: Point[]): number {
  let a = 0;
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i];
    const q = pts[(i + 1) % pts.length];
    a += p.x * q.y - q.x * p.y;
  }
  return 0.5 * a;
}

/** @differentiable */
export function pathLength(pts: Point[]): number {
  let len = 0;
  let prev = pts[0];
  let first = true;
  for (const p of pts) {
    if (!first) len += distance(prev, p);
    first = false;
    prev = p;
  }
  return len;
}

/** @differentiable */
export function tupleOfObjects(pair: [Point, Point]): number {
  const [a, b] = pair;
  const { x: ax, y: ay } = a;
  return ax * b.y - ay * b.x + a.x * a.x;
}

/** @differentiable */
export function buildObjectsInLoop(x: number): number {
  const pts: Point[] = [];
  for (let i = 0; i < 5; i++) {
    pts.push({ x: Math.cos(x * i), y: Math.sin(x * i) * i });
  }
  return polygonArea(pts);
}

/** @differentiable */
export function renameFields(cfg: { scale: number; offset: number }, x: number): number {
  const { scale: k, offset } = cfg;
  let y = x * k;
  y += offset;
  return y * y;
}

/** @differentiable */
export function numericKeyDestructure(p: number[], x: number): number {
  const u = x * 3;
  let s = 0;
  {
    const { 0: u } = p;
    s += u * x;
  }
  return s + u;
}

export const cases: CorpusCase[] = [
  { name: "numericKeyDestructure", args: () => [[2, 5], 0.7] },
  { name: "pointNorm", args: () => [{ x: 1.2, y: -0.5 }] },
  { name: "distance", args: () => [{ x: 1, y: 2 }, { x: -0.5, y: 0.25 }] },
  { name: "kineticEnergy", args: () => [{ pos: { x: 0.1, y: 0.2 }, vel: { x: 1.5, y: -0.5 }, mass: 2 }] },
  { name: "destructureObject", args: () => [{ pos: { x: 0.1, y: 0.2 }, vel: { x: 1.5, y: -0.5 }, mass: 2 }] },
  { name: "simulate", args: () => [{ pos: { x: 1, y: 0 }, vel: { x: 0, y: 0.7 }, mass: 1.3 }, 0.05] },
  { name: "objectLiteralFields", args: () => [0.8, -0.3] },
  { name: "accumulateStats", args: () => [[0.5, 1.7, -0.4, 2.2, 1.1]] },
  { name: "objectWithArray", args: () => [{ w: [0.3, -0.2, 0.5], b: 0.1 }, 0.9] },
  { name: "polygonArea", args: () => [[{ x: 0, y: 0 }, { x: 2, y: 0.1 }, { x: 1.5, y: 1.7 }, { x: -0.2, y: 1 }]] },
  { name: "pathLength", args: () => [[{ x: 0, y: 0 }, { x: 2, y: 0.1 }, { x: 1.5, y: 1.7 }]] },
  { name: "tupleOfObjects", args: () => [[{ x: 0.5, y: 1.5 }, { x: -1, y: 0.25 }]] },
  { name: "buildObjectsInLoop", args: () => [0.8], secondOrder: true },
  { name: "renameFields", args: () => [{ scale: 1.5, offset: -0.25 }, 0.7] },
];
