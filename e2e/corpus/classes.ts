// Classes as app code writes them: class fields and parameter properties, getters (inlined, so
// the derivative flows through what they read), static fields and static marked methods, a
// marked method that reads getters on `this`; and for…in over objects of numbers.
import { differentiable } from "@cotangent/runtime";
import type { CorpusCase } from "./types";

export class Body {
  static gravity = 9.81;
  drag = 0.1; // a class field: a number like any other, differentiated when the body is

  constructor(
    public mass: number,
    public x: number,
    public v: number,
  ) {}

  get momentum(): number {
    return this.mass * this.v;
  }

  get kinetic(): number {
    // A getter that reads a getter.
    return (0.5 * this.momentum * this.v) / 1;
  }

  get height(): number {
    return Math.max(0, this.x);
  }

  @differentiable
  static potential(mass: number, h: number): number {
    return mass * Body.gravity * h;
  }

  /** @differentiable */
  energyAbove(floor: number): number {
    // `this` is a constant here: only `floor` is differentiated.
    return this.kinetic + Body.potential(this.mass, this.height - floor);
  }
}

/** @differentiable */
export function totalEnergy(b: Body): number {
  return b.kinetic + Body.potential(b.mass, b.height) + b.drag * b.momentum;
}

/** @differentiable */
export function stepBodies(bodies: Body[], dt: number): number {
  // Elements of an array of a class: loops and callbacks bind them, and their getters inline too.
  let e = 0;
  for (const b of bodies) e += b.kinetic * dt;
  const momenta = bodies.map((b) => b.momentum);
  const heavy = bodies.filter((b) => b.mass > 1).reduce((acc, b) => acc + b.height * b.momentum, 0);
  for (let i = 0; i < bodies.length; i++) {
    const b = bodies[i];
    e += b.drag * b.v * b.v;
  }
  return e + momenta.reduce((a, p) => a + p * p, 0) + heavy;
}

const PROBE = new Body(2, 1.5, -0.5);

/** @differentiable */
export function methodWithGetters(floor: number): number {
  return PROBE.energyAbove(floor) * floor;
}

/** @differentiable */
export function forInWeights(weights: Record<string, number>, x: number): number {
  let s = 0;
  for (const k in weights) s += weights[k] * Math.sin(x * s + 1);
  return s;
}

/** @differentiable */
export function forInSkip(p: { a: number; b: number; c: number }, x: number): number {
  let s = 0;
  let n = 0;
  for (const key in p) {
    n++;
    if (key === "b") continue;
    if (n > 2) break;
    s += p[key as "a" | "b" | "c"] * x;
  }
  return s * s;
}

export const cases: CorpusCase[] = [
  { name: "totalEnergy", args: () => [new Body(1.5, 0.7, -1.2)] },
  { name: "totalEnergy", label: "totalEnergy@belowFloor", args: () => [new Body(1.5, -0.7, 0.4)] },
  { name: "stepBodies", args: () => [[new Body(1.5, 0.7, -1.2), new Body(0.5, 2, 0.3), new Body(3, 0.1, 0.9)], 0.1] },
  { name: "methodWithGetters", args: () => [0.4], secondOrder: true },
  { name: "forInWeights", args: () => [{ a: 0.5, b: -1.1, c: 2 }, 0.3] },
  { name: "forInSkip", args: () => [{ a: 0.5, b: -1.1, c: 2 }, 0.3] },
];
