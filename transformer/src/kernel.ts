// `/** @differentiable @kernel */` scalar functions compiled to WGSL: the function itself
// (`fn kernel(a: f32, …) -> f32`) and its value with every partial derivative in one pass
// (`fn partials(a: f32, …) -> array<f32, n + 1>`, vector forward mode: each local carries one
// tangent per parameter, so branches and loops need no tape). The runtime's `map(f)` runs them as
// one elementwise dispatch on WebGPU (runtime/src/ops/map.ts). The partials use the number rules
// of ./rules.ts, so a kernel's derivatives are the JavaScript function's.
//
// The subset: number parameters and result; `const`/`let` locals of numbers (and booleans from
// comparisons); arithmetic, comparisons, `&&`/`||`/`!`, `?:`; Math functions and constants;
// `if`/`else`, `for`/`while` loops, `return`. Anything else is a located CT1001.

import type { Diagnostic } from "./api.js";
import { kernelError, kernelWords, type KernelReason } from "./catalog.js";
import type { Expression, Loc, MarkedFunction, Statement } from "./ir.js";
import { BINARY_RULES, COMPARISON, MATH_RULES, add, mul, neg } from "./rules.js";

export interface KernelSource {
  /** Parameter names, in order. */
  params: string[];
  /** WGSL: `fn kernel(…) -> f32` and `fn partials(…) -> array<f32, n + 1>` (value, then ∂/∂ each parameter), with their helpers. */
  wgsl: string;
  /** The same partials in JavaScript, as a function expression `function (p0, …, out)` writing the value and the partials into `out` (the CPU's). */
  partials: string;
}

/** What is outside the kernel subset, as a catalog reason (catalog.ts, CT1001's `kernel` form) and its arguments. */
class KernelError extends Error {
  constructor(
    readonly reason: KernelReason,
    readonly args: Record<string, string>,
    readonly loc: Loc | undefined,
  ) {
    super(reason);
  }
}

const MATH_WGSL: Record<string, string> = {
  sin: "sin", cos: "cos", tan: "tan", asin: "asin", acos: "acos", atan: "atan", sinh: "sinh", cosh: "cosh", tanh: "k_tanh",
  asinh: "asinh", acosh: "acosh", atanh: "atanh", exp: "exp", expm1: "k_expm1", log: "k_log", log1p: "k_log1p", log2: "k_log2", log10: "k_log10",
  sqrt: "sqrt", cbrt: "k_cbrt", abs: "abs", sign: "sign", floor: "floor", ceil: "ceil", round: "k_round", trunc: "trunc", atan2: "atan2",
  pow: "k_pow", hypot: "k_hypot", max: "k_max", min: "k_min", fround: "",
};
const MATH_CONSTANTS: Record<string, number> = { PI: Math.PI, E: Math.E, LN2: Math.LN2, LN10: Math.LN10, LOG2E: Math.LOG2E, LOG10E: Math.LOG10E, SQRT2: Math.SQRT2, SQRT1_2: Math.SQRT1_2 };

/** WGSL helpers with JavaScript's semantics where WGSL's builtins differ (log of a negative, pow of a negative base, NaN in max/min). */
const HELPERS = /* wgsl */ `
// (Through a var: a constant NaN or ∞ is a WGSL compile error.)
fn k_nan() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn k_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
fn k_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn k_log(x: f32) -> f32 { if (x < 0.0) { return k_nan(); } if (x == 0.0) { return -k_inf(); } return log(x); }
fn k_log1p(x: f32) -> f32 { let u = 1.0 + x; if (u == 1.0) { return x; } return k_log(u) * x / (u - 1.0); }
fn k_log2(x: f32) -> f32 { return k_log(x) * 1.4426950408889634; }
fn k_log10(x: f32) -> f32 { return k_log(x) * 0.4342944819032518; }
fn k_expm1(x: f32) -> f32 { if (abs(x) < 1e-5) { return x + 0.5 * x * x; } return exp(x) - 1.0; }
fn k_tanh(x: f32) -> f32 { if (x > 10.0) { return 1.0; } if (x < -10.0) { return -1.0; } return tanh(x); }
fn k_cbrt(x: f32) -> f32 { return sign(x) * pow(abs(x), 1.0 / 3.0); }
fn k_round(x: f32) -> f32 { return floor(x + 0.5); }
fn k_hypot(a: f32, b: f32) -> f32 { return sqrt(a * a + b * b); }
fn k_max(a: f32, b: f32) -> f32 { if (k_isnan(a) || k_isnan(b)) { return k_nan(); } return max(a, b); }
fn k_min(a: f32, b: f32) -> f32 { if (k_isnan(a) || k_isnan(b)) { return k_nan(); } return min(a, b); }
fn k_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a >= 0.0) { return pow(a, b); }
  if (b != trunc(b)) { return k_nan(); }
  let r = pow(-a, b);
  if (b - 2.0 * trunc(b / 2.0) != 0.0) { return -r; }
  return r;
}
`;

/** A WGSL float literal for a number. */
function lit(v: number): string {
  if (Number.isNaN(v)) return "k_nan()";
  if (!Number.isFinite(v)) return v > 0 ? "k_inf()" : "(-k_inf())";
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const vname = (n: string) => `v_${n.replace(/\$/g, "_")}`;
const tname = (n: string, j: number) => `d${j}_${n.replace(/\$/g, "_")}`;

/** What the writer emits: WGSL for the GPU, or JavaScript (the CPU's partials, same algorithm). */
type Target = "wgsl" | "js";

class KernelWriter {
  private readonly bools = new Set<string>();
  constructor(
    /** Partials mode: tangent lanes, one per parameter. */
    private readonly lanes: number,
    private readonly target: Target = "wgsl",
  ) {}

  private get js(): boolean {
    return this.target === "js";
  }
  private num(v: number): string {
    return this.js ? (Object.is(v, -0) ? "-0" : String(v)) : lit(v);
  }

  private fail(reason: KernelReason, at: { loc?: Loc } | undefined, args: Record<string, string> = {}): never {
    throw new KernelError(reason, args, at?.loc);
  }

  /** True for an expression of boolean type (comparisons, logic, a boolean local). */
  private isBool(e: Expression): boolean {
    if (e.type === "BinaryExpression") return COMPARISON.has(e.operator);
    if (e.type === "LogicalExpression") return true;
    if (e.type === "UnaryExpression") return e.operator === "!";
    if (e.type === "BooleanLiteral") return true;
    if (e.type === "Identifier") return this.bools.has(e.name);
    return false;
  }

  expr(e: Expression): string {
    switch (e.type) {
      case "NumericLiteral":
        return this.num(e.value);
      case "BooleanLiteral":
        return String(e.value);
      case "Identifier":
        if (e.name === "Infinity") return this.num(Infinity);
        if (e.name === "NaN") return this.num(NaN);
        return vname(e.name);
      case "MemberExpression": {
        if (e.object.type === "Identifier" && e.object.name === "Math" && !e.computed && e.property.type === "Identifier" && e.property.name in MATH_CONSTANTS)
          return this.num(MATH_CONSTANTS[e.property.name]!);
        return this.fail("propertyRead", e);
      }
      case "BinaryExpression": {
        const l = this.expr(e.left as Expression);
        const r = this.expr(e.right);
        switch (e.operator) {
          case "+": case "-": case "*": case "/": case "<": case ">": case "<=": case ">=":
            return `(${l} ${e.operator} ${r})`;
          case "===": case "==": return `(${l} ${this.js ? "===" : "=="} ${r})`;
          case "!==": case "!=": return `(${l} ${this.js ? "!==" : "!="} ${r})`;
          case "**": return this.js ? `(${l} ** ${r})` : `k_pow(${l}, ${r})`;
          case "%": return this.js ? `(${l} % ${r})` : `(${l} - ${r} * trunc(${l} / ${r}))`;
          default:
            return this.fail("operator", e, { op: e.operator });
        }
      }
      case "LogicalExpression":
        if (e.operator === "??" || !this.isBool(e.left) || !this.isBool(e.right))
          return this.fail("logicalOnNumbers", e, { op: e.operator });
        return `(${this.expr(e.left)} ${e.operator} ${this.expr(e.right)})`;
      case "UnaryExpression":
        if (e.operator === "-") return `(-${this.expr(e.argument)})`;
        if (e.operator === "+") return this.expr(e.argument);
        if (e.operator === "!") return `(!${this.expr(e.argument)})`;
        return this.fail("operator", e, { op: e.operator });
      case "ConditionalExpression":
        if (this.js) return `(${this.expr(e.test)} ? ${this.expr(e.consequent)} : ${this.expr(e.alternate)})`;
        return `select(${this.expr(e.alternate)}, ${this.expr(e.consequent)}, ${this.expr(e.test)})`;
      case "CallExpression": {
        const c = e.callee;
        if (c.type === "MemberExpression" && c.object.type === "Identifier" && c.object.name === "Math" && !c.computed && c.property.type === "Identifier") {
          const name = c.property.name;
          const w = MATH_WGSL[name];
          if (w === undefined) return this.fail("mathFunction", e, { name });
          const args = e.arguments.map((a) => (a.type === "SpreadElement" ? this.fail("spreadArgument", a) : this.expr(a)));
          if ((name === "max" || name === "min" || name === "hypot") && args.length !== 2)
            return this.fail("mathArity", e, { name });
          if (this.js) return `Math.${name}(${args.join(", ")})`;
          return w === "" ? args[0]! : `${w}(${args.join(", ")})`;
        }
        return this.fail("call", e);
      }
      default:
        return this.fail("value", e, { what: kernelWords(e.type) });
    }
  }

  /** The tangent of `e` in lane j, as a rule-folded IR expression, or null for zero. */
  private tangent(e: Expression, j: number): Expression | null {
    switch (e.type) {
      case "Identifier":
        return this.bools.has(e.name) || e.name === "Infinity" || e.name === "NaN" ? null : { type: "Identifier", name: `\u0000${tname(e.name, j)}` };
      case "BinaryExpression": {
        if (COMPARISON.has(e.operator)) return null;
        const rule = BINARY_RULES[e.operator];
        if (!rule) return null;
        return this.chain((i) => rule([e.left as Expression, e.right], i), [e.left as Expression, e.right], j);
      }
      case "UnaryExpression": {
        if (e.operator === "!") return null;
        const t = this.tangent(e.argument, j);
        return t && e.operator === "-" ? neg(t) : t;
      }
      case "ConditionalExpression": {
        const a = this.tangent(e.consequent, j);
        const b = this.tangent(e.alternate, j);
        if (!a && !b) return null;
        return { type: "ConditionalExpression", test: e.test, consequent: a ?? { type: "NumericLiteral", value: 0 }, alternate: b ?? { type: "NumericLiteral", value: 0 } };
      }
      case "CallExpression": {
        const c = e.callee as Extract<Expression, { type: "MemberExpression" }>;
        const name = (c.property as { name: string }).name;
        const rule = MATH_RULES[name];
        if (!rule) return null;
        const args = e.arguments as Expression[];
        return this.chain((i) => rule(args, i), args, j);
      }
      default:
        return null;
    }
  }

  private chain(partial: (i: number) => Expression | null, args: Expression[], j: number): Expression | null {
    let sum: Expression | null = null;
    args.forEach((a, i) => {
      const t = this.tangent(a, j);
      if (!t) return;
      const p = partial(i);
      if (p) sum = add(sum, mul(p, t));
    });
    return sum;
  }

  /** A tangent expression in WGSL (tangent variables are marked with a leading NUL by `tangent`). */
  private tangentText(e: Expression | null): string {
    if (!e) return this.js ? "0" : "0.0";
    const text = this.expr(e);
    return text.replace(/v_\u0000/g, "");
  }

  private counter = 0;

  /** `name = e` (declared when `declare`), with its tangents in partials mode (from the old values: x = x * x). */
  private assign(name: string, e: Expression, declare: boolean, out: string[], indent: string): void {
    const bool = this.isBool(e);
    const tangents = bool ? [] : Array.from({ length: this.lanes }, (_, j) => this.tangentText(this.tangent(e, j)));
    const key = `${name.replace(/\$/g, "_")}_${this.counter++}`;
    tangents.forEach((t, j) => out.push(`${indent}${this.js ? "const" : "let"} t${j}_${key} = ${t};`));
    const value = this.expr(e);
    if (bool) this.bools.add(name);
    else this.bools.delete(name);
    const decl = (n: string, type: string) => (this.js ? `let ${n}` : `var ${n}: ${type}`);
    out.push(declare ? `${indent}${decl(vname(name), bool ? "bool" : "f32")} = ${value};` : `${indent}${vname(name)} = ${value};`);
    tangents.forEach((_, j) => out.push(declare ? `${indent}${decl(tname(name, j), "f32")} = t${j}_${key};` : `${indent}${tname(name, j)} = t${j}_${key};`));
  }

  private ret(e: Expression, out: string[], indent: string): void {
    if (this.isBool(e)) this.fail("returnsNumber", e);
    if (this.lanes === 0) {
      out.push(`${indent}return ${this.expr(e)};`);
      return;
    }
    const parts = [this.expr(e), ...Array.from({ length: this.lanes }, (_, j) => this.tangentText(this.tangent(e, j)))];
    if (this.js) {
      // Into the caller's array (no allocation per element): the value, then the partials.
      const tmp = parts.map((p, k) => `${indent}const r${k} = ${p};`);
      out.push(`${indent}{`, ...tmp.map((t) => `  ${t}`), ...parts.map((_, k) => `${indent}  out[${k}] = r${k};`), `${indent}  return;`, `${indent}}`);
      return;
    }
    out.push(`${indent}return array<f32, ${this.lanes + 1}>(${parts.join(", ")});`);
  }

  statements(ss: readonly Statement[], out: string[], indent: string): void {
    for (const s of ss) this.statement(s, out, indent);
  }

  private statement(s: Statement, out: string[], indent: string): void {
    switch (s.type) {
      case "VariableDeclaration":
        for (const d of s.declarations) {
          if (d.id.type !== "Identifier") this.fail("destructuring", d);
          if (!d.init) this.fail("localWithoutValue", d);
          this.assign(d.id.name, d.init, true, out, indent);
        }
        return;
      case "ExpressionStatement": {
        const e = s.expression;
        if (e.type === "AssignmentExpression" && e.left.type === "Identifier") {
          const name = e.left.name;
          if (e.operator !== "=" && !["+=", "-=", "*=", "/=", "**=", "%="].includes(e.operator)) this.fail("assignmentOperator", e, { op: e.operator });
          const value: Expression = e.operator === "=" ? e.right : { type: "BinaryExpression", operator: e.operator.slice(0, -1) as "+", left: { type: "Identifier", name }, right: e.right };
          this.assign(name, value, false, out, indent);
          return;
        }
        if (e.type === "UpdateExpression" && e.argument.type === "Identifier") {
          const name = e.argument.name;
          this.assign(name, { type: "BinaryExpression", operator: e.operator === "++" ? "+" : "-", left: { type: "Identifier", name }, right: { type: "NumericLiteral", value: 1 } }, false, out, indent);
          return;
        }
        return this.fail("statementKind", s);
      }
      case "IfStatement": {
        out.push(`${indent}if (${this.cond(s.test)}) {`);
        this.statements(s.consequent.type === "BlockStatement" ? s.consequent.body : [s.consequent], out, indent + "  ");
        if (s.alternate) {
          out.push(`${indent}} else {`);
          this.statements(s.alternate.type === "BlockStatement" ? s.alternate.body : [s.alternate], out, indent + "  ");
        }
        out.push(`${indent}}`);
        return;
      }
      case "BlockStatement":
        out.push(`${indent}{`);
        this.statements(s.body, out, indent + "  ");
        out.push(`${indent}}`);
        return;
      case "ReturnStatement":
        if (!s.argument) this.fail("returnsNumber", s);
        this.ret(s.argument, out, indent);
        return;
      case "ForStatement": {
        // for (init; test; update) body → init; loop { if (!test) break; body; update }
        out.push(`${indent}{`);
        const inner = indent + "  ";
        if (s.init) {
          if (s.init.type === "VariableDeclaration") this.statement(s.init, out, inner);
          else this.statement({ type: "ExpressionStatement", expression: s.init } as Statement, out, inner);
        }
        out.push(this.js ? `${inner}for (;;) {` : `${inner}loop {`);
        if (s.test) out.push(`${inner}  if (!(${this.cond(s.test)})) { break; }`);
        this.statements(s.body.type === "BlockStatement" ? s.body.body : [s.body], out, inner + "  ");
        // (continue is refused, so the update at the end of the body runs on every iteration)
        if (s.update && this.js) this.statement({ type: "ExpressionStatement", expression: s.update } as Statement, out, inner + "  ");
        else if (s.update) out.push(`${inner}  continuing {`), this.statement({ type: "ExpressionStatement", expression: s.update } as Statement, out, inner + "    "), out.push(`${inner}  }`);
        out.push(`${inner}}`);
        out.push(`${indent}}`);
        return;
      }
      case "WhileStatement":
        out.push(this.js ? `${indent}for (;;) {` : `${indent}loop {`);
        out.push(`${indent}  if (!(${this.cond(s.test)})) { break; }`);
        this.statements(s.body.type === "BlockStatement" ? s.body.body : [s.body], out, indent + "  ");
        out.push(`${indent}}`);
        return;
      case "BreakStatement":
        if (s.label) this.fail("labeledBreak", s);
        out.push(`${indent}break;`);
        return;
      case "ContinueStatement":
        this.fail("continue", s);
        return;
      case "EmptyStatement":
        return;
      default:
        this.fail("statement", s, { what: kernelWords(s.type) });
    }
  }

  private cond(e: Expression): string {
    if (!this.isBool(e)) this.fail("condition", e);
    return this.expr(e);
  }
}

/** One function in the target: WGSL `fn kernel(…) -> f32` / `fn partials(…) -> array<f32, n + 1>`, or the JavaScript partials `function (p0, …, out)`. */
function emitFunction(fn: MarkedFunction, params: string[], lanes: number, target: Target = "wgsl"): string {
  const w = new KernelWriter(lanes, target);
  const js = target === "js";
  const out: string[] = [];
  // Parameters are immutable in WGSL: copy them into locals (with their unit tangents).
  params.forEach((p, i) => {
    out.push(js ? `  let ${vname(p)} = p${i};` : `  var ${vname(p)}: f32 = p${i};`);
    for (let j = 0; j < lanes; j++) out.push(js ? `  let ${tname(p, j)} = ${i === j ? 1 : 0};` : `  var ${tname(p, j)}: f32 = ${i === j ? "1.0" : "0.0"};`);
  });
  const body: Statement[] = fn.body.type === "BlockStatement" ? fn.body.body : [{ type: "ReturnStatement", argument: fn.body } as Statement];
  w.statements(body, out, "  ");
  if (js) return `function (${[...params.map((_, i) => `p${i}`), "out"].join(", ")}) {\n${out.join("\n")}\n}`;
  const name = lanes ? "partials" : "kernel";
  const result = lanes ? `array<f32, ${lanes + 1}>` : "f32";
  return `fn ${name}(${params.map((_, i) => `p${i}: f32`).join(", ")}) -> ${result} {\n${out.join("\n")}\n}`;
}

/**
 * Compiles a `@kernel` function to WGSL, or gives the located errors of what is outside the kernel
 * subset. The JavaScript derivatives are generated as for any mark; this is the GPU form.
 */
export function compileKernel(fn: MarkedFunction): { kernel?: KernelSource; diagnostics: Diagnostic[] } {
  const error = (reason: KernelReason, loc: Loc | undefined, args: Record<string, string> = {}): Diagnostic =>
    kernelError(reason, { fn: fn.name, ...args } as Parameters<typeof kernelError>[1], loc, fn.loc);
  if (fn.kind !== "declaration") return { diagnostics: [error("notDeclaration", fn.loc)] };
  const params: string[] = [];
  for (const p of fn.params) {
    if (p.type !== "Identifier") return { diagnostics: [error("parameterPattern", (p as { loc?: Loc }).loc)] };
    if (p.typeAnnotation && p.typeAnnotation.kind !== "number") return { diagnostics: [error("parameterType", p.loc, { name: p.name })] };
    params.push(p.name);
  }
  if (fn.returnType && fn.returnType.kind !== "number") return { diagnostics: [error("resultType", fn.loc)] };
  try {
    const wgsl = [HELPERS.trim(), emitFunction(fn, params, 0), emitFunction(fn, params, params.length)].join("\n\n");
    const partials = emitFunction(fn, params, params.length, "js");
    return { kernel: { params, wgsl, partials }, diagnostics: [] };
  } catch (e) {
    if (e instanceof KernelError) return { diagnostics: [error(e.reason, e.loc, e.args)] };
    throw e;
  }
}
