// A getter the build cannot inline — here of a class imported from another file — read on a
// differentiated value. The ts-patch host sees it through the checker and reports CT1001 at the
// read; the Babel host has no types, so the zero tangent the runtime makes for the class instance
// traps the getter and the gradient throws CT3010 (never a gradient that misses the getter).

import { describe, expect, test } from "@jest/globals";
import * as fs from "fs";
import * as path from "path";
import { gradient } from "@cotangent/runtime";
import { CompileError, E2E_ROOT, compileWithBabel, compileWithTsPatch } from "../harness/compile";

const BODY = `export class Body {
  constructor(public mass: number, public v: number) {}
  get momentum(): number {
    return this.mass * this.v;
  }
}
`;

const MAIN = `import { Body } from "./body";
/** @differentiable */
export function energy(b: Body): number {
  return b.momentum * b.v;
}
export { Body };
`;

const dir = path.join(E2E_ROOT, "out", "getters-elsewhere");
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, "body.ts"), BODY);

describe("a getter of a class from another file, read on a differentiated value", () => {
  test("ts-patch host: CT1001 at the read, naming the getter", () => {
    let error: unknown;
    try {
      compileWithTsPatch(MAIN, path.join(dir, "main-ts.ts"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    expect((error as Error).message).toMatch(/main-ts\.ts:4:\d+ TS1001001: CT1001: function 'energy' is not differentiable: the getter 'momentum' of class Body is read on a value that depends on the differentiated inputs, and it cannot be inlined/);
  });

  test("Babel host: the gradient throws CT3010 naming the getter and the class", () => {
    const m = compileWithBabel(MAIN, path.join(dir, "main-babel.ts"));
    const b = new m.Body(2, 0.5);
    expect(m.energy(b)).toBe(0.5);
    expect(() => gradient(m.energy)(b)).toThrow(/CT3010: 'momentum' is a getter or setter of class Body, used on a value that is differentiated, so its derivative is not known/);
  });
});
