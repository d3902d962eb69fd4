// The ts.Node → IR adapter: shapes for a representative set of functions, type annotations,
// locations, and Unsupported nodes for everything outside the IR.

import { describe, expect, test } from "@jest/globals";
import ts from "typescript";
import { adaptFunction } from "../src/adapter";
import { createProgram, findFunction, noLoc, parse } from "./helpers";
import { syntaxText, type MarkedFunction, type SyntaxKind } from "@cotangent/transformer";

function adapt(code: string, name: string, extra: Partial<Parameters<typeof adaptFunction>[1]> = {}): MarkedFunction {
  const sf = parse(code);
  return adaptFunction(findFunction(sf, name), { ts, sourceFile: sf, ...extra });
}

/** Every Unsupported / UnsupportedStatement in a tree: its syntax kind (from the core's list), as words too. */
function unsupported(node: unknown, out: { syntax: SyntaxKind; words: string; line: number; column: number }[] = []) {
  if (Array.isArray(node)) node.forEach((n) => unsupported(n, out));
  else if (node && typeof node === "object") {
    const n = node as { type?: string; syntax?: SyntaxKind; detail?: string; loc?: { line: number; column: number } };
    if (n.type === "Unsupported" || n.type === "UnsupportedStatement") out.push({ syntax: n.syntax!, words: syntaxText(n.syntax!, n.detail), line: n.loc!.line, column: n.loc!.column });
    for (const [k, v] of Object.entries(node)) if (k !== "loc") unsupported(v, out);
  }
  return out;
}

describe("function shapes", () => {
  test("a declaration with typed parameters, locals and a call", () => {
    const fn = adapt(
      `function f(x: number, y: number): number {\n  const z = x * y;\n  return z + Math.sin(x);\n}`,
      "f",
    );
    expect(noLoc(fn)).toEqual({
      name: "f",
      kind: "declaration",
      isArrow: false,
      returnType: { kind: "number" },
      params: [
        { type: "Identifier", name: "x", typeAnnotation: { kind: "number" } },
        { type: "Identifier", name: "y", typeAnnotation: { kind: "number" } },
      ],
      body: {
        type: "BlockStatement",
        body: [
          {
            type: "VariableDeclaration",
            kind: "const",
            declarations: [
              {
                type: "VariableDeclarator",
                id: { type: "Identifier", name: "z" },
                init: { type: "BinaryExpression", operator: "*", left: { type: "Identifier", name: "x" }, right: { type: "Identifier", name: "y" } },
              },
            ],
          },
          {
            type: "ReturnStatement",
            argument: {
              type: "BinaryExpression",
              operator: "+",
              left: { type: "Identifier", name: "z" },
              right: {
                type: "CallExpression",
                callee: { type: "MemberExpression", object: { type: "Identifier", name: "Math" }, property: { type: "Identifier", name: "sin" }, computed: false },
                arguments: [{ type: "Identifier", name: "x" }],
              },
            },
          },
        ],
      },
      // Where the core's quick fixes go: this file has no runtime import, so wrapping adds one.
      fixSites: {
        withoutDerivative: { callee: "withoutDerivative", importEdits: [{ start: 0, end: 0, newText: `import { withoutDerivative } from "@cotangent/runtime";\n` }] },
      },
    });
  });

  test("locations: offsets, 1-based lines, 0-based columns, without leading trivia", () => {
    const code = `// header\nfunction f(x: number) {\n  return   x * 2;\n}`;
    const fn = adapt(code, "f");
    const ret = (fn.body as { body: { loc: unknown; argument: { loc: { start: number; end: number } } }[] }).body[0]!;
    expect(ret.loc).toEqual({ start: code.indexOf("return"), end: code.indexOf(";") + 1, line: 3, column: 2, endLine: 3, endColumn: 17 });
    expect(code.slice(ret.argument.loc.start, ret.argument.loc.end)).toBe("x * 2");
    // The function head: where "not differentiable" errors point.
    expect(code.slice(fn.loc!.start, fn.loc!.end)).toBe("function f(x: number)");
    expect(fn.loc).toMatchObject({ line: 2, column: 0 });
    expect(fn.params[0]!.loc).toMatchObject({ line: 2, column: 11, endColumn: 20 });
  });

  test("a concise arrow keeps an expression body and isArrow", () => {
    const fn = adapt(`const sq = (x: number) => x * x;`, "sq", { name: "sq", kind: "expression" });
    expect(fn.isArrow).toBe(true);
    expect(fn.kind).toBe("expression");
    expect(noLoc(fn.body)).toEqual({ type: "BinaryExpression", operator: "*", left: { type: "Identifier", name: "x" }, right: { type: "Identifier", name: "x" } });
  });

  test("a function expression inside differentiable(), with wrt", () => {
    const fn = adapt(`const g = differentiable(function (x: number, n: number) { return x ** n; }, { wrt: ["x"] });`, "g", { name: "g", wrt: ["x"] });
    expect(fn).toMatchObject({ name: "g", kind: "expression", isArrow: false, wrt: ["x"] });
    expect(noLoc(fn.body)).toMatchObject({ body: [{ type: "ReturnStatement", argument: { type: "BinaryExpression", operator: "**" } }] });
  });

  test("a method: kind method, `this` kept", () => {
    const fn = adapt(`class M { w = 2; loss(x: number): number { return this.w * x; } }`, "loss");
    expect(fn).toMatchObject({ name: "loss", kind: "method", isArrow: false });
    expect(noLoc(fn.body)).toMatchObject({
      body: [{ type: "ReturnStatement", argument: { left: { type: "MemberExpression", object: { type: "ThisExpression" }, property: { name: "w" } } } }],
    });
  });

  test("anonymous functions get the name they are given, else 'anonymous'", () => {
    const sf = parse(`gradient((x: number) => x);`);
    let arrow!: ts.ArrowFunction;
    const visit = (n: ts.Node): void => { if (ts.isArrowFunction(n)) arrow = n; ts.forEachChild(n, visit); };
    visit(sf);
    expect(adaptFunction(arrow, { ts, sourceFile: sf }).name).toBe("anonymous");
    expect(adaptFunction(arrow, { ts, sourceFile: sf, name: "anonymous$1" }).name).toBe("anonymous$1");
  });
});

describe("type-only syntax is stripped", () => {
  test.each([
    ["x as number"],
    ["x!"],
    ["<number>x"],
    ["x satisfies number"],
    ["((x))"],
    ["(x as unknown as number)!"],
  ])("%s", (expr) => {
    const fn = adapt(`function f(x: number) { return ${expr}; }`, "f");
    expect(noLoc((fn.body as { body: { argument: unknown }[] }).body[0]!.argument)).toEqual({ type: "Identifier", name: "x" });
  });

  test("type arguments, `this` parameters, local types and overloads", () => {
    const fn = adapt(
      `function f(this: Window, x: number) {\n  type T = number;\n  interface I { a: number }\n  const id = <U,>(u: U) => u;\n  return id<number>(x);\n}`,
      "f",
    );
    expect(fn.params).toHaveLength(1);
    const body = (fn.body as { body: { type: string }[] }).body;
    expect(body.map((s) => s.type)).toEqual(["VariableDeclaration", "ReturnStatement"]);
    expect(noLoc(body[1])).toMatchObject({ argument: { type: "CallExpression", callee: { type: "Identifier", name: "id" } } });
  });
});

describe("literals", () => {
  test.each([
    ["1e-3", 1e-3],
    ["0x10", 16],
    ["1_000", 1000],
    ["0b101", 5],
    ["0o17", 15],
    [".5", 0.5],
    ["2.5E2", 250],
  ])("%s", (text, value) => {
    const fn = adapt(`function f() { return ${text}; }`, "f");
    expect(noLoc((fn.body as { body: { argument: unknown }[] }).body[0]!.argument)).toEqual({ type: "NumericLiteral", value });
  });

  test("strings, booleans, null, templates, arrays with holes and spreads, objects", () => {
    const fn = adapt(
      "function f(x: number, xs: number[]) { return [\"s\", true, false, null, `a${x}b`, `plain`, [, ...xs], { x, y: 1, 'z': 2, [x]: 3, ...{} }]; }",
      "f",
    );
    expect(noLoc((fn.body as { body: { argument: unknown }[] }).body[0]!.argument)).toEqual({
      type: "ArrayExpression",
      elements: [
        { type: "StringLiteral", value: "s" },
        { type: "BooleanLiteral", value: true },
        { type: "BooleanLiteral", value: false },
        { type: "NullLiteral" },
        { type: "TemplateLiteral", quasis: ["a", "b"], expressions: [{ type: "Identifier", name: "x" }] },
        { type: "TemplateLiteral", quasis: ["plain"], expressions: [] },
        { type: "ArrayExpression", elements: [null, { type: "SpreadElement", argument: { type: "Identifier", name: "xs" } }] },
        {
          type: "ObjectExpression",
          properties: [
            { type: "ObjectProperty", key: { type: "Identifier", name: "x" }, value: { type: "Identifier", name: "x" }, computed: false, shorthand: true },
            { type: "ObjectProperty", key: { type: "Identifier", name: "y" }, value: { type: "NumericLiteral", value: 1 }, computed: false, shorthand: false },
            { type: "ObjectProperty", key: { type: "StringLiteral", value: "z" }, value: { type: "NumericLiteral", value: 2 }, computed: false, shorthand: false },
            { type: "ObjectProperty", key: { type: "Identifier", name: "x" }, value: { type: "NumericLiteral", value: 3 }, computed: true, shorthand: false },
            { type: "SpreadElement", argument: { type: "ObjectExpression", properties: [] } },
          ],
        },
      ],
    });
  });
});

describe("operators and control flow", () => {
  test("logical, unary, update, compound assignment, conditional, sequence, optional chains", () => {
    const fn = adapt(
      `function f(a: number, o?: { v: number }) { let s = 0; s += a; s++; --s; s = a > 0 && !(a < 1) ? -a : +a; s = (s, a ?? 1); return typeof a === "number" ? o?.v : void 0; }`,
      "f",
    );
    const body = noLoc((fn.body as { body: unknown[] }).body) as { expression?: unknown; argument?: unknown }[];
    expect(body[1]!.expression).toEqual({ type: "AssignmentExpression", operator: "+=", left: { type: "Identifier", name: "s" }, right: { type: "Identifier", name: "a" } });
    expect(body[2]!.expression).toEqual({ type: "UpdateExpression", operator: "++", prefix: false, argument: { type: "Identifier", name: "s" } });
    expect(body[3]!.expression).toEqual({ type: "UpdateExpression", operator: "--", prefix: true, argument: { type: "Identifier", name: "s" } });
    expect(body[4]!.expression).toMatchObject({
      type: "AssignmentExpression",
      right: {
        type: "ConditionalExpression",
        test: { type: "LogicalExpression", operator: "&&", right: { type: "UnaryExpression", operator: "!" } },
        consequent: { type: "UnaryExpression", operator: "-" },
        alternate: { type: "UnaryExpression", operator: "+" },
      },
    });
    expect(body[5]!.expression).toMatchObject({ right: { type: "SequenceExpression", expressions: [{ name: "s" }, { type: "LogicalExpression", operator: "??" }] } });
    expect(body[6]!.argument).toMatchObject({
      test: { type: "BinaryExpression", operator: "===", left: { type: "UnaryExpression", operator: "typeof" } },
      consequent: { type: "MemberExpression", optional: true },
      alternate: { type: "UnaryExpression", operator: "void" },
    });
  });

  test("for (let …), for…of, while, do…while, if/else, switch, break, continue", () => {
    const fn = adapt(
      `function f(xs: number[], n: number) {
        let s = 0;
        for (let i = 0, j = 1; i < n; i++) { if (i === 2) continue; else s += xs[i]! * j; }
        for (i = 0; ; ) break;
        for (const x of xs) s += x;
        for ([a, b] of pairs) s += a;
        while (s > 10) s /= 2;
        do { s -= 1; } while (s > 5);
        switch (n) { case 1: s = 1; break; default: s = 0; }
        return s;
      }`,
      "f",
    );
    const body = noLoc((fn.body as { body: unknown[] }).body) as Record<string, unknown>[];
    expect(body.map((s) => s.type)).toEqual([
      "VariableDeclaration", "ForStatement", "ForStatement", "ForOfStatement", "ForOfStatement", "WhileStatement", "DoWhileStatement", "SwitchStatement", "ReturnStatement",
    ]);
    expect(body[1]).toMatchObject({
      init: { type: "VariableDeclaration", kind: "let", declarations: [{ id: { name: "i" } }, { id: { name: "j" } }] },
      test: { type: "BinaryExpression", operator: "<" },
      update: { type: "UpdateExpression" },
      body: { type: "BlockStatement", body: [{ type: "IfStatement", consequent: { type: "ContinueStatement", label: null }, alternate: { type: "ExpressionStatement" } }] },
    });
    expect(body[1]).toMatchObject({ body: { body: [{ alternate: { expression: { right: { left: { type: "MemberExpression", computed: true } } } } }] } });
    expect(body[2]).toMatchObject({ init: { type: "AssignmentExpression" }, test: null, update: null, body: { type: "BreakStatement" } });
    expect(body[3]).toMatchObject({ left: { type: "VariableDeclaration", kind: "const", declarations: [{ id: { name: "x" }, init: null }] }, right: { name: "xs" } });
    expect(body[4]).toMatchObject({ left: { type: "ArrayPattern", elements: [{ name: "a" }, { name: "b" }] } });
    expect(body[7]).toMatchObject({ cases: [{ type: "SwitchCase", test: { value: 1 }, consequent: [{}, { type: "BreakStatement" }] }, { test: null }] });
  });

  test("patterns: destructuring parameters with defaults, rest, optional; destructuring assignment", () => {
    const fn = adapt(
      `function f({ a, b: [c, , d = 2] }: { a: number; b: number[] }, e = 1, f?: number, ...rest: number[]) { let p, q; [p, q] = [q, p]; ({ p, q = 3 } = { p: 1, q: 2 }); return a; }`,
      "f",
    );
    expect(noLoc(fn.params)).toEqual([
      {
        type: "ObjectPattern",
        typeAnnotation: { kind: "object", fields: { a: { kind: "number" }, b: { kind: "array", element: { kind: "number" } } } },
        properties: [
          { type: "ObjectProperty", key: { type: "Identifier", name: "a" }, value: { type: "Identifier", name: "a" }, computed: false, shorthand: true },
          {
            type: "ObjectProperty",
            key: { type: "Identifier", name: "b" },
            value: {
              type: "ArrayPattern",
              elements: [{ type: "Identifier", name: "c" }, null, { type: "AssignmentPattern", left: { type: "Identifier", name: "d" }, right: { type: "NumericLiteral", value: 2 } }],
            },
            computed: false,
            shorthand: false,
          },
        ],
      },
      { type: "AssignmentPattern", left: { type: "Identifier", name: "e" }, right: { type: "NumericLiteral", value: 1 } },
      { type: "Identifier", name: "f", optional: true, typeAnnotation: { kind: "number" } },
      { type: "RestElement", argument: { type: "Identifier", name: "rest" }, typeAnnotation: { kind: "array", element: { kind: "number" } } },
    ]);
    const body = noLoc((fn.body as { body: unknown[] }).body) as { expression?: unknown }[];
    expect(body[1]!.expression).toMatchObject({ type: "AssignmentExpression", operator: "=", left: { type: "ArrayPattern", elements: [{ name: "p" }, { name: "q" }] } });
    expect(body[2]!.expression).toMatchObject({
      left: { type: "ObjectPattern", properties: [{ shorthand: true, value: { name: "p" } }, { shorthand: true, value: { type: "AssignmentPattern", left: { name: "q" } } }] },
    });
  });

  test("nested function declarations and closures", () => {
    const fn = adapt(`function f(x: number) { function sq(t: number) { return t * t; } const k = (u: number) => u + x; return sq(x) + k(1); }`, "f");
    const body = noLoc((fn.body as { body: unknown[] }).body) as Record<string, unknown>[];
    expect(body[0]).toMatchObject({ type: "FunctionDeclaration", id: { name: "sq" }, params: [{ name: "t", typeAnnotation: { kind: "number" } }] });
    expect(body[1]).toMatchObject({ declarations: [{ init: { type: "ArrowFunctionExpression", body: { type: "BinaryExpression" } } }] });
  });
});

describe("type annotations", () => {
  test.each([
    ["number", { kind: "number" }],
    ["boolean", { kind: "boolean" }],
    ["string", { kind: "string" }],
    ["number[]", { kind: "array", element: { kind: "number" } }],
    ["Array<number>", { kind: "array", element: { kind: "number" } }],
    ["readonly number[]", { kind: "array", element: { kind: "number" } }],
    ["ReadonlyArray<number>", { kind: "array", element: { kind: "number" } }],
    ["number[][]", { kind: "array", element: { kind: "array", element: { kind: "number" } } }],
    ["[number, number]", { kind: "tuple", elements: [{ kind: "number" }, { kind: "number" }] }],
    ["readonly [x: number, y: boolean]", { kind: "tuple", elements: [{ kind: "number" }, { kind: "boolean" }] }],
    ["{ x: number; y: number }", { kind: "object", fields: { x: { kind: "number" }, y: { kind: "number" } } }],
    ["(number)", { kind: "number" }],
    ["(a: number) => number", { kind: "function" }],
    ["symbol", { kind: "nondiff", text: "symbol" }],
    ["Point", { kind: "unknown", text: "Point" }],
    ["number | undefined", { kind: "unknown", text: "number | undefined" }],
    ["Map<string, number>", { kind: "unknown", text: "Map<string, number>" }],
  ])("%s (syntax only)", (type, ir) => {
    const fn = adapt(`function f(x: ${type}) { return x; }`, "f");
    expect((fn.params[0] as { typeAnnotation?: unknown }).typeAnnotation).toEqual(ir);
  });

  test("with a checker, interfaces and aliases resolve to structure", () => {
    const code = `
      interface Point { x: number; y: number }
      type Vec = number[];
      type Pair = [number, Point];
      interface Model { w: Vec; b: number; name: string; f(): void }
      type Num = 1 | 2 | 3;
      class C { v = 1 }
      interface Tree { left?: Tree; v: number }
      export function f(p: Point, v: Vec, q: Pair, m: Model, n: Num, c: C, t: Tree): number { return p.x; }
    `;
    const { program } = createProgram({ "/virtual/types.ts": code }, { target: ts.ScriptTarget.ES2022, types: [], strict: true, noEmit: true });
    const sf = program.getSourceFile("/virtual/types.ts")!;
    const fn = adaptFunction(findFunction(sf, "f"), { ts, sourceFile: sf, checker: program.getTypeChecker() });
    const types = fn.params.map((p) => (p as { typeAnnotation?: unknown }).typeAnnotation);
    expect(types[0]).toEqual({ kind: "object", fields: { x: { kind: "number" }, y: { kind: "number" } } });
    expect(types[1]).toEqual({ kind: "array", element: { kind: "number" } });
    expect(types[2]).toEqual({ kind: "tuple", elements: [{ kind: "number" }, { kind: "object", fields: { x: { kind: "number" }, y: { kind: "number" } } }] });
    expect(types[3]).toEqual({
      kind: "object",
      fields: { w: { kind: "array", element: { kind: "number" } }, b: { kind: "number" }, name: { kind: "string" }, f: { kind: "function" } },
    });
    expect(types[4]).toEqual({ kind: "number" });
    expect(types[5]).toEqual({ kind: "unknown", text: "C" });
    expect(types[6]).toMatchObject({ kind: "object", fields: { v: { kind: "number" } } });
  });
});

describe("unsupported constructs are reported at their location, never dropped", () => {
  test.each([
    ["const C = class {};", "ClassExpression", "a class expression"],
    ["const o2 = { get v() { return 1; } };", "ObjectGetter", "a getter in an object literal"],
    ["const o2 = { set v(a: number) {} };", "ObjectSetter", "a setter in an object literal"],
    ["const r = /a+/g;", "RegExpLiteral", "a regular expression literal"],
    ["const t = tag`a${x}`;", "TaggedTemplate", "a tagged template"],
    ["const b = 10n;", "BigIntLiteral", "a bigint literal"],
    ["class K {}", "ClassDeclaration", "a class declaration"],
    ["enum E { A }", "EnumDeclaration", "an enum declaration"],
    ["debugger;", "DebuggerStatement", "a `debugger` statement"],
    ["const s = super.x;", "Super", "`super`"],
    ["const m = import.meta;", "MetaProperty", "`import.meta`"],
    ["using d = res;", "UsingDeclaration", "a `using` declaration"],
    ["const p = this.#p;", "PrivateField", "a private field (`#x`)"],
  ] as const)("%s", (stmt, syntax, words) => {
    const code = `function f(x: number, o: any) {\n  ${stmt}\n  return x;\n}`;
    const fn = adapt(code, "f");
    const found = unsupported(fn.body);
    expect(found).toEqual([expect.objectContaining({ syntax, line: 2 })]);
    expect(found[0]!.words).toMatch(new RegExp(`^${words.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not supported in differentiable functions`));
    expect(found[0]!.column).toBeGreaterThanOrEqual(2);
  });

  test("`await` in an async function, and the async function itself", () => {
    const fn = adapt(`async function f(x: number) {\n  return (await x) * 2;\n}`, "f");
    expect(unsupported(fn.body).map(({ syntax, line, column }) => ({ syntax, line, column }))).toEqual([
      { syntax: "AsyncFunction", line: 1, column: 0 },
      { syntax: "Await", line: 2, column: 10 },
    ]);
  });

  test("generators and `yield`", () => {
    const fn = adapt(`function* f(x: number) { yield x; }`, "f");
    expect(unsupported(fn.body).map((u) => u.syntax)).toEqual(["GeneratorFunction", "Yield"]);
  });

  test("a concise async arrow body becomes Unsupported", () => {
    const fn = adapt(`const f = async (x: number) => x;`, "f");
    expect(noLoc(fn.body)).toEqual({ type: "Unsupported", syntax: "AsyncFunction" });
  });

  test("the location of an Unsupported node covers the construct", () => {
    const code = `function f(x: number) {\n  const C = class { m() {} };\n  return x;\n}`;
    const fn = adapt(code, "f");
    const decl = (fn.body as { body: { declarations: { init: { loc: { start: number; end: number } } }[] }[] }).body[0]!;
    const loc = decl.declarations[0]!.init.loc;
    expect(code.slice(loc.start, loc.end)).toBe("class { m() {} }");
  });
});

describe("runtime references", () => {
  const runtime = {
    namespace: "__ct",
    bindings: new Map([["wd", "withoutDerivative"], ["gradient", "gradient"]]),
    namespaces: new Set(["ct"]),
  };

  test("renamed and namespace imports become members of the runtime namespace", () => {
    const fn = adapt(`function f(x: number) { return wd(x) * ct.withoutDerivative(x) + gradient; }`, "f", { runtime });
    const ret = noLoc((fn.body as { body: { argument: unknown }[] }).body[0]!.argument);
    expect(ret).toMatchObject({
      left: {
        left: { callee: { type: "MemberExpression", object: { name: "__ct" }, property: { name: "withoutDerivative" }, computed: false } },
        right: { callee: { type: "MemberExpression", object: { name: "__ct" }, property: { name: "withoutDerivative" } } },
      },
      right: { type: "MemberExpression", object: { name: "__ct" }, property: { name: "gradient" } },
    });
  });

  test("a local of the same name shadows the import", () => {
    const fn = adapt(`function f(x: number, wd: (n: number) => number) { return wd(x); }`, "f", { runtime });
    expect(noLoc((fn.body as { body: { argument: unknown }[] }).body[0]!.argument)).toMatchObject({ callee: { type: "Identifier", name: "wd" } });
  });

  test("without runtime refs, identifiers stay as written", () => {
    const fn = adapt(`function f(x: number) { return wd(x); }`, "f");
    expect(noLoc((fn.body as { body: { argument: unknown }[] }).body[0]!.argument)).toMatchObject({ callee: { type: "Identifier", name: "wd" } });
  });
});
