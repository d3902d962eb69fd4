// Run by vitest through @cotangent/unplugin/vite (e2e/test/build.test.ts spawns `vitest run`).
import { describe, expect, test } from "vitest";
import { derivative, getDerivatives, gradient, valueWithGradient } from "@cotangent/runtime";
import { rosenbrock } from "../webpack-babel/src/model.js";

/** @differentiable */
function f(x: number, y: number): number {
  const z = x * y;
  return z + Math.sin(x);
}

describe("marked functions under vitest", () => {
  test("the build generated f's reverse-mode derivative in this module", () => {
    // What the build put next to f and attached to it (README: "The build puts this next to `f`").
    // Without the plugin nothing is attached and gradient(f) fails with CT3001.
    const vjp = getDerivatives(f)?.vjp;
    expect(vjp?.name).toMatch(/^f\$vjp/);
    expect(String(vjp)).toContain("// grad of: const z = x * y;");
    const { value, pullback } = vjp!(2, 3) as { value: number; pullback: (g: number) => [number, number] };
    expect(value).toBeCloseTo(6 + Math.sin(2), 12);
    const [bx, by] = pullback(1);
    expect(bx).toBeCloseTo(3 + Math.cos(2), 12);
    expect(by).toBeCloseTo(2, 12);
  });

  test("gradient and derivative give the analytic values", () => {
    const [gx, gy] = gradient(f)(2, 3);
    expect(gx).toBeCloseTo(3 + Math.cos(2), 12);
    expect(gy).toBeCloseTo(2, 12);
    expect(derivative((x: number) => x * Math.exp(x))(0.5)).toBeCloseTo(Math.exp(0.5) * 1.5, 12);
    const { value, gradient: g } = valueWithGradient(rosenbrock)(0.5, 2);
    expect(value).toBeCloseTo(0.25 + 100 * 1.75 * 1.75, 9);
    expect(g[0]).toBeCloseTo(-2 * 0.5 - 400 * 0.5 * 1.75, 9);
    expect(g[1]).toBeCloseTo(200 * 1.75, 9);
  });
});
