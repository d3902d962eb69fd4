// fast-check arbitraries for a second family of random differentiable programs: ARRAYS,
// OBJECTS and CALLS. Each program is a marked function `(x: number, y: number, v: number[])`
// (v of fixed length 4) plus the marked helpers it calls, all generated as source text:
//
//   - local arrays: `v.slice()` copy, literals, `push`, `new Array(4).fill(0)`, a 2×3 nested
//     literal `m[i][j]`, and an array `ps` that grows by `push` (read by `for…of` only);
//   - element reads and writes with constant and computed indices (loop counters, `(i + k) % 4`,
//     `3 - i`, `i % 2`), compound updates of elements and of object fields;
//   - `for` loops (nested, constant trip counts), `for…of` over arrays, `if`/`else` on data
//     (compared against constants) and on loop counters, `break`/`continue`/early `return`;
//   - tuple destructuring (of literals and of a helper's `[number, number]` result, and
//     destructuring assignment `[a, b] = [...]`);
//   - calls between marked functions of the module: a reduction `number[] → number`, a map
//     `(number[], number) → number[]` (built by push / slice / fill), a scalar helper, a
//     tuple-returning helper, a helper reading an object's fields, and a recursive helper with
//     a depth counter (`wrt` the value, or all parameters); calls inside `?:`, `&&`, `||`.
//
// What a careful user writes: parameters are never written (copies via `.slice()`), no array
// has two names, a `for…of` never writes the array it iterates.
//
// Helpers are written with the placeholder prefix `$_` (e.g. `$_red`); `arraySourceOf(name, p)`
// renames them to `${name}_red` so many programs can share one module.

import fc from "fast-check";
import { expression } from "./programs";

export const VECTOR_LENGTH = 4;

export interface ArrayProgram {
  /** Helper functions (full declarations, `$_` prefix for their names), only those used. */
  helpers: string[];
  /** Statements of the main body (without the function head). */
  body: string;
  /** Point at which the program is checked. */
  x: number;
  y: number;
  v: number[];
}

export interface ArrayShape {
  /** Max expression depth. */
  depth: number;
  /** Number of statements of the main body after the declarations. */
  maxStatements: number;
  /** Max nesting of loops / ifs. */
  maxNesting: number;
  /**
   * Declare the scalar locals `a`, `b` as `let a: number`. Works around a core false positive
   * (CT1009, both hosts): a `let` reassigned from `?:` / `&&` / `||` with itself as a branch
   * (`b = c ? b : 0.5`) and then stored bare into a nested array (`const m = [[x, b]]`,
   * `m[0][1] = b`, `m.push([b, y])`) that is written is taken for an alias holder.
   */
  annotateScalars: boolean;
  /**
   * Write `const u = $_map(w, c).slice()` instead of `const u = $_map(w, c)`. Works around a
   * core false positive (CT1009, both hosts): writing into the fresh array a marked helper of
   * the same module returns (`const u = scale(v, x); u[0] = y;`) is taken for writing through
   * an alias of the argument.
   */
  copyCallResults: boolean;
}

const constant = fc.integer({ min: -12, max: 12 }).map((n) => (n / 4).toString());
const paren = (c: string) => (c.startsWith("-") ? `(${c})` : c);
const coordinate = fc.integer({ min: -180, max: 180 }).map((n) => n / 100 + 0.00137);

// ---------------------------------------------------------------------------------------------
// Helpers

const HELPER_NAMES = ["$_red", "$_map", "$_sc", "$_rec", "$_pair", "$_obj"] as const;

function helperSources(depth: number): fc.Arbitrary<Record<(typeof HELPER_NAMES)[number], string>> {
  const d = Math.max(1, depth - 1);
  const mark = "/** @differentiable */\n";
  // scalar helper
  const sc = expression(["p", "q"], depth).map((e) => `${mark}function $_sc(p: number, q: number): number {\n  return ${e} + 0.5 * p - 0.25 * q;\n}\n`);
  // reduction number[] → number
  const red = fc.oneof(
    fc
      .tuple(expression(["xs[i]", "s", "i"], d), fc.boolean())
      .map(([e, call]) => `${mark}function $_red(xs: number[]): number {\n  let s = 0;\n  for (let i = 0; i < xs.length; i++) {\n    s += ${call ? `$_sc(${e}, xs[i])` : e} + 0.5 * xs[i];\n  }\n  return s;\n}\n`),
    expression(["t", "s"], d).map((e) => `${mark}function $_red(xs: number[]): number {\n  let s = 0.5;\n  for (const t of xs) s = 0.5 * s + ${e} + 0.25 * t;\n  return s;\n}\n`),
    // array methods with callbacks (lowered to loops by normalization)
    expression(["t", "s", "i"], d).map((e) => `${mark}function $_red(xs: number[]): number {\n  return xs.reduce((s, t, i) => 0.5 * s + ${e} + 0.25 * t, 0.5);\n}\n`),
    expression(["t", "i"], d).map(
      (e) => `${mark}function $_red(xs: number[]): number {\n  const ys = xs.map((t, i) => ${e});\n  return [...ys, 0.5].reduceRight((a, b) => 0.5 * a + b + 0.25 * a * b);\n}\n`,
    ),
    // decisions by callbacks (filter/some/find carry no derivative; the values chosen do)
    expression(["t", "s"], d).map(
      (e) => `${mark}function $_red(xs: number[]): number {\n  const pos = xs.filter((t) => t > 0);\n  const big = xs.some((t) => t > 1);\n  const hit = xs.find((t) => t < 0) ?? 0.5;\n  return pos.reduce((s, t) => 0.5 * s + ${e}, 0.25) + (big ? hit : 0.5 * hit);\n}\n`,
    ),
    // a labeled break out of a loop whose body is a try/finally
    expression(["t", "s"], d).map(
      (e) => `${mark}function $_red(xs: number[]): number {\n  let s = 0.5;\n  outer: for (let i = 0; i < xs.length; i++) {\n    const t = xs[i];\n    try {\n      if (t > 1.5) break outer;\n      s = 0.5 * s + ${e};\n    } finally {\n      s += 0.125 * t;\n    }\n  }\n  return s;\n}\n`,
    ),
    // a local function with a rest parameter, called with a spread and with separate arguments
    expression(["t", "s", "a"], d).map(
      (e) => `${mark}function $_red(xs: number[]): number {\n  const fold = (a: number, ...ys: number[]): number => {\n    let s = a;\n    for (const t of ys) s = 0.5 * s + ${e};\n    return s;\n  };\n  return fold(0.5, ...xs) + fold(0.25, xs.length, 0.5);\n}\n`,
    ),
    // log-sum-exp with a running max (kinks only at ties)
    expression(["t"], d).map(
      (e) => `${mark}function $_red(xs: number[]): number {\n  const ys: number[] = [];\n  for (const t of xs) ys.push(${e} + 0.5 * t);\n  let m = ys[0];\n  for (const t of ys) if (t > m) m = t;\n  let s = 0;\n  for (const t of ys) s += Math.exp(t - m);\n  return m + Math.log(s);\n}\n`,
    ),
  );
  // map (number[], number) → new number[]
  const map = fc.oneof(
    fc
      .tuple(expression(["t", "c"], d), fc.boolean())
      .map(([e, call]) => `${mark}function $_map(xs: number[], c: number): number[] {\n  const out: number[] = [];\n  for (const t of xs) out.push(${call ? `$_sc(${e}, t)` : e} + 0.5 * t * c);\n  return out;\n}\n`),
    fc
      .tuple(expression(["t", "c"], d), fc.boolean())
      .map(([e, call]) => `${mark}function $_map(xs: number[], c: number): number[] {\n  return xs.map((t) => ${call ? `$_sc(${e}, t)` : e} + 0.5 * t * c);\n}\n`),
    expression(["t", "c", "i"], d).map(
      (e) => `${mark}function $_map(xs: number[], c: number): number[] {\n  const out = Array.from(xs, (t, i) => ${e} + 0.5 * t * c);\n  let k = 0;\n  out.forEach((t) => {\n    k += 0.125 * t;\n  });\n  const [first, ...rest] = out;\n  return [...rest, first + k];\n}\n`,
    ),
    expression(["out[i]", "c", "out[(i + 1) % out.length]"], d).map(
      (e) => `${mark}function $_map(xs: number[], c: number): number[] {\n  const out = xs.slice();\n  for (let i = 0; i < out.length; i++) {\n    out[i] = ${e} + 0.5 * out[i] * c;\n  }\n  return out;\n}\n`,
    ),
    expression(["xs[i]", "c", "out[(i + 3) % 4]"], d).map(
      (e) => `${mark}function $_map(xs: number[], c: number): number[] {\n  const out = new Array(xs.length).fill(0);\n  for (let i = 0; i < xs.length; i++) {\n    out[i] = ${e} + 0.5 * xs[i] * c;\n  }\n  return out;\n}\n`,
    ),
  );
  // recursion with a depth counter
  const rec = fc
    .tuple(fc.boolean(), expression(["z"], d), expression(["z"], d), expression(["r", "z"], d), fc.constantFrom("<=", "<", "==="))
    .map(
      ([wrt, base, step, combine, cmp]) =>
        `/** @differentiable${wrt ? "(wrt: z)" : ""} */\nfunction $_rec(z: number, n: number): number {\n  if (n ${cmp} 0) return ${base} + 0.5 * z;\n  const r = $_rec(${step}, n - 1);\n  return ${combine} + 0.5 * r;\n}\n`,
    );
  // tuple result
  const pair = fc
    .tuple(expression(["a", "xs[0]", "xs[1]"], d), expression(["a", "xs[2]", "xs[3]"], d))
    .map(([e1, e2]) => `${mark}function $_pair(a: number, xs: number[]): [number, number] {\n  return [${e1} + 0.5 * a, ${e2} - 0.5 * xs[3]];\n}\n`);
  // object parameter (fields read only; for…in over its keys)
  const obj = fc.oneof(
    expression(["o.p", "o.q", "c"], depth).map(
      (e) => `${mark}function $_obj(o: { p: number; q: number }, c: number): number {\n  return ${e} + 0.5 * o.p * c - 0.25 * o.q;\n}\n`,
    ),
    expression(["v", "s", "c"], d).map(
      (e) => `${mark}function $_obj(o: { p: number; q: number }, c: number): number {\n  const maybe: { p: number; q?: number } | undefined = c > 0 ? o : undefined;\n  let s = 0.5 * (maybe?.p ?? c) + (maybe?.q ?? 0.25);\n  for (const k in o) {\n    const v = o[k as "p" | "q"];\n    s = 0.5 * s + ${e};\n  }\n  return s - 0.25 * o.q;\n}\n`,
    ),
  );
  return fc.record({ $_red: red, $_map: map, $_sc: sc, $_rec: rec, $_pair: pair, $_obj: obj });
}

// ---------------------------------------------------------------------------------------------
// Main body

interface Ctx {
  /** Scalar expressions that can be read (atoms). */
  reads: string[];
  /** Length-4 arrays declared so far (read, passed to helpers). */
  arrays: string[];
  /** Loop counters in scope with their (exclusive) bounds. */
  counters: { name: string; bound: number }[];
  /** Array iterated by an enclosing for…of (not written, not pushed). */
  iterated: string[];
  nesting: number;
  inLoop: boolean;
}

const ARRAYS_1D = ["w", "u"] as const;

/** Index expressions into a length-4 array. */
function indices(ctx: Ctx): string[] {
  const out = ["0", "1", "2", "3"];
  for (const c of ctx.counters) {
    if (c.bound <= 4) out.push(c.name, `3 - ${c.name}`);
    out.push(`(${c.name} + 1) % 4`, `(${c.name} + 3) % 4`);
  }
  if (ctx.counters.length === 2) out.push(`(${ctx.counters[0]!.name} + ${ctx.counters[1]!.name}) % 4`);
  return out;
}

function rowIndices(ctx: Ctx): string[] {
  return ["0", "1", ...ctx.counters.map((c) => `${c.name} % 2`)];
}
function colIndices(ctx: Ctx): string[] {
  return ["0", "1", "2", ...ctx.counters.map((c) => (c.bound <= 3 ? c.name : `${c.name} % 3`))];
}

/** Element / field targets that may be written in this context. */
function writeTargets(ctx: Ctx): fc.Arbitrary<string> {
  const opts: fc.Arbitrary<string>[] = [fc.constantFrom("s.p", "s.q")];
  for (const arr of ARRAYS_1D) if (ctx.arrays.includes(arr) && !ctx.iterated.includes(arr)) opts.push(fc.constantFrom(...indices(ctx)).map((k) => `${arr}[${k}]`));
  opts.push(fc.tuple(fc.constantFrom(...rowIndices(ctx)), fc.constantFrom(...colIndices(ctx))).map(([r, c]) => `m[${r}][${c}]`));
  return fc.oneof(...opts);
}

/** Readable atoms: scalars, parameter elements, local elements, fields. */
function atoms(ctx: Ctx): fc.Arbitrary<string>[] {
  return [
    fc.constantFrom(...ctx.reads),
    fc.tuple(fc.constantFrom(...ctx.arrays), fc.constantFrom(...indices(ctx))).map(([a, k]) => `${a}[${k}]`),
    fc.tuple(fc.constantFrom(...rowIndices(ctx)), fc.constantFrom(...colIndices(ctx))).map(([r, c]) => `m[${r}][${c}]`),
  ];
}

/** A plain expression over some atoms of the context (the atoms are drawn first). */
function expr(ctx: Ctx, depth: number): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(...atoms(ctx)), { minLength: 2, maxLength: 4 })
    .chain((vars) => expression([...new Set(vars)], depth));
}

/** An array-valued argument for a helper: a local array or a map of one. */
function arrayArg(ctx: Ctx, depth: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ctx.arrays) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ctx.arrays), expr(ctx, depth)).map(([a, e]) => `$_map(${a}, ${e})`) },
  );
}

/** Expressions that contain calls to the helpers. */
function callExpr(ctx: Ctx, depth: number): fc.Arbitrary<string> {
  const e = expr(ctx, Math.max(0, depth - 1));
  const recDepth = fc.oneof(
    fc.integer({ min: 0, max: 3 }).map(String),
    ...(ctx.counters.length ? [fc.constantFrom(...ctx.counters.map((c) => c.name))] : []),
  );
  return fc.oneof(
    fc.tuple(e, e).map(([p, q]) => `$_sc(${p}, ${q})`),
    arrayArg(ctx, depth).map((a) => `$_red(${a})`),
    fc.tuple(fc.constantFrom(...ctx.arrays), e, fc.constantFrom(...indices(ctx))).map(([a, c, k]) => `$_map(${a}, ${c})[${k}]`),
    fc.tuple(e, recDepth).map(([z, n]) => `$_rec(${z}, ${n})`),
    fc.tuple(e, fc.constantFrom(...ctx.arrays), fc.constantFrom("0", "1")).map(([a, xs, k]) => `$_pair(${a}, ${xs})[${k}]`),
    e.map((c) => `$_obj(s, ${c})`),
  );
}

/** A condition: on data (against a constant) or, inside loops, on the counters only. */
function condition(ctx: Ctx, depth: number): fc.Arbitrary<string> {
  const data = fc.tuple(expr(ctx, depth), fc.constantFrom("<", ">"), constant).map(([l, op, c]) => `${l} ${op} ${paren(c)}`);
  if (!ctx.counters.length) return data;
  const names = ctx.counters.map((c) => c.name);
  const counter = fc.oneof(
    fc.tuple(fc.constantFrom(...names), fc.constantFrom("<", ">", "===", "!==", ">="), fc.integer({ min: 0, max: 3 })).map(([c, op, k]) => `${c} ${op} ${k}`),
    fc.constantFrom(...names).map((c) => `${c} % 2 === 0`),
    ...(names.length === 2 ? [fc.constantFrom(`${names[0]} + ${names[1]} === 3`, `${names[1]} > ${names[0]}`, `${names[0]} === ${names[1]}`)] : []),
  );
  return fc.oneof(data, counter);
}

function statement(ctx: Ctx, shape: ArrayShape): fc.Arbitrary<string> {
  const d = Math.max(1, shape.depth - 1);
  const e = expr(ctx, d);
  const rhs = fc.oneof({ weight: 3, arbitrary: e }, { weight: 2, arbitrary: callExpr(ctx, d) });
  const scalar = fc.constantFrom("a", "b");
  const target = fc.oneof(scalar, writeTargets(ctx));
  const update = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(target, rhs).map(([t, v]) => `${t} = ${v};`) },
    { weight: 3, arbitrary: fc.tuple(target, fc.constantFrom("+=", "-="), rhs).map(([t, op, v]) => `${t} ${op} ${v};`) },
    { weight: 1, arbitrary: fc.tuple(target, e).map(([t, v]) => `${t} *= 0.75 + 0.25 * Math.sin(${v});`) },
  );
  const cond = condition(ctx, d);
  const options: fc.WeightedArbitrary<string>[] = [{ weight: 8, arbitrary: update }];
  if (!ctx.iterated.includes("ps")) options.push({ weight: 1, arbitrary: rhs.map((v) => `ps.push(${v});`) });
  // ?: and && / || with calls in their branches
  options.push({
    weight: 2,
    arbitrary: fc.oneof(
      fc.tuple(scalar, cond, callExpr(ctx, d), fc.oneof(e, callExpr(ctx, d))).map(([t, c, p, q]) => `${t} += ${c} ? ${p} : ${q};`),
      fc.tuple(scalar, cond, callExpr(ctx, d), e).map(([t, c, p, q]) => `${t} += (${c} && ${p}) || ${q};`),
      fc.tuple(scalar, cond, callExpr(ctx, d), constant, e, e).map(([t, c, p, k, q, r]) => `${t} = ${c} || ${p} > ${paren(k)} ? ${q} : ${r};`),
      fc.tuple(scalar, callExpr(ctx, d), e).map(([t, p, q]) => `${t} += 0.5 * (${p} || ${q});`),
    ),
  });
  // tuple destructuring
  options.push({
    weight: 1,
    arbitrary: fc.oneof(
      fc.tuple(e, e).map(([p, q]) => `[a, b] = [${p}, ${q}];`),
      fc.tuple(e, fc.constantFrom(...ctx.arrays), e).map(([p, xs, q]) => `{\n    const [c0, c1] = $_pair(${p}, ${xs});\n    a += c0 * Math.sin(c1);\n    b -= ${q} * c1;\n  }`),
      fc.tuple(e, e, e).map(([p, q, r]) => `{\n    const [c0, c1, c2] = [${p}, ${q}, ${r}];\n    b += c0 * c1 - c2;\n  }`),
    ),
  });
  if (ctx.nesting < shape.maxNesting) {
    const inner = (c: Ctx) => fc.array(statement(c, shape), { minLength: 1, maxLength: 3 }).map((s) => s.join("\n  "));
    const sub: Ctx = { ...ctx, nesting: ctx.nesting + 1 };
    options.push({
      weight: 2,
      arbitrary: fc
        .tuple(cond, inner(sub), fc.option(inner(sub), { nil: undefined }))
        .map(([c, t, f]) => `if (${c}) {\n  ${t}\n  }${f ? ` else {\n  ${f}\n  }` : ""}`),
    });
    if (ctx.counters.length < 2) {
      const name = ctx.counters.length ? "j" : "i";
      options.push({
        weight: 3,
        arbitrary: fc.integer({ min: 1, max: 4 }).chain((k) => {
          const body: Ctx = { ...sub, counters: [...ctx.counters, { name, bound: k }], inLoop: true };
          return inner(body).map((s) => `for (let ${name} = 0; ${name} < ${k}; ${name}++) {\n  ${s}\n  }`);
        }),
      });
    }
    const tName = `t${ctx.nesting}`;
    const iterable = [...ctx.arrays, "ps"].filter((a) => !ctx.iterated.includes(a));
    options.push({
      weight: 2,
      arbitrary: fc.constantFrom(...iterable).chain((arr) => {
        const body: Ctx = { ...sub, reads: [...ctx.reads, tName], iterated: [...ctx.iterated, arr], inLoop: true };
        return inner(body).map((s) => `for (const ${tName} of ${arr}) {\n  ${s}\n  }`);
      }),
    });
  }
  if (ctx.inLoop) {
    options.push({
      weight: 2,
      arbitrary: fc
        .tuple(cond, fc.constantFrom("break;", "continue;", "return"), e)
        .map(([c, k, v]) => `if (${c}) ${k === "return" ? `return ${v};` : k}`),
    });
  } else if (ctx.nesting > 0) {
    options.push({ weight: 1, arbitrary: fc.tuple(cond, e).map(([c, v]) => `if (${c}) return ${v};`) });
  }
  return fc.oneof(...options);
}

/** How `u` is built (length 4). */
function uDeclaration(ctx: Ctx, depth: number, copyCallResults: boolean): fc.Arbitrary<string> {
  const loopCtx: Ctx = { ...ctx, counters: [{ name: "i", bound: 4 }], inLoop: true };
  return fc.oneof(
    fc.array(expr(ctx, depth), { minLength: 4, maxLength: 4 }).map((es) => `const u = [${es.join(", ")}];`),
    expr(loopCtx, depth).map((el) => `const u = new Array(4).fill(0);\n  for (let i = 0; i < 4; i++) u[i] = ${el};`),
    expr(loopCtx, depth).map((el) => `const u: number[] = [];\n  for (let i = 0; i < 4; i++) u.push(${el});`),
    expr(ctx, depth).map((c) => `const u = $_map(w, ${c})${copyCallResults ? ".slice()" : ""};`),
  );
}

export function arrayProgram(shape: ArrayShape): fc.Arbitrary<ArrayProgram> {
  // a, b, w, m, s exist when u is declared; everything before the statements
  const early: Ctx = { reads: ["x", "y", "a", "b"], arrays: ["v", "w"], counters: [], iterated: [], nesting: 0, inLoop: false };
  const full: Ctx = { ...early, reads: ["x", "y", "a", "b", "s.p", "s.q"], arrays: ["v", "w", "u"] };
  const scalarOnly = (vars: string[]) => expression(vars, shape.depth);
  return fc
    .tuple(
      scalarOnly(["x", "y", "v[0]", "v[1]"]),
      scalarOnly(["x", "y", "a", "v[2]", "v[3]"]),
      fc.array(fc.oneof(scalarOnly(["x", "y", "a", "b"]), scalarOnly(["v[0]", "v[3]", "b"])), { minLength: 6, maxLength: 6 }),
      fc.tuple(scalarOnly(["a", "w[1]"]), scalarOnly(["b", "w[2]", "x"])),
      uDeclaration(early, Math.max(1, shape.depth - 1), shape.copyCallResults),
      fc.array(statement(full, shape), { minLength: 1, maxLength: shape.maxStatements }),
      expr(full, shape.depth),
      helperSources(shape.depth),
      fc.tuple(coordinate, coordinate),
      fc.array(coordinate, { minLength: VECTOR_LENGTH, maxLength: VECTOR_LENGTH }),
    )
    .map(([ea, eb, ms, [sp, sq], uDecl, stmts, ret, helpers, [x, y], v]) => {
      const body = [
        `let a${shape.annotateScalars ? ": number" : ""} = ${ea};`,
        `let b${shape.annotateScalars ? ": number" : ""} = ${eb};`,
        `const w = v.slice();`,
        `const m = [[${ms.slice(0, 3).join(", ")}], [${ms.slice(3).join(", ")}]];`,
        `const s = { p: ${sp}, q: ${sq} };`,
        uDecl,
        `const ps: number[] = [x];`,
        ...stmts,
        `let r = 0;`,
        `for (const t of ps) r += Math.sin(t);`,
        `return ${ret} + 0.5 * a - Math.sin(b) + 0.25 * (w[0] * w[3] + u[1] - u[2]) + Math.cos(m[1][2]) * s.p + 0.1 * s.q * m[0][1] + r;`,
      ].join("\n  ");
      return { helpers: usedHelpers(body, helpers), body, x, y, v };
    });
}

/** The helpers `body` calls, directly or through other helpers, in a fixed order. */
function usedHelpers(body: string, all: Record<string, string>): string[] {
  const used = new Set<string>();
  const visit = (text: string) => {
    for (const h of HELPER_NAMES) {
      if (!used.has(h) && text.includes(`${h}(`)) {
        used.add(h);
        visit(all[h]!);
      }
    }
  };
  visit(body);
  return HELPER_NAMES.filter((h) => used.has(h)).map((h) => all[h]!);
}

export function arrayProgramKey(p: ArrayProgram): string {
  return `${p.helpers.join("")}\u0000${p.body}`;
}

/** The program's source with its helpers renamed to `${name}_…`. */
export function arraySourceOf(name: string, p: ArrayProgram): string {
  const main = `/** @differentiable */\nexport function ${name}(x: number, y: number, v: number[]): number {\n  ${p.body}\n}\n`;
  return [...p.helpers, main].join("\n").replace(/\$_/g, `${name}_`);
}

/** One module holding many programs, plus (optionally) the operators applied to each. */
export function arrayBatchModule(names: readonly string[], programs: readonly ArrayProgram[], withOps: boolean): string {
  const fns = programs.map((p, i) => arraySourceOf(names[i]!, p)).join("\n");
  if (!withOps) return fns;
  const entries = names.map((n) => `  ${n}: { gradient: gradient(${n}), differential: differential(${n}) },`).join("\n");
  return `import { gradient, differential } from "@cotangent/runtime";\n\n${fns}\nexport const __e2e_ops: Record<string, any> = {\n${entries}\n};\n`;
}
