// Class methods marked `@differentiable` (decorator) or with a JSDoc mark, reading `this`
// (fields are constants), calling each other through `this`, and exported functions that
// call methods of module-level instances.
import { differentiable } from "@cotangent/runtime";
import type { CorpusCase } from "./types";

export class Polynomial {
  coeffs: number[];
  length: number;

  constructor(coeffs: number[]) {
    this.coeffs = coeffs;
    this.length = coeffs.length;
  }

  @differentiable
  eval(x: number): number {
    let r = 0;
    for (let i = this.length - 1; i >= 0; i--) {
      r = r * x + this.coeffs[i];
    }
    return r;
  }

  @differentiable
  product(x: number): number {
    return this.eval(x) * this.eval(x + 1);
  }

  /** @differentiable */
  energy(xs: number[]): number {
    let e = 0;
    for (const x of xs) {
      const v = this.eval(x);
      e += v * v;
    }
    return e / this.length;
  }
}

export class Layer {
  weights: number[][];
  bias: number[];
  length: number;

  constructor(weights: number[][], bias: number[]) {
    this.weights = weights;
    this.bias = bias;
    this.length = bias.length;
  }

  @differentiable
  activate(v: number): number {
    return v > 0 ? v : 0.1 * v;
  }

  @differentiable
  loss(input: number[]): number {
    let total = 0;
    for (let i = 0; i < this.length; i++) {
      let z = this.bias[i];
      const row = this.weights[i];
      for (let j = 0; j < row.length; j++) z += row[j] * input[j];
      const a = this.activate(z);
      total += a * a;
    }
    return total;
  }

  /** @differentiable(wrt: input) */
  scaledLoss(input: number[], scale: number): number {
    return this.loss(input) * scale;
  }

  @differentiable({ wrt: ["input"] })
  shiftedLoss(input: number[], shift: number): number {
    const moved: number[] = [];
    for (const v of input) moved.push(v + shift);
    return this.loss(moved);
  }
}

export class Spring {
  k = 2.5;
  rest = 1;

  /** @differentiable */
  potential(p: { x: number; y: number }): number {
    const d = Math.hypot(p.x, p.y) - this.rest;
    return 0.5 * this.k * d * d;
  }

  @differentiable
  total(a: { x: number; y: number }, b: { x: number; y: number }): number {
    return this.potential({ x: a.x - b.x, y: a.y - b.y }) + this.potential(a);
  }
}

const POLY = new Polynomial([1, -2, 0.5, 0.25]);
const LAYER = new Layer(
  [
    [0.5, -0.3, 0.8],
    [-1.2, 0.4, 0.1],
  ],
  [0.05, 0.2],
);
const SPRING = new Spring();

/** @differentiable */
export function polyMethod(x: number): number {
  return POLY.eval(x);
}

/** @differentiable */
export function polyProduct(x: number): number {
  return POLY.product(x) + POLY.length * x;
}

/** @differentiable */
export function polyEnergy(xs: number[]): number {
  return POLY.energy(xs);
}

/** @differentiable */
export function layerLoss(input: number[]): number {
  return LAYER.loss(input);
}

/** @differentiable */
export function layerScaled(input: number[]): number {
  return LAYER.scaledLoss(input, 3);
}

/** @differentiable */
export function layerShifted(input: number[]): number {
  return LAYER.shiftedLoss(input, 0.25) + LAYER.scaledLoss(input, 0.5);
}

/** @differentiable */
export function springTotal(a: { x: number; y: number }, b: { x: number; y: number }): number {
  return SPRING.total(a, b);
}

export class Quadratic {
  k = 2;
  @differentiable
  sq(x: number): number {
    return this.k * x * x;
  }
  @differentiable
  twice(x: number): number {
    return this.sq(x) + 1;
  }
}

export class CubicMarked extends Quadratic {
  // an override with derivatives of its own: twice() must use these, not Quadratic's
  @differentiable
  sq(x: number): number {
    return x * x * x;
  }
}

const CUBIC_MARKED = new CubicMarked();

/** @differentiable */
export function overriddenMarked(x: number): number {
  return CUBIC_MARKED.twice(x);
}

export const cases: CorpusCase[] = [
  { name: "overriddenMarked", args: () => [0.5], secondOrder: true },
  { name: "polyMethod", args: () => [1.3], secondOrder: true },
  { name: "polyProduct", args: () => [-0.6], secondOrder: true },
  { name: "polyEnergy", args: () => [[0.2, 1.1, -0.7]] },
  { name: "layerLoss", args: () => [[0.9, -0.4, 0.6]] },
  { name: "layerScaled", args: () => [[0.9, -0.4, 0.6]] },
  { name: "layerShifted", args: () => [[0.9, -0.4, 0.6]] },
  { name: "springTotal", args: () => [{ x: 1.2, y: 0.4 }, { x: -0.3, y: 0.9 }] },
];
