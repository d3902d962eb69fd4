// Host conformance corpus (e2e/test/conformance.test.ts): diagnostics every host must report with
// the same code, severity and range.

import { differentiable } from "@cotangent/runtime";

let total = 0;

/** @differentiable */
export function tryCatch(x: number): number {
  try {
    return x * x;
  } catch {
    return 0;
  }
}

/** @differentiable(wrt: z) */
export function unknownWrt(x: number): number {
  return x * 2;
}

/** @differentiable */
export function writesCapture(x: number): number {
  total = x;
  return x * total;
}

/** @differentiable */
export function constantResult(x: number): number {
  return 3 + 0 * 0;
}

/** @differentiable */
export function stepFunction(x: number): number {
  return Math.round(x) * x;
}

export const badOptions = differentiable((x: number) => x * x, { wrt: "x" } as never);

export class Meter {
  constructor(readonly k: number) {}

  /** @differentiable */
  get reading(): number {
    return this.k * 2;
  }
}

export const anonymousClass = class {
  @differentiable
  m(x: number): number {
    return x;
  }
};

/** @differentiable */
export default function (x: number): number {
  return x;
}
