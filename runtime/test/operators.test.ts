import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import {
  CotangentError,
  Derivatives,
  defineDerivatives,
  derivative,
  differential,
  gradient,
  pullback,
  valueWithDifferential,
  valueWithGradient,
  valueWithPullback,
  type Tangent,
} from "@cotangent/runtime";
import { close, gRecord, makeF, makeFx } from "./helpers";

const f = makeF();
const fx = makeFx();
const dfdx = (x: number, y: number) => y + Math.cos(x);

function thrown(thunk: () => unknown): CotangentError {
  try {
    thunk();
  } catch (e) {
    expect(e).toBeInstanceOf(CotangentError);
    return e as CotangentError;
  }
  throw new Error("expected a CotangentError");
}

describe("gradient", () => {
  it("returns one cotangent per differentiated parameter", () => {
    const [gx, gy] = gradient(f)(2, 3);
    expect(gx).toBeCloseTo(dfdx(2, 3));
    expect(gy).toBe(2);
  });
  it("returns a single value when one parameter is differentiated (wrt)", () => {
    expect(gradient(fx)(2, 3)).toBeCloseTo(dfdx(2, 3));
  });
  it("matches central finite differences", () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), (x, y) => {
        const h = 1e-6;
        const [gx, gy] = gradient(f)(x, y);
        const fdx = (f(x + h, y) - f(x - h, y)) / (2 * h);
        const fdy = (f(x, y + h) - f(x, y - h)) / (2 * h);
        return close(gx, fdx, 1e-5) && close(gy, fdy, 1e-5);
      }),
    );
  });
  it("turns null/undefined cotangents into zerosLike(arg)", () => {
    const d = new Derivatives({
      name: "z",
      arity: 3,
      wrt: [0, 1, 2],
      vjp: (a: number, v: number[], o: { p: number; s: string }) => ({ value: a, pullback: (b: Tangent) => [b, null, undefined] as Tangent[] }),
    });
    expect(gradient(d)(1, [1, 2], { p: 1, s: "x" })).toEqual([1, [0, 0], { p: 0, s: null }]);
  });
  it("accepts a Derivatives record (what the build passes for visible marked functions)", () => {
    expect(gradient(gRecord as never)).toBeInstanceOf(Function);
    const fRecord = new Derivatives({ name: "sq", arity: 1, wrt: [0], vjp: (x: number) => ({ value: x * x, pullback: (b: Tangent) => [2 * x * (b as number)] }) });
    expect(gradient(fRecord)(3)).toBe(6);
  });
  it("passes its own this through", () => {
    const obj = {
      k: 5,
      m(this: { k: number }, x: number) {
        return this.k * x * x;
      },
    };
    defineDerivatives(obj.m, {
      name: "m",
      arity: 1,
      wrt: [0],
      vjp(this: { k: number }, x: number) {
        const k = this.k;
        return { value: k * x * x, pullback: (b: Tangent) => [2 * k * x * (b as number)] };
      },
    });
    expect(gradient(obj.m).call(obj, 2)).toBe(20);
  });
  it("looks derivatives up when called, not when created", () => {
    const late = (x: number) => 3 * x;
    const g = gradient(late);
    defineDerivatives(late, { name: "late", arity: 1, wrt: [0], vjp: (x: number) => ({ value: 3 * x, pullback: (b: Tangent) => [3 * (b as number)] }) });
    expect(g(1)).toBe(3);
  });
  it("needs a number result (CT3003)", () => {
    const e = thrown(() => gradient(gRecord as never)([1, 2], 3));
    expect(e.code).toBe("CT3003");
    expect(e.message).toBe(
      "CT3003: gradient needs a function whose result is a number or a one-element tensor; 'g' returned an object with keys sum, label. Use pullback(f) for other results, or reduce the result first (sum, mean).",
    );
  });
  it("reports a missing derivative (CT3001) and a bad operand (CT3005)", () => {
    function plain(x: number) {
      return x;
    }
    expect(thrown(() => gradient(plain)(1)).message).toContain("'plain'");
    expect(thrown(() => gradient(42 as never)).code).toBe("CT3005");
  });
});

describe("valueWithGradient", () => {
  it("returns the value and the gradient", () => {
    const r = valueWithGradient(fx)(2, 3);
    expect(r.value).toBeCloseTo(f(2, 3));
    expect(r.gradient).toBeCloseTo(dfdx(2, 3));
    expect(thrown(() => valueWithGradient(gRecord as never)([1, 2], 3)).code).toBe("CT3003");
  });
  it("returns a record's fused value and gradient as it is; a record with no reverse mode is CT3001 at once, as for gradient", () => {
    const fused = (x: number) => ({ value: x * x, gradient: 2 * x });
    const record = new Derivatives({ name: "sq", arity: 1, wrt: [0], vjp: (x: number) => ({ value: x * x, pullback: (b: number) => [2 * x * b] }), valueWithGradient: fused });
    expect(valueWithGradient(record)).toBe(fused);
    const forwardOnly = new Derivatives({ name: "fwd", arity: 1, wrt: [0], jvp: (x: number, dx: number) => ({ value: x, tangent: dx }) });
    const e = thrown(() => valueWithGradient(forwardOnly));
    expect(e.code).toBe("CT3001");
    expect(e.message).toMatch(/valueWithGradient needs the reverse-mode derivative \(vjp\) of 'fwd', but it only has a forward-mode derivative \(jvp\)/);
  });
});

describe("pullback / valueWithPullback", () => {
  it("pull back any cotangent, for any result shape", () => {
    const pb = pullback(gRecord)([1, 2], 3);
    expect(pb({ sum: 1, label: null })).toEqual([[3, 3], 3]);
    expect(pb({ sum: 2 })).toEqual([[6, 6], 6]);
    const { value, pullback: pb2 } = valueWithPullback(gRecord)([1, 2], 3);
    expect(value).toEqual({ sum: 9, label: "g" });
    expect(pb2({ sum: 1 })).toEqual([[3, 3], 3]);
  });
  it("selects by wrt", () => {
    expect(pullback(fx)(2, 3)(2)).toBeCloseTo(2 * dfdx(2, 3));
    expect(pullback(f)(2, 3)(2)).toEqual([expect.closeTo(2 * dfdx(2, 3)), 4]);
  });
});

describe("differential / valueWithDifferential", () => {
  it("take tangents of the differentiated parameters only", () => {
    expect(differential(f)(2, 3)(1, 0)).toBeCloseTo(dfdx(2, 3));
    expect(differential(f)(2, 3)(0, 1)).toBe(2);
    expect(differential(f)(2, 3)(null, 1)).toBe(2);
    expect(differential(fx)(2, 3)(1)).toBeCloseTo(dfdx(2, 3));
  });
  it("return zerosLike(value) for a zero output tangent", () => {
    expect(differential(f)(2, 3)()).toBe(0);
    const r = valueWithDifferential(f)(2, 3);
    expect(r.value).toBeCloseTo(f(2, 3));
    expect(r.differential(1, 1)).toBeCloseTo(dfdx(2, 3) + 2);
    expect(r.differential()).toBe(0);
  });
  it("agree with reverse mode: <J u, v> = <u, J^T v>", () => {
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (x, y, u1, u2) => {
        const ju = differential(f)(x, y)(u1, u2) as number;
        const [a, b] = pullback(f)(x, y)(1);
        return close(ju, u1 * a + u2 * b, 1e-9);
      }),
    );
  });
  it("work with structured inputs and outputs", () => {
    expect(differential(gRecord)([1, 2], 3)([1, 0], null)).toEqual({ sum: 3, label: null });
  });
});

describe("derivative", () => {
  it("is forward mode in one differentiated number parameter", () => {
    expect(derivative(fx)(2, 3)).toBeCloseTo(dfdx(2, 3));
    const cube = new Derivatives({ name: "cube", arity: 1, wrt: [0], jvp: (x: number, dx: Tangent) => ({ value: x ** 3, tangent: dx === null ? null : 3 * x * x * (dx as number) }) });
    expect(derivative(cube)(2)).toBe(12);
  });
  it("gives 0 for a null tangent", () => {
    const c = new Derivatives({ name: "c", arity: 1, wrt: [0], jvp: () => ({ value: 1, tangent: null }) });
    expect(derivative(c)(2)).toBe(0);
  });
  it("rejects several differentiated parameters and non-number inputs (CT3006)", () => {
    // Types reject derivative(f) of a two-parameter f; the run-time check is tested through a cast.
    const e = thrown(() => derivative(f as never)(1, 2));
    expect(e.code).toBe("CT3006");
    expect(e.message).toMatch(/'f' has 2/);
    expect(thrown(() => derivative(fx)("a" as never, 2)).code).toBe("CT3006");
  });
  it("needs a forward-mode derivative (CT3001)", () => {
    const onlyVjp = new Derivatives({ name: "onlyVjp", arity: 1, wrt: [0], vjp: (x: number) => ({ value: x, pullback: (b: Tangent) => [b] }) });
    const e = thrown(() => derivative(onlyVjp)(1));
    expect(e.code).toBe("CT3001");
    expect(e.message).toContain("'onlyVjp'");
  });
});

describe("tangent and cotangent shapes are checked (CT3008)", () => {
  const s = new Derivatives({
    name: "s",
    arity: 2,
    wrt: [0, 1],
    jvp: (xs: number[], p: { a: number }, dxs: number[] | null, dp: { a: number } | null) => ({
      value: xs[0]! * p.a,
      tangent: (dxs?.[0] ?? 0) * p.a + xs[0]! * (dp?.a ?? 0),
    }),
    vjp: (xs: number[], p: { a: number }) => ({ value: xs[0]! * p.a, pullback: (b: number) => [[b * p.a, 0], { a: b * xs[0]! }] }),
  });
  it("a pullback's cotangent must have the result's shape", () => {
    expect(() => pullback(s)([1, 2], { a: 3 })([1] as never)).toThrow(/CT3008: the cotangent of the result of 's': expected a number, got/);
  });
  it("a differential's tangents must have their arguments' shapes, and not be too many", () => {
    expect(() => differential(s)([1, 2], { a: 3 })([1] as never, null)).toThrow(/CT3008: the tangent of argument 1 of 's': has 1 element, expected 2/);
    expect(() => differential(s)([1, 2], { a: 3 })(null, { b: 1 } as never)).toThrow(/has a field 'b' that the value does not have/);
    expect(() => (differential(s)([1, 2], { a: 3 }) as (...t: unknown[]) => unknown)(null, null, 1)).toThrow(/takes 2 tangents \(one per differentiated parameter\), got 3/);
    expect(differential(s)([1, 2], { a: 3 })([1, 0], { a: 1 })).toBe(4);
  });
  it("derivative of a function whose value is not a number is CT3006", () => {
    const u = new Derivatives({ name: "u", arity: 1, wrt: [0], jvp: () => ({ value: undefined, tangent: null }) });
    expect(() => derivative(u as never)(1)).toThrow(/CT3006: derivative needs a number-valued function; 'u' returned undefined/);
  });
});
