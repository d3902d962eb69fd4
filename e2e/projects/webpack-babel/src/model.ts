// The differentiable half of the sample project: functions and a method marked three ways.
import { differentiable, registerDerivative } from "@cotangent/runtime";

/** Rosenbrock's banana function. */
/** @differentiable */
export function rosenbrock(x: number, y: number): number {
  const a = 1 - x;
  const b = y - x * x;
  return a * a + 100 * b * b;
}

/** A logistic sigmoid, marked with the `differentiable(...)` wrapper. */
export const sigmoid = differentiable((x: number): number => 1 / (1 + Math.exp(-x)));

/** x^n by repeated multiplication, with a branch: differentiated with respect to `x` only. */
/** @differentiable(wrt: x) */
export function clippedPower(x: number, n: number): number {
  let p = 1;
  for (let i = 0; i < n; i++) {
    if (p > 1000) break;
    p = p * x;
  }
  return p;
}

export class Pendulum {
  length: number;
  gravity: number;

  constructor(length: number, gravity: number) {
    this.length = length;
    this.gravity = gravity;
  }

  /** Total energy per unit mass at angle `theta` and angular velocity `omega`. */
  @differentiable
  energy(theta: number, omega: number): number {
    const kinetic = 0.5 * this.length * this.length * omega * omega;
    const potential = this.gravity * this.length * (1 - Math.cos(theta));
    return kinetic + potential;
  }
}

const PENDULUM = new Pendulum(2, 9.81);

/** Calls the method of a module-level instance and the wrapped sigmoid. */
/** @differentiable */
export function pendulumScore(theta: number): number {
  return PENDULUM.energy(theta, 0.5) * sigmoid(theta);
}

/** A function the build never differentiates: its derivative is written by hand. */
export function cube(x: number): number {
  return x * x * x;
}
registerDerivative(cube, {
  // Tangents are typed `Tangent` (number | null | arrays ...); for a scalar function they are numbers.
  vjp: (x: number) => ({ value: x * x * x, pullback: (g) => 3 * x * x * (g as number) }),
  jvp: (x: number) => ({ value: x * x * x, differential: (dx) => 3 * x * x * (dx as number) }),
});

/** @differentiable */
export function cubePlusSine(x: number): number {
  return cube(x) + Math.sin(x);
}
