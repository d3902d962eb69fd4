// Tests of the e2e harness itself (no Cotangent host needed): the numeric utilities against
// hand-written derivatives, the plain compile, and the corpus tables (points are away from
// kinks, values are finite, `wrt` lists agree with the marks).

import { describe, test, expect } from "@jest/globals";

import {
  assertClose,
  close,
  compareTrees,
  deepClone,
  dot,
  finiteDifferenceDerivative,
  finiteDifferenceGradient,
  flatten,
  forwardVsReverse,
  mulberry32,
  randomLike,
  referenceFunctions,
  sameShape,
  unflatten,
} from "../harness/check";
import { compilePlain, typeCheck } from "../harness/compile";
import { functionSource, loadCorpus } from "../harness/corpus";

describe("check.ts utilities", () => {
  test("flatten / unflatten round-trip nested arrays and objects", () => {
    const t = { a: 1, b: [2, { c: 3, d: [4, 5] }], e: { f: 6 } };
    expect(flatten(t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(unflatten(t, [6, 5, 4, 3, 2, 1])).toEqual({ a: 6, b: [5, { c: 4, d: [3, 2] }], e: { f: 1 } });
    expect(() => unflatten(t, [1, 2])).toThrow();
    expect(() => unflatten(t, [1, 2, 3, 4, 5, 6, 7])).toThrow();
    expect(sameShape([1, { a: 2 }], [3, { a: 4 }])).toBe(true);
    expect(sameShape([1, { a: 2 }], [3, { b: 4 }])).toBe(false);
    expect(sameShape([1, 2], [1, 2, 3])).toBe(false);
  });

  test("deepClone does not share structure", () => {
    const t = { a: [1, 2], b: { c: 3 } };
    const c = deepClone(t);
    c.a[0] = 9;
    c.b.c = 9;
    expect(t).toEqual({ a: [1, 2], b: { c: 3 } });
  });

  test("close / compareTrees use a relative tolerance with an absolute floor of 1", () => {
    expect(close(1e-9, 0)).toBe(true);
    expect(close(1e6, 1e6 + 0.5)).toBe(true);
    expect(close(1e6, 1e6 + 5)).toBe(false);
    expect(close(1, 1 + 2e-6)).toBe(false);
    expect(close(NaN, NaN)).toBe(false);
    expect(compareTrees([1, { a: 2 }], [1, { a: 2 + 1e-9 }]).ok).toBe(true);
    expect(compareTrees([1, { a: 2 }], [1, { a: 2.1 }]).ok).toBe(false);
    expect(compareTrees([1, 2], { 0: 1, 1: 2 }).ok).toBe(false);
    expect(compareTrees(undefined, 1).ok).toBe(false);
  });

  test.each(referenceFunctions)("finite differences of $name match the exact derivative", ({ f, df, x }) => {
    assertClose(finiteDifferenceDerivative(f, x), df(x), "fd");
    assertClose(finiteDifferenceGradient(f, [x]), df(x), "fd gradient");
  });

  test("finite-difference gradient follows the gradient convention for arrays, objects and several params", () => {
    const f = (v: number[], p: { x: number; y: number[] }, s: number) => v[0] * v[1] * p.x + Math.sin(p.y[0]) * s + s * s;
    const v = [0.5, -1.5];
    const p = { x: 2, y: [0.3] };
    const s = 1.25;
    const g = finiteDifferenceGradient(f, [v, p, s]) as any[];
    assertClose(g, [[v[1] * p.x, v[0] * p.x], { x: v[0] * v[1], y: [Math.cos(p.y[0]) * s] }, Math.sin(p.y[0]) + 2 * s], "fd");
    const gp = finiteDifferenceGradient(f, [v, p, s], [1]);
    assertClose(gp, { x: v[0] * v[1], y: [Math.cos(p.y[0]) * s] }, "fd wrt 1");
  });

  test("finite differences tolerate functions that mutate their arguments", () => {
    const f = (v: number[]) => {
      v[1] += v[0];
      return v[1] * v[1];
    };
    const v = [0.5, 1];
    assertClose(finiteDifferenceGradient(f, [v]), [3, 3], "fd");
    expect(v).toEqual([0.5, 1]);
  });

  test("forwardVsReverse agrees for hand-written derivatives and catches a wrong one", () => {
    // f(a, p) = a[0]*a[1] + p.x * sin(p.y)
    const grad = (a: number[], p: { x: number; y: number }) => [[a[1], a[0]], { x: Math.sin(p.y), y: p.x * Math.cos(p.y) }];
    const diff = (a: number[], p: { x: number; y: number }) => (da: number[], dp: { x: number; y: number }) =>
      a[1] * da[0] + a[0] * da[1] + Math.sin(p.y) * dp.x + p.x * Math.cos(p.y) * dp.y;
    const args = [[0.3, -0.7], { x: 1.5, y: 0.2 }];
    const r = forwardVsReverse(diff, grad, args, [0, 1], mulberry32(1));
    expect(close(r.forward, r.reverse)).toBe(true);
    const wrong = (a: number[], p: { x: number; y: number }) => [[a[1], a[0]], { x: Math.sin(p.y), y: p.x }];
    const r2 = forwardVsReverse(diff, wrong, args, [0, 1], mulberry32(1));
    expect(close(r2.forward, r2.reverse)).toBe(false);
  });

  test("seeded random trees are reproducible and in [-1, 1)", () => {
    const a = randomLike({ a: [0, 0, 0], b: 0 }, mulberry32(42));
    const b = randomLike({ a: [0, 0, 0], b: 0 }, mulberry32(42));
    expect(a).toEqual(b);
    for (const x of flatten(a)) expect(Math.abs(x)).toBeLessThanOrEqual(1);
    expect(dot([1, [2]], { a: 3, b: 4 })).toBe(11);
  });
});

describe("plain compile (preset-typescript only)", () => {
  test("compiles and evaluates TypeScript with types, decorators and relative imports", () => {
    const src = `
      import { poly3 } from "./arith";
      const dec = (..._a: any[]) => undefined;
      export class K { scale: number = 2; m(x: number): number { return this.scale * x; } }
      export function f(x: number): number { return poly3(x, 1) + new K().m(x); }
    `;
    const mod = compilePlain(src, `${__dirname}/../corpus/__plain_probe.ts`);
    expect(mod.f(0.5)).toBeCloseTo(3 * 0.125 - 1 + 1 - 7 + 1);
  });
});

const corpus = loadCorpus();
const allCases = corpus.flatMap((cf) => cf.cases.map((c) => ({ cf, c, id: `${cf.base}.${c.label ?? c.name}` })));

describe("corpus tables", () => {
  test("at least 90 distinct functions under test", () => {
    const names = new Set(allCases.map(({ cf, c }) => `${cf.base}.${c.name}`));
    expect(names.size).toBeGreaterThanOrEqual(90);
  });

  test("labels are unique", () => {
    const ids = allCases.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test.each(allCases)("$id: finite value, smooth at the point (FD stable), wrt matches the mark", ({ cf, c }) => {
    const mod = compilePlain(cf.source, cf.file);
    const f = mod[c.name];
    expect(typeof f).toBe("function");
    const args = c.args();
    const y = f(...deepClone(args));
    expect(typeof y).toBe("number");
    expect(Number.isFinite(y)).toBe(true);

    // the mark's wrt list agrees with the case's
    const src = functionSource(cf, c.name);
    const mark = /@differentiable\(wrt:\s*([^)]*)\)|\{\s*wrt:\s*\[/.exec(src);
    if (mark) expect(c.wrt).toBeDefined();
    else expect(c.wrt).toBeUndefined();

    // the point is away from kinks: FD with steps 1e-6 and 1e-4 (relative) agree closely
    const g1 = flatten(finiteDifferenceGradient(f, args, c.wrt));
    for (const g of g1) expect(Number.isFinite(g)).toBe(true);
    const g2 = flatten(finiteDifferenceGradientWithStep(f, args, c.wrt, 1e-4));
    const cmp = compareTrees(g1, g2, 1e-3);
    if (!cmp.ok) throw new Error(`${c.name} looks non-smooth at ${JSON.stringify(args)}:\n${cmp.message}`);
  });
});

describe("corpus type-checks (TypeScript, no transformer)", () => {
  test.each(corpus.map((cf) => ({ cf, base: cf.base })))("$base.ts", ({ cf }) => {
    const diags = typeCheck(cf.source, cf.file).filter((d) => !/Cannot find module '@cotangent\/runtime'/.test(d));
    expect(diags).toEqual([]);
  });
});

/** Central differences with step `rel * max(1, |x|)` (for the smoothness probe). */
function finiteDifferenceGradientWithStep(f: (...a: any[]) => number, args: readonly unknown[], wrt: readonly number[] | undefined, rel: number) {
  const indices = wrt ?? args.map((_, i) => i);
  return indices.map((p) => {
    const flat = flatten(args[p]);
    return flat.map((x, k) => {
      const h = rel * Math.max(1, Math.abs(x));
      const at = (v: number) => {
        const a = deepClone(args as unknown[]);
        const pf = flat.slice();
        pf[k] = v;
        a[p] = typeof args[p] === "number" ? v : unflatten(args[p], pf);
        return f(...a);
      };
      return (at(x + h) - at(x - h)) / (2 * h);
    });
  });
}
