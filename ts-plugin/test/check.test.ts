// Build-time checks that need the type checker (check.ts, callee.ts, type-ir.ts): calls to
// functions without derivatives (CT1010), within a file and across files (through `.ts` sources and
// `.d.ts` declarations), and parameters or results whose type is not Differentiable (CT1011).
// Programs over in-memory files; `checkSourceFile` is what the transformer and the editor plugin run.

import { describe, expect, test } from "@jest/globals";
import path from "node:path";
import ts from "typescript";
import { checkSourceFile } from "../src/check";
import { adaptFunction } from "../src/adapter";
import { createCalleeResolver } from "../src/callee";
import { CHECK_OPTIONS as OPTIONS, createProgram, findFunction } from "./helpers";

const dir = path.join(__dirname, "__virtual_check__");
const file = (name: string) => path.join(dir, name);

/** Cotangent's diagnostics for `main.ts` among `files` (names relative to a virtual folder). */
function check(files: Record<string, string>, main = "main.ts") {
  const { program } = createProgram(Object.fromEntries(Object.entries(files).map(([k, v]) => [file(k), v])), OPTIONS);
  const sf = program.getSourceFile(file(main))!;
  const tsErrors = ts.getPreEmitDiagnostics(program, sf).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  const r = checkSourceFile(ts, program, sf);
  const text = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, "\n");
  return {
    program,
    sf,
    tsErrors,
    result: r,
    codes: r.diagnostics.map((d) => text(d).slice(0, 6)),
    messages: r.diagnostics.map(text),
    at: (d: ts.Diagnostic) => sf.text.slice(d.start!, d.start! + d.length!),
  };
}

describe("CT1010: a call on an active value to a function without a derivative", () => {
  test("a plain function in the same file: error at the call, notes at the mark and at the declaration", () => {
    const r = check({
      "main.ts": `function double(v: number): number {\n  return 2 * v;\n}\n\n/** @differentiable */\nexport function f(x: number): number {\n  return double(x) * x;\n}\n`,
    });
    expect(r.tsErrors).toEqual([]);
    expect(r.codes).toEqual(["CT1010"]);
    const d = r.result.diagnostics[0]!;
    expect(d.code).toBe(1001010);
    expect(d.category).toBe(ts.DiagnosticCategory.Error);
    expect(d.source).toBe("cotangent");
    expect(r.at(d)).toBe("double(x)");
    expect(r.messages[0]).toContain("it calls 'double' on a value that depends on the differentiated inputs, and 'double' has no derivative");
    const rel = d.relatedInformation!.map((i) => ({ file: path.basename(i.file!.fileName), text: i.file!.text.slice(i.start!, i.start! + i.length!), message: i.messageText }));
    expect(rel).toEqual([
      { file: "main.ts", text: "f", message: "'f' is marked differentiable here" },
      { file: "main.ts", text: "double", message: "'double' is declared here" },
    ]);
  });

  test("a function imported from another .ts file (also through a renaming import and a re-export)", () => {
    const helpers = `export function squash(v: number): number {\n  return v / (1 + Math.abs(v));\n}\n`;
    const r = check({
      "helpers.ts": helpers,
      "reexport.ts": `export { squash as squish } from "./helpers";\n`,
      "main.ts": `import { squash as sq } from "./helpers";\nimport { squish } from "./reexport";\n/** @differentiable */\nexport function f(x: number): number {\n  return sq(x) + squish(x);\n}\n`,
    });
    expect(r.tsErrors).toEqual([]);
    expect(r.codes).toEqual(["CT1010", "CT1010"]);
    expect(r.result.diagnostics.map((d) => r.at(d))).toEqual(["sq(x)", "squish(x)"]);
    for (const d of r.result.diagnostics) {
      const decl = d.relatedInformation!.find((i) => String(i.messageText).includes("declared here"))!;
      expect(path.basename(decl.file!.fileName)).toBe("helpers.ts");
      expect(decl.file!.text.slice(decl.start!, decl.start! + decl.length!)).toBe("squash");
    }
  });

  test("a function declared in a .d.ts: unmarked is CT1010; marked (/** @differentiable */ kept by tsc) is not", () => {
    const r = check({
      "lib.d.ts": `export declare function plain(v: number): number;\n/**\n * Smooth.\n * @differentiable\n */\nexport declare function smooth(v: number): number;\n`,
      "main.ts": `import { plain, smooth } from "./lib";\n/** @differentiable */\nexport function f(x: number): number {\n  return smooth(x) * plain(x);\n}\n`,
    });
    expect(r.tsErrors).toEqual([]);
    expect(r.codes).toEqual(["CT1010"]);
    expect(r.at(r.result.diagnostics[0]!)).toBe("plain(x)");
    const decl = r.result.diagnostics[0]!.relatedInformation![1]!;
    expect(path.basename(decl.file!.fileName)).toBe("lib.d.ts");
  });

  test("the .d.ts tsc emits for a marked function keeps the mark, and a program using it has no CT1010", () => {
    // Emit declarations for a real module, then use them as the callee's only declaration.
    const src = `/** @differentiable */\nexport function cube(v: number): number {\n  return v * v * v;\n}\nexport function unmarked(v: number): number {\n  return v;\n}\n`;
    const { program } = createProgram({ [file("src.ts")]: src }, { ...OPTIONS, noEmit: false, declaration: true, emitDeclarationOnly: true });
    let dts = "";
    program.emit(undefined, (name, text) => name.endsWith(".d.ts") && (dts = text));
    expect(dts).toContain("/** @differentiable */\nexport declare function cube(");
    const r = check({
      "cubes.d.ts": dts,
      "main.ts": `import { cube, unmarked } from "./cubes";\n/** @differentiable */\nexport function f(x: number): number {\n  return cube(x) + unmarked(x);\n}\n`,
    });
    expect(r.codes).toEqual(["CT1010"]);
    expect(r.messages[0]).toContain("'unmarked' has no derivative");
  });

  test("no CT1010 for marked, registered and runtime callees, Math, or calls on inactive values", () => {
    const r = check({
      "other.ts": `import { differentiable } from "@cotangent/runtime";\n/** @differentiable */\nexport function m1(v: number): number { return v * v; }\nexport const m2 = differentiable((v: number) => v * 2);\n/** @differentiable */\nexport const m3 = (v: number) => v + 1;\nexport function custom(v: number): number { return v; }\n/** @derivative(of: custom) */\nexport function customVjp(v: number) { return { value: v, pullback: (d: number) => [d] }; }\nexport function registered(v: number): number { return v; }\n`,
      "register.ts": `import { registerDerivative } from "@cotangent/runtime";\nimport { registered } from "./other";\nregisterDerivative(registered, { vjp: (v: number) => ({ value: v, pullback: (d: number) => [d] }) });\n`,
      "main.ts": `import { withoutDerivative } from "@cotangent/runtime";\nimport * as ct from "@cotangent/runtime";\nimport { m1, m2, m3, custom, registered } from "./other";\nfunction local(v: number): number { return v; }\n/** @differentiable */\nfunction g(v: number): number { return v * 3; }\n/** @differentiable(wrt: x) */\nexport function f(x: number, n: number): number {\n  const a = m1(x) + m2(x) + m3(x) + custom(x) + registered(x) + g(x);\n  const b = withoutDerivative(x) + ct.withoutDerivative(x) + Math.sin(x);\n  return a + b + local(n) + local(withoutDerivative(x));\n}\n`,
    });
    expect(r.messages).toEqual([]);
  });

  test("calleeInfo in the IR: what the adapter records for each kind of callee", () => {
    const files = {
      [file("lib.ts")]: `export function plain(v: number): number { return v; }\n/** @differentiable */\nexport function marked(v: number): number { return v; }\n`,
      [file("main.ts")]: `import { plain, marked } from "./lib";\nimport { withoutDerivative } from "@cotangent/runtime";\ndeclare const anyFn: any;\n/** @differentiable */\nexport function f(x: number, k: (v: number) => number): number {\n  const inner = (v: number) => v;\n  return plain(x) + marked(x) + withoutDerivative(x) + Math.cos(x) + anyFn(x) + k(x) + inner(x) + [x].indexOf(x);\n}\n`,
    };
    const { program } = createProgram(files, OPTIONS);
    const sf = program.getSourceFile(file("main.ts"))!;
    const fn = adaptFunction(findFunction(sf, "f"), { ts, sourceFile: sf, checker: program.getTypeChecker(), callees: createCalleeResolver(ts, program) });
    const infos: Record<string, unknown> = {};
    const visit = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(visit);
      else if (n && typeof n === "object") {
        const o = n as { type?: string; callee?: { type: string; name?: string; property?: { name: string } }; calleeInfo?: { hasDerivative: boolean } };
        if (o.type === "CallExpression") infos[o.callee!.name ?? o.callee!.property!.name] = o.calleeInfo ? o.calleeInfo.hasDerivative : "unknown";
        Object.values(o).forEach(visit);
      }
    };
    visit(fn.body);
    expect(infos).toEqual({ plain: false, marked: true, withoutDerivative: true, cos: true, anyFn: "unknown", k: "unknown", inner: "unknown", indexOf: "unknown" });
  });
});

describe("CT1011: a differentiated parameter or result whose type is not Differentiable", () => {
  test("(x: number, flag: boolean) with the default wrt: at the parameter, suggesting wrt: x", () => {
    const r = check({ "main.ts": `/** @differentiable */\nexport function f(x: number, flag: boolean): number {\n  return flag ? x : -x;\n}\n` });
    expect(r.codes).toEqual(["CT1011"]);
    expect(r.at(r.result.diagnostics[0]!)).toBe("flag: boolean");
    expect(r.messages[0]).toContain("'flag' is boolean; restrict it with /** @differentiable(wrt: x) */");
    // With the wrt, it is fine.
    expect(check({ "main.ts": `/** @differentiable(wrt: x) */\nexport function f(x: number, flag: boolean): number {\n  return flag ? x : -x;\n}\n` }).codes).toEqual([]);
  });

  test("a string result (declared, or inferred by the checker)", () => {
    const declared = check({ "main.ts": `/** @differentiable */\nexport function f(x: number): string {\n  return String(x);\n}\n` });
    expect(declared.codes).toContain("CT1011");
    expect(declared.messages.find((m) => m.startsWith("CT1011"))).toContain("its result type string is not Differentiable");
    const inferred = check({ "main.ts": `/** @differentiable */\nexport function f(x: number) {\n  return x > 0 ? "pos" : "neg";\n}\n` });
    // (The result is also constant with respect to x: CT1101.)
    expect(inferred.codes).toEqual(["CT1011", "CT1101"]);
    expect(inferred.messages[0]).toContain("its result type string is not Differentiable");
  });

  test("types from the checker: literal unions, aliases, symbols, null, string literals; NoDerivative fields drop out", () => {
    const r = check({
      "main.ts": `type Mode = "a" | "b";\ntype Small = 1 | 2 | 3;\ntype NoDerivative<T> = T & { readonly __noDerivative?: true };\ninterface P { w: number; tag: NoDerivative<string> }\nimport { differentiable } from "@cotangent/runtime";\nexport const f = differentiable((x: number, s: Small, m: Mode, p: P, y: symbol, z: null) => x * s + p.w);\n`,
    });
    expect(r.codes).toEqual(["CT1011", "CT1011", "CT1011"]);
    expect(r.result.diagnostics.map((d) => r.at(d))).toEqual(["m: Mode", "y: symbol", "z: null"]);
    expect(r.messages[0]).toContain("restrict it with /** @differentiable(wrt: x, s, p) */");
    const { program, sf } = r;
    const fn = adaptFunction(findFunction(sf, "f"), { ts, sourceFile: sf, checker: program.getTypeChecker() });
    expect(fn.params.map((p) => (p as { typeAnnotation?: unknown }).typeAnnotation)).toEqual([
      { kind: "number" },
      { kind: "number" },
      { kind: "string" },
      { kind: "object", fields: { w: { kind: "number" } }, noDerivative: ["tag"] },
      { kind: "nondiff", text: "symbol" },
      { kind: "nondiff", text: "null" },
    ]);
  });

  test("unannotated parameters get the checker's (contextual) type", () => {
    const r = check({
      "main.ts": `import { differentiable } from "@cotangent/runtime";\ntype F = (x: number, on: boolean) => number;\nexport const f: F = differentiable((x, on) => (on ? x : 0));\n`,
    });
    expect(r.tsErrors).toEqual([]);
    expect(r.codes).toEqual(["CT1011"]);
    expect(r.messages[0]).toContain("'on' is boolean");
  });
});

describe("CT1012: a /** @derivative(of: f) */ function must fit f", () => {
  const base = `
    export function clampedLog(x: number): number { return Math.log(Math.max(x, 1e-12)); }
    export function mix(a: number, b: number): number { return a * b; }
  `;
  test.each([
    ["a correct pullback", `/** @derivative(of: clampedLog) */ export function d(x: number) { return { value: clampedLog(x), pullback: (g: number) => g / x }; }`, undefined],
    ["a correct differential", `/** @derivative(of: mix) */ export function d(a: number, b: number) { return { value: mix(a, b), differential: (da: number, db: number) => da * b + a * db }; }`, undefined],
    ["a correct pullback of two parameters", `/** @derivative(of: mix) */ export function d(a: number, b: number) { return { value: a * b, pullback: (g: number): [number, number] => [g * b, g * a] }; }`, undefined],
    ["wrong parameter count", `/** @derivative(of: mix) */ export function d(a: number) { return { value: a, pullback: (g: number) => [g, g] }; }`, /must take mix's parameters \(a: number, b: number\), but it takes 1/],
    ["wrong parameter type", `/** @derivative(of: clampedLog) */ export function d(x: string) { return { value: 1, pullback: (g: number) => g }; }`, /parameter 1 must accept number/],
    ["a value of the wrong type", `/** @derivative(of: clampedLog) */ export function d(x: number) { return { value: "log", pullback: (g: number) => g }; }`, /'value' must be number \(what clampedLog returns\), not string/],
    ["a pullback returning the wrong type", `/** @derivative(of: clampedLog) */ export function d(x: number) { return { value: x, pullback: (g: number) => String(g) }; }`, /the pullback must return the cotangent of 'x', a number, not string/],
    ["a pullback returning too few cotangents", `/** @derivative(of: mix) */ export function d(a: number, b: number) { return { value: a * b, pullback: (g: number): [number] => [g * b] }; }`, /must return 2 cotangents \(one per parameter of mix\), not 1/],
    ["a differential with the wrong arity", `/** @derivative(of: mix) */ export function d(a: number, b: number) { return { value: a * b, differential: (da: number) => da * b }; }`, /must take one tangent per parameter of mix \(a: number, b: number\), but it takes 1/],
  ])("%s", (_what, custom, message) => {
    const r = check({ "f.ts": base, "main.ts": `import { clampedLog, mix } from "./f";\n${custom}` });
    const errors = r.messages.filter((m) => m.startsWith("CT1012"));
    if (!message) expect(errors).toEqual([]);
    else {
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      // with a note at f's declaration, in the other file
      const d = r.result.diagnostics.find((x) => x.code === 1001012)!;
      expect(d.relatedInformation?.[0]?.file?.fileName).toMatch(/f\.ts$/);
    }
  });
});

describe("CT1010 through object literals and calls of calls", () => {
  test("an object-literal method or arrow property without a derivative; a marked property is fine", () => {
    const r = check({
      "main.ts": `import { differentiable } from "@cotangent/runtime";
const o = { m(v: number) { return v * v; }, a: (v: number) => v * 3, ok: differentiable((v: number) => v * 2) };
/** @differentiable */
export function f(x: number): number {
  return o.m(x) + o.a(x) + o.ok(x);
}`,
    });
    expect(r.codes).toEqual(["CT1010", "CT1010"]);
    expect(r.messages[0]).toMatch(/calls 'm' on a value that depends on the differentiated inputs, and 'm' has no derivative/);
    expect(r.messages[1]).toMatch(/calls 'a'/);
  });
  test("a call of a call result: the literal it resolves to decides", () => {
    const r = check({
      "main.ts": `import { differentiable } from "@cotangent/runtime";
const make = () => (v: number) => v * v;
const makeMarked = () => differentiable((v: number) => v * v);
/** @differentiable */
export function f(x: number): number {
  return make()(x) + makeMarked()(x);
}`,
    });
    expect(r.codes).toEqual(["CT1010"]);
    expect(r.messages[0]).toMatch(/calls 'make\(\)'/);
  });
});

describe("the core's diagnostics carry their quick fixes as data", () => {
  test("CT1010 across files: wrap (with the import the file lacks) and mark the callee in its own file; offsets into each file's text", () => {
    const r = check({
      "helpers.ts": `/** Halves. */\nexport function half(v: number): number {\n  return v / 2;\n}\n`,
      "main.ts": `import { half } from "./helpers";\n/** @differentiable */\nexport function f(x: number): number {\n  return half(x) * x;\n}\n`,
    });
    expect(r.codes).toEqual(["CT1010"]);
    const [d] = r.result.core;
    expect(d!.fixes!.map((f) => [f.kind, f.title])).toEqual([
      ["wrapInWithoutDerivative", "Wrap in withoutDerivative(...)"],
      ["markDifferentiable", "Mark 'half' as /** @differentiable */"],
    ]);
    const [wrap, mark] = d!.fixes!;
    const at = r.sf.text.indexOf("half(x)") + "half(".length;
    expect(wrap!.edits).toEqual([
      { start: r.sf.text.indexOf("\n") + 1, end: r.sf.text.indexOf("\n") + 1, newText: `import { withoutDerivative } from "@cotangent/runtime";\n` },
      { start: at, end: at + 1, newText: "withoutDerivative(x)" },
    ]);
    expect(mark!.edits).toEqual([{ fileName: file("helpers.ts"), start: 0, end: "/** Halves. */".length, newText: "/**\n * Halves.\n * @differentiable\n */" }]);
  });

  test("CT1011: a wrt of the parameters that can be differentiated, written into the JSDoc tag", () => {
    const r = check({ "main.ts": `/** @differentiable */\nexport function f(x: number, on: boolean): number {\n  return on ? x : 0;\n}\n` });
    const [d] = r.result.core;
    const tagEnd = "/** @differentiable".length;
    expect(d!.fixes).toEqual([{ kind: "restrictWrt", title: "Differentiate only with respect to x", edits: [{ start: tagEnd, end: tagEnd, newText: "(wrt: x)" }] }]);
  });
});
