import { describe, expect, it } from "@jest/globals";
import ts from "typescript";
import * as runtime from "@cotangent/runtime";
import { CotangentError, differentiable } from "@cotangent/runtime";

function thrown(thunk: () => unknown): CotangentError {
  try {
    thunk();
  } catch (e) {
    expect(e).toBeInstanceOf(CotangentError);
    return e as CotangentError;
  }
  throw new Error("expected a CotangentError");
}

const methodContext = (name = "m") => ({ kind: "method", name, static: false, private: false }) as unknown as ClassMethodDecoratorContext;

describe("differentiable as a function wrapper", () => {
  it("returns the function itself", () => {
    const f = (x: number) => x * x;
    expect(differentiable(f)).toBe(f);
    expect(differentiable(f, { wrt: ["x"] })).toBe(f);
  });
  it("validates its arguments", () => {
    expect(thrown(() => differentiable(3 as never)).code).toBe("CT3005");
    expect(thrown(() => differentiable((x: number) => x, { wrt: "x" } as never)).message).toMatch(/wrt\?: string\[\]/);
  });
});

describe("differentiable as a standard decorator", () => {
  it("@differentiable on a method returns the method", () => {
    const m = function m(x: number) {
      return x;
    };
    expect(differentiable(m, methodContext())).toBe(m);
  });
  it("@differentiable({ wrt }) returns a method decorator", () => {
    const decorator = differentiable({ wrt: ["x"] });
    expect(typeof decorator).toBe("function");
    const m = (x: number) => x;
    expect(decorator(m, methodContext())).toBe(m);
  });
  it("rejects non-method targets", () => {
    const cls = class {};
    expect(thrown(() => differentiable(cls as never, { kind: "class", name: "C" } as never)).message).toMatch(/applies to methods, not to a class \('C'\)/);
    expect(thrown(() => differentiable({ wrt: ["x"] })(() => 1, { kind: "getter", name: "g" } as never)).code).toBe("CT3005");
  });
  it("works on a class compiled by TypeScript with standard decorators", () => {
    const source = `
      import { differentiable } from "@cotangent/runtime";
      export class Model {
        k = 2;
        @differentiable loss(w: number) { return this.k * w * w; }
        @differentiable({ wrt: ["w"] }) scaled(w: number, s: number) { return s * w; }
        @differentiable static twice(x: number) { return 2 * x; }
      }`;
    const { outputText, diagnostics } = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: false },
      reportDiagnostics: true,
    });
    expect((diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([]);
    const mod: { exports: Record<string, unknown> } = { exports: {} };
    new Function("require", "module", "exports", outputText)(() => runtime, mod, mod.exports);
    const Model = mod.exports.Model as new () => { loss(w: number): number; scaled(w: number, s: number): number };
    const m = new Model();
    expect(m.loss(3)).toBe(18);
    expect(m.scaled(3, 4)).toBe(12);
    expect((Model as unknown as { twice(x: number): number }).twice(5)).toBe(10);
  });
});
