// The ts-patch program transformer end to end: in-memory programs compiled with the transformer as a
// `before` transformer (as ts-patch runs it), the emitted CommonJS run against the real runtime,
// and gradients checked against analytic derivatives and finite differences.

import { describe, expect, jest, test } from "@jest/globals";
import path from "node:path";
import ts from "typescript";
import { SourceMapConsumer } from "source-map";
import cotangentTransformer from "../src/transformer";
import { compile, finiteDifference, runCjs } from "./helpers";

const dir = path.join(__dirname, "__virtual__");
const main = path.join(dir, "main.ts");
const mainJs = path.join(dir, "main.js");

function build(code: string, options: ts.CompilerOptions = {}, extra: Record<string, string> = {}, config: Record<string, unknown> = {}) {
  const result = compile(cotangentTransformer, { [main]: code, ...extra }, options, config);
  const messages = result.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  return { ...result, messages, js: result.outputs.get(mainJs) ?? "" };
}

function buildAndRun(code: string, options: ts.CompilerOptions = {}, extra: Record<string, string> = {}) {
  const r = build(code, options, extra);
  expect(r.preEmit.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([]);
  expect(r.messages).toEqual([]);
  return { ...r, exports: runCjs(r.outputs, mainJs) };
}

describe("marked functions", () => {
  test("/** @differentiable */ declaration: gradient of x*y + sin(x)", () => {
    const { exports, js } = buildAndRun(`
      import { gradient, valueWithGradient } from "@cotangent/runtime";
      /** @differentiable */
      export function f(x: number, y: number): number {
        const z = x * y;
        return z + Math.sin(x);
      }
      export const df = gradient(f);
      export const vdf = valueWithGradient(f);
    `);
    expect(js).toContain("function f$jvp(");
    expect(js).toContain("function f$vjp(");
    expect(js).toContain("// grad of:");
    for (const [x, y] of [[2, 3], [-1.5, 0.25], [0, 7]] as const) {
      const [gx, gy] = exports.df(x, y);
      expect(gx).toBeCloseTo(y + Math.cos(x), 12);
      expect(gy).toBeCloseTo(x, 12);
      expect(gx).toBeCloseTo(finiteDifference(exports.f, [x, y], 0), 6);
      expect(exports.vdf(x, y).value).toBeCloseTo(x * y + Math.sin(x), 12);
    }
  });

  test("@differentiable(wrt: x) and functions calling each other in any order, recursion included", () => {
    const { exports } = buildAndRun(`
      import { gradient } from "@cotangent/runtime";
      /** @differentiable */
      export function outer(x: number): number { return inner(x, 3) * 2; }
      /** @differentiable(wrt: x) */
      export function inner(x: number, n: number): number { return x ** n; }
      /** @differentiable */
      export function pow(x: number, n: number): number { return n === 0 ? 1 : x * pow(x, n - 1); }
      export const dOuter = gradient(outer);
      export const dInner = gradient(inner);
    `);
    expect(exports.dOuter(2)).toBeCloseTo(2 * 3 * 4, 10);
    expect(exports.dInner(2, 3)).toBeCloseTo(12, 10); // one wrt parameter: a number, not an array
  });

  test("nested and non-exported declarations", () => {
    const { exports } = buildAndRun(`
      import { gradient } from "@cotangent/runtime";
      export function make(k: number) {
        /** @differentiable(wrt: x) */
        function scaled(x: number, c: number): number { return c * x * x; }
        return (x: number) => gradient(scaled)(x, k);
      }
    `);
    expect(exports.make(3)(2)).toBeCloseTo(12, 10);
  });

  test("differentiable(fn) / differentiable(fn, { wrt }) bound to const, and unbound wrappers", () => {
    const { exports, js } = buildAndRun(`
      import { differentiable, gradient } from "@cotangent/runtime";
      export const g = differentiable((x: number) => x * x * 3);
      export const h = differentiable(function (x: number, n: number) { return x ** n; }, { wrt: ["x"] });
      export function makeScaled(k: number) { return differentiable((x: number) => k * x * x); }
      export const dg = gradient(g);
      export const dh = gradient(h);
      export const dScaled = gradient(makeScaled(5));
    `);
    expect(js).toContain("function g$vjp(");
    expect(exports.dg(2)).toBeCloseTo(12, 12);
    expect(exports.dh(2, 3)).toBeCloseTo(12, 10);
    expect(exports.dScaled(2)).toBeCloseTo(20, 10);
    expect(exports.g(2)).toBe(12);
  });

  test("function literals passed straight to an operator", () => {
    const { exports, js } = buildAndRun(`
      import { gradient, derivative } from "@cotangent/runtime";
      export const d1 = gradient((x: number) => Math.exp(x) * x);
      export const d2 = derivative(function (x: number) { return x * x * x; });
    `);
    expect(js).toContain("new __ct.Derivatives(");
    expect(exports.d1(1.5)).toBeCloseTo(Math.exp(1.5) * 2.5, 10);
    expect(exports.d2(2)).toBeCloseTo(12, 10);
  });

  test("@differentiable methods (instance, static, with wrt): decorator removed, derivatives added", () => {
    const { exports, js } = buildAndRun(`
      import { differentiable, gradient } from "@cotangent/runtime";
      export class Model {
        w = 2;
        @differentiable loss(x: number): number { return this.w * x * x; }
        @differentiable({ wrt: ["x"] }) scaled(x: number, k: number): number { return k * x * x; }
        @differentiable static sq(x: number): number { return x * x; }
      }
      export const m = new Model();
    `);
    expect(js).not.toMatch(/@differentiable\s*(\(|loss|static)/);
    expect(js).toContain("loss$vjp(");
    expect(js).toContain("static sq$vjp(");
    const { gradient } = require("@cotangent/runtime");
    expect(gradient(exports.m.loss).call(exports.m, 3)).toBeCloseTo(12, 10);
    expect(gradient(exports.m.scaled).call(exports.m, 3, 5)).toBeCloseTo(30, 10);
    expect(gradient(exports.Model.sq)(4)).toBeCloseTo(8, 10);
  });

  test("/** @differentiable */ on `const f = (…) => …` and `const h = function (…) {…}`: derivatives before, init wrapped, f known", () => {
    const { exports, js } = buildAndRun(`
      import { gradient } from "@cotangent/runtime";
      /** @differentiable */
      export const f = (x: number): number => x * x * 3;
      /** @differentiable(wrt: x) */
      export const h = function (x: number, n: number): number { return x ** n; };
      /** @differentiable */
      export function useF(x: number): number { return f(x) * 2 + h(x, 2); }
      /** @differentiable */
      export let later = (x: number) => x * x;
      const notMarked = (x: number) => x;
      export const df = gradient(f);
      export const dh = gradient(h);
      export const dUse = gradient(useF);
      export const dLater = gradient(later);
      export const viaNot = notMarked(3);
    `);
    expect(js.indexOf("function f$jvp(")).toBeLessThan(js.indexOf("exports.f = __ct.defineDerivatives("));
    // gradient(f) in the module: f also gets its fused gradient (scalar code), which the record names.
    expect(js).toContain('exports.f = __ct.defineDerivatives((x) => x * x * 3, { name: "f", arity: 1, wrt: [0], jvp: f$jvp, vjp: f$vjp, grad: f$grad });');
    expect(js).toContain('{ name: "h", arity: 2, wrt: [0], jvp: h$jvp, vjp: h$vjp, grad: h$grad }');
    expect(js).not.toContain("notMarked$");
    // Resolved at build time: f is known, so gradient(f) needs no lookup.
    expect(js).toContain('exports.df = __ct.gradient(new __ct.Derivatives({ name: "f"');
    // useF's derivatives call f's directly.
    expect(js).toMatch(/function useF\$vjp\([^)]*\) \{[^]*f\$vjp\(/);
    expect(exports.df(2)).toBeCloseTo(12, 12);
    expect(exports.dh(2, 3)).toBeCloseTo(12, 10);
    expect(exports.dUse(2)).toBeCloseTo(24 + 4, 10);
    expect(exports.dLater(5)).toBeCloseTo(10, 12);
    expect(exports.f(2)).toBe(12);
    expect(exports.viaNot).toBe(3);
  });

  test("ES modules: a marked `export const` keeps its export, derivatives come first", () => {
    const { js, messages } = build(
      `
      import { gradient } from "@cotangent/runtime";
      /** @differentiable */
      export const f = (x: number) => x * x;
      export const df = gradient(f);
    `,
      { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
    );
    expect(messages).toEqual([]);
    expect(js).toContain('export const f = __ct.defineDerivatives((x) => x * x, { name: "f", arity: 1, wrt: [0], jvp: f$jvp, vjp: f$vjp, grad: f$grad });');
    expect(js.indexOf("function f$vjp(x)")).toBeLessThan(js.indexOf("export const f ="));
  });

  test("marked arrows that use `this` (constant or bound wrapper): derivatives are `const` arrows before the statement", () => {
    const { exports, js } = buildAndRun(`
      import { derivative, differentiable, gradient } from "@cotangent/runtime";
      export class Scaler {
        k = 3;
        grad(x: number): number {
          /** @differentiable */
          const f = (x: number) => this.k * x * x;
          const g = differentiable((x: number) => this.k * x);
          return gradient(f)(x) + gradient(g)(x) + derivative(derivative(f))(x);
        }
      }
    `);
    expect(js).toMatch(/const f\$jvp = \(x, dx\) =>/);
    expect(js).toMatch(/const g\$vjp = \(?x\)? =>/);
    expect(js).toMatch(/const f\$jvp\$vjp = \(/);
    expect(new exports.Scaler().grad(2)).toBeCloseTo(12 + 3 + 6, 10);
  });

  test("/** @differentiable */ JSDoc on methods marks them like the decorator", () => {
    const { exports, js } = buildAndRun(`
      import { gradient } from "@cotangent/runtime";
      export class Model {
        w = 2;
        /** @differentiable */
        loss(x: number): number { return this.w * x * x; }
        /** @differentiable(wrt: x) */
        scaled(x: number, k: number): number { return k * this.loss(x); }
        /** @differentiable */
        static sq(x: number): number { return x * x; }
        /** Not marked. */
        plain(x: number): number { return x; }
      }
      export const m = new Model();
    `);
    expect(js).toContain("loss$vjp(");
    expect(js).toContain("scaled$jvp(");
    expect(js).toContain("static sq$vjp(");
    expect(js).not.toContain("plain$");
    expect(js).toContain('__ct.defineDerivatives(Model.prototype.loss, { name: "loss", arity: 1, wrt: [0], jvp: Model.prototype.loss$jvp, vjp: Model.prototype.loss$vjp });');
    const { gradient } = require("@cotangent/runtime");
    expect(gradient(exports.m.loss).call(exports.m, 3)).toBeCloseTo(12, 10);
    expect(gradient(exports.m.scaled).call(exports.m, 3, 5)).toBeCloseTo(60, 10);
    expect(gradient(exports.Model.sq)(4)).toBeCloseTo(8, 10);
  });

  test("/** @derivative(of: f) */ registers a custom derivative", () => {
    const { exports, js } = buildAndRun(`
      import { gradient } from "@cotangent/runtime";
      export function f(x: number): number { return Math.round(x); }
      /** @derivative(of: f) */
      export function fVjp(x: number) { return { value: f(x), pullback: (ct: number) => 42 * ct }; }
      export const df = gradient(f);
    `);
    // `replace`: it overrides derivatives the build generated for a marked `f` (as in the Babel host).
    expect(js).toContain("__ct.registerDerivative(f, { vjp: fVjp }, { replace: true });");
    expect(exports.df(1.2)).toBe(42);
  });

  test("/** @derivative(of: f) */ on a marked f replaces its generated derivatives", () => {
    const { exports } = buildAndRun(`
      import { gradient } from "@cotangent/runtime";
      /** @differentiable */
      export function f(x: number): number { return x * x; }
      /** @derivative(of: f) */
      export function fVjp(x: number) { return { value: f(x), pullback: (ct: number) => 7 * ct }; }
    `);
    const { gradient } = require("@cotangent/runtime");
    expect(gradient(exports.f)(3)).toBe(7);
  });

  test("renamed and namespace runtime imports", () => {
    const { exports } = buildAndRun(`
      import { gradient as grad, withoutDerivative as wd } from "@cotangent/runtime";
      import * as ct from "@cotangent/runtime";
      /** @differentiable */
      export function f(x: number): number { return x * wd(x); }
      export const d1 = grad(f);
      export const d2 = ct.gradient(f);
      export const d3 = ct.gradient((x: number) => x * x);
    `);
    expect(exports.d1(3)).toBeCloseTo(3, 12); // d/dx of x * const(x)
    expect(exports.d2(3)).toBeCloseTo(3, 12);
    expect(exports.d3(3)).toBeCloseTo(6, 12);
  });

  test("CommonJS: imported helpers and exported `let`s referenced by generated code are rewritten like the user's", () => {
    const { exports } = buildAndRun(
      `
      import { gradient } from "@cotangent/runtime";
      import { helper } from "./helper";
      export let scale = 3;
      /** @differentiable */
      export function f(x: number): number { return helper(x) * scale + Math.sin(x); }
      export const df = gradient(f);
    `,
      {},
      { [path.join(dir, "helper.ts")]: `/** @differentiable */\nexport function helper(x: number): number { return x * x; }\n` },
    );
    expect(exports.df(2)).toBeCloseTo(2 * 2 * 3 + Math.cos(2), 10);
  });

  test("generated names never clash with the user's", () => {
    const { exports, js } = buildAndRun(`
      import { gradient } from "@cotangent/runtime";
      const __ct = "mine";
      export function f$vjp() { return __ct; }
      /** @differentiable */
      export function f(x: number): number { return x * x; }
      export const df = gradient(f);
    `);
    expect(js).toContain("__ct$1.defineDerivatives(f, ");
    expect(exports.f$vjp()).toBe("mine");
    expect(exports.df(3)).toBeCloseTo(6, 12);
  });

  test("ES modules: a namespace import of the runtime is added, the rest is plain ESM", () => {
    const { js, messages } = build(
      `
      import { differentiable, gradient } from "@cotangent/runtime";
      /** @differentiable */
      export function f(x: number): number { return x * x; }
      export const g = differentiable((x: number) => 2 * x);
      export const df = gradient(f);
    `,
      { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
    );
    expect(messages).toEqual([]);
    expect(js.split("\n")[0]).toBe('import * as __ct from "@cotangent/runtime";');
    expect(js).toContain("export function f(x)");
    expect(js).toContain("function f$vjp(x)");
    expect(js).toContain('__ct.defineDerivatives(f, { name: "f", arity: 1, wrt: [0], jvp: f$jvp, vjp: f$vjp, grad: f$grad });');
    expect(js).toContain("export const g = __ct.defineDerivatives((x) => 2 * x, ");
    expect(js).toContain("export const df = __ct.gradient(new __ct.Derivatives(");
  });

  test("files without marks are left alone", () => {
    const code = `export function plain(x: number) { return x * 2; }\n`;
    const { js } = build(code);
    expect(js).not.toContain("__ct");
  });
});

describe("second derivatives: outer(inner(f))", () => {
  test("derivative(derivative(f)) and gradient(gradient(f)): f$jvp$jvp / f$jvp$vjp next to f's derivatives", () => {
    const { exports, js } = buildAndRun(`
      import { derivative, gradient } from "@cotangent/runtime";
      /** @differentiable */
      export function f(x: number): number { return x * x * x + Math.sin(x); }
      /** @differentiable */
      export const c = (x: number): number => Math.exp(2 * x);
      export const d2f = derivative(derivative(f));
      export const g2f = gradient(gradient(f));
      export const d2c = derivative(derivative(c));
      export const d1f = derivative(f);
    `);
    expect(js).toContain("function f$jvp$jvp(");
    expect(js).toContain("function f$jvp$vjp(");
    expect(js).toContain("function c$jvp$vjp(");
    expect(js).toContain('exports.d2f = __ct.derivative(__ct.secondOrder("derivative", new __ct.Derivatives({ name: "f", arity: 1, wrt: [0], jvp: f$jvp, vjp: f$vjp, fn: f }), { jvp: f$jvp$jvp, vjp: f$jvp$vjp }));');
    // The second-order functions come after f's own derivatives, before its registration.
    expect(js.indexOf("function f$vjp(")).toBeLessThan(js.indexOf("function f$jvp$jvp("));
    expect(js.indexOf("function f$jvp$vjp(")).toBeLessThan(js.indexOf("__ct.defineDerivatives(f, "));
    // Constants: before the statement.
    expect(js.indexOf("function c$jvp$vjp(")).toBeLessThan(js.indexOf("exports.c = __ct.defineDerivatives("));
    for (const x of [1.5, -0.3, 2]) {
      expect(exports.d2f(x)).toBeCloseTo(6 * x - Math.sin(x), 8);
      expect(exports.g2f(x)).toBeCloseTo(6 * x - Math.sin(x), 8);
      expect(exports.d2c(x)).toBeCloseTo(4 * Math.exp(2 * x), 8);
      expect(exports.d1f(x)).toBeCloseTo(3 * x * x + Math.cos(x), 10);
    }
  });

  test("differential(gradient(g))(x, y)(1, 0) is the first column of the Hessian", () => {
    const { exports } = buildAndRun(`
      import { differential, gradient } from "@cotangent/runtime";
      /** @differentiable */
      export function g(x: number, y: number): number { return x * x * y + Math.exp(y) * x; }
      export const hg = differential(gradient(g));
    `);
    for (const [x, y] of [[1.5, 0.5], [-1, 2]] as const) {
      const col = exports.hg(x, y)(1, 0);
      expect(col[0]).toBeCloseTo(2 * y, 8);
      expect(col[1]).toBeCloseTo(2 * x + Math.exp(y), 8);
    }
  });

  test("second derivatives through calls to other marked functions, aliases and methods", () => {
    const { exports, js } = buildAndRun(`
      import { derivative, differentiable } from "@cotangent/runtime";
      /** @differentiable */
      function sq(x: number): number { return x * x; }
      /** @differentiable */
      export function f(x: number): number { return sq(x) * x; }
      export const alias = differentiable(f);
      export const d2 = derivative(derivative(f));
      export const d2alias = derivative(derivative(alias));
      export class M {
        @differentiable cube(x: number): number { return x * x * x; }
      }
    `);
    expect(js).toContain("function sq$jvp$jvp(");
    expect(js).toContain("cube$jvp$jvp(");
    expect(exports.d2(2)).toBeCloseTo(12, 8);
    expect(exports.d2alias(2)).toBeCloseTo(12, 8);
  });

  test("no outer(inner(f)) in the file and no exported mark: no second-order functions", () => {
    const { js } = buildAndRun(`
      import { derivative } from "@cotangent/runtime";
      /** @differentiable */
      function f(x: number): number { return x * x; }
      export const d = derivative(f);
      export const dd = derivative(derivative(Math.sin));
    `);
    expect(js).not.toContain("$jvp$jvp");
    expect(js).not.toContain("secondOrder");
  });

  test("with secondOrder: \"exported\" an exported mark gets second-order functions for other modules (not by default)", () => {
    const code = `
      /** @differentiable */
      export function f(x: number): number { return x * x * x; }
    `;
    expect(build(code).js).not.toContain("$jvp$jvp");
    const { outputs } = compile(cotangentTransformer, { [main]: code }, {}, { secondOrder: "exported" });
    expect(outputs.get(mainJs)).toContain("f$jvp$jvp");
    expect(outputs.get(mainJs)).toContain("defineDerivatives(f$jvp,");
  });
});

describe("diagnostics", () => {
  test("an unsupported construct is reported with its CT code and location; no derivatives are inserted", () => {
    const code = `import { gradient } from "@cotangent/runtime";
/** @differentiable */
export function f(x: number): number {
  try { x = x * 2; } catch { x = 0; }
  return x;
}
export const df = gradient(f);
`;
    const { diagnostics, js } = build(code);
    expect(diagnostics.length).toBeGreaterThan(0);
    const d = diagnostics[0]!;
    expect(d.category).toBe(ts.DiagnosticCategory.Error);
    expect(ts.flattenDiagnosticMessageText(d.messageText, "\n")).toMatch(/^CT1001: /);
    expect(d.code).toBe(1001001);
    expect(d.file?.fileName).toBe(main);
    expect(code.slice(d.start!, d.start! + d.length!)).toMatch(/^try \{/);
    expect(js).not.toContain("f$vjp");
    expect(js).not.toContain("__ct.Derivatives");
  });

  test("an anonymous default-exported function cannot carry derivatives", () => {
    const { messages, js } = build(`/** @differentiable */\nexport default function (x: number): number { return x; }\n`);
    expect(messages).toEqual([expect.stringMatching(/^CT1001: .*anonymous `export default function`/)]);
    expect(js).not.toContain("$vjp");
  });

  test("warnings (CT1101) go to stderr by default, not through addDiagnostic; the build succeeds", () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const { diagnostics, js } = build(`import { gradient } from "@cotangent/runtime";\n/** @differentiable */\nexport function f(x: number): number { return 3; }\nexport const df = gradient(f);\n`);
      expect(diagnostics).toEqual([]);
      expect(js).toContain("function f$vjp(");
      expect(warn).toHaveBeenCalledTimes(1);
      const text = String(warn.mock.calls[0]![0]);
      expect(text).toMatch(/CT1101/);
      expect(text).toContain("main.ts");
    } finally {
      warn.mockRestore();
    }
  });

  test("warningsAsDiagnostics: warnings are reported through addDiagnostic as TypeScript warnings", () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const code = `/** @differentiable */\nexport function f(x: number): number { return 3; }\n`;
      const { diagnostics } = build(code, {}, {}, { transform: "@cotangent/ts-plugin/transformer", warningsAsDiagnostics: true });
      expect(warn).not.toHaveBeenCalled();
      expect(diagnostics).toHaveLength(1);
      expect(diagnostics[0]!.category).toBe(ts.DiagnosticCategory.Warning);
      expect(diagnostics[0]!.code).toBe(1001101);
      expect(ts.flattenDiagnosticMessageText(diagnostics[0]!.messageText, "\n")).toMatch(/^CT1101: /);
      // `warnings: false` silences them when they are not diagnostics.
      build(code, {}, {}, { warnings: false });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test("an unknown wrt name", () => {
    const { diagnostics } = build(`/** @differentiable(wrt: z) */\nexport function f(x: number): number { return x; }\n`);
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([expect.stringMatching(/^CT1002: /)]);
  });
});

describe("source maps", () => {
  test("generated derivative statements map to the user's lines", async () => {
    const code = `import { gradient } from "@cotangent/runtime";
/** @differentiable */
export function f(x: number): number {
  const y = Math.sin(x);
  return y * x;
}
export const df = gradient(f);
`;
    const { outputs } = build(code, { sourceMap: true });
    const js = outputs.get(mainJs)!;
    const map = JSON.parse(outputs.get(mainJs + ".map")!);
    const lines = js.split("\n");
    const original = async (line: number) =>
      SourceMapConsumer.with(map, null, (consumer) =>
        consumer.originalPositionFor({ line: line + 1, column: lines[line]!.search(/\S/), bias: SourceMapConsumer.LEAST_UPPER_BOUND }),
      );
    for (const name of ["f$jvp", "f$vjp"]) {
      const start = lines.findIndex((l) => l.startsWith(`function ${name}(`));
      // The primal copy of `const y = Math.sin(x)` (a plain `y = Math.sin(x);` after the declarations).
      const primal = lines.findIndex((l, i) => i > start && /^\s+y = Math\.sin\(x\);/.test(l));
      expect(primal).toBeGreaterThan(start);
      expect(await original(primal)).toMatchObject({ source: "main.ts", line: 4 });
    }
    // No mapping points past the end of the user's file (generated nodes carry no stale text ranges).
    const lastLine = code.split("\n").length;
    await SourceMapConsumer.with(map, null, (consumer) => consumer.eachMapping((m) => expect(m.originalLine).toBeLessThanOrEqual(lastLine)));
  });
});
