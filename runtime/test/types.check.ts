// Type-level checks of the public API (not run by jest: `npx tsc -p .` at the repo root checks it).
// The decorator forms must type-check as TS 5 standard decorators (no experimentalDecorators).
import { derivative, differentiable, differential, gradient, pullback, registerDerivative, valueWithGradient } from "@cotangent/runtime";

export class Model {
  k = 2;
  @differentiable loss(w: number): number {
    return this.k * w * w;
  }
  @differentiable({ wrt: ["w"] }) scaled(w: number, s: number): number {
    return s * w;
  }
  @differentiable static twice(x: number): number {
    return 2 * x;
  }
}

const f = differentiable((x: number, y: number) => x * y);
const fx = differentiable((x: number, n: number) => x ** n, { wrt: ["x"] });
export const checks = [
  gradient(f)(1, 2),
  valueWithGradient(f)(1, 2).value.toFixed(),
  derivative(fx)(1, 2).toFixed(),
  differential(f)(1, 2)(1, 0),
  pullback((x: number) => [x])(1)([1]),
  registerDerivative(Math.hypot, { vjp: (x, y) => ({ value: Math.hypot(x!, y!), pullback: (b) => [b, b] }) }, { arity: 2 }),
];

// @ts-expect-error: gradient needs a number-valued function
gradient((x: number) => "s" + x);
// @ts-expect-error: wrong argument types are caught
gradient(f)("a", 2);
