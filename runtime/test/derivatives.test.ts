import { describe, expect, it } from "@jest/globals";
import {
  CotangentError,
  Derivatives,
  defineDerivatives,
  differentiable,
  getDerivatives,
  isDerivatives,
  jvpCall,
  pullbackReused,
  vjpCall,
  type Tangent,
} from "@cotangent/runtime";
import { makeF } from "./helpers";

function codeOf(thunk: () => unknown): { code: string; message: string } {
  try {
    thunk();
  } catch (e) {
    expect(e).toBeInstanceOf(CotangentError);
    expect(e).toBeInstanceOf(Error);
    return e as CotangentError;
  }
  throw new Error("expected a CotangentError");
}

describe("Derivatives / defineDerivatives / getDerivatives", () => {
  it("attaches a record and returns the function unchanged", () => {
    const sq = (x: number) => x * x;
    const vjp = (x: number) => ({ value: x * x, pullback: (b: Tangent) => [2 * x * (b as number)] });
    expect(defineDerivatives(sq, { name: "sq", arity: 1, wrt: [0], vjp })).toBe(sq);
    const d = getDerivatives(sq)!;
    expect(d).toBeInstanceOf(Derivatives);
    expect(isDerivatives(d)).toBe(true);
    expect(d).toMatchObject({ name: "sq", arity: 1, wrt: [0], vjp, fn: sq });
    expect(d.jvp).toBeUndefined();
  });
  it("replaces the record when defined again", () => {
    const h = (x: number) => x;
    defineDerivatives(h, { name: "h", arity: 1, wrt: [0] });
    const second = new Derivatives({ name: "h2", arity: 1, wrt: [0] });
    defineDerivatives(h, second);
    expect(getDerivatives(h)!.name).toBe("h2");
  });
  it("returns undefined for plain functions and non-functions, and a record for a record", () => {
    expect(getDerivatives(() => 1)).toBeUndefined();
    expect(getDerivatives(42)).toBeUndefined();
    const r = new Derivatives({ name: "r", arity: 0, wrt: [] });
    expect(getDerivatives(r)).toBe(r);
    expect(isDerivatives({ name: "r", arity: 0, wrt: [] })).toBe(false);
  });
  it("rejects a non-function", () => {
    expect(codeOf(() => defineDerivatives(3 as never, { name: "x", arity: 0, wrt: [] })).code).toBe("CT3005");
  });
});

describe("jvpCall / vjpCall", () => {
  it("call the registered derivatives with the fixed conventions", () => {
    const f = makeF();
    const j = jvpCall(f, undefined, [2, 3], [1, null]);
    expect(j.value).toBeCloseTo(6 + Math.sin(2));
    expect(j.tangent).toBeCloseTo(3 + Math.cos(2));
    const { value, pullback } = vjpCall(f, undefined, [2, 3]);
    expect(value).toBeCloseTo(6 + Math.sin(2));
    const [bx, by] = pullback(1) as number[];
    expect(bx).toBeCloseTo(3 + Math.cos(2));
    expect(by).toBe(2);
  });
  it("pads missing arguments and tangents to the arity", () => {
    const seen: unknown[][] = [];
    const k = (a: number, b?: number) => a + (b ?? 0);
    defineDerivatives(k, {
      name: "k",
      arity: 2,
      wrt: [0, 1],
      jvp(...all: unknown[]) {
        seen.push(all);
        return { value: 0, tangent: null };
      },
    });
    jvpCall(k, undefined, [1], [5]);
    expect(seen[0]).toEqual([1, undefined, 5, null]);
  });
  it("pass thisArg through", () => {
    const obj = {
      k: 3,
      m(this: { k: number }, x: number) {
        return this.k * x;
      },
    };
    defineDerivatives(obj.m, {
      name: "m",
      arity: 1,
      wrt: [0],
      vjp(this: { k: number }, x: number) {
        const k = this.k;
        return { value: k * x, pullback: (b: Tangent) => [k * (b as number)] };
      },
      jvp(this: { k: number }, x: number, dx: Tangent) {
        return { value: this.k * x, tangent: this.k * (dx as number) };
      },
    });
    expect(vjpCall(obj.m, obj, [2]).pullback(1)).toEqual([3]);
    expect(jvpCall(obj.m, obj, [2], [1]).tangent).toBe(3);
  });
  it("throw CT3001 naming the function and saying how to fix it", () => {
    function lonely(x: number) {
      return x;
    }
    const e = codeOf(() => vjpCall(lonely, undefined, [1]));
    expect(e.code).toBe("CT3001");
    expect(e.message).toContain("'lonely'");
    expect(e.message).toContain("/** @differentiable */");
    expect(e.message).toContain("differentiable(...)");
    expect(e.message).toContain("registerDerivative(lonely");
    expect(codeOf(() => jvpCall(lonely, undefined, [1], [1])).code).toBe("CT3001");
  });
  it("names anonymous functions <anonymous>", () => {
    expect(codeOf(() => vjpCall((() => (x: number) => x)(), undefined, [1])).message).toContain("<anonymous>");
  });
  it("say when only the other mode exists", () => {
    const onlyJvp = (x: number) => x;
    defineDerivatives(onlyJvp, { name: "onlyJvp", arity: 1, wrt: [0], jvp: (x: number, dx: Tangent) => ({ value: x, tangent: dx }) });
    const e = codeOf(() => vjpCall(onlyJvp, undefined, [1]));
    expect(e.code).toBe("CT3001");
    expect(e.message).toMatch(/only has a forward-mode derivative/);
    const onlyVjp = (x: number) => x;
    defineDerivatives(onlyVjp, { name: "onlyVjp", arity: 1, wrt: [0], vjp: (x: number) => ({ value: x, pullback: (b: Tangent) => [b] }) });
    expect(codeOf(() => jvpCall(onlyVjp, undefined, [1], [1])).message).toMatch(/only has a reverse-mode derivative/);
  });
  it("say when a function was marked at run time but the build did not process it", () => {
    const marked = differentiable(function marked(x: number) {
      return x;
    });
    expect(codeOf(() => vjpCall(marked, undefined, [1])).message).toMatch(/marked differentiable but the build generated no derivatives/);
  });
});

describe("pullbackReused", () => {
  it("throws CT3002 with the documented message", () => {
    const e = codeOf(() => pullbackReused("loss"));
    expect(e.code).toBe("CT3002");
    expect(e.message).toBe(
      "CT3002: The pullback of 'loss' was already called; a pullback that replays a tape can be called once. " +
        "Call valueWithPullback(...) again for another cotangent.",
    );
  });
});
