// Branches: if/else, ?:, && / ||, switch (with fallthrough), early returns, nesting.
import type { CorpusCase } from "./types";

/** @differentiable */
export function piecewise(x: number): number {
  if (x < 0) {
    return x * x;
  } else if (x < 2) {
    return Math.sin(x) + x;
  } else {
    return 3 * Math.log(x);
  }
}

/** @differentiable */
export function branchAssign(x: number, y: number): number {
  let r: number;
  if (x > y) {
    r = x * y;
    r += x;
  } else {
    r = y / (1 + x * x);
  }
  return r * r;
}

/** @differentiable */
export function ifWithoutElse(x: number): number {
  let r = x * 2;
  if (r > 1) r = r * r - 1;
  if (r < 0) r = -r;
  return r;
}

/** @differentiable */
export function ternaries(x: number, y: number): number {
  const a = x > 0 ? x * y : y - x;
  const b = a > 1 ? Math.sqrt(a) : a < -1 ? -Math.sqrt(-a) : a * a * a;
  return b + (y > x ? y : x);
}

/** @differentiable */
export function logicalConditions(x: number, y: number): number {
  if (x > 0 && y > 0) return x * y;
  if (x < 0 || y < -1) return x + y * y;
  return x - y;
}

/** @differentiable */
export function logicalValues(x: number, y: number): number {
  // && / || as value-producing operators on numbers
  const a = (x > 0 && x * 3) || y;
  const b = (y > 5 && y) || x * y;
  return a + b;
}

/** @differentiable(wrt: x) */
export function switchFallthrough(x: number, mode: number): number {
  let r = x;
  switch (mode) {
    case 0:
      r = r * r;
    // falls through
    case 1:
      r = r + Math.sin(x);
      break;
    case 2:
      r = r * 3;
    // falls through
    default:
      r = r - x * x;
  }
  return r;
}

/** @differentiable */
export function switchReturns(x: number, y: number): number {
  const k = Math.floor(y);
  switch (k) {
    case 1:
      return x * y;
    case 2:
    case 3:
      return x * x + y;
    default:
      break;
  }
  return Math.exp(x) - y;
}

/** @differentiable */
export function earlyReturn(x: number, y: number): number {
  const s = x + y;
  if (s > 10) return 0;
  const t = s * x;
  if (t < -5) {
    return t / 2;
  }
  return t * y;
}

/** @differentiable */
export function nestedBranches(x: number, y: number, z: number): number {
  let r = 0;
  if (x > 0) {
    if (y > 0) {
      r = x * y * z;
    } else {
      r = z > 0 ? x / (1 + z) : x * z;
    }
  } else {
    r = y > z ? Math.cos(x * y) : Math.sin(x * z);
  }
  return r;
}

/** @differentiable */
export function clamp(x: number): number {
  return x < -1 ? -1 : x > 1 ? 1 : x;
}

/** @differentiable */
export function smoothBranch(x: number): number {
  let y = x;
  if (y > 0.5) {
    y = y * y;
    if (y > 4) {
      y = Math.log(y);
    }
  } else {
    y = -y * 3;
  }
  return y * x;
}

/** @differentiable(wrt: x) */
export function selectByFlag(x: number, flag: number): number {
  return flag > 0 ? Math.exp(x) : Math.exp(-x);
}

export const cases: CorpusCase[] = [
  { name: "piecewise", label: "piecewise@neg", args: () => [-0.7], secondOrder: true },
  { name: "piecewise", label: "piecewise@mid", args: () => [1.1], secondOrder: true },
  { name: "piecewise", label: "piecewise@high", args: () => [3.4], secondOrder: true },
  { name: "branchAssign", label: "branchAssign@then", args: () => [1.5, 0.5] },
  { name: "branchAssign", label: "branchAssign@else", args: () => [-0.5, 0.9] },
  { name: "ifWithoutElse", label: "ifWithoutElse@grow", args: () => [0.8], secondOrder: true },
  { name: "ifWithoutElse", label: "ifWithoutElse@negate", args: () => [-0.6], secondOrder: true },
  { name: "ternaries", label: "ternaries@a", args: () => [0.9, 2.1] },
  { name: "ternaries", label: "ternaries@b", args: () => [1.5, -1.2] },
  { name: "ternaries", label: "ternaries@d", args: () => [-1.4, 0.3] },
  { name: "ternaries", label: "ternaries@c", args: () => [0.5, 0.7] },
  { name: "logicalConditions", label: "logicalConditions@and", args: () => [0.6, 1.3] },
  { name: "logicalConditions", label: "logicalConditions@or", args: () => [0.6, -1.8] },
  { name: "logicalConditions", label: "logicalConditions@none", args: () => [0.6, -0.5] },
  { name: "logicalValues", label: "logicalValues@pos", args: () => [0.6, 1.3] },
  { name: "logicalValues", label: "logicalValues@neg", args: () => [-0.6, 7.5] },
  { name: "switchFallthrough", label: "switchFallthrough@0", args: () => [0.7, 0], wrt: [0] },
  { name: "switchFallthrough", label: "switchFallthrough@1", args: () => [0.7, 1], wrt: [0] },
  { name: "switchFallthrough", label: "switchFallthrough@2", args: () => [0.7, 2], wrt: [0] },
  { name: "switchFallthrough", label: "switchFallthrough@default", args: () => [0.7, 5], wrt: [0] },
  { name: "switchReturns", label: "switchReturns@1", args: () => [0.4, 1.5] },
  { name: "switchReturns", label: "switchReturns@3", args: () => [0.4, 3.25] },
  { name: "switchReturns", label: "switchReturns@default", args: () => [0.4, 4.5] },
  { name: "earlyReturn", label: "earlyReturn@end", args: () => [1.2, 0.8] },
  { name: "earlyReturn", label: "earlyReturn@mid", args: () => [-4, 5.5] },
  { name: "earlyReturn", label: "earlyReturn@first", args: () => [6, 5] },
  { name: "nestedBranches", label: "nestedBranches@pp", args: () => [0.5, 0.6, 0.7] },
  { name: "nestedBranches", label: "nestedBranches@pn", args: () => [0.5, -0.6, 0.7] },
  { name: "nestedBranches", label: "nestedBranches@n", args: () => [-0.5, 0.6, -0.7] },
  { name: "clamp", label: "clamp@inside", args: () => [0.3], secondOrder: true },
  { name: "clamp", label: "clamp@above", args: () => [1.3] },
  { name: "smoothBranch", label: "smoothBranch@log", args: () => [2.5], secondOrder: true },
  { name: "smoothBranch", label: "smoothBranch@low", args: () => [0.2], secondOrder: true },
  { name: "selectByFlag", args: () => [0.3, -1], wrt: [0] },
];
