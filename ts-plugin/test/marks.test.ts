// Mark finding (marks.ts) on parsed files: which constructs are marks, and which are not.

import { describe, expect, test } from "@jest/globals";
import ts from "typescript";
import { findMarks, findNestedOperatorCalls, findRuntimeImports } from "../src/marks";
import { parse } from "./helpers";

function marks(code: string) {
  const sf = parse(code);
  return findMarks(ts, sf, findRuntimeImports(ts, sf)).map((f) => {
    switch (f.kind) {
      case "constant":
        return { kind: f.kind, name: f.name, wrt: f.wrt };
      case "method":
        return { kind: f.kind, name: (f.node.name as ts.Identifier).text, decorator: !!f.decorator, wrt: f.wrt };
      default:
        return { kind: f.kind };
    }
  });
}

describe("JSDoc marks on constants and methods", () => {
  test("`const f = (…) => …` and `let g = function (…) {…}`, exported or not, with wrt", () => {
    expect(
      marks(`
        /** @differentiable */
        export const f = (x: number) => x * x;
        /** @differentiable(wrt: x) */
        let g = function (x: number, n: number) { return x ** n; };
        /** @differentiable */
        const h = ((x: number) => x) as (x: number) => number;
      `),
    ).toEqual([
      { kind: "constant", name: "f", wrt: undefined },
      { kind: "constant", name: "g", wrt: ["x"] },
      { kind: "constant", name: "h", wrt: undefined },
    ]);
  });

  test("not marks: several declarators, a non-function initializer, a plain comment, a destructuring", () => {
    expect(
      marks(`
        /** @differentiable */
        const a = (x: number) => x, b = (x: number) => x;
        /** @differentiable */
        const c = 3;
        /* @differentiable */
        const d = (x: number) => x;
        /** @differentiable */
        const [e] = [(x: number) => x];
      `),
    ).toEqual([]);
  });

  test("methods: JSDoc alone, decorator alone, both (one mark, the decorator's), overload signatures skipped", () => {
    expect(
      marks(`
        import { differentiable } from "@cotangent/runtime";
        class M {
          /** @differentiable(wrt: x) */
          a(x: number, k: number): number { return k * x; }
          @differentiable b(x: number): number { return x; }
          /** @differentiable */
          @differentiable({ wrt: ["x"] }) c(x: number, y: number): number { return x * y; }
          /** @differentiable */
          d(x: number): number;
          d(x: number): number { return x; }
          /** Not a mark. */
          e(x: number): number { return x; }
        }
      `),
    ).toEqual([
      { kind: "method", name: "a", decorator: false, wrt: ["x"] },
      { kind: "method", name: "b", decorator: true, wrt: undefined },
      { kind: "method", name: "c", decorator: true, wrt: ["x"] },
    ]);
  });
});

test("outer(inner(f)) calls: both runtime operators (renamed or namespaced), f an identifier", () => {
  const sf = parse(`
    import { derivative as d, gradient } from "@cotangent/runtime";
    import * as ct from "@cotangent/runtime";
    d(d(f));
    ct.differential(gradient(g));
    d(Math.sin);
    d(d((x: number) => x));
    d(other(f));
    gradient(d(f, 1));
  `);
  const calls = findNestedOperatorCalls(ts, sf, findRuntimeImports(ts, sf)).map((c) => [c.outer, c.inner, c.name]);
  expect(calls).toEqual([
    ["derivative", "derivative", "f"],
    ["differential", "gradient", "g"],
  ]);
});
