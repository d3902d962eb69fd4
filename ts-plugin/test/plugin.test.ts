// The language-service plugin in-process: a real `ts.createLanguageService` over in-memory files,
// wrapped by the plugin's `create(info)` as tsserver would; diagnostics, related information, and
// each quick fix's edits applied and the file checked again. (The same plugin in a real tsserver and
// over LSP: test/ide.)

import { describe, expect, test } from "@jest/globals";
import path from "node:path";
import ts from "typescript";
import { FIX_NAMES, init } from "../src/plugin";
import { CHECK_OPTIONS as OPTIONS, repoRoot } from "./helpers";

let projects = 0;
const registry = ts.createDocumentRegistry();

/** A language service over in-memory files (the rest from disk), wrapped by the plugin. */
function project(files: Record<string, string>, wrap: (ls: ts.LanguageService) => ts.LanguageService = (ls) => ls) {
  // A folder per project: the document registry (shared, so lib files are parsed once) keys files by path.
  const dir = path.join(__dirname, `__virtual_ls_${++projects}__`);
  const mem = new Map<string, { text: string; version: number }>(Object.entries(files).map(([k, v]) => [path.join(dir, k), { text: v, version: 0 }]));
  const logs: string[] = [];
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [...mem.keys()],
    getScriptVersion: (f) => String(mem.get(f)?.version ?? 0),
    getScriptSnapshot: (f) => {
      const m = mem.get(f);
      if (m) return ts.ScriptSnapshot.fromString(m.text);
      const text = ts.sys.readFile(f);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => repoRoot,
    getCompilationSettings: () => OPTIONS,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => mem.has(f) || ts.sys.fileExists(f),
    readFile: (f) => mem.get(f)?.text ?? ts.sys.readFile(f),
    directoryExists: (d) => [...mem.keys()].some((k) => k.startsWith(d + path.sep)) || ts.sys.directoryExists(d),
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
  };
  const original = wrap(ts.createLanguageService(host, registry));
  const info = {
    languageService: original,
    project: { projectService: { logger: { info: (m: string) => logs.push(m) } } },
    config: { name: "@cotangent/ts-plugin" },
  } as unknown as ts.server.PluginCreateInfo;
  const ls = init({ typescript: ts }).create(info);
  const abs = (name: string) => path.join(dir, name);
  const text = (name: string) => mem.get(abs(name))!.text;
  const set = (name: string, t: string) => {
    const m = mem.get(abs(name))!;
    m.text = t;
    m.version++;
  };
  const diagnostics = (name: string) => ls.getSemanticDiagnostics(abs(name)).filter((d) => d.source === "cotangent");
  /** The quick fixes for one of our diagnostics. */
  const fixes = (name: string, d: ts.Diagnostic) => ls.getCodeFixesAtPosition(abs(name), d.start!, d.start! + d.length!, [d.code], {}, {});
  /** Applies a fix's edits (in any file of the project) and returns the new texts by file name. */
  const apply = (fix: ts.CodeFixAction) => {
    for (const change of fix.changes) {
      const name = path.relative(dir, change.fileName);
      let t = text(name);
      for (const e of [...change.textChanges].sort((a, b) => b.span.start - a.span.start)) t = t.slice(0, e.span.start) + e.newText + t.slice(e.span.start + e.span.length);
      set(name, t);
    }
  };
  return { ls, original, logs, text, set, diagnostics, fixes, apply, abs };
}

const msg = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, "\n");
const spanText = (d: { file?: ts.SourceFile; start?: number; length?: number }) => d.file!.text.slice(d.start!, d.start! + d.length!);

describe("diagnostics", () => {
  test("appended after TypeScript's, with code, category, CT prefix, source and related information", () => {
    const p = project({
      "helpers.ts": `export function squash(v: number): number {\n  return v / (1 + Math.abs(v));\n}\n`,
      "main.ts": `import { squash } from "./helpers";\nconst bad: number = "no";\n/** @differentiable */\nexport function f(x: number): number {\n  return squash(x) * Math.round(x);\n}\n`,
    });
    const all = p.ls.getSemanticDiagnostics(p.abs("main.ts"));
    expect(all.map((d) => d.code)).toEqual([2322, 1001010, 1001102]);
    const [ct1010, ct1102] = all.slice(1);
    expect(ct1010!.category).toBe(ts.DiagnosticCategory.Error);
    expect(ct1102!.category).toBe(ts.DiagnosticCategory.Warning);
    expect(msg(ct1010!)).toMatch(/^CT1010: function 'f' is not differentiable: it calls 'squash'/);
    expect(msg(ct1102!)).toMatch(/^CT1102: in 'f': Math.round has a zero derivative/);
    expect(all.slice(1).every((d) => d.source === "cotangent")).toBe(true);
    expect(spanText(ct1010!)).toBe("squash(x)");
    expect(ct1010!.relatedInformation!.map((r) => [path.basename(r.file!.fileName), spanText(r), r.messageText])).toEqual([
      ["main.ts", "f", "'f' is marked differentiable here"],
      ["helpers.ts", "squash", "'squash' is declared here"],
    ]);
    // The original service is untouched; files without marks get TypeScript's diagnostics only.
    expect(p.original.getSemanticDiagnostics(p.abs("main.ts")).map((d) => d.code)).toEqual([2322]);
    expect(p.ls.getSemanticDiagnostics(p.abs("helpers.ts"))).toEqual([]);
  });

  test("a @kernel function with what a kernel cannot hold is flagged in the editor at the expression (CT1001)", () => {
    const p = project({ "main.ts": `/** @differentiable @kernel */\nexport function k(x: number): number {\n  const pair = [x, 2];\n  return pair[0] * x;\n}\n` });
    const [d, ...rest] = p.diagnostics("main.ts");
    expect(rest).toEqual([]);
    expect(d!.code).toBe(1001001);
    expect(msg(d!)).toMatch(/^CT1001: function 'k' cannot be a @kernel: an array is not supported in a @kernel function/);
    expect(spanText(d!)).toBe("[x, 2]");
    // Fixed, the diagnostic goes.
    p.set("main.ts", p.text("main.ts").replace("const pair = [x, 2];\n  return pair[0] * x;", "return x * x;"));
    expect(p.diagnostics("main.ts")).toEqual([]);
  });

  test("diagnostics follow edits (a new program per edit)", () => {
    const p = project({ "main.ts": `/** @differentiable */\nexport function f(x: number): number {\n  return (x | 0) + x;\n}\n` });
    expect(p.diagnostics("main.ts").map((d) => d.code)).toEqual([1001003]);
    p.set("main.ts", p.text("main.ts").replace("x | 0", "x * 2"));
    expect(p.diagnostics("main.ts")).toEqual([]);
  });

  test("an exception inside the plugin is logged, and TypeScript's results are returned", () => {
    let calls = 0;
    const p = project({ "main.ts": `/** @differentiable */\nexport function f(x: number): number {\n  return x | 0;\n}\n` }, (ls) => ({
      ...ls,
      getProgram: () => {
        calls++;
        throw new Error("boom");
      },
    }));
    expect(p.ls.getSemanticDiagnostics(p.abs("main.ts"))).toEqual([]);
    expect(p.ls.getCodeFixesAtPosition(p.abs("main.ts"), 60, 65, [1001003], {}, {})).toEqual([]);
    expect(calls).toBeGreaterThan(0);
    expect(p.logs.some((l) => l.includes("boom"))).toBe(true);
    // Every other method is forwarded.
    expect(typeof p.ls.getQuickInfoAtPosition).toBe("function");
    expect(p.ls.getSupportedCodeFixes()).toEqual(expect.arrayContaining(["1001003", "1001010", "1001011", "1001102"]));
  });
});

describe("quick fixes", () => {
  test("CT1003: wrap the active operand, using the existing import", () => {
    const p = project({
      "main.ts": `import { gradient, withoutDerivative as wd } from "@cotangent/runtime";\n/** @differentiable */\nexport function f(x: number): number {\n  const k = x | 0;\n  return k * x + wd(x);\n}\nexport const g = gradient(f);\n`,
    });
    const [d] = p.diagnostics("main.ts");
    const fixes = p.fixes("main.ts", d!);
    expect(fixes.map((f) => [f.fixName, f.description])).toEqual([[FIX_NAMES.wrap, "Wrap in withoutDerivative(...)"]]);
    p.apply(fixes[0]!);
    expect(p.text("main.ts")).toContain("const k = wd(x) | 0;");
    expect(p.diagnostics("main.ts")).toEqual([]);
  });

  test("CT1102: wrap the argument of Math.round / the divisor of %, adding the import (to an existing one, or a new line)", () => {
    const p = project({
      "a.ts": `// header\nimport type { Tangent } from "@cotangent/runtime";\nimport { gradient } from "@cotangent/runtime";\n/** @differentiable */\nexport function f(x: number, y: number): number {\n  return Math.round(x) * y + x % y;\n}\nexport const g = gradient(f);\n`,
      "b.ts": `/** @differentiable */\nexport function f(x: number): number {\n  return Math.floor(x) + x;\n}\n`,
    });
    const [round, mod] = p.diagnostics("a.ts");
    p.apply(p.fixes("a.ts", round!)[0]!);
    expect(p.text("a.ts")).toContain(`import { gradient, withoutDerivative } from "@cotangent/runtime";`);
    expect(p.text("a.ts")).toContain("return Math.round(withoutDerivative(x)) * y + x % y;");
    const left = p.diagnostics("a.ts");
    expect(left.map((d) => msg(d))).toEqual([expect.stringContaining("'%' by a divisor")]);
    p.apply(p.fixes("a.ts", left[0]!)[0]!);
    expect(p.text("a.ts")).toContain("x % withoutDerivative(y)");
    expect(p.diagnostics("a.ts")).toEqual([]);
    void mod;

    const [floor] = p.diagnostics("b.ts");
    p.apply(p.fixes("b.ts", floor!)[0]!);
    expect(p.text("b.ts")).toBe(`import { withoutDerivative } from "@cotangent/runtime";\n/** @differentiable */\nexport function f(x: number): number {\n  return Math.floor(withoutDerivative(x)) + x;\n}\n`);
    expect(p.diagnostics("b.ts")).toEqual([]);
  });

  test("the new import goes below a #! line and after a \"use strict\" prologue", () => {
    const p = project({
      "cli.ts": `#!/usr/bin/env node\n/** @differentiable */\nexport function f(x: number): number {\n  return Math.floor(x) + x;\n}\n`,
      "strict.ts": `"use strict";\n/** @differentiable */\nexport function f(x: number): number {\n  return Math.floor(x) + x;\n}\n`,
    });
    for (const file of ["cli.ts", "strict.ts"]) {
      const [floor] = p.diagnostics(file);
      p.apply(p.fixes(file, floor!)[0]!);
      const lines = p.text(file).split("\n");
      expect(lines[0]).toMatch(/^(#!|"use strict")/);
      expect(lines[1]).toBe(`import { withoutDerivative } from "@cotangent/runtime";`);
      expect(p.diagnostics(file)).toEqual([]);
    }
  });

  test("CT1010: wrap the argument (through a namespace import), or mark the callee (a new JSDoc line, or merged into its JSDoc)", () => {
    const files = {
      "helpers.ts": `/**\n * Doubles.\n */\nexport function double(v: number): number {\n  return 2 * v;\n}\n  /** Triples. */\n  export function triple(v: number): number {\n    return 3 * v;\n  }\nexport function plain(v: number): number {\n  return v;\n}\n`,
      "main.ts": `import * as ct from "@cotangent/runtime";\nimport { double, triple, plain } from "./helpers";\n/** @differentiable */\nexport function f(x: number): number {\n  return double(x) + triple(x) + plain(x);\n}\nexport const g = ct.gradient(f);\n`,
    };
    const p = project(files);
    const ds = p.diagnostics("main.ts");
    expect(ds.map((d) => spanText(d))).toEqual(["double(x)", "triple(x)", "plain(x)"]);
    const fd = p.fixes("main.ts", ds[0]!);
    expect(fd.map((f) => f.description)).toEqual(["Wrap in withoutDerivative(...)", "Mark 'double' as /** @differentiable */"]);
    expect(fd[1]!.fixName).toBe(FIX_NAMES.mark);
    expect(fd[1]!.changes[0]!.fileName).toBe(p.abs("helpers.ts"));
    p.apply(fd[1]!);
    // Each fix against the current text (edits are positions in it).
    const ds2 = p.diagnostics("main.ts");
    expect(ds2.map((d) => spanText(d))).toEqual(["triple(x)", "plain(x)"]);
    p.apply(p.fixes("main.ts", ds2[0]!).find((f) => f.fixName === FIX_NAMES.mark)!);
    p.apply(p.fixes("main.ts", p.diagnostics("main.ts")[0]!)[0]!);
    expect(p.text("helpers.ts")).toBe(
      `/**\n * Doubles.\n * @differentiable\n */\nexport function double(v: number): number {\n  return 2 * v;\n}\n  /**\n   * Triples.\n   * @differentiable\n   */\n  export function triple(v: number): number {\n    return 3 * v;\n  }\nexport function plain(v: number): number {\n  return v;\n}\n`,
    );
    expect(p.text("main.ts")).toContain("plain(ct.withoutDerivative(x))");
    expect(p.diagnostics("main.ts")).toEqual([]);
  });

  test("CT1010 on a callee without JSDoc in the same file: a /** @differentiable */ line before it", () => {
    const p = project({ "main.ts": `  function double(v: number): number {\n    return 2 * v;\n  }\n/** @differentiable */\nexport function f(x: number): number {\n  return double(x);\n}\n` });
    const [d] = p.diagnostics("main.ts");
    const mark = p.fixes("main.ts", d!).find((f) => f.fixName === FIX_NAMES.mark)!;
    expect(mark.changes[0]!.textChanges).toEqual([{ span: { start: 0, length: 0 }, newText: "  /** @differentiable */\n" }]);
    p.apply(mark);
    expect(p.diagnostics("main.ts")).toEqual([]);
  });

  test("no mark fix for a callee in a declaration file", () => {
    const p = project({
      "lib.d.ts": `export declare function plain(v: number): number;\n`,
      "main.ts": `import { plain } from "./lib";\n/** @differentiable */\nexport function f(x: number): number {\n  return plain(x);\n}\n`,
    });
    const [d] = p.diagnostics("main.ts");
    expect(p.fixes("main.ts", d!).map((f) => f.fixName)).toEqual([FIX_NAMES.wrap]);
  });

  test("CT1011: a wrt in the JSDoc (added, or replacing one), in differentiable(fn)'s options, in a decorator", () => {
    const p = project({
      "doc.ts": `/** @differentiable */\nexport function f(x: number, y: number, flip: boolean): number {\n  return flip ? y * x : x + y;\n}\n/**\n * Scaled.\n * @differentiable(wrt: (x, on))\n */\nexport function g(x: number, on: boolean): number {\n  return on ? x : 0;\n}\n`,
      "wrap.ts": `import { differentiable } from "@cotangent/runtime";\nexport const h = differentiable((x: number, s: string) => x * s.length);\nexport const k = differentiable((x: number, s: string) => x * s.length, { wrt: ["x", "s"] });\n`,
      "cls.ts": `import { differentiable } from "@cotangent/runtime";\nexport class M {\n  @differentiable\n  run(x: number, tag: symbol): number { return x * 2; }\n  @differentiable({})\n  walk(x: number, tag: symbol): number { return x * 2; }\n}\n`,
    });
    const fixAll = (name: string) => {
      for (let i = 0; i < 10; i++) {
        const d = p.diagnostics(name).find((x) => x.code === 1001011);
        if (!d) return;
        const fix = p.fixes(name, d).find((f) => f.fixName === FIX_NAMES.wrt);
        if (!fix) throw new Error(`no wrt fix for ${msg(d)}`);
        p.apply(fix);
      }
    };
    const [d0] = p.diagnostics("doc.ts");
    expect(p.fixes("doc.ts", d0!).map((f) => f.description)).toEqual(["Differentiate only with respect to x, y"]);
    fixAll("doc.ts");
    expect(p.text("doc.ts")).toContain("/** @differentiable(wrt: x, y) */\nexport function f(");
    expect(p.text("doc.ts")).toContain(" * @differentiable(wrt: x)\n */\nexport function g(");
    expect(p.diagnostics("doc.ts")).toEqual([]);
    fixAll("wrap.ts");
    expect(p.text("wrap.ts")).toContain(`differentiable((x: number, s: string) => x * s.length, { wrt: ["x"] });\nexport const k`);
    expect(p.text("wrap.ts")).toContain(`differentiable((x: number, s: string) => x * s.length, { wrt: ["x"] });\n`);
    expect(p.diagnostics("wrap.ts")).toEqual([]);
    fixAll("cls.ts");
    expect(p.text("cls.ts")).toContain(`@differentiable({ wrt: ["x"] })\n  run(`);
    expect(p.text("cls.ts")).toContain(`@differentiable({ wrt: ["x"] })\n  walk(`);
    expect(p.diagnostics("cls.ts")).toEqual([]);
  });

  test("CT1002: an unknown wrt name becomes the nearest parameter (in a JSDoc tag, in differentiable(fn)'s options)", () => {
    const p = project({
      "doc.ts": `/** @differentiable(wrt: z) */\nexport function f(x: number, y: number): number {\n  return x * y;\n}\n`,
      "wrap.ts": `import { differentiable } from "@cotangent/runtime";\nexport const h = differentiable((weight: number, bias: number) => weight * bias, { wrt: ["bias", "wieght"] });\n`,
    });
    const [d] = p.diagnostics("doc.ts");
    expect(d!.code).toBe(1001002);
    expect(msg(d!)).toMatch(/'wrt' names 'z', which is not a parameter of 'f' \(its parameters: x, y\)/);
    const fixes = p.fixes("doc.ts", d!);
    expect(fixes.map((f) => [f.fixName, f.description])).toEqual([[FIX_NAMES.wrtName, "Change 'z' to 'x'"]]);
    p.apply(fixes[0]!);
    expect(p.text("doc.ts")).toContain("/** @differentiable(wrt: x) */");
    expect(p.diagnostics("doc.ts")).toEqual([]);
    const [w] = p.diagnostics("wrap.ts");
    expect(msg(w!)).toMatch(/did you mean 'weight'\?/);
    p.apply(p.fixes("wrap.ts", w!)[0]!);
    expect(p.text("wrap.ts")).toContain(`{ wrt: ["bias", "weight"] }`);
    expect(p.diagnostics("wrap.ts")).toEqual([]);
  });

  test("CT1007 and a Tensor method without a derivative (CT1010): wrap the argument, the tensor", () => {
    const p = project({
      "arg.ts": `import { withoutDerivative } from "@cotangent/runtime";\n/** @differentiable(wrt: a) */\nexport function g(a: number, b: number): number {\n  return a * b;\n}\n/** @differentiable */\nexport function f(x: number): number {\n  return g(x, x * 2);\n}\n`,
      "tensor.ts": `import { type Tensor } from "@cotangent/runtime";\n/** @differentiable */\nexport function f(x: Tensor): Tensor {\n  const best = x.argMax(-1);\n  return x.sum().add(best);\n}\n`,
    });
    const [d] = p.diagnostics("arg.ts");
    expect(d!.code).toBe(1001007);
    p.apply(p.fixes("arg.ts", d!)[0]!);
    expect(p.text("arg.ts")).toContain("return g(x, withoutDerivative(x * 2));");
    expect(p.diagnostics("arg.ts")).toEqual([]);
    const [t] = p.diagnostics("tensor.ts");
    expect(t!.code).toBe(1001010);
    p.apply(p.fixes("tensor.ts", t!)[0]!);
    expect(p.text("tensor.ts")).toContain(`import { type Tensor, withoutDerivative } from "@cotangent/runtime";`);
    expect(p.text("tensor.ts")).toContain("const best = withoutDerivative(x).argMax(-1);");
    expect(p.diagnostics("tensor.ts")).toEqual([]);
  });

  test("TypeScript's own fixes still come through", () => {
    const p = project({ "main.ts": `export function f(x: number): number {\n  return x;\n}\nconst y = f(1)\ny = 2;\n` });
    const d = p.ls.getSemanticDiagnostics(p.abs("main.ts"))[0]!;
    expect(d.code).toBe(2588);
    expect(p.ls.getCodeFixesAtPosition(p.abs("main.ts"), d.start!, d.start! + d.length!, [d.code], {}, {}).length).toBeGreaterThan(0);
  });
});

describe("the package as tsserver loads it", () => {
  test("require('@cotangent/ts-plugin') is init; the named exports and ./transformer stay reachable", () => {
    // tsserver resolves the plugin the way `ts.resolveJSModule` does (node10, `main`), then calls it.
    const resolved = (ts as unknown as { resolveJSModule(m: string, d: string, h: ts.System): string }).resolveJSModule("@cotangent/ts-plugin", repoRoot, ts.sys);
    expect(path.basename(resolved)).toBe("index.cjs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(resolved);
    expect(typeof mod).toBe("function");
    expect(mod.default).toBe(mod);
    expect(typeof mod({ typescript: ts }).create).toBe("function");
    expect(typeof mod.checkSourceFile).toBe("function");
    expect(typeof mod.cotangentTransformer).toBe("function");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(typeof require("@cotangent/ts-plugin/transformer")).toBe("function");
  });
});

test("a 2,000-line file with 100 marked functions: time to diagnostics (printed, not asserted)", () => {
  const parts: string[] = [`import { gradient, withoutDerivative } from "@cotangent/runtime";`];
  for (let i = 0; i < 100; i++) {
    parts.push(
      `/** @differentiable */`,
      `export function f${i}(x: number, y: number): number {`,
      `  let s = 0;`,
      `  for (let k = 0; k < 3; k++) {`,
      `    s += Math.sin(x * k) * y;`,
      `    s = s + x * x - y / (1 + k);`,
      `  }`,
      `  const a = [x, y, s];`,
      `  const b = a[0]! * a[1]! + a[2]!;`,
      `  if (b > 0) {`,
      `    s += Math.exp(-b * 0.001);`,
      `  } else {`,
      `    s -= Math.log(1 + b * b);`,
      `  }`,
      `  const c = ${i % 10 === 0 ? "x | 0" : "withoutDerivative(x)"};`,
      `  const d = f${Math.max(0, i - 1)}(x, 2) * 0.5;`,
      `  return s + c * d + Math.cos(y);`,
      `}`,
      `export const g${i} = gradient(f${i});`,
      ``,
    );
  }
  const code = parts.join("\n");
  expect(code.split("\n").length).toBeGreaterThanOrEqual(2000);
  const p = project({ "big.ts": code });
  const t0 = performance.now();
  const ts0 = p.original.getSemanticDiagnostics(p.abs("big.ts"));
  const t1 = performance.now();
  const all = p.diagnostics("big.ts");
  const t2 = performance.now();
  p.set("big.ts", code.replace("let s = 0;", "let s = 1;"));
  const t3 = performance.now();
  p.diagnostics("big.ts");
  const t4 = performance.now();
  expect(ts0).toEqual([]);
  expect(all.map((d) => d.code).filter((c) => c === 1001003)).toHaveLength(10);
  // eslint-disable-next-line no-console
  console.log(
    `2,000-line file (${code.split("\n").length} lines, 100 marked functions): TypeScript's semantic diagnostics ${(t1 - t0).toFixed(0)} ms (cold); ` +
      `Cotangent's ${(t2 - t1).toFixed(0)} ms; after an edit ${(t4 - t3).toFixed(0)} ms (TypeScript's and Cotangent's)`,
  );
});
