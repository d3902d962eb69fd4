// Forward mode (JVP): `f$jvp(…args, …tangents)` returns `{ value, tangent }`. Each primal statement
// is preceded by the statement computing the tangent of what it assigns (`dz = dx * y + x * dy;`
// before `z = x * y;`), so the tangent reads the operands' values from before the assignment.
// Control flow is kept as it is: forward mode needs no tape.

import type { Analysis } from "./analysis.js";
import { rootOf } from "./analysis.js";
import {
  arr,
  assign,
  assignStmt,
  bin,
  call,
  clone,
  exprStmt,
  id,
  ifStmt,
  isMath,
  member,
  nul,
  num,
  obj,
  ret,
  type OutStatement,
} from "./build.js";
import type { Expression, ObjectPattern, Pattern, SpreadElement, Statement, TypeIR } from "./ir.js";
import type { Names } from "./naming.js";
import type { NCall, NFunction, NStmt, Target } from "./nir.js";
import { isArrayCopy, isArrayFill } from "./queries.js";
import { add, BINARY_RULES, MATH_RULES, mul, neg, type Partial } from "./rules.js";

export interface GenContext {
  runtime: string;
  names: Names;
  /** Quotes the user's source for `// grad of:` comments. */
  quote: (loc: NStmt["origin"]) => string | undefined;
  /** Generated code for nested functions, by NFunction. */
  nestedCode: (fn: NFunction) => Statement[];
  /** The module's top-level `const` names (ModuleContext.moduleConstants). */
  moduleConstants?: ReadonlySet<string>;
}

export class ForwardGenerator {
  constructor(
    private readonly fn: NFunction,
    private readonly an: Analysis,
    private readonly g: GenContext,
  ) {}

  private rt(name: string): Expression {
    return member(id(this.g.runtime), name);
  }

  private d(name: string): string {
    return this.g.names.tangent(name);
  }

  /** The tangent of `e`, or null for a symbolic zero. */
  tangent(e: Expression): Expression | null {
    const an = this.an;
    if (!an.isActive(e)) return null;
    switch (e.type) {
      case "Identifier":
        return id(this.d(e.name));
      case "MemberExpression":
        return this.tangentPath(e);
      case "BinaryExpression":
        return this.chainRule(BINARY_RULES[e.operator], [e.left, e.right]);
      case "UnaryExpression": {
        const t = this.tangent(e.argument);
        return t && (e.operator === "-" ? neg(t) : t);
      }
      case "ConditionalExpression":
        return {
          type: "ConditionalExpression",
          test: clone(e.test),
          consequent: this.materialize(this.tangent(e.consequent), e.consequent),
          alternate: this.materialize(this.tangent(e.alternate), e.alternate),
        };
      case "LogicalExpression": {
        const l = this.materialize(this.tangent(e.left), e.left);
        const r = this.materialize(this.tangent(e.right), e.right);
        const test = e.operator === "??" ? bin("!=", clone(e.left), nul()) : clone(e.left);
        return e.operator === "&&"
          ? { type: "ConditionalExpression", test, consequent: r, alternate: l }
          : { type: "ConditionalExpression", test, consequent: l, alternate: r };
      }
      case "CallExpression": {
        if (isArrayCopy(e)) {
          // The tangent of a copy is a copy of the tangent.
          const t = this.tangent((e.callee as { object: Expression }).object);
          return t && call(member(t, "slice"), []);
        }
        if (isArrayFill(e)) {
          // new Array(n).fill(x): the tangent is new Array(n).fill(dx).
          const v = e.arguments[0] as Expression;
          return call(clone(e.callee), [this.materialize(this.tangent(v), v)]);
        }
        if (!isMath(e.callee)) return null;
        return this.chainRule(MATH_RULES[e.callee.property.name], e.arguments as Expression[]);
      }
      case "ArrayExpression":
        return arr(e.elements.map((x) => this.materialize(this.tangent(x as Expression), x as Expression)));
      case "ObjectExpression":
        return {
          type: "ObjectExpression",
          properties: e.properties.map((p) => {
            if (p.type !== "ObjectProperty") return p;
            return { ...p, value: this.materialize(this.tangent(p.value), p.value) };
          }),
        };
      default:
        return null;
    }
  }

  /** Σᵢ ∂f/∂argᵢ · d(argᵢ) over the active arguments; null when none is active or f has no rule. */
  private chainRule(rule: Partial | null | undefined, args: Expression[]): Expression | null {
    if (!rule) return null;
    let sum: Expression | null = null;
    args.forEach((a, i) => {
      const t = this.tangent(a);
      if (!t) return;
      const p = rule(args, i);
      if (p) sum = add(sum, mul(p, t));
    });
    return sum;
  }

  /** `a[i].x` → `da[i].x`: the same path below the tangent of the root. */
  private tangentPath(e: Expression): Expression {
    if (e.type === "Identifier") return id(this.d(e.name));
    if (e.type === "MemberExpression") return { ...member(this.tangentPath(e.object), clone(e.property), e.computed) };
    return clone(e);
  }

  /** A concrete tangent: numbers' zero is `0`; other shapes get `zerosLike(primal)`. */
  materialize(t: Expression | null, primal: Expression, type?: TypeIR): Expression {
    if (t) return t;
    const ty = type ?? this.an.typeOf(primal);
    if (ty.kind === "number") return num(0);
    return call(this.rt("zerosLike"), [clone(primal)]);
  }

  private comment(s: NStmt): string | undefined {
    const q = this.g.quote(s.origin);
    return q && `grad of: ${q}`;
  }

  statements(ss: NStmt[]): OutStatement[] {
    const out: OutStatement[] = [];
    let lastOrigin: unknown;
    for (const s of ss) {
      const before = out.length;
      this.statement(s, out);
      stampLocations(out.slice(before), s.origin);
      // One comment per user statement, on the first generated line for it.
      if (out.length > before && s.origin && s.origin !== lastOrigin) {
        const c = this.comment(s);
        if (c && !out[before]!.comment) out[before]!.comment = c;
      }
      lastOrigin = s.origin;
    }
    return out;
  }

  private statement(s: NStmt, out: OutStatement[]): void {
    const loc = s.origin;
    switch (s.k) {
      case "assign": {
        const root = rootOf(s.target);
        if (root && this.an.active.has(root)) {
          const t = this.tangent(s.value);
          const dt = this.tangentPath(s.target) as Target;
          if (t) {
            out.push(assignStmt(dt, t, "=", loc));
            out.push(assignStmt(clone(s.target), clone(s.value), "=", loc));
          } else {
            out.push(assignStmt(clone(s.target), clone(s.value), "=", loc));
            out.push(assignStmt(dt, this.materialize(null, clone(s.target), this.targetType(s.target)), "=", loc));
          }
        } else out.push(assignStmt(clone(s.target), clone(s.value), "=", loc));
        return;
      }
      case "push": {
        const root = rootOf(s.array);
        const pushTo = (target: Expression, v: Expression) => exprStmt(call(member(target, "push"), [v]), loc);
        if (root && this.an.active.has(root)) {
          out.push(pushTo(this.tangentPath(s.array), this.materialize(this.tangent(s.value), s.value)));
        }
        out.push(pushTo(clone(s.array), clone(s.value)));
        return;
      }
      case "call":
        out.push(...this.callStatement(s));
        return;
      case "if":
        out.push(ifStmt(clone(s.test), this.statements(s.then), this.statements(s.else), loc));
        return;
      case "loop":
        out.push({
          type: "WhileStatement",
          test: clone(s.test),
          body: { type: "BlockStatement", body: this.statements(s.body) },
          loc,
        } as OutStatement);
        return;
      case "effect":
        out.push(clone(s.stmt));
        return;
    }
  }

  private targetType(t: Target): TypeIR {
    return this.an.typeOf(t);
  }

  private callStatement(s: Extract<NStmt, { k: "call" }>): Statement[] {
    const c = s.call;
    const loc = s.origin;
    const active = this.an.callIsActive(s);
    const targetActive = s.target && this.an.active.has(s.target.name);
    if (!active) {
      // Nested functions exist only as derivatives inside generated code: call the JVP for the value.
      const e = this.isNested(c) ? member(this.jvpCall(c, true), "value") : primalCall(c);
      return [s.target ? assignStmt(clone(s.target), e, "=", loc) : exprStmt(e, loc)];
    }
    const jvp = this.jvpCall(c, false);
    if (!s.target) return [exprStmt(jvp, loc)];
    const pattern: ObjectPattern = {
      type: "ObjectPattern",
      properties: [
        { type: "ObjectProperty", key: id("value"), value: clone(s.target), computed: false, shorthand: false },
        ...(targetActive
          ? [{ type: "ObjectProperty" as const, key: id("tangent"), value: id(this.d(s.target.name)), computed: false, shorthand: false }]
          : []),
      ],
    };
    return [exprStmt(assign(pattern, jvp), loc)];
  }

  private isNested(c: NCall): boolean {
    return c.kind === "known" && this.fn.nested.some((n) => n.fn.name === c.name);
  }

  private jvpCall(c: NCall, zeroTangents: boolean): Expression {
    // A generated JVP differentiated again calls `RT.jvpMethodCall(t.m, t, …)`: the method (a
    // function) has no tangent, and reading `dt.m` off a tensor's tangent would fail.
    const functionArg = c.kind === "dynamic" && isDerivativeLookup(c.callee, this.g.runtime) ? 0 : -1;
    const tangents = c.args.map((a, i) => (zeroTangents || i === functionArg ? nul() : this.tangent(a) ?? nul()));
    const args = [...c.args.map((a) => clone(a)), ...tangents];
    switch (c.kind) {
      case "known":
        return call(id(c.info.jvpName), args);
      case "method":
        // `this.m$jvp(…)`: m's derivatives check for an override of m themselves (overrideGuard).
        return call(member(clone(c.object), c.info.jvpName), args);
      case "dynamic":
        if (isReceiverCall(c))
          // `t.add(b)`: a Tensor method; the object's tangent goes in too.
          return call(this.rt("jvpMethodCall"), [
            clone(c.callee),
            clone(c.thisArg),
            arr(c.args.map((a) => clone(a))),
            zeroTangents ? nul() : this.tangent(c.thisArg) ?? nul(),
            arr(tangents),
          ]);
        return call(this.rt("jvpCall"), [
          clone(c.callee),
          c.thisArg ? clone(c.thisArg) : id("undefined"),
          arr(c.args.map((a) => clone(a))),
          arr(tangents),
        ]);
    }
  }

  /** The whole JVP function body. */
  body(): Statement[] {
    const fn = this.fn;
    const out: Statement[] = [];
    for (const n of fn.nested) out.push(...this.g.nestedCode(n.fn));
    const locals = [...fn.locals.keys()];
    const tangentsOf = locals.filter((l) => this.an.active.has(l)).map((l) => this.d(l));
    if (locals.length) out.push(declareAll([...locals, ...tangentsOf]));
    // Callers may pass a symbolic zero (null) for a structured tangent: make it concrete.
    fn.wrt.forEach((i) => {
      const p = fn.params[i]!;
      if (this.an.typeOfVar(p.name).kind !== "number")
        out.push(ifStmt(bin("==", id(this.d(p.name)), nul()), [assignStmt(id(this.d(p.name)), call(this.rt("zerosLike"), [id(p.name)]))]));
    });
    if (fn.owner) out.push(overrideGuard(this.g.runtime, fn, "jvpCall", [arr(fn.params.map((p) => id(p.name))), arr(fn.params.map((p) => id(this.d(p.name))))]));
    out.push(...this.statements(fn.body));
    const value = clone(fn.result);
    const tangent = this.tangent(fn.result) ?? (this.an.typeOf(fn.result).kind === "number" ? num(0) : nul());
    out.push({ ...ret(obj([["value", value], ["tangent", tangent]])), loc: fn.resultOrigin, comment: this.g.quote(fn.resultOrigin) ? `grad of: ${this.g.quote(fn.resultOrigin)}` : undefined } as OutStatement);
    return out;
  }

  /** Parameter list: the primal parameters, then one tangent per parameter. */
  params(): Pattern[] {
    const fn = this.fn;
    const typed = (name: string, type: TypeIR | undefined) => ({ ...id(name), typeAnnotation: type });
    return [
      ...fn.params.map((p) => typed(p.name, p.type)),
      ...fn.params.map((p) => typed(this.d(p.name), p.type)),
    ];
  }
}

export function primalCall(c: NCall): Expression {
  switch (c.kind) {
    case "known": {
      // A rest parameter's array is spread back into arguments (normalize.ts packRestArguments).
      const args: (Expression | SpreadElement)[] = c.args.map((a) => clone(a));
      const packed = c.info.rest ? (args.pop() as Expression | undefined) : undefined;
      if (packed?.type === "ArrayExpression" && packed.elements.every((e) => e !== null && e.type !== "SpreadElement")) args.push(...(packed.elements as Expression[]));
      else if (packed) args.push({ type: "SpreadElement", argument: packed });
      return call(clone(c.callee), args);
    }
    case "method":
      return call(member(clone(c.object), c.name), c.args.map((a) => clone(a)));
    case "dynamic":
      return call(clone(c.callee), c.args.map((a) => clone(a)));
  }
}

export function declareAll(names: string[]): Statement {
  return {
    type: "VariableDeclaration",
    kind: "let",
    declarations: names.map((n) => ({ type: "VariableDeclarator", id: id(n), init: null })),
  };
}


/** Gives every generated statement without a location the user statement it came from (source maps). */
export function stampLocations(stmts: Statement[], loc: NStmt["origin"]): void {
  if (!loc) return;
  for (const s of stmts) {
    if (!s.loc) s.loc = loc;
    if (s.type === "IfStatement") {
      stampLocations(s.consequent.type === "BlockStatement" ? s.consequent.body : [s.consequent], loc);
      if (s.alternate) stampLocations(s.alternate.type === "BlockStatement" ? s.alternate.body : [s.alternate], loc);
    } else if (s.type === "WhileStatement" || s.type === "ForStatement") {
      stampLocations(s.body.type === "BlockStatement" ? s.body.body : [s.body], loc);
    }
  }
}

/** `RT.jvpCall`, `RT.vjpCall`, `RT.jvpMethodCall`, `RT.vjpMethodCall`: calls whose first argument is the function looked up. */
export function isDerivativeLookup(callee: Expression, runtime: string): boolean {
  return (
    callee.type === "MemberExpression" &&
    !callee.computed &&
    callee.object.type === "Identifier" &&
    callee.object.name === runtime &&
    callee.property.type === "Identifier" &&
    ["jvpCall", "vjpCall", "jvpMethodCall", "vjpMethodCall"].includes(callee.property.name)
  );
}

/**
 * `if (this != null && this.m !== Owner.m) return RT.jvpCall(this.m, this, [args], [tangents]);` — a method's
 * derivatives belong to that method: when the object has another `m` (a subclass override, an
 * own property), defer to that function's derivatives (an error that names it if it has none).
 */
/** A differentiable Tensor method call: derivatives with respect to the object too. */
export function isReceiverCall(c: NCall): c is Extract<NCall, { kind: "dynamic" }> & { thisArg: Expression } {
  return c.kind === "dynamic" && c.thisArg !== null && c.primitive?.method === true && c.primitive.differentiable;
}

export function overrideGuard(runtime: string, fn: NFunction, helper: "jvpCall" | "vjpCall", args: Expression[]): Statement {
  const own = member({ type: "ThisExpression" }, fn.name);
  const [head, ...rest] = fn.owner!.split(".");
  const owner = rest.reduce<Expression>((o, part) => member(o, part), id(head!));
  // `this != null`: a static method called detached (`const sq = Model.sq; sq(2)`) has no `this`.
  const test: Expression = { type: "LogicalExpression", operator: "&&", left: bin("!=", { type: "ThisExpression" }, nul()), right: bin("!==", own, member(owner, fn.name)) };
  return ifStmt(test, [
    ret(call(member(id(runtime), helper), [member({ type: "ThisExpression" }, fn.name), { type: "ThisExpression" }, ...args])),
  ]);
}
