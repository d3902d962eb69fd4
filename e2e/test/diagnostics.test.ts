// Every build-time diagnostic, through both hosts: the same code, at the same line and column,
// with the message that tells the user what to do.

import { describe, expect, test, jest } from "@jest/globals";
import { CompileError, compileWithBabel, compileWithTsPatch } from "../harness/compile";

interface Case {
  code: string;
  what: string;
  source: string;
  /** 1-based line and column of the offending expression. */
  line: number;
  column: number;
  /** Words the message must contain. */
  message: RegExp;
}

const HEADER = `import { differentiable, withoutDerivative } from "@cotangent/runtime";\n`;

const CASES: Case[] = [
  {
    code: "CT1010",
    what: "a runtime op without a derivative (a comparison) on a differentiated tensor",
    source: `import { greater, sum, type Tensor } from "@cotangent/runtime";
/** @differentiable */
export function f(x: Tensor): Tensor {
  return sum(greater(x, 0)).add(x.sum());
}`,
    line: 5,
    column: 14,
    message: /calls the runtime op 'greater' .* has no derivative \(a comparison gives a mask of 0s and 1s.*withoutDerivative/,
  },
  {
    code: "CT1010",
    what: "int32 math: a cast of a differentiated tensor to int32",
    source: `import { cast, sum, type Tensor } from "@cotangent/runtime";
/** @differentiable */
export function f(x: Tensor): Tensor {
  const rounded = cast(x, "int32");
  return sum(x.mul(rounded));
}`,
    line: 5,
    column: 19,
    message: /casts a value that depends on the differentiated inputs to int32, and integers have no derivative/,
  },
  {
    code: "CT1010",
    what: "a Tensor method without a derivative on a differentiated tensor",
    source: `import { type Tensor } from "@cotangent/runtime";
/** @differentiable */
export function f(x: Tensor): Tensor {
  const best = x.argMax(-1);
  return x.sum().add(best);
}`,
    line: 5,
    column: 16,
    message: /runtime op 'argMax' .*\(an index is an integer, which has no derivative\); wrap the tensor in withoutDerivative/,
  },
  {
    code: "CT1001",
    what: "unsupported syntax names the construct",
    source: `/** @differentiable */
export function f(x: number): number {
  try {
    return x * x;
  } catch (e) {
    return 0;
  }
}`,
    line: 4,
    column: 3,
    message: /`try`\/`catch` is not supported in differentiable functions/,
  },
  {
    code: "CT1001",
    what: "an async function: the same words from every host (a syntax kind the core words)",
    source: `/** @differentiable */
export async function f(x: number): Promise<number> {
  return x * x;
}`,
    line: 3,
    column: 8,
    message: /function 'f' is not differentiable: an `async` function is not supported in differentiable functions/,
  },
  {
    code: "CT1001",
    what: "a class expression and a getter in an object literal, worded by the core for every host",
    source: `/** @differentiable */
export function f(x: number): number {
  const C = class {};
  const o = { get v() { return x; } };
  return x;
}`,
    line: 4,
    column: 13,
    message: /a class expression is not supported in differentiable functions[\s\S]*a getter in an object literal is not supported in differentiable functions/,
  },
  {
    code: "CT1001",
    what: "a `debugger` statement",
    source: `/** @differentiable */
export function f(x: number): number {
  debugger;
  return x;
}`,
    line: 4,
    column: 3,
    message: /a `debugger` statement is not supported in differentiable functions/,
  },
  {
    code: "CT1002",
    what: "wrt names no parameter: the parameters and the nearest one",
    source: `/** @differentiable(wrt: wieght) */
export function f(weight: number, bias: number): number {
  return weight * bias;
}`,
    line: 3,
    column: 17,
    message: /'wrt' names 'wieght', which is not a parameter of 'f'; did you mean 'weight'\? \(its parameters: weight, bias\)/,
  },
  {
    code: "CT1001",
    what: "a callback passed to a method that is not lowered",
    source: `/** @differentiable */
export function f(xs: number[]): number {
  return xs.slice().sort((a, b) => a - b)[0];
}`,
    line: 4,
    column: 26,
    message: /function expression used as a value is not supported here \(callbacks are supported for the array methods map, forEach, .* use a loop/,
  },
  {
    code: "CT1001",
    what: "a member of a parenthesized optional chain",
    source: `/** @differentiable */
export function f(x: number, o: { a: { b: number } } | undefined): number {
  return (o?.a)!.b * x;
}`,
    line: 4,
    column: 10,
    message: /a member or call on a parenthesized optional chain such as `\(a\?\.b\)\.c` \(write `a\?\.b\?\.c`\) is not supported/,
  },
  {
    code: "CT1001",
    what: "a spread argument to a function that is not marked",
    source: `const h = (a: number, b: number) => a * b;
/** @differentiable */
export function f(xs: [number, number]): number {
  return h(...xs);
}`,
    line: 5,
    column: 12,
    message: /spread arguments are supported in calls of marked and local functions \(and Math.max\/min\); pass the array itself, or mark the function called/,
  },
  {
    code: "CT1001",
    what: "`arguments`",
    source: `/** @differentiable */
export function f(x: number): number {
  return arguments.length * x;
}`,
    line: 4,
    column: 10,
    message: /`arguments` is not supported in differentiable functions; name the parameters/,
  },
  {
    code: "CT1001",
    what: "an anonymous default export cannot be marked",
    source: `/** @differentiable */
export default function (x: number): number {
  return x * x;
}`,
    line: 3,
    column: 1,
    message: /anonymous `export default function`.*give the function a name/,
  },
  {
    code: "CT1002",
    what: "wrt names no parameter",
    source: `/** @differentiable(wrt: z) */
export function f(x: number, y: number): number {
  return x * y;
}`,
    line: 3,
    column: 17,
    message: /'wrt' names 'z', which is not a parameter of 'f'/,
  },
  {
    code: "CT1002",
    what: "a wrt that lists nothing",
    source: `/** @differentiable(wrt: ) */
export function f(x: number, y: number): number {
  return x * y;
}`,
    line: 3,
    column: 17,
    message: /'wrt' lists no parameter \(or is malformed\)/,
  },
  {
    code: "CT1003",
    what: "a method of an active number",
    source: `/** @differentiable */
export function f(x: number): number {
  return x.valueOf() * x;
}`,
    line: 4,
    column: 10,
    message: /the method 'valueOf' of a number that depends on the differentiated inputs is not differentiable/,
  },
  {
    code: "CT1001",
    what: "a file-level Math that is not the global one",
    source: `const Math = { sin: (v: number) => 3 * v, cos: (v: number) => 0 };
/** @differentiable */
export function f(x: number): number {
  return Math.sin(x);
}`,
    line: 5,
    column: 10,
    message: /'Math' here is not the global Math/,
  },
  {
    code: "CT1003",
    what: "a bitwise operator on an active value suggests withoutDerivative",
    source: `/** @differentiable */
export function f(x: number): number {
  const k = x | 0;
  return k * x;
}`,
    line: 4,
    column: 13,
    message: /bitwise operator '\|' is not differentiable.*withoutDerivative\(\.\.\.\)/,
  },
  {
    code: "CT1003",
    what: "a conversion of an active value",
    source: `/** @differentiable */
export function f(x: number): number {
  const n = parseInt(x);
  return n * x;
}`,
    line: 4,
    column: 13,
    message: /conversion 'parseInt\(\.\.\.\)' is not differentiable/,
  },
  {
    code: "CT1004",
    what: "a write to a global",
    source: `let calls = 0;
/** @differentiable */
export function f(x: number): number {
  calls = calls + 1;
  return x * x;
}`,
    line: 5,
    column: 3,
    message: /assigns to 'calls', which is not a local variable or parameter/,
  },
  {
    code: "CT1004",
    what: "a write into a parameter (the caller's array)",
    source: `/** @differentiable */
export function f(xs: number[]): number {
  xs[0] = xs[0] * 2;
  return xs[0];
}`,
    line: 4,
    column: 3,
    message: /writes into its parameter 'xs', which belongs to the caller.*xs\.slice\(\)/,
  },
  {
    code: "CT1009",
    what: "two names for one array, written through one",
    source: `/** @differentiable */
export function f(x: number): number {
  const a = [x, 2 * x];
  const b = a;
  b[0] = x * x;
  return a[0] + a[1];
}`,
    line: 5,
    column: 3,
    message: /'b' and 'a' refer to the same array or object, and 'b' is written through; .*store a copy instead \(for an array, `\.slice\(\)`/,
  },
  {
    code: "CT1009",
    what: "an array stored in another, then written through",
    source: `/** @differentiable */
export function f(x: number): number {
  const row = [x, 2];
  const m: number[][] = [];
  m.push(row);
  row[1] = x * x;
  return m[0][1] + row[1];
}`,
    line: 6,
    column: 3,
    message: /'m' holds a reference to 'row', and 'row' is written through/,
  },
  {
    code: "CT1009",
    what: "a shallow copy of nested arrays, written through",
    source: `/** @differentiable */
export function f(x: number): number {
  const m = [[x, 2], [3, 4]];
  const c = m.slice();
  c[0][1] = x * x;
  return c[0][1] + m[0][1] * 2;
}`,
    line: 5,
    column: 3,
    message: /'c' is a shallow copy of 'm' and shares its inner arrays, and 'c' is written through/,
  },
  {
    code: "CT1009",
    what: "a reference chosen by a conditional, written through",
    source: `/** @differentiable */
export function f(x: number): number {
  const a = [1, x];
  const c = [2, x];
  const b = x > 0 ? a : c;
  b[1] = x * x;
  return a[1] + c[1];
}`,
    line: 6,
    column: 3,
    message: /'b' and 'a' refer to the same array or object, and 'b' is written through/,
  },
  {
    code: "CT1001",
    what: "a local function used as a value",
    source: `/** @differentiable */
export function f(x: number): number {
  const h = (t: number) => t * x;
  const hs = [h];
  return x;
}`,
    line: 5,
    column: 15,
    message: /the local function 'h' is used as a value \(stored or passed\); local functions can only be called/,
  },
  {
    code: "CT1011",
    what: "a differentiated parameter whose type is not Differentiable",
    source: `/** @differentiable */
export function f(x: number, label: string): number {
  return x * label.length;
}`,
    line: 3,
    column: 30,
    message: /with respect to parameters whose type is Differentiable .* 'label' is string; restrict it with \/\*\* @differentiable\(wrt: x\) \*\//,
  },
  {
    code: "CT1011",
    what: "a result whose type is not Differentiable",
    source: `/** @differentiable */
export function f(x: number): string {
  return String(x);
}`,
    line: 3,
    column: 17,
    message: /its result type string is not Differentiable/,
  },
  {
    code: "CT1005",
    what: "a closure capturing an active value",
    source: `/** @differentiable */
export function f(x: number): number {
  const scaled = (v: number) => v * x;
  return scaled(2);
}`,
    line: 4,
    column: 9,
    message: /'scaled' captures 'x', which depends on the differentiated inputs; pass 'x' to it as a parameter/,
  },
  {
    code: "CT1006",
    what: "a Math function with no derivative",
    source: `/** @differentiable */
export function f(x: number): number {
  return Math.clz32(x) * x;
}`,
    line: 4,
    column: 10,
    message: /Math\.clz32 has no derivative/,
  },
  {
    code: "CT1007",
    what: "an active argument to a parameter the callee does not differentiate",
    source: `/** @differentiable(wrt: a) */
export function g(a: number, b: number): number {
  return a * b;
}
/** @differentiable */
export function f(x: number): number {
  return g(1, x);
}`,
    line: 8,
    column: 15,
    message: /argument 2 of 'g' depends on the differentiated inputs, but 'g' is not differentiable with respect to that parameter/,
  },
  {
    code: "CT1008",
    what: "a rest parameter that is a pattern",
    source: `/** @differentiable */
export function f(...[a, b]: number[]): number {
  return a * b;
}`,
    line: 3,
    column: 19,
    message: /a rest parameter must be a plain name \(`...xs`\); destructure it in the body/,
  },
  {
    code: "CT1001",
    what: "a getter that cannot be inlined, read on a differentiated value",
    source: `class P {
  constructor(public x: number) {}
  get sq(): number {
    const y = this.x;
    return y * y;
  }
}
/** @differentiable */
export function f(p: P): number {
  return p.sq + p.x;
}`,
    line: 11,
    column: 10,
    message: /the getter 'sq' of class P is read on a value that depends on the differentiated inputs, and it cannot be inlined/,
  },
  {
    code: "CT1001",
    what: "an object spread of a value whose fields are not known",
    source: `/** @differentiable */
export function f(p: any, x: number): number {
  const q = { ...p, x };
  return q.x * x;
}`,
    line: 4,
    column: 15,
    message: /object spread of a value whose fields are not known here; annotate its type/,
  },
  {
    code: "CT1001",
    what: "a spread argument before another argument",
    source: `/** @differentiable */
function g(a: number, b: number): number { return a * b; }
/** @differentiable */
export function f(xs: [number], x: number): number {
  return g(...xs, x);
}`,
    line: 6,
    column: 12,
    message: /a spread argument must be the last argument/,
  },
  {
    code: "CT1001",
    what: "a function callback that reads this",
    source: `/** @differentiable */
export function f(xs: number[], x: number): number {
  return xs.map(function (this: { k: number }, v) { return v * this.k * x; }).length;
}`,
    line: 4,
    column: 17,
    message: /a `function` callback that reads `this` is not supported \(its `this` is not the method's\); use an arrow function/,
  },
  {
    code: "CT1008",
    what: "a rest parameter in a callback",
    source: `/** @differentiable */
export function f(xs: number[], x: number): number {
  const ys = xs.map((...vs: number[]) => vs[0] * x);
  return ys[0];
}`,
    line: 4,
    column: 22,
    message: /a rest parameter in a callback is not supported; name the parameters/,
  },
  {
    code: "CT1001",
    what: "an async callback",
    source: `/** @differentiable */
export function f(xs: number[], x: number): number {
  const ys = xs.map(async (v) => v * x);
  return ys.length * x;
}`,
    line: 4,
    column: 21,
    message: /an async or generator callback is not differentiable/,
  },
  {
    code: "CT1001",
    what: "fill on an expression that is not a local array",
    source: `/** @differentiable */
export function f(x: number): number {
  const zs = new Array(4).fill(0).fill(x, 1);
  return zs[1] * x;
}`,
    line: 4,
    column: 14,
    message: /fill is supported on a local array \(`ys.fill\(v\)`\); assign the array to a variable first/,
  },
  {
    code: "CT1001",
    what: "a getter that reads itself",
    source: `class R {
  constructor(public x: number) {}
  get loop(): number {
    return this.loop + this.x;
  }
}
/** @differentiable */
export function f(r: R): number {
  return r.loop;
}`,
    line: 10,
    column: 10,
    message: /the getter 'loop' of class R reads itself \(a recursive getter cannot be inlined\)/,
  },
  {
    code: "CT1001",
    what: "an array method that changes the array in place",
    source: `/** @differentiable */
export function f(xs: number[], x: number): number {
  const ys = xs.slice();
  ys.unshift(x);
  return ys[0] * x;
}`,
    line: 5,
    column: 3,
    message: /'unshift' changes an array in place, and the derivative does not follow in-place changes other than element writes and push; build a new array instead/,
  },
  {
    code: "CT1001",
    what: "an assignment through a setter",
    source: `class Q {
  constructor(public x: number) {}
  set half(v: number) {
    this.x = 2 * v;
  }
}
/** @differentiable */
export function f(q: Q, x: number): number {
  q.half = x;
  return q.x * x;
}`,
    line: 10,
    column: 3,
    message: /it assigns to 'half', a setter of class Q, whose effect on the derivative is not known; assign the fields it sets instead/,
  },
  {
    code: "CT1001",
    what: "a @kernel that calls a function (a kernel is one WGSL function)",
    source: `/** @differentiable */
function half(x: number): number {
  return x / 2;
}
/** @differentiable @kernel */
export function f(x: number): number {
  return half(x) * 2;
}`,
    line: 8,
    column: 10,
    message: /function 'f' cannot be a @kernel: a call other than a Math function is not supported in a @kernel function/,
  },
  {
    code: "CT1001",
    what: "a @kernel with an array local",
    source: `/** @differentiable @kernel */
export function f(x: number): number {
  const pair = [x, x * x];
  return pair[0] + pair[1];
}`,
    line: 4,
    column: 16,
    message: /function 'f' cannot be a @kernel: an array is not supported in a @kernel function \(numbers and booleans only\)/,
  },
  {
    code: "CT1001",
    what: "a @kernel written as an arrow constant",
    source: `/** @differentiable @kernel */
export const f = (x: number): number => x * x;`,
    line: 3,
    column: 14,
    message: /function 'f' cannot be a @kernel: a @kernel must be a function declaration/,
  },
  {
    code: "CT1001",
    what: "a @kernel method",
    source: `export class Field {
  /** @differentiable @kernel */
  at(x: number): number {
    return x * x;
  }
}`,
    line: 4,
    column: 3,
    message: /function 'at' cannot be a @kernel: a @kernel must be a function declaration/,
  },
];

/** Every `CTnnnn` diagnostic in a host's error text, with its line and column. */
function diagnosticsIn(text: string): { code: string; line: number; column: number }[] {
  const out: { code: string; line: number; column: number }[] = [];
  for (const m of text.matchAll(/:(\d+):(\d+)[^\n]*?\b(CT\d{4})\b/g)) out.push({ code: m[3]!, line: Number(m[1]), column: Number(m[2]) });
  return out;
}

const HOSTS = [
  ["babel", compileWithBabel],
  ["ts-patch", compileWithTsPatch],
] as const;

describe.each(HOSTS)("%s host", (host, compile) => {
  test.each(CASES.map((c, i) => [`${c.code}: ${c.what}`, c, i] as const))("%s", (_label, c, i) => {
    let error: unknown;
    try {
      compile(HEADER + c.source, `diagnostic${i}.ts`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    const text = (error as Error).message;
    expect(text).toMatch(c.message);
    const found = diagnosticsIn(text);
    expect(found).toContainEqual({ code: c.code, line: c.line, column: c.column });
  });
});

describe("warnings", () => {
  test("babel: step functions and '%' by an active divisor warn (CT1102) and still compile", () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const m = compileWithBabel(
        HEADER + `/** @differentiable */\nexport function f(x: number, y: number): number {\n  return Math.round(x) * y + x % y;\n}`,
        "warning-step.ts",
      );
      expect(typeof m.f).toBe("function");
      const text = warn.mock.calls.map((c) => String(c[0])).join("\n");
      expect(text).toMatch(/warning-step\.ts:4:10 - warning CT1102: in 'f': Math\.round has a zero derivative/);
      expect(text).toMatch(/warning-step\.ts:4:30 - warning CT1102: in 'f': '%' by a divisor that depends on the differentiated inputs/);
    } finally {
      warn.mockRestore();
    }
  });

  test("babel: a result that does not depend on the inputs warns (CT1101) and still compiles", () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const m = compileWithBabel(HEADER + `/** @differentiable */\nexport function f(x: number): number {\n  const y = x * 2;\n  return 3;\n}`, "warning.ts");
      expect(typeof m.f).toBe("function");
      const text = warn.mock.calls.map((c) => String(c[0])).join("\n");
      expect(text).toMatch(/warning CT1101: the result of 'f' does not depend on any differentiated parameter/);
    } finally {
      warn.mockRestore();
    }
  });
});
