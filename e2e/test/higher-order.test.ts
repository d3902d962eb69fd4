// Second derivatives through both hosts: derivative(derivative(f)), gradient(gradient(f)),
// derivative(gradient(f)), and Hessian-vector products differential(gradient(g)), each checked
// against finite differences of the first derivative and against the analytic Hessian; and the
// same for functions imported from another module.

import { describe, expect, test } from "@jest/globals";
import * as fs from "fs";
import * as path from "path";
import { E2E_ROOT, HOST_OPTIONS, compileWithBabel, compileWithTsPatch } from "../harness/compile";

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

// Second derivatives of functions imported from another module: the defining module's build
// attaches the derivatives of each exported mark's JVP, and the runtime composes them.
const LIB = `
import { registerDerivative } from "@cotangent/runtime";

/** @differentiable */
export function energy(x: number, y: number): number {
  const r = Math.hypot(x, y);
  return Math.exp(-r) * x * y + x ** 3 / 3;
}

/** @differentiable */
export function wave(x: number): number {
  let y = 0;
  for (let k = 1; k <= 3; k++) y += k % 2 === 0 ? Math.sin(k * x) / k : Math.cos(k * x) * x;
  return y * y;
}

export function cube(x: number): number {
  return x * x * x;
}
registerDerivative(cube, { jvp: (x: number) => ({ value: x * x * x, differential: (dx) => 3 * x * x * (dx as number) }) });

/** @differentiable */
export function withCustom(x: number): number {
  return cube(x) + x;
}
`;

const MAIN = `
import { derivative, differential, gradient } from "@cotangent/runtime";
import { energy, wave, withCustom } from "./lib";
export const energyGrad = gradient(energy);
export const hvp = differential(gradient(energy));
export const wave1 = derivative(wave);
export const wave2 = derivative(derivative(wave));
export const custom2 = derivative(derivative(withCustom));
`;

describe.each([
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const)("%s host: second derivatives of imported functions", (host, compile) => {
  const dir = path.join(E2E_ROOT, "out", "higher-order-cross");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "lib.ts"), LIB);
  // lib.ts built with second derivatives of its exported marks (compiled when main imports it).
  HOST_OPTIONS.secondOrder = "exported";
  let m: Record<string, any>;
  try {
    m = compile(MAIN, path.join(dir, `main-${host}.ts`));
  } finally {
    delete HOST_OPTIONS.secondOrder;
  }

  test("Hessian-vector products of an imported function match finite differences of its gradient", () => {
    const [x, y] = [0.6, -0.4];
    const v = [0.3, -1.1];
    const g = (a: number, b: number) => m.energyGrad(a, b) as number[];
    const hv = m.hvp(x, y)(v[0], v[1]) as number[];
    const fd = [0, 1].map((i) => {
      const plus = g(x + H * v[0]!, y + H * v[1]!)[i]!;
      const minus = g(x - H * v[0]!, y - H * v[1]!)[i]!;
      return (plus - minus) / (2 * H);
    });
    for (let i = 0; i < 2; i++) expect(close(hv[i]!, fd[i]!, 1e-5)).toBe(true);
  });

  test("derivative(derivative(f)) of an imported loop with branches matches finite differences", () => {
    for (const x of [-1.3, 0.4, 1.7]) expect(close(m.wave2(x), (m.wave1(x + H) - m.wave1(x - H)) / (2 * H))).toBe(true);
  });

  test("through a function with a registered derivative: a CT3001 that says why", () => {
    expect(() => m.custom2(0.5)).toThrow(/CT3001: a second derivative through a call of 'cube' needs the derivatives of its JVP: its derivatives were registered with registerDerivative/);
  });

  test('a module built without secondOrder: "exported" (the default): a CT3001 that names the option', () => {
    const other = path.join(E2E_ROOT, "out", "higher-order-requested");
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(other, "lib.ts"), LIB);
    const r = compile(MAIN, path.join(other, `main-${host}.ts`));
    expect(r.wave1(0.4)).toBeCloseTo(m.wave1(0.4), 12);
    expect(() => r.wave2(0.4)).toThrow(/CT3001: derivative needs the forward-mode derivative \(jvp\) of 'derivative\(wave\)': derivative\(wave\) is differentiated again, which needs the derivatives of the JVP of 'wave', and its build generated none.*build the module that defines 'wave' with secondOrder: "exported"/);
  });
});
