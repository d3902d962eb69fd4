// fast-check arbitraries that generate random differentiable programs as TypeScript source
// text: a function of (x, y) with locals a, b, built from domain-safe expressions, `let`
// reassignment, compound assignment, `if` on comparisons, `for` loops with constant or
// input-dependent trip counts, and early returns.

import fc from "fast-check";

export interface Program {
  /** Statements of the body (without the function head). */
  body: string;
  /** Point at which the program is checked. */
  x: number;
  y: number;
}

export interface Shape {
  /** Max expression depth. */
  depth: number;
  /** Allow if statements / loops (and their nesting depth). */
  branches: boolean;
  loops: boolean;
  /** Number of statements after the declarations of a and b. */
  maxStatements: number;
}

const constant = fc.integer({ min: -12, max: 12 }).map((n) => (n / 4).toString());

/** Expressions over the given variables. */
export function expression(vars: readonly string[], depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...vars) }, { weight: 1, arbitrary: constant.map((c) => (c.startsWith("-") ? `(${c})` : c)) });
  if (depth <= 0) return leaf;
  const sub = expression(vars, depth - 1);
  const unaryMath = fc.constantFrom(
    (e: string) => `Math.sin(${e})`,
    (e: string) => `Math.cos(${e})`,
    (e: string) => `Math.tanh(${e})`,
    (e: string) => `Math.atan(${e})`,
    (e: string) => `Math.exp(Math.sin(${e}))`,
    (e: string) => `Math.log(1 + ${e} * ${e})`,
    (e: string) => `Math.sqrt(2 + Math.sin(${e}))`,
    (e: string) => `Math.cbrt(3 + Math.cos(${e}))`,
    (e: string) => `Math.asinh(${e})`,
    (e: string) => `Math.log1p(Math.exp(${e} / 4))`,
    // squared through tanh: loops reassigning a variable from itself must not overflow to Infinity
    // (an infinite intermediate makes 0 · ∞ = NaN in any reverse mode, even if it is overwritten)
    (e: string) => `Math.tanh(${e}) ** 2`,
    (e: string) => `(-(${e}))`,
  );
  const binary = fc.constantFrom(
    (l: string, r: string) => `(${l} + ${r})`,
    (l: string, r: string) => `(${l} - ${r})`,
    (l: string, r: string) => `(${l} * ${r})`,
    (l: string, r: string) => `(${l} / (1.5 + ${r} * ${r}))`,
    (l: string, r: string) => `Math.hypot(${l}, ${r}, 1)`,
    (l: string, r: string) => `Math.pow(2 + Math.cos(${l}), Math.sin(${r}))`,
    (l: string, r: string) => `Math.atan2(${l}, 2 + Math.cos(${r}))`,
  );
  return fc.oneof(
    { weight: 2, arbitrary: leaf },
    { weight: 3, arbitrary: fc.tuple(unaryMath, sub).map(([f, e]) => f(e)) },
    { weight: 4, arbitrary: fc.tuple(binary, sub, sub).map(([f, l, r]) => f(l, r)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(sub, fc.constantFrom("<", ">", "<=", ">="), sub, sub, sub)
        .map(([l, op, r, t, e]) => `(${comparison(l, op, r)} ? ${t} : ${e})`),
    },
  );
}

/**
 * `l op r`, written so that TypeScript cannot read `l < (…) > …` as a call with type arguments
 * (`(x < x ? x : x) < (x > (-0.25) ? x : x)` parses as `(…)<(x)>(-0.25)` in tsc, not in Babel):
 * a `<` before a parenthesized right operand is written as the mirrored `>`.
 */
export function comparison(l: string, op: string, r: string): string {
  return op === "<" && r.startsWith("(") ? `${r} > ${l}` : `${l} ${op} ${r}`;
}

const LOCALS = ["a", "b"] as const;

/** `+`, `-`, `*` and a safe division over the variables and small constants: what the tape plan may recompute. */
function cheapArithmetic(vars: readonly string[], depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...vars) }, { weight: 1, arbitrary: constant.map((c) => (c.startsWith("-") ? `(${c})` : c)) });
  if (depth <= 0) return leaf;
  const sub = cheapArithmetic(vars, depth - 1);
  return fc.oneof(
    { weight: 1, arbitrary: leaf },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom("+", "-", "*", "/"), sub, sub)
        .map(([op, l, r]) => (op === "/" ? `(${l} / (1.5 + ${r} * ${r}))` : `(${l} ${op} ${r})`)),
    },
  );
}

function statement(vars: readonly string[], shape: Shape, nesting: number, inLoop: boolean): fc.Arbitrary<string> {
  const e = expression(vars, Math.max(1, shape.depth - 1));
  const target = fc.constantFrom(...LOCALS);
  const simple = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(target, e).map(([t, v]) => `${t} = ${v};`) },
    { weight: 2, arbitrary: fc.tuple(target, fc.constantFrom("+=", "-="), e).map(([t, op, v]) => `${t} ${op} ${v};`) },
    { weight: 1, arbitrary: fc.tuple(target, e).map(([t, v]) => `${t} *= 0.75 + 0.25 * Math.sin(${v});`) },
    { weight: 1, arbitrary: fc.tuple(target, e).map(([t, v]) => `${t} /= 1.25 + Math.cos(${v});`) },
  );
  const options: fc.WeightedArbitrary<string>[] = [{ weight: 6, arbitrary: simple }];
  if (nesting < 2 && shape.branches) {
    const block = fc.array(statement(vars, shape, nesting + 1, inLoop), { minLength: 1, maxLength: 3 }).map((s) => s.join(" "));
    options.push({
      weight: 2,
      arbitrary: fc
        .tuple(e, fc.constantFrom("<", ">"), e, block, fc.option(block, { nil: undefined }))
        .map(([l, op, r, t, f]) => `if (${comparison(l, op, r)}) { ${t} }${f ? ` else { ${f} }` : ""}`),
    });
  }
  if (nesting < 2 && shape.loops) {
    // A loop body may open with a loop-local const of cheap arithmetic on the parameters, the
    // counter and sometimes a local the loop changes (the tape plan recomputes the first kind in
    // the pullback and saves the second), and branch on it.
    const local = nesting === 0 ? "t" : "u";
    const loopVars = [...vars, "i", local];
    const statements = fc.array(statement(loopVars, shape, nesting + 1, true), { minLength: 1, maxLength: 3 }).map((s) => s.join(" "));
    const branchOnLocal = fc
      .tuple(fc.constantFrom("<", ">"), constant, statements, statements)
      .map(([op, c, a, b]) => `if (${local} ${op} ${c}) { ${a} } else { ${b} }`);
    const opening = fc.oneof(
      { weight: 3, arbitrary: cheapArithmetic([...vars.filter((v) => !LOCALS.includes(v as (typeof LOCALS)[number])), "i"], 2) },
      { weight: 1, arbitrary: cheapArithmetic([...vars, "i"], 2) },
    );
    const body = fc
      .tuple(opening, fc.oneof(statements, branchOnLocal), fc.option(statements, { nil: undefined }))
      .map(([v, first, rest]) => `const ${local} = ${v}; ${first}${rest ? ` ${rest}` : ""}`);
    const iVar = nesting === 0 ? "i" : "j";
    const rename = (s: string) => (iVar === "i" ? s : s.replace(/\bi\b/g, "j"));
    options.push({
      weight: 2,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 4 }), body)
        .map(([k, s]) => rename(`for (let i = 0; i < ${k}; i++) { ${s} }`)),
    });
    // trip count depends on the input (through a or b)
    options.push({
      weight: 1,
      arbitrary: fc
        .tuple(target, fc.constantFrom("<", ">"), constant, fc.integer({ min: 2, max: 5 }), body)
        .map(([t, op, c, k, s]) => rename(`for (let i = 0; i < ${k} && ${t} ${op} ${c}; i++) { ${s} }`)),
    });
  }
  if (inLoop || nesting > 0) {
    options.push({
      weight: 1,
      arbitrary: fc.tuple(target, fc.constantFrom("<", ">"), constant, e).map(([t, op, c, v]) => `if (${t} ${op} ${c}) return ${v};`),
    });
  }
  return fc.oneof(...options);
}

const coordinate = fc.integer({ min: -180, max: 180 }).map((n) => n / 100 + 0.00137);

export function program(shape: Shape): fc.Arbitrary<Program> {
  const params = ["x", "y"];
  return fc
    .tuple(
      expression(params, shape.depth),
      expression([...params, "a"], shape.depth),
      fc.array(statement([...params, ...LOCALS], shape, 0, false), { minLength: shape.maxStatements > 0 ? 1 : 0, maxLength: shape.maxStatements }),
      expression([...params, ...LOCALS], shape.depth),
      coordinate,
      coordinate,
    )
    .map(([ea, eb, stmts, ret, x, y]) => ({
      body: [`let a = ${ea};`, `let b = ${eb};`, ...stmts, `return ${ret} + 0.5 * a - Math.sin(b);`].join("\n  "),
      x,
      y,
    }));
}

export function functionSourceOf(name: string, p: Program): string {
  return `/** @differentiable */\nexport function ${name}(x: number, y: number): number {\n  ${p.body}\n}\n`;
}

/** One module holding many programs, plus (optionally) the operators applied to each. */
export function batchModule(names: readonly string[], programs: readonly Program[], withOps: boolean): string {
  const fns = programs.map((p, i) => functionSourceOf(names[i]!, p)).join("\n");
  if (!withOps) return fns;
  // gradient(f) and valueWithGradient(f) of these scalar programs are their fused functions
  // (f$grad, f$valueWithGradient); pullback(f) runs the VJP.
  const entries = names
    .map((n) => `  ${n}: { gradient: gradient(${n}), valueWithGradient: valueWithGradient(${n}), pullback: pullback(${n}), differential: differential(${n}) },`)
    .join("\n");
  return `import { gradient, valueWithGradient, pullback, differential } from "@cotangent/runtime";\n\n${fns}\nexport const __e2e_ops: Record<string, any> = {\n${entries}\n};\n`;
}
