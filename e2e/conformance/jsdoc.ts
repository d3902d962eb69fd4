// Host conformance corpus (e2e/test/conformance.test.ts): the spellings of a mark, and the
// places marks go, which every host must read the same way.

import { derivative, differentiable, gradient } from "@cotangent/runtime";

/** @differentiable */
/** Squares x. */
export function docAfterMark(x: number): number {
  return x * x;
}

/**
 * Scales x squared.
 * @differentiable(wrt: x)
 * The mark may sit in the middle of the comment.
 */
export function markMidComment(x: number, k: number): number {
  return k * x * x;
}

/** @differentiable(wrt: (x)) */
export function swiftSpelling(x: number, k: number): number {
  return k * x * x * x;
}

/** @differentiable(k) */
export function bareList(x: number, k: number): number {
  return k * Math.sin(x);
}

/** @differentiable( wrt : x, k ) */
export function spaced(x: number, k: number): number {
  return k * k * x;
}

/* @differentiable */
export function plainBlockComment(x: number): number {
  return x;
}

// @differentiable
export function lineComment(x: number): number {
  return x;
}

/** Docs first. */ /** @differentiable */
export const arrow = (x: number): number => x * 3;

/** @differentiable */
export const functionExpression = function (x: number): number {
  return x / 2;
};

/** Docs. */
/** @differentiable */
export function overloaded(x: number): number;
export function overloaded(x: number): number {
  return 2 * x * x;
}

export const wrapped = differentiable((x: number, y: number) => x * y * y, { wrt: ["y"] });
export const alias = differentiable(docAfterMark);

export class Body {
  constructor(readonly mass: number) {}

  /** Kinetic energy plus height. @differentiable(wrt: v) */
  kinetic(v: number, h: number): number {
    return 0.5 * this.mass * v * v + h;
  }

  /** @differentiable */
  static scale(x: number): number {
    return 4 * x;
  }

  @differentiable
  momentum(v: number): number {
    return this.mass * v;
  }

  /** Not marked: a plain comment. */
  plain(v: number): number {
    return v;
  }

  /** The slope of an arrow that reads `this`: its derivatives must see the same `this`. */
  slope(x: number): number {
    return derivative((y: number) => this.mass * y * y)(x);
  }
}

export const gradientOfMark = gradient(docAfterMark);
export const derivativeOfLiteral = derivative((x: number) => x * x * x);
export const secondDerivative = derivative(derivative(docAfterMark));
export const gradientOfAlias = gradient(alias);

export function shadowed(docAfterMark: (x: number) => number): (x: number) => number {
  // The parameter, not the module's mark: resolved at run time (and an error there), not at build time.
  return derivative(docAfterMark);
}
