import { describe, expect, it } from "@jest/globals";
import { Derivatives, derivative, differential, gradient, secondOrder } from "../src/index";

// f(x) = x³, with its JVP and the JVP's own derivatives written by hand the way the build generates them.
const fJvp = (x: number, dx: number) => ({ value: x ** 3, tangent: 3 * x * x * dx });
const fVjp = (x: number) => ({ value: x ** 3, pullback: (b: number) => [3 * x * x * b] });
const f = new Derivatives({ name: "cube", arity: 1, wrt: [0], jvp: fJvp, vjp: fVjp });
// Derivatives of fJvp(x, dx) = { value: x³, tangent: 3x²·dx }.
const fJvpJvp = (x: number, dx: number, tx: number, tdx: number) => ({
  value: fJvp(x, dx),
  tangent: { value: 3 * x * x * tx, tangent: 6 * x * dx * tx + 3 * x * x * tdx },
});
const fJvpVjp = (x: number, dx: number) => ({
  value: fJvp(x, dx),
  pullback: (ct: { value: number; tangent: number }) => [ct.value * 3 * x * x + ct.tangent * 6 * x * dx, ct.tangent * 3 * x * x],
});

describe("secondOrder", () => {
  it("refuses a function with a rest parameter (CT3006, with the rewrite)", () => {
    const r = new Derivatives({ name: "total", arity: 1, wrt: [0], rest: true, jvp: fJvp, vjp: fVjp });
    expect(() => secondOrder("derivative", r, { jvp: fJvpJvp, vjp: fJvpVjp })).toThrow(
      /CT3006: derivative\(total\): second derivatives of a function with a rest parameter are not supported; take an array parameter/,
    );
  });
  it("derivative(derivative(f)) is f'' (forward over forward)", () => {
    const d2 = derivative(secondOrder("derivative", f, { jvp: fJvpJvp, vjp: fJvpVjp }));
    expect(d2(1.5)).toBeCloseTo(9, 12);
  });
  it("gradient(gradient(f)) is f'' (reverse over forward)", () => {
    const g2 = gradient(secondOrder("gradient", f, { jvp: fJvpJvp, vjp: fJvpVjp }));
    expect(g2(-2)).toBeCloseTo(-12, 12);
  });
  it("differential(gradient(g)) is the Hessian-vector product", () => {
    // g(x, y) = x²y: ∇g = [2xy, x²], H = [[2y, 2x], [2x, 0]]
    const gJvp = (x: number, y: number, dx: number, dy: number) => ({ value: x * x * y, tangent: 2 * x * y * dx + x * x * dy });
    const gVjp = (x: number, y: number) => ({ value: x * x * y, pullback: (b: number) => [2 * x * y * b, x * x * b] });
    // d/d(x, y) of ⟨∇g, (dx, dy)⟩ = 2xy·dx + x²·dy  →  [2y·dx + 2x·dy, 2x·dx]
    const gJvpVjp = (x: number, y: number, dx: number, dy: number) => ({
      value: gJvp(x, y, dx, dy),
      pullback: (ct: { value: number; tangent: number }) => [
        ct.value * 2 * x * y + ct.tangent * (2 * y * dx + 2 * x * dy),
        ct.value * x * x + ct.tangent * 2 * x * dx,
        ct.tangent * 2 * x * y,
        ct.tangent * x * x,
      ],
    });
    const g = new Derivatives({ name: "g", arity: 2, wrt: [0, 1], jvp: gJvp, vjp: gVjp });
    const hvp = differential(secondOrder("gradient", g, { jvp: () => { throw new Error("unused"); }, vjp: gJvpVjp }));
    expect(hvp(0.5, 0.8)(1, 0)).toEqual([1.6, 1]);
    expect(hvp(0.5, 0.8)(0, 1)).toEqual([1, 0]);
  });
  it("rejects derivative(derivative(f)) for f of several differentiated parameters", () => {
    const g = new Derivatives({ name: "g", arity: 2, wrt: [0, 1], jvp: () => ({ value: 0, tangent: 0 }) });
    expect(() => secondOrder("derivative", g, { jvp: fJvpJvp, vjp: fJvpVjp })).toThrow(/CT3006/);
  });
});
