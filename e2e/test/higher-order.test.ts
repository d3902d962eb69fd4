// Second derivatives through both hosts: derivative(derivative(f)), gradient(gradient(f)),
// derivative(gradient(f)), and Hessian-vector products differential(gradient(g)), each checked
// against finite differences of the first derivative and against the analytic Hessian.

import { describe, expect, test } from "@jest/globals";
import { compileWithBabel, compileWithTsPatch } from "../harness/compile";

const SOURCE = `
import { derivative, differential, gradient } from "@cotangent/runtime";

/** @differentiable */
export function wave(x: number): number {
  let y = 0;
  for (let k = 1; k <= 3; k++) {
    if (k % 2 === 0) y += Math.sin(k * x) / k;
    else y += Math.cos(k * x) * x;
  }
  return y * y;
}

/** @differentiable */
export function energy(x: number, y: number): number {
  const r = Math.hypot(x, y);
  return Math.exp(-r) * x * y + x ** 3 / 3;
}

export const wave1 = derivative(wave);
export const wave2 = derivative(derivative(wave));
export const wave2r = gradient(gradient(wave));
export const wave2m = derivative(gradient(wave));
export const energyGrad = gradient(energy);
export const hvp = differential(gradient(energy));
`;

const H = 1e-5;
const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("%s host", (_host, compile) => {
  const m = compile(SOURCE, "higher-order.ts");

  test.each([-1.3, -0.2, 0.4, 1.7])("second derivative of a loop with branches at %p, three ways", (x) => {
    const fd = (m.wave1(x + H) - m.wave1(x - H)) / (2 * H);
    for (const d2 of [m.wave2, m.wave2r, m.wave2m]) expect(close(d2(x), fd)).toBe(true);
  });

  test.each([
    [0.6, -0.4],
    [1.2, 0.9],
  ])("Hessian-vector products at (%p, %p) match finite differences of the gradient", (x, y) => {
    const [gxp, gyp] = m.energyGrad(x + H, y);
    const [gxm, gym] = m.energyGrad(x - H, y);
    const [gxq, gyq] = m.energyGrad(x, y + H);
    const [gxn, gyn] = m.energyGrad(x, y - H);
    const hess = [
      [(gxp - gxm) / (2 * H), (gxq - gxn) / (2 * H)],
      [(gyp - gym) / (2 * H), (gyq - gyn) / (2 * H)],
    ];
    const v = [0.3, -1.1];
    const hv = m.hvp(x, y)(v[0], v[1]);
    expect(hv).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(close(hv[i], hess[i]![0]! * v[0]! + hess[i]![1]! * v[1]!, 1e-5)).toBe(true);
  });
});
