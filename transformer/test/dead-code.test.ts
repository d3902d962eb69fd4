// The fused gradient's dead-code pass (dead-code.ts) on its own: function bodies in, the kept
// statements out, printed. What it must remove (pure writes nothing reads later, at any loop
// depth) and what it must keep (writes read in a later iteration, impure values, pops that move a
// tape's top, whole bodies it cannot analyse).

import { describe, expect, test } from "@jest/globals";
import { parse } from "@babel/parser";
import type * as t from "@babel/types";
import { BabelAdapter } from "../../babel-plugin/src/adapter";
import { eliminateDeadCode } from "../src/dead-code";
import type { Statement } from "../src/ir";
import { Printer } from "../src/print";

function statementsOf(body: string): Statement[] {
  const source = `function f(x, y) {\n${body}\n}`;
  const fn = parse(source, { sourceType: "module" }).program.body[0] as t.FunctionDeclaration;
  const adapter = new BabelAdapter(source, new Map(), "__ct");
  return fn.body.body.map((s) => adapter.stmt(s)) as Statement[];
}

function dce(body: string): string {
  return new Printer().functionDeclaration("f", [], eliminateDeadCode(statementsOf(body))).trim();
}

const lines = (...ls: string[]) => ["function f() {", ...ls.map((l) => `  ${l}`), "}"].join("\n");

describe("dead code of the fused gradient", () => {
  test("removes pure writes nothing reads, keeps what the result needs", () => {
    expect(dce("let s, t; s = Math.sin(x); t = x * 2; s = s + 1; return t;")).toBe(lines("let t;", "t = x * 2;", "return t;"));
  });

  test("a loop keeps a value read in a later iteration, and the counter its test reads", () => {
    const got = dce("let i, a, s, junk; i = 0; a = 1; while (i < 3) { junk = a * 2; s = a + x; a = s; i = i + 1; } return a;");
    expect(got).toBe(
      lines("let i, a, s;", "i = 0;", "a = 1;", "while (i < 3) {", "  s = a + x;", "  a = s;", "  i = i + 1;", "}", "return a;"),
    );
  });

  test("a write read by an adjoint loop after the primal loop stays; branches left empty go, with their pure test", () => {
    const got = dce(
      "let i, s, t, b; i = 0; b = 0; while (i < 4) { t = x * i; if (t > 1) { s = s + t; } else { s = s - t; } i = i + 1; } for (let n = 4; n > 0; n--) { i = i - 1; b += x * i; } return b;",
    );
    expect(got).toBe(
      lines(
        "let i, b;",
        "i = 0;",
        "b = 0;",
        "while (i < 4) {",
        "  i = i + 1;",
        "}",
        "for (let n = 4; n > 0; n--) {",
        "  i = i - 1;",
        "  b += x * i;",
        "}",
        "return b;",
      ),
    );
  });

  test("keeps impure values: calls of other functions, property reads, tape pops (they move the top)", () => {
    const got = dce("let a, b, c, d; a = g(x); b = o.w; c = $numbers[--$n]; d = Math.random(); return x;");
    expect(got).toBe(lines("let a, b, c, d;", "a = g(x);", "b = o.w;", "c = $numbers[--$n];", "d = Math.random();", "return x;"));
  });

  test("stores into the tape stay, and keep what they store alive", () => {
    const got = dce("let r, q; r = x * x; q = r + 1; $numbers[$n++] = r; return y;");
    expect(got).toBe(lines("let r;", "r = x * x;", "$numbers[$n++] = r;", "return y;"));
  });

  test("unused const temporaries go; a kept if with an emptied branch loses only that branch", () => {
    const got = dce("let b = 0; const g = b * 2; if (x > 0) { b += y; } else { const h = y * 3; } return b;");
    expect(got).toBe(lines("let b = 0;", "if (x > 0) {", "  b += y;", "}", "return b;"));
  });

  test("bodies with jumps, closures or an early return are left as they are", () => {
    for (const body of [
      "let s; s = 0; while (x > 0) { s = s + 1; break; } return x;",
      "let s; s = x * 2; const k = () => s; return k();",
      "let s; s = x * 2; if (y > 0) { return y; } return x;",
    ]) {
      const stmts = statementsOf(body);
      expect(eliminateDeadCode(stmts)).toBe(stmts);
    }
  });
});
