// Normalization: a marked function (IR) → NFunction (nir.ts), the form the derivative generators
// take. It renames shadowed locals apart and hoists them, lowers every loop to `while` and every
// jump (break, continue, early return, switch fallthrough) to boolean flags guarding the rest of
// the block, desugars compound assignments and destructuring, and hoists calls to user functions
// into their own statements. Constructs outside the subset become diagnostics here.

import type { Diagnostic, KnownFunction, ModuleContext } from "./api.js";
import { and, assign, bin, bool, call, clone, id, index, isMath, member, not, num, or, undef } from "./build.js";
import { notDifferentiable, ownerWords, type ArgsOf, type Code, type ReasonOf, type SyntaxKind } from "./catalog.js";
import { isNear, nearest, requestFix } from "./fixes.js";
import { uniqueName, wrtIndices } from "./host.js";
import type {
  CallExpression,
  Expression,
  Identifier,
  Loc,
  MarkedFunction,
  MemberExpression,
  Pattern,
  SpreadElement,
  Statement,
  TypeIR,
} from "./ir.js";
import type { NCall, NFunction, NLocal, NStmt, NestedFunction, Target } from "./nir.js";
import { MATH_RULES } from "./rules.js";
import { CALLBACK_METHODS, foldMaxMin, lowerArrayFrom, lowerCallbackMethod, lowerConcat, pushAll, sliceFrom, type LoopContext } from "./array-methods.js";
import {
  assignsTo,
  countReads,
  countReturns,
  hasUserCall,
  IDENTIFIER,
  isArrayCopy,
  isArrayFill,
  isQueryWithoutDerivative,
  isWithoutDerivative,
  patternNames,
} from "./queries.js";
import { forEachExpression, renameVariable, statementExpressions } from "./walk.js";

interface LoopFrame {
  /** Flag set by `break` (a loop's, a switch's or a labeled statement's). */
  brk: string;
  /** The statement's label, for `break label` / `continue label`. */
  label?: string;
  /** A labeled block (not a loop or switch): only `break label` leaves it. */
  labelOnly?: boolean;
  /** Flag set by `continue`; undefined for a switch (continue targets the enclosing loop). */
  cont?: string;
  usedBrk: boolean;
  usedCont: boolean;
  parent?: LoopFrame;
}

interface Lowered {
  out: NStmt[];
  /** Flags the lowered code may set that must stop the rest of the enclosing block. */
  exits: Set<string>;
}

export class Normalizer {
  readonly diagnostics: Diagnostic[] = [];
  private readonly locals = new Map<string, NLocal>();
  private readonly scopes: Map<string, string>[] = [];
  /** Names that resolve to nested differentiable functions (after renaming). */
  private readonly nestedByName = new Map<string, NestedFunction>();
  private readonly nested: NestedFunction[] = [];
  private usesThis = false;
  private retFlag?: string;
  private retVar?: string;
  private loop?: LoopFrame;
  /** Reads of names that are not locals of this function (captures, for nested functions). */
  readonly freeReads = new Set<string>();

  constructor(
    private readonly fn: MarkedFunction,
    private readonly ctx: ModuleContext,
    /** Names the generated code must not take (module names plus everything generated so far). */
    readonly taken: Set<string>,
    /** For nested functions: the enclosing function's scopes (captures resolve through them). */
    private readonly outer?: Normalizer,
  ) {}

  /** A diagnostic of this function (catalog.ts words it), at `loc`, with the note at the function. */
  private report<C extends Code, R extends ReasonOf<C>>(code: C, reason: R, args: Omit<ArgsOf<C, R>, "fn">, loc: Loc | undefined): Diagnostic {
    const d = notDifferentiable(code, reason, { fn: this.fn.name, ...args } as unknown as ArgsOf<C, R>, loc, this.fn.loc);
    this.diagnostics.push(d);
    return d;
  }

  /** A construct outside the subset (CT1001), by its kind in the catalog's list. */
  private unsupported(syntax: SyntaxKind, loc: Loc | undefined, detail?: string): void {
    this.report("CT1001", "syntax", detail === undefined ? { syntax } : { syntax, detail }, loc);
  }

  /** An Unsupported node of the host, by its kind. */
  private unsupportedNode(x: { syntax?: SyntaxKind; detail?: string; loc?: Loc }): void {
    this.unsupported(x.syntax ?? "Other", x.loc, x.detail);
  }

  private fresh(base: string, synthetic = true, declared?: TypeIR): string {
    const name = uniqueName(base, this.taken);
    this.locals.set(name, { name, synthetic, declared });
    return name;
  }

  /** Names bound ahead of their declaration (see hoistFunctions), taken over when it is reached. */
  private readonly predeclared = new Set<string>();

  private declare(name: string, declared?: TypeIR): string {
    const scope = this.scopes[this.scopes.length - 1]!;
    const early = scope.get(name);
    if (early !== undefined && this.predeclared.delete(early)) {
      if (declared) this.locals.set(early, { name: early, synthetic: false, declared });
      return early;
    }
    // Reuse the user's name unless another binding of this function already has it.
    const unique = this.locals.has(name) || this.isParamName(name) ? uniqueName(name, this.taken) : name;
    this.taken.add(unique);
    scope.set(name, unique);
    this.locals.set(unique, { name: unique, synthetic: false, declared });
    return unique;
  }

  private paramNames = new Set<string>();
  private isParamName(n: string): boolean {
    return this.paramNames.has(n);
  }

  /** Resolves a user name to its (possibly renamed) local, or undefined for a free name. */
  resolve(name: string): string | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const hit = this.scopes[i]!.get(name);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  run(): NFunction {
    const fn = this.fn;
    this.scopes.push(new Map());
    const params: NFunction["params"] = [];
    const pre: NStmt[] = [];
    const paramUserNames: (string | undefined)[] = [];
    fn.params.forEach((p, i) => {
      const { pattern, dflt } = splitDefault(p);
      if (pattern.type === "Identifier") {
        this.scopes[0]!.set(pattern.name, pattern.name);
        this.paramNames.add(pattern.name);
        this.taken.add(pattern.name);
        params.push({ name: pattern.name, type: pattern.typeAnnotation, loc: p.loc });
        paramUserNames.push(pattern.name);
        if (dflt) pre.push(this.defaultValue(pattern.name, dflt, p.loc));
      } else if (pattern.type === "RestElement" && pattern.argument.type === "Identifier" && i === fn.params.length - 1) {
        // `...xs`: one array parameter in the derivatives (KnownFunction.rest).
        const name = pattern.argument.name;
        this.scopes[0]!.set(name, name);
        this.paramNames.add(name);
        this.taken.add(name);
        params.push({ name, type: pattern.typeAnnotation ?? pattern.argument.typeAnnotation, loc: p.loc });
        paramUserNames.push(name);
      } else if (pattern.type === "ArrayPattern" || pattern.type === "ObjectPattern") {
        const name = uniqueName(`$arg${i}`, this.taken);
        this.paramNames.add(name);
        params.push({ name, type: pattern.typeAnnotation, loc: p.loc });
        paramUserNames.push(undefined);
        if (dflt) pre.push(this.defaultValue(name, dflt, p.loc));
        pre.push(...this.destructure(pattern, id(name), p.loc, pattern.typeAnnotation));
      } else {
        this.report("CT1008", "restPattern", {}, p.loc);
        paramUserNames.push(undefined);
      }
    });
    const { indices, unknown } = wrtIndices(paramUserNames, fn.wrt);
    if (fn.wrt && fn.wrt.length === 0) this.report("CT1002", "empty", {}, fn.loc);
    const names = paramUserNames.filter((n): n is string => n !== undefined);
    for (const w of unknown) {
      const near = nearest(w, names);
      const d =
        names.length === 0 ? this.report("CT1002", "noParameters", { name: w }, fn.loc)
        : near !== undefined && isNear(w, near) ? this.report("CT1002", "unknownNameNear", { name: w, near, params: names.join(", ") }, fn.loc)
        : this.report("CT1002", "unknownName", { name: w, params: names.join(", ") }, fn.loc);
      if (names.length) requestFix(d, { kind: "fixWrtName", name: w, params: names });
    }

    let body: NStmt[];
    let result: Expression;
    let resultOrigin: Loc | undefined;
    if (fn.body.type !== "BlockStatement") {
      const r = this.expr(fn.body);
      body = [...pre, ...r.pre];
      result = r.expr;
      resultOrigin = fn.body.loc;
    } else {
      const stmts = fn.body.body;
      const last = stmts[stmts.length - 1];
      const returns = countReturns(stmts);
      if (returns === 1 && last?.type === "ReturnStatement") {
        // Only a final `return`: the result is that expression, no flags needed.
        this.hoistFunctions(stmts);
        const lowered = this.list(stmts.slice(0, -1));
        const r = last.argument ? this.expr(last.argument) : { pre: [], expr: undef() };
        body = [...pre, ...lowered.out, ...r.pre];
        result = r.expr;
        resultOrigin = last.loc;
      } else {
        if (returns > 0) {
          this.retFlag = this.fresh("$returned");
          this.retVar = this.fresh("$result");
        }
        this.hoistFunctions(stmts);
        const lowered = this.list(stmts);
        const init: NStmt[] = this.retFlag ? [{ k: "assign", target: id(this.retFlag), value: bool(false) }] : [];
        body = [...pre, ...init, ...lowered.out];
        result = this.retVar ? id(this.retVar) : undef();
        resultOrigin = undefined;
      }
    }
    this.scopes.pop();
    return {
      name: fn.name,
      params,
      wrt: indices,
      locals: this.locals,
      body,
      result,
      resultOrigin,
      nested: this.nested,
      usesThis: this.usesThis,
      returnType: fn.returnType,
      owner: fn.owner,
    };
  }

  /**
   * `y = x * 2` as a parameter default becomes `if (y === undefined) y = x * 2;` in the body, so
   * the derivative follows the default's dependence on the other parameters.
   */
  private defaultValue(name: string, dflt: Expression, origin: Loc | undefined): NStmt {
    const r = this.expr(dflt);
    return { k: "if", test: bin("===", id(name), undef()), then: [...r.pre, { k: "assign", target: id(name), value: r.expr, origin }], else: [], origin };
  }

  // ---- statements -------------------------------------------------------------------------

  private list(stmts: Statement[]): Lowered {
    const out: NStmt[] = [];
    for (let i = 0; i < stmts.length; i++) {
      const r = this.stmt(stmts[i]!);
      out.push(...r.out);
      if (r.exits.size) {
        // Everything after a statement that may break/continue/return runs only if it did not.
        const rest = this.list(stmts.slice(i + 1));
        if (rest.out.length) out.push({ k: "if", test: not(orAll([...r.exits].map((f) => id(f)))), then: rest.out, else: [] });
        return { out, exits: new Set([...r.exits, ...rest.exits]) };
      }
    }
    return { out, exits: new Set() };
  }

  private scoped<T>(f: () => T): T {
    this.scopes.push(new Map());
    try {
      return f();
    } finally {
      this.scopes.pop();
    }
  }

  private none(out: NStmt[] = []): Lowered {
    return { out, exits: new Set() };
  }

  /** `label` is the label of a LabeledStatement around a loop (see labeled). */
  private stmt(s: Statement, label?: string): Lowered {
    const origin = s.loc;
    switch (s.type) {
      case "EmptyStatement":
      case "FunctionDeclaration": // hoisted by hoistFunctions
        return this.none();
      case "BlockStatement":
        return this.scoped(() => {
          this.hoistFunctions(s.body);
          return this.list(s.body);
        });
      case "VariableDeclaration": {
        const out: NStmt[] = [];
        for (const d of s.declarations) {
          if (d.id.type === "Identifier" && d.init && (d.init.type === "ArrowFunctionExpression" || d.init.type === "FunctionExpression")) {
            this.nestedFunction(d.id.name, d.init, d.loc ?? origin);
            continue;
          }
          if (d.id.type === "Identifier") {
            const declared = d.id.typeAnnotation;
            if (!d.init) {
              // Each execution of `let t;` (each loop iteration) starts it at undefined again.
              const name = this.declare(d.id.name, declared);
              if (s.kind !== "var" && this.loop) out.push({ k: "assign", target: id(name, d.id.loc), value: undef(), origin });
              continue;
            }
            const r = this.expr(d.init);
            const name = this.declare(d.id.name, declared);
            // (`var` is readable before its declaration, also by the callback building its value.)
            if (s.kind === "var") out.push(...r.pre, { k: "assign", target: id(name, d.id.loc), value: r.expr, origin });
            else out.push(...this.bindResult(r, name, d.id.loc, origin));
          } else if (d.init) {
            const r = this.expr(d.init);
            out.push(...r.pre, ...this.destructure(d.id, r.expr, origin, (d.id as { typeAnnotation?: TypeIR }).typeAnnotation, true));
          }
        }
        return this.none(out);
      }
      case "ExpressionStatement":
        return this.none(this.exprStatement(s.expression, origin));
      case "IfStatement": {
        const t = this.expr(s.test);
        const a = this.scoped(() => this.stmt(s.consequent));
        const b = s.alternate ? this.scoped(() => this.stmt(s.alternate!)) : this.none();
        return {
          out: [...t.pre, { k: "if", test: t.expr, then: a.out, else: b.out, origin }],
          exits: new Set([...a.exits, ...b.exits]),
        };
      }
      case "ReturnStatement": {
        const r = s.argument ? this.expr(s.argument) : { pre: [], expr: undef() };
        return {
          out: [
            ...r.pre,
            { k: "assign", target: id(this.retVar!), value: r.expr, origin },
            { k: "assign", target: id(this.retFlag!), value: bool(true), origin },
          ],
          exits: new Set([this.retFlag!]),
        };
      }
      case "BreakStatement":
      case "ContinueStatement": {
        let frame = this.loop;
        if (s.label) while (frame && frame.label !== s.label.name) frame = frame.parent;
        else while (frame && (frame.labelOnly || (s.type === "ContinueStatement" && !frame.cont))) frame = frame.parent;
        if (!frame || (s.type === "ContinueStatement" && !frame.cont)) {
          const jump = s.type === "BreakStatement" ? "break" : "continue";
          if (s.label) this.report("CT1001", "jumpWithoutLabel", { jump, label: s.label.name }, s.loc);
          else this.report("CT1001", "jumpWithoutLoop", { jump }, s.loc);
          return this.none();
        }
        const flag = s.type === "BreakStatement" ? frame.brk : frame.cont!;
        if (s.type === "BreakStatement") frame.usedBrk = true;
        else frame.usedCont = true;
        return { out: [{ k: "assign", target: id(flag), value: bool(true), origin }], exits: new Set([flag]) };
      }
      case "WhileStatement":
        return this.scoped(() => this.loopOf(s.test, s.body, [], null, false, origin, label));
      case "DoWhileStatement":
        return this.scoped(() => this.loopOf(s.test, s.body, [], null, true, origin, label));
      case "ForStatement":
        return this.scoped(() => {
          const init: NStmt[] = [];
          if (s.init?.type === "VariableDeclaration") init.push(...this.stmt(s.init).out);
          else if (s.init) init.push(...this.exprStatement(s.init as Expression, origin));
          return this.loopOf(s.test ?? bool(true), s.body, init, s.update, false, origin, label);
        });
      case "ForOfStatement":
        return this.scoped(() => this.forOf(s, origin, label));
      case "ForInStatement":
        // The keys are strings (no derivative); `o[k]` reads in the body are differentiated.
        return this.scoped(() =>
          this.forOf({ ...s, type: "ForOfStatement", right: call(member(id(this.ctx.runtime), "forInKeys"), [s.right], s.right.loc) }, origin, label),
        );
      case "LabeledStatement":
        return this.labeled(s, origin);
      case "TryStatement":
        return this.tryOf(s);
      case "SwitchStatement":
        return this.switchOf(s, origin);
      case "ThrowStatement":
        return this.none([{ k: "effect", stmt: { ...s, argument: this.plainExpr(s.argument) }, origin }]);
      case "UnsupportedStatement":
        this.unsupportedNode(s);
        return this.none();
    }
  }

  private exprStatement(e: Expression, origin: Loc | undefined): NStmt[] {
    if (e.type === "AssignmentExpression") return this.assignment(e, origin);
    if (e.type === "UpdateExpression") {
      return this.assignment(
        { type: "AssignmentExpression", operator: e.operator === "++" ? "+=" : "-=", left: e.argument as Pattern, right: num(1), loc: e.loc },
        origin,
      );
    }
    if (e.type === "CallExpression" && optionalLink(e)) {
      // `o?.m(x);`: the call became an `if` in r.pre; what is left is a read of its result.
      const r = this.expr(e);
      if (isPlainRead(r.expr)) return r.pre;
      return [...r.pre, { k: "effect", stmt: { type: "ExpressionStatement", expression: r.expr, loc: e.loc }, origin }];
    }
    if (e.type === "CallExpression") {
      const callee = e.callee;
      if (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier" && callee.property.name === "push") {
        const target = this.target(callee.object as Target);
        if (!target) return [];
        const out: NStmt[] = [...target.pre];
        for (const a of e.arguments) {
          const r = this.expr(a.type === "SpreadElement" ? a.argument : a);
          out.push(...r.pre);
          if (a.type === "SpreadElement") out.push(...pushAll(this.loopContext(origin), clone(target.expr), r.expr));
          else out.push({ k: "push", array: clone(target.expr), value: r.expr, origin });
        }
        return out;
      }
      if (this.isLoweredArrayCall(e)) {
        const pre: NStmt[] = [];
        this.arrayCall(e, (x) => {
          const r = this.expr(x);
          pre.push(...r.pre);
          return r.expr;
        }, pre);
        return pre;
      }
      const r = this.callExpr(e, null, origin);
      return r;
    }
    if (e.type === "SequenceExpression") return e.expressions.flatMap((x) => this.exprStatement(x, origin));
    const r = this.expr(e);
    return [...r.pre, { k: "effect", stmt: { type: "ExpressionStatement", expression: r.expr, loc: e.loc }, origin }];
  }

  private assignment(e: Extract<Expression, { type: "AssignmentExpression" }>, origin: Loc | undefined): NStmt[] {
    const op = e.operator;
    if (op === "&&=" || op === "||=" || op === "??=") {
      this.unsupported("LogicalAssignment", e.loc, op);
      return [];
    }
    const left = e.left;
    if (left.type === "ArrayPattern" || left.type === "ObjectPattern") {
      if (op !== "=") return [];
      const r = this.expr(e.right);
      return [...r.pre, ...this.destructure(left, r.expr, origin, undefined, false)];
    }
    if (left.type !== "Identifier" && left.type !== "MemberExpression") {
      if (left.type === ("Unsupported" as string)) this.unsupportedNode(left as unknown as Extract<Expression, { type: "Unsupported" }>);
      else this.unsupported("AssignmentTarget", left.loc);
      return [];
    }
    const target = this.target(left);
    if (!target) return [];
    const r = this.expr(e.right);
    // JavaScript evaluates the target's keys before the right-hand side: when the right-hand side
    // needed statements of its own (`a[i] = xs[i++]`), fix the keys in temporaries first.
    const keys: NStmt[] = r.pre.length ? this.freezeKeys(target.expr, origin) : [];
    let value = r.expr;
    if (op !== "=") value = bin(op.slice(0, -1), clone(target.expr), value, e.loc);
    return [...target.pre, ...keys, ...r.pre, { k: "assign", target: target.expr, value, origin }];
  }

  /** Replaces non-literal computed keys of a member target (in place) by temporaries assigned now. */
  private freezeKeys(t: Target, origin: Loc | undefined): NStmt[] {
    const out: NStmt[] = [];
    let e: Expression = t;
    while (e.type === "MemberExpression") {
      if (e.computed && e.property.type !== "NumericLiteral" && e.property.type !== "StringLiteral") {
        const tmp = this.fresh("$key");
        out.unshift({ k: "assign", target: id(tmp), value: e.property, origin });
        e.property = id(tmp);
      }
      e = e.object;
    }
    return out;
  }

  /** An assignment target: the root must be a local of this function. */
  private target(t: Target): { pre: NStmt[]; expr: Target } | undefined {
    if (t.type === "Identifier") {
      const name = this.resolve(t.name);
      if (name === undefined) {
        this.report("CT1004", "nonLocal", { name: t.name }, t.loc);
        return undefined;
      }
      return { pre: [], expr: id(name, t.loc) };
    }
    if (t.object.type !== "Identifier" && t.object.type !== "MemberExpression") {
      this.unsupported("FieldOfExpression", t.loc);
      return undefined;
    }
    if (t.accessor) {
      this.report("CT1001", "setter", { name: t.accessor.name, owner: ownerWords(t.accessor.owner) }, t.loc);
      return undefined;
    }
    const base = this.target(t.object);
    if (!base) return undefined;
    if (!t.computed) return { pre: base.pre, expr: member(base.expr, (t.property as Identifier).name) };
    const k = this.expr(t.property);
    return { pre: [...base.pre, ...k.pre], expr: { ...member(base.expr, k.expr, true), loc: t.loc } };
  }

  /** `[a, b] = e` / `{ x, y: z } = e` as element/field reads. */
  private destructure(p: Pattern, value: Expression, origin: Loc | undefined, type: TypeIR | undefined, declare = true): NStmt[] {
    const out: NStmt[] = [];
    let source = value;
    if (value.type !== "Identifier" && p.type !== "Identifier") {
      const tmp = this.fresh("$destructured");
      out.push({ k: "assign", target: id(tmp), value, origin });
      source = id(tmp);
    }
    const bind = (pat: Pattern, v: Expression, t: TypeIR | undefined) => {
      if (pat.type === "AssignmentPattern") {
        this.unsupported("DestructuringDefault", pat.loc);
        return;
      }
      if (pat.type === "Identifier") {
        const name = declare ? this.declare(pat.name, pat.typeAnnotation ?? t) : this.resolve(pat.name);
        if (name === undefined) {
          this.report("CT1004", "nonLocal", { name: pat.name }, pat.loc);
          return;
        }
        if (declare && v.type === "Identifier" && this.built.has(v.name)) out.splice(0, out.length, ...this.bindResult({ pre: out.slice(), expr: v }, name, pat.loc, origin));
        else out.push({ k: "assign", target: id(name, pat.loc), value: v, origin });
      } else if (pat.type === "ArrayPattern") {
        pat.elements.forEach((el, i) => {
          if (!el) return;
          if (el.type === "RestElement") {
            // `[a, ...rest] = xs`: rest is a fresh array of the elements from here on.
            const r = sliceFrom(this.loopContext(origin), clone(v), i);
            out.push(...r.pre);
            bind(el.argument, this.builtResult(r.result), t?.kind === "array" ? t : undefined);
            return;
          }
          const et = t?.kind === "array" ? t.element : t?.kind === "tuple" ? t.elements[i] : undefined;
          bind(el, index(clone(v), i), et);
        });
      } else if (pat.type === "ObjectPattern") {
        for (const prop of pat.properties) {
          if (prop.type === "RestElement" || prop.computed) {
            this.unsupported("ObjectPatternRest", prop.loc);
            continue;
          }
          const k = prop.key;
          if (k.type === "NumericLiteral") {
            const et = t?.kind === "array" ? t.element : t?.kind === "tuple" ? t.elements[k.value] : undefined;
            bind(prop.value, index(clone(v), k.value), et);
            continue;
          }
          const key = k.type === "Identifier" ? k.name : k.type === "StringLiteral" ? k.value : undefined;
          if (key === undefined) {
            if (k.type === "Unsupported") this.unsupportedNode(k);
            else this.unsupported("ObjectPatternKey", prop.loc);
            continue;
          }
          const ft = t?.kind === "object" ? t.fields[key] : undefined;
          bind(prop.value, IDENTIFIER.test(key) ? member(clone(v), key) : member(clone(v), { type: "StringLiteral", value: key }, true), ft);
        }
      } else {
        if ((pat.type as string) === "Unsupported") this.unsupportedNode(pat as unknown as Extract<Expression, { type: "Unsupported" }>);
        else this.unsupported("DestructuringTarget", pat.loc);
      }
    };
    bind(p, source, type);
    return out;
  }

  /**
   * `label: loop` gives the loop's frame the label; `label: { … }` (any other statement) gets a
   * frame of its own that only `break label` leaves.
   */
  private labeled(s: Extract<Statement, { type: "LabeledStatement" }>, origin: Loc | undefined): Lowered {
    const body = s.body;
    const label = s.label.name;
    if (body.type === "ForStatement" || body.type === "ForOfStatement" || body.type === "ForInStatement" || body.type === "WhileStatement" || body.type === "DoWhileStatement") return this.stmt(body, label);
    const frame: LoopFrame = { brk: this.fresh("$break"), label, labelOnly: true, usedBrk: false, usedCont: false, parent: this.loop };
    this.loop = frame;
    const r = this.scoped(() => this.stmt(body));
    this.loop = frame.parent;
    if (!frame.usedBrk) {
      this.locals.delete(frame.brk);
      return r;
    }
    r.exits.delete(frame.brk);
    return { out: [{ k: "assign", target: id(frame.brk), value: bool(false), origin }, ...r.out], exits: r.exits };
  }

  /**
   * `try { A } finally { F }`: F runs after A however A ends (break, continue or return set their
   * flags and skip the rest of A; F is not guarded by them). The value a `return` in A gives is
   * taken before F runs, as in JavaScript. An exception thrown in a derivative propagates without
   * running F. `catch` is not supported: the derivative of a block that stopped part-way is not
   * defined by the statements Cotangent differentiates.
   */
  private tryOf(s: Extract<Statement, { type: "TryStatement" }>): Lowered {
    if (s.handler) {
      this.unsupported("TryCatch", s.loc);
      return this.none();
    }
    const a = this.stmt(s.block);
    const f = s.finalizer ? this.stmt(s.finalizer) : this.none();
    return { out: [...a.out, ...f.out], exits: new Set([...a.exits, ...f.exits]) };
  }

  private loopOf(
    test: Expression,
    body: Statement,
    init: NStmt[],
    update: Expression | null,
    isDoWhile: boolean,
    origin: Loc | undefined,
    label?: string,
  ): Lowered {
    const t = this.expr(test);
    // A test that needs statements of its own (`while (i-- > 0)`, a call) is evaluated inside the
    // body each iteration, and exits through the break flag.
    const testInBody = t.pre.length > 0;
    const frame: LoopFrame = { brk: this.fresh("$break"), cont: this.fresh("$continue"), label, usedBrk: testInBody, usedCont: false, parent: this.loop };
    this.loop = frame;
    const b = this.scoped(() => {
      if (body.type === "BlockStatement") this.hoistFunctions(body.body);
      return this.stmt(body);
    });
    const upd = update ? this.exprStatement(update, origin) : [];
    this.loop = frame.parent;

    const out: NStmt[] = [...init];
    // What leaves the loop: a return, or a break/continue of an enclosing labeled statement.
    const exitsOut = new Set([...b.exits].filter((f) => f !== frame.brk && f !== frame.cont));
    const stopFlags = () => [...(frame.usedBrk ? [frame.brk] : []), ...exitsOut].map((f) => id(f));
    const exitTest: NStmt[] = [...t.pre, { k: "if", test: not(t.expr), then: [{ k: "assign", target: id(frame.brk), value: bool(true), origin }], else: [], origin }];
    let loopTest: Expression = testInBody ? bool(true) : t.expr;
    const first = isDoWhile && !testInBody ? this.fresh("$first") : undefined;
    if (first) loopTest = or(id(first), loopTest);
    if (frame.usedBrk) {
      out.push({ k: "assign", target: id(frame.brk), value: bool(false), origin });
      loopTest = testInBody ? not(id(frame.brk)) : and(not(id(frame.brk)), loopTest);
    } else this.locals.delete(frame.brk);
    if (exitsOut.size) loopTest = and(not(orAll([...exitsOut].map((f) => id(f)))), loopTest);
    if (first) out.push({ k: "assign", target: id(first), value: bool(true), origin });

    const loopBody: NStmt[] = [];
    if (first) loopBody.push({ k: "assign", target: id(first), value: bool(false), origin });
    if (frame.usedCont) loopBody.push({ k: "assign", target: id(frame.cont!), value: bool(false), origin });
    else this.locals.delete(frame.cont!);
    const guarded = (stmts: NStmt[]): NStmt[] => {
      const stop = stopFlags();
      return stmts.length && stop.length ? [{ k: "if", test: not(orAll(stop)), then: stmts, else: [] }] : stmts;
    };
    if (testInBody && !isDoWhile) {
      loopBody.push(...exitTest);
      loopBody.push(...guarded([...b.out, ...guarded(upd)]));
    } else {
      loopBody.push(...b.out);
      // `continue` still runs the update; `break` and `return` do not.
      loopBody.push(...guarded(upd));
      if (testInBody) loopBody.push(...guarded(exitTest));
    }
    out.push({ k: "loop", test: loopTest, body: loopBody, origin });
    return { out, exits: exitsOut };
  }

  private forOf(s: Extract<Statement, { type: "ForOfStatement" }>, origin: Loc | undefined, label?: string): Lowered {
    // `for (const [i, x] of xs.entries())`, `xs.keys()`, `xs.values()`: a loop over xs itself.
    const iterator = iterationOf(s.right);
    const right = this.expr(iterator ? iterator.array : s.right);
    const init: NStmt[] = [...right.pre];
    let seq = right.expr;
    // JavaScript iterates the array the expression had when the loop started, even if the body
    // assigns the variable another one.
    if (seq.type !== "Identifier" || (s.right.type === "Identifier" && assignsTo(s.body, s.right.name))) {
      const tmp = this.fresh("$items");
      init.push({ k: "assign", target: id(tmp), value: seq, origin });
      seq = id(tmp);
    }
    const i = this.fresh("$i");
    init.push({ k: "assign", target: id(i), value: num(0), origin });
    // Bind the loop variable and advance the index first, so `continue` cannot skip the increment.
    const left = s.left;
    let pattern: Pattern;
    if (left.type === "VariableDeclaration") pattern = left.declarations[0]!.id;
    else pattern = left as Pattern;
    const head: Statement[] = [];
    const item = index(clone(seq), id(i));
    const bind = (p: Pattern, value: Expression): Statement =>
      left.type === "VariableDeclaration"
        ? { type: "VariableDeclaration", kind: "let", declarations: [{ type: "VariableDeclarator", id: p, init: value }], loc: left.loc }
        : { type: "ExpressionStatement", expression: assign(p, value), loc: left.loc };
    if (iterator?.kind === "keys") head.push(bind(pattern, id(i)));
    else if (iterator?.kind === "entries" && pattern.type === "ArrayPattern" && pattern.elements.length <= 2 && pattern.elements.every((e) => e?.type !== "RestElement")) {
      // `[i, x]` bound straight to the index and the element (no pair array per iteration).
      const [ip, xp] = pattern.elements;
      if (ip) head.push(bind(ip, id(i)));
      if (xp) head.push(bind(xp, item));
    } else head.push(bind(pattern, iterator?.kind === "entries" ? { type: "ArrayExpression", elements: [id(i), item] } : item));
    head.push({ type: "ExpressionStatement", expression: assign(id(i), bin("+", id(i), num(1))) });
    const body: Statement = { type: "BlockStatement", body: [...head, s.body] };
    // `$i` is already resolved; mark it resolvable in the scope so the synthetic statements find it.
    this.scopes[this.scopes.length - 1]!.set(i, i);
    if (seq.type === "Identifier") this.scopes[this.scopes.length - 1]!.set(seq.name, seq.name);
    return this.loopOf(bin("<", id(i), member(clone(seq), "length")), body, init, null, false, origin, label);
  }

  private switchOf(s: Extract<Statement, { type: "SwitchStatement" }>, origin: Loc | undefined): Lowered {
    const d = this.expr(s.discriminant);
    const sw = this.fresh("$switch");
    const which = this.fresh("$case");
    const out: NStmt[] = [...d.pre, { k: "assign", target: id(sw), value: d.expr, origin }];
    // $case = index of the first matching case, else the default's index, else cases.length.
    const defaultIndex = s.cases.findIndex((c) => c.test === null);
    let chain: Expression = num(defaultIndex >= 0 ? defaultIndex : s.cases.length);
    for (let i = s.cases.length - 1; i >= 0; i--) {
      const c = s.cases[i]!;
      if (!c.test) continue;
      const t = this.expr(c.test);
      if (t.pre.length) this.unsupported("CaseLabelCall", c.test.loc);
      chain = { type: "ConditionalExpression", test: bin("===", id(sw), t.expr), consequent: num(i), alternate: chain };
    }
    out.push({ k: "assign", target: id(which), value: chain, origin });
    const frame: LoopFrame = { brk: this.fresh("$break"), usedBrk: false, usedCont: false, parent: this.loop };
    this.loop = frame;
    const exits = new Set<string>();
    // Each case runs when execution entered at or before it (fallthrough) and nothing jumped out.
    const cases: NStmt[][] = [];
    this.scoped(() => {
      for (const c of s.cases) this.hoistFunctions(c.consequent);
      s.cases.forEach((c, i) => {
        const r = this.list(c.consequent);
        r.exits.forEach((f) => exits.add(f));
        cases.push([{ k: "if", test: bin("<=", id(which), num(i)), then: r.out, else: [], origin: c.loc }]);
      });
    });
    this.loop = frame.parent;
    if (frame.usedBrk) out.push({ k: "assign", target: id(frame.brk), value: bool(false), origin });
    else this.locals.delete(frame.brk);
    // Chain the cases so that a jump in one guards all that follow.
    let guard: Set<string> = new Set();
    for (const c of cases) {
      if (guard.size) out.push({ k: "if", test: not(orAll([...guard].map((f) => id(f)))), then: c, else: [] });
      else out.push(...c);
      guard = exits;
    }
    exits.delete(frame.brk);
    return { out, exits };
  }

  // ---- nested functions -------------------------------------------------------------------

  /** Function declarations are hoisted: register them before lowering the block. */
  private hoistFunctions(stmts: Statement[]): void {
    if (!stmts.some((s) => s.type === "FunctionDeclaration")) return;
    // A function declaration may read variables declared after it in the same block: bind those
    // names first, so that its reads resolve to them (captures) rather than to globals.
    for (const s of stmts) {
      if (s.type !== "VariableDeclaration") continue;
      for (const d of s.declarations) {
        if (d.init && (d.init.type === "ArrowFunctionExpression" || d.init.type === "FunctionExpression")) continue;
        for (const name of patternNames(d.id)) {
          if (this.scopes[this.scopes.length - 1]!.has(name)) continue;
          this.predeclared.add(this.declare(name));
        }
      }
    }
    for (const s of stmts) if (s.type === "FunctionDeclaration") this.nestedFunction(s.id.name, s, s.loc);
  }

  private nestedFunction(userName: string, f: Extract<Expression | Statement, { params: Pattern[] }>, loc: Loc | undefined): void {
    if (f.async || f.generator) {
      this.report("CT1001", "asyncLocalFunction", { name: userName }, loc);
      return;
    }
    const name = this.declare(userName);
    this.locals.delete(name); // a function, not a variable
    const names = { jvpName: uniqueName(`${name}$jvp`, this.taken), vjpName: uniqueName(`${name}$vjp`, this.taken) };
    const rest = f.params[f.params.length - 1]?.type === "RestElement";
    const info: KnownFunction = { ...names, arity: f.params.length, wrt: f.params.map((_, i) => i), isMethod: false, returnType: f.returnType, ...(rest ? { rest } : {}) };
    const entry: NestedFunction = { fn: undefined as unknown as NFunction, info, captures: new Set(), loc };
    this.nestedByName.set(name, entry);
    const marked: MarkedFunction = {
      name,
      kind: "declaration",
      params: f.params,
      body: f.body,
      returnType: f.returnType,
      loc,
      isArrow: f.type === "ArrowFunctionExpression",
    };
    const child = new Normalizer(marked, this.ctx, this.taken, this);
    entry.fn = child.run();
    this.diagnostics.push(...child.diagnostics);
    if (child.usesThis) this.usesThis = true;
    for (const n of child.freeReads) {
      if (this.locals.has(n) || this.paramNames.has(n)) entry.captures.add(n);
      else this.freeReads.add(n);
    }
    this.nested.push(entry);
  }

  private lookupNested(name: string): NestedFunction | undefined {
    return this.nestedByName.get(name) ?? this.outer?.lookupNested(name);
  }

  // ---- expressions ------------------------------------------------------------------------

  /** An expression outside the derivative's concern (defaults, throw arguments): only renamed. */
  private plainExpr(e: Expression): Expression {
    const r = this.expr(e);
    if (r.pre.length) this.report("CT1001", "callInPlainExpression", {}, e.loc);
    return r.expr;
  }

  private expr(e: Expression): { pre: NStmt[]; expr: Expression } {
    const pre: NStmt[] = [];
    const go = (x: Expression): Expression => {
      switch (x.type) {
        case "Identifier": {
          if (x.name === "undefined" || x.name === "NaN" || x.name === "Infinity") return { ...x };
          if (x.name === "arguments" && this.resolve("arguments") === undefined) {
            this.unsupported("Arguments", x.loc);
            return undef();
          }
          const local = this.resolve(x.name);
          if (local !== undefined && this.lookupNested(local)) {
            this.report("CT1001", "localFunctionAsValue", { name: x.name }, x.loc);
            return undef();
          }
          if (local !== undefined) return { ...x, name: local, typeAnnotation: undefined };
          // A name of the enclosing function (nested functions capture it under its renamed name).
          const outerName = this.outer?.resolveDeep(x.name);
          if (outerName !== undefined) {
            this.freeReads.add(outerName);
            return { ...x, name: outerName };
          }
          this.freeReads.add(x.name);
          return { ...x };
        }
        case "NumericLiteral":
        case "StringLiteral":
        case "BooleanLiteral":
        case "NullLiteral":
          return { ...x };
        case "ThisExpression":
          this.usesThis = true;
          return { ...x };
        case "BinaryExpression":
          return { ...x, left: go(x.left), right: go(x.right) };
        case "UnaryExpression":
          if (x.operator === "delete") {
            this.unsupported("Delete", x.loc);
          }
          return { ...x, argument: go(x.argument) };
        case "LogicalExpression":
        case "ConditionalExpression": {
          // Branches that call user functions must stay lazy (recursion base cases): lower to `if`.
          const parts = x.type === "LogicalExpression" ? [x.right] : [x.consequent, x.alternate];
          if (parts.some(hasUserCall)) return this.lazyBranch(x, pre);
          if (x.type === "LogicalExpression") return { ...x, left: go(x.left), right: go(x.right) };
          return { ...x, test: go(x.test), consequent: go(x.consequent), alternate: go(x.alternate) };
        }
        case "MemberExpression": {
          if (optionalLink(x)) return go(this.optionalChain(x, pre));
          const object = go(x.object);
          return { ...x, object, property: x.computed ? go(x.property) : { ...x.property } };
        }
        case "ArrayExpression": {
          if (!x.elements.some((el) => el?.type === "SpreadElement")) return { ...x, elements: x.elements.map((el) => (el === null ? null : go(el as Expression))) };
          // `[a, ...xs, b]`: a fresh array built by pushes, in the literal's order.
          const out = this.fresh("$spread");
          const c = this.loopContext(x.loc);
          pre.push({ k: "assign", target: id(out), value: { type: "ArrayExpression", elements: [] }, origin: x.loc });
          for (const el of x.elements) {
            if (el?.type === "SpreadElement") {
              const v = go(el.argument);
              pre.push(...pushAll(c, id(out), v));
            } else pre.push({ k: "push", array: id(out), value: el === null ? undef() : go(el), origin: x.loc });
          }
          return this.builtResult(id(out));
        }
        case "ObjectExpression":
          return {
            ...x,
            properties: x.properties.map((p) => {
              // Spreads are expanded into fields once types are known (object-spread.ts).
              if (p.type === "SpreadElement") return { ...p, argument: go(p.argument) };
              if (p.computed) {
                this.unsupported("ComputedKey", p.loc);
                return { type: "ObjectProperty", key: id("_"), value: num(0), computed: false, shorthand: false };
              }
              return { ...p, shorthand: false, value: go(p.value) };
            }),
          };
        case "CallExpression":
          if (optionalLink(x)) return go(this.optionalChain(x, pre));
          return this.callInExpr(x, go, pre);
        case "NewExpression": {
          if (x.callee.type === "Identifier" && (x.callee.name === "Array" || /Array$/.test(x.callee.name))) {
            return { ...x, arguments: x.arguments.map((a) => (a.type === "SpreadElement" ? a : go(a))) };
          }
          this.unsupported("New", x.loc);
          return undef();
        }
        case "TemplateLiteral":
          return { ...x, expressions: x.expressions.map(go) };
        case "AssignmentExpression":
          this.unsupported("AssignmentInExpression", x.loc);
          return undef();
        case "UpdateExpression":
          return this.updateInExpr(x, e, pre);
        case "SequenceExpression":
          this.unsupported("Sequence", x.loc);
          return undef();
        case "ArrowFunctionExpression":
        case "FunctionExpression":
          this.report("CT1001", "functionAsValue", { methods: [...CALLBACK_METHODS].join(", ") }, x.loc);
          return undef();
        case "Unsupported":
          this.unsupportedNode(x);
          return undef();
      }
    };
    const expr = go(e);
    return { pre, expr };
  }

  /** `i++` inside an expression: the update becomes statements before it; the expression reads the old (or new) value. */
  private updateInExpr(x: Extract<Expression, { type: "UpdateExpression" }>, whole: Expression, pre: NStmt[]): Expression {
    const arg = x.argument;
    const root = (() => {
      let r: Expression = arg;
      while (r.type === "MemberExpression") r = r.object;
      return r.type === "Identifier" ? r.name : undefined;
    })();
    if (!root || (arg.type !== "Identifier" && arg.type !== "MemberExpression")) {
      this.report("CT1001", "updateTarget", { op: x.operator }, x.loc);
      return undef();
    }
    // Hoisting the update is only faithful when nothing else in the expression reads the variable.
    if (countReads(whole, root) > 1) {
      this.report("CT1001", "updateReadsTwice", { op: x.operator, name: root }, x.loc);
      return undef();
    }
    const target = this.target(arg as Target);
    if (!target) return undef();
    pre.push(...target.pre);
    const step: NStmt = { k: "assign", target: target.expr, value: bin(x.operator === "++" ? "+" : "-", clone(target.expr), num(1)), origin: x.loc };
    if (x.prefix) {
      pre.push(step);
      return clone(target.expr);
    }
    const old = this.fresh("$old");
    pre.push({ k: "assign", target: id(old), value: clone(target.expr), origin: x.loc }, step);
    return id(old);
  }

  /** `RT.name`, where RT is the namespace generated code reaches the runtime through. */
  private isRuntimeMember(e: Expression): e is MemberExpression {
    return e.type === "MemberExpression" && !e.computed && e.object.type === "Identifier" && e.object.name === this.ctx.runtime && e.property.type === "Identifier";
  }

  resolveDeep(name: string): string | undefined {
    return this.resolve(name) ?? this.outer?.resolveDeep(name);
  }

  private lazyBranch(x: Extract<Expression, { type: "LogicalExpression" | "ConditionalExpression" }>, pre: NStmt[]): Expression {
    const tmp = this.fresh("$branch");
    const origin = x.loc;
    if (x.type === "ConditionalExpression") {
      const t = this.expr(x.test);
      const a = this.expr(x.consequent);
      const b = this.expr(x.alternate);
      pre.push(...t.pre, {
        k: "if",
        test: t.expr,
        then: [...a.pre, { k: "assign", target: id(tmp), value: a.expr, origin }],
        else: [...b.pre, { k: "assign", target: id(tmp), value: b.expr, origin }],
        origin,
      });
    } else {
      const l = this.expr(x.left);
      const r = this.expr(x.right);
      pre.push(...l.pre, { k: "assign", target: id(tmp), value: l.expr, origin });
      const test = x.operator === "&&" ? id(tmp) : x.operator === "||" ? not(id(tmp)) : bin("==", id(tmp), { type: "NullLiteral" });
      pre.push({ k: "if", test, then: [...r.pre, { k: "assign", target: id(tmp), value: r.expr, origin }], else: [], origin });
    }
    return id(tmp);
  }

  private callInExpr(x: CallExpression, go: (e: Expression) => Expression, pre: NStmt[]): Expression {
    const callee = x.callee;
    const args = () =>
      x.arguments.map((a) => {
        if (a.type === "SpreadElement") {
          this.report("CT1001", "mathSpread", { name: isMath(callee) ? callee.property.name : "" }, a.loc);
          return num(0);
        }
        return go(a);
      });
    if (isMath(callee) && (this.ctx.shadowedGlobals?.has("Math") || this.resolveDeep("Math") !== undefined)) {
      this.report("CT1001", "shadowedMath", {}, callee.loc);
      return undef();
    }
    if (isMath(callee)) {
      const fname = callee.property.name;
      if (!(fname in MATH_RULES)) {
        this.report("CT1006", "math", { name: fname }, x.loc);
      }
      if ((fname === "max" || fname === "min") && x.arguments.some((a) => a.type === "SpreadElement")) {
        const parts = x.arguments.map((a) => (a.type === "SpreadElement" ? { spread: true, value: go(a.argument) } : { spread: false, value: go(a) }));
        const r = foldMaxMin(this.loopContext(x.loc), fname, callee, parts);
        pre.push(...r.pre);
        return this.builtResult(r.result);
      }
      const a = args();
      // Math.max(a) is a; Math.max(a, b, c) → Math.max(Math.max(a, b), c): the rules are binary.
      if ((fname === "max" || fname === "min") && a.length === 1) return a[0]!;
      if ((fname === "max" || fname === "min") && a.length > 2) {
        return a.slice(1).reduce((acc, v) => call(clone(callee), [acc, v], x.loc), a[0]!);
      }
      return { ...x, callee: clone(callee), arguments: a };
    }
    if (isWithoutDerivative(callee)) return { ...x, arguments: args() };
    if (isQueryWithoutDerivative(x)) return { ...x, callee: go(callee), arguments: args() };
    if (this.isLoweredArrayCall(x)) return this.arrayCall(x, go, pre);
    if (isArrayFill(x)) return { ...x, callee: go(callee), arguments: args() };
    if (isArrayCopy(x)) return { ...x, callee: go(callee), arguments: [] };
    if (
      callee.type === "MemberExpression" &&
      !callee.computed &&
      callee.property.type === "Identifier" &&
      callee.property.name === "push"
    ) {
      this.unsupported("PushInExpression", x.loc);
      return undef();
    }
    // A call to a user function: its own statement, result in a temporary.
    const tmp = this.fresh("$call");
    pre.push(...this.callExpr(x, id(tmp), x.loc, go));
    return id(tmp);
  }

  /** Lowers a call to a (possibly) differentiable user function into a `call` statement. */
  private callExpr(x: CallExpression, target: Identifier | null, origin: Loc | undefined, go?: (e: Expression) => Expression): NStmt[] {
    const pre: NStmt[] = [];
    const lower = go ?? ((e: Expression) => {
      const r = this.expr(e);
      pre.push(...r.pre);
      return r.expr;
    });
    const callee = x.callee;
    const args = this.spreadArguments(this.packRestArguments(x), lower, pre);
    let ncall: NCall;
    // Omitted trailing arguments are passed as undefined, so tangents line up with parameters.
    const padded = (info: KnownFunction) => [...args, ...Array.from({ length: Math.max(0, info.arity - args.length) }, () => undef())];
    if (callee.type === "Identifier") {
      const local = this.resolveDeep(callee.name);
      const nested = local !== undefined ? this.lookupNested(local) : undefined;
      const known = local === undefined ? this.ctx.known.get(callee.name) : undefined;
      if (nested) ncall = { kind: "known", name: local!, info: nested.info, args: padded(nested.info), callee: id(local!, callee.loc) };
      else if (known) ncall = { kind: "known", name: callee.name, info: known, args: padded(known), callee: { ...callee } };
      else ncall = { kind: "dynamic", callee: lower(callee), thisArg: null, args, calleeInfo: x.calleeInfo };
    } else if (this.isRuntimeMember(callee) && this.ctx.primitives && Object.hasOwn(this.ctx.primitives.functions, (callee.property as Identifier).name)) {
      // `RT.add(a, b)`: a runtime op (the hosts write runtime imports as members of RT).
      const name = (callee.property as Identifier).name;
      ncall = { kind: "dynamic", callee: { ...callee }, thisArg: null, args, calleeInfo: x.calleeInfo, primitive: { name, method: false, ...this.ctx.primitives.functions[name]! } };
    } else if (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier") {
      const object = lower(callee.object);
      // Direct calls to a marked method's derivatives only through `this` (the method's own
      // derivatives check for overrides); any other object goes through the run-time lookup.
      const method = object.type === "ThisExpression" ? this.ctx.knownMethods.get(callee.property.name) : undefined;
      if (method) ncall = { kind: "method", object, name: callee.property.name, info: method, args: padded(method), callee: { ...callee, object } };
      else {
        // `t.add(b)`: a Tensor method, when the name is one and the checker (if any) agrees that
        // the method is the runtime's.
        const name = callee.property.name;
        const prim = this.ctx.primitives && Object.hasOwn(this.ctx.primitives.methods, name) ? this.ctx.primitives.methods[name] : undefined;
        const fromRuntime = !x.calleeInfo || x.calleeInfo.runtime === true;
        ncall = {
          kind: "dynamic",
          callee: { ...callee, object },
          thisArg: object,
          args,
          calleeInfo: x.calleeInfo,
          ...(prim && fromRuntime ? { primitive: { name, method: true, differentiable: prim.differentiable, ...(prim.why ? { why: prim.why } : {}) } } : {}),
        };
      }
    } else {
      ncall = { kind: "dynamic", callee: lower(callee), thisArg: null, args, calleeInfo: x.calleeInfo };
    }
    return [...pre, { k: "call", target, call: ncall, origin }];
  }

  // ---- optional chaining ------------------------------------------------------------------

  /**
   * `a?.b.c` → `a == null ? undefined : a.b.c`, from the leftmost `?.` (which short-circuits the
   * rest of the chain); later `?.` links are lowered when the result is normalized in turn. The
   * object before `?.` is read twice, so one that is not a plain path is held in a temporary.
   */
  private optionalChain(x: MemberExpression | CallExpression, pre: NStmt[]): Expression {
    const link = optionalLink(x)!;
    let base = link.type === "MemberExpression" ? link.object : link.callee;
    if (!isPlainPath(base)) {
      if (link.type === "CallExpression" && base.type === "MemberExpression") {
        this.unsupported("OptionalCallOnComputed", link.loc);
        return undef();
      }
      const r = this.expr(base);
      const tmp = this.fresh("$optional");
      pre.push(...r.pre, { k: "assign", target: id(tmp), value: r.expr, origin: link.loc });
      this.scopes[this.scopes.length - 1]!.set(tmp, tmp);
      base = id(tmp);
    }
    // Copy the path from x down to the link, with the link's `?.` dropped and its base replaced.
    const rebuild = (e: Expression): Expression => {
      if (e === link) {
        return e.type === "MemberExpression" ? { ...e, object: clone(base), optional: false } : { ...(e as CallExpression), callee: clone(base), optional: false };
      }
      if (e.type === "MemberExpression") return { ...e, object: rebuild(e.object) };
      const c = e as CallExpression;
      return { ...c, callee: rebuild(c.callee) };
    };
    return {
      type: "ConditionalExpression",
      test: bin("==", clone(base), { type: "NullLiteral" }),
      consequent: undef(),
      alternate: rebuild(x),
      loc: x.loc,
    };
  }

  // ---- array methods, spread ---------------------------------------------------------------

  /**
   * Arguments of a call to a user function. A spread as the last argument of a call to a marked
   * or local function (whose parameter count is known) becomes that many element reads.
   */
  private spreadArguments(x: CallExpression, lower: (e: Expression) => Expression, pre: NStmt[]): Expression[] {
    const info = this.calleeArity(x.callee);
    const out: Expression[] = [];
    x.arguments.forEach((a, i) => {
      if (a.type !== "SpreadElement") {
        out.push(lower(a));
        return;
      }
      if (info === undefined || i !== x.arguments.length - 1) {
        this.report("CT1001", info === undefined ? "spreadToUnknown" : "spreadNotLast", {}, a.loc);
        out.push(num(0));
        return;
      }
      const items = this.fresh("$args");
      pre.push({ k: "assign", target: id(items), value: lower(a.argument), origin: a.loc });
      for (let j = i; j < info; j++) out.push(index(id(items), j - i));
    });
    return out;
  }

  /** The parameter count of a marked or local function called by name, if it is one. */
  private calleeArity(callee: Expression): number | undefined {
    return this.calleeInfo(callee)?.arity;
  }

  private calleeInfo(callee: Expression): KnownFunction | undefined {
    if (callee.type !== "Identifier") return undefined;
    const local = this.resolveDeep(callee.name);
    if (local !== undefined) return this.lookupNested(local)?.info;
    return this.ctx.known.get(callee.name);
  }

  /**
   * `f(a, b, c)` of `function f(x, ...ys)`: the trailing arguments become the rest parameter's
   * array, `f(a, [b, c])` (spreads included: `f(a, ...zs)` gives `f(a, [...zs])`), as the
   * derivatives take it; the primal call spreads it back (primalCall).
   */
  private packRestArguments(x: CallExpression): CallExpression {
    const info = this.calleeInfo(x.callee);
    if (!info?.rest) return x;
    const fixed = info.arity - 1;
    const head = x.arguments.slice(0, fixed);
    if (head.some((a) => a.type === "SpreadElement")) return x; // reported by spreadArguments
    while (head.length < fixed) head.push(undef());
    return { ...x, arguments: [...head, { type: "ArrayExpression", elements: x.arguments.slice(fixed), loc: x.loc }] };
  }

  private isCallbackValue(e: Expression | SpreadElement | undefined): boolean {
    if (!e) return false;
    if (e.type === "ArrowFunctionExpression" || e.type === "FunctionExpression") return true;
    return e.type === "Identifier" && this.calleeArity(e) !== undefined;
  }

  /** An array method this normalization turns into a loop (see array-methods.ts). */
  private isLoweredArrayCall(x: CallExpression): boolean {
    const c = x.callee;
    if (c.type !== "MemberExpression" || c.computed || c.property.type !== "Identifier") return false;
    // `RT.concat(…)` is the runtime's tensor op, not Array.prototype.concat.
    if (c.object.type === "Identifier" && c.object.name === this.ctx.runtime) return false;
    const name = c.property.name;
    if (x.arguments.some((a) => a.type === "SpreadElement")) return false;
    if (CALLBACK_METHODS.has(name)) return this.isCallbackValue(x.arguments[0]);
    // `ys.fill(v, start?, end?)` on an array the function has (not `new Array(n).fill(c)`).
    if (name === "fill") return !isArrayFill(x) && x.arguments.length >= 1 && x.arguments.length <= 3;
    if (name === "from") {
      return (
        c.object.type === "Identifier" &&
        c.object.name === "Array" &&
        this.resolveDeep("Array") === undefined &&
        x.arguments.length >= 1 &&
        (x.arguments.length === 1 || (x.arguments.length === 2 && this.isCallbackValue(x.arguments[1])))
      );
    }
    return name === "concat" && c.object.type !== "StringLiteral" && c.object.type !== "TemplateLiteral";
  }

  /**
   * `ys.fill(v, start, end)`: element writes in a loop, with fill's index rules (negative from the
   * end, clamped to the length, truncated, NaN as 0), so the writes are differentiated and checked
   * as any `ys[k] = v` is (a parameter's elements may not be written: CT1004). Evaluates to `ys`.
   */
  private fillCall(x: CallExpression, callee: MemberExpression, args: Expression[], go: (e: Expression) => Expression, pre: NStmt[]): Expression {
    if (!isPlainPath(callee.object) || (callee.object.type !== "Identifier" && callee.object.type !== "MemberExpression")) {
      this.report("CT1001", "fillOnExpression", {}, x.loc);
      return undef();
    }
    const target = this.target(callee.object as Target);
    if (!target) return undef();
    pre.push(...target.pre);
    const value = this.fresh("$fill");
    const n = this.fresh("$n");
    const k = this.fresh("$k");
    const end = this.fresh("$end");
    pre.push({ k: "assign", target: id(value), value: go(args[0]!), origin: x.loc });
    pre.push({ k: "assign", target: id(n), value: member(clone(target.expr), "length"), origin: x.loc });
    // fill's relative index: trunc (NaN → 0), then from the end when negative, clamped to [0, n].
    const index = (arg: Expression | undefined, dflt: Expression): Expression => {
      if (!arg) return dflt;
      const r = or(call(member(id("Math"), "trunc"), [go(arg)]), num(0));
      const fromEnd = call(member(id("Math"), "max"), [bin("+", id(n), clone(r)), num(0)]);
      const clamped = call(member(id("Math"), "min"), [clone(r), id(n)]);
      return { type: "ConditionalExpression", test: bin("<", clone(r), num(0)), consequent: fromEnd, alternate: clamped };
    };
    pre.push({ k: "assign", target: id(k), value: index(args[1], num(0)), origin: x.loc });
    pre.push({ k: "assign", target: id(end), value: index(args[2], id(n)), origin: x.loc });
    pre.push({
      k: "loop",
      test: bin("<", id(k), id(end)),
      body: [
        { k: "assign", target: { ...member(clone(target.expr), id(k), true), loc: x.loc }, value: id(value), origin: x.loc },
        { k: "assign", target: id(k), value: bin("+", id(k), num(1)), origin: x.loc },
      ],
      origin: x.loc,
    });
    return clone(target.expr);
  }

  private arrayCall(x: CallExpression, go: (e: Expression) => Expression, pre: NStmt[]): Expression {
    const callee = x.callee as MemberExpression;
    const name = (callee.property as Identifier).name;
    const args = x.arguments as Expression[];
    if (name === "fill") return this.fillCall(x, callee, args, go, pre);
    if (name === "concat") {
      const receiver = go(callee.object);
      const parts = args.map(go);
      const r = lowerConcat(this.loopContext(x.loc), receiver, parts);
      pre.push(...r.pre);
      return this.builtResult(r.result);
    }
    const cb = name === "from" ? args[1] : args[0];
    const c = this.loopContext(x.loc, cb);
    if (name === "from") {
      const first = args[0]!;
      const lengthOnly =
        first.type === "ObjectExpression" &&
        first.properties.length === 1 &&
        first.properties[0]!.type === "ObjectProperty" &&
        !first.properties[0]!.computed &&
        first.properties[0]!.key.type === "Identifier" &&
        first.properties[0]!.key.name === "length";
      const src = lengthOnly ? { length: go((first.properties[0] as { value: Expression }).value) } : this.stable(go(first), pre, x.loc, cb);
      const r = lowerArrayFrom(src, cb !== undefined, c);
      pre.push(...r.pre);
      return this.builtResult(r.result);
    }
    const receiver = this.stable(go(callee.object), pre, x.loc, cb);
    const rest = args.slice(1).map(go);
    const r = lowerCallbackMethod(name, receiver, rest, c);
    pre.push(...r.pre);
    return this.builtResult(r.result);
  }

  /** The receiver of a lowered method, read again each iteration: a local, or a temporary holding it. */
  private stable(e: Expression, pre: NStmt[], origin: Loc | undefined, cb: Expression | undefined): Expression {
    const body = cb && (cb.type === "ArrowFunctionExpression" || cb.type === "FunctionExpression") ? cb.body : undefined;
    const reassigned =
      e.type === "Identifier" && body !== undefined && (body.type === "BlockStatement" ? assignsTo(body, e.name) : assignsTo({ type: "ExpressionStatement", expression: body }, e.name));
    if (e.type === "Identifier" && !reassigned) return e;
    const tmp = this.fresh("$array");
    pre.push({ k: "assign", target: id(tmp), value: e, origin });
    return id(tmp);
  }

  /** Temporaries that a lowering built its result in (read nowhere after that result is taken). */
  private readonly built = new Set<string>();

  private builtResult(name: Expression): Expression {
    if (name.type === "Identifier") this.built.add(name.name);
    return name;
  }

  /**
   * `name = <r>` for a declaration. When `r` is a temporary a lowering built its result in, the
   * statements build it under `name` instead (no second reference to the array, and the
   * generated code reads as the user wrote it).
   */
  private bindResult(r: { pre: NStmt[]; expr: Expression }, name: string, loc: Loc | undefined, origin: Loc | undefined): NStmt[] {
    const v = r.expr;
    if (v.type === "Identifier" && this.built.delete(v.name)) {
      renameVariable(r.pre, v.name, name);
      this.locals.delete(v.name);
      return r.pre;
    }
    return [...r.pre, { k: "assign", target: id(name, loc), value: v, origin }];
  }

  private loopContext(origin: Loc | undefined, cb?: Expression): LoopContext {
    return {
      fresh: (base) => this.fresh(base),
      callback: (args, resultUsed = true) => this.inlineCallback(cb!, args, resultUsed, origin),
      origin,
    };
  }

  /**
   * A callback's body in place of a call: parameters bound to the arguments, `return` lowered to
   * a result variable. It runs in the enclosing function's scope chain, so what it reads and
   * writes there is ordinary data flow for both derivative modes. A marked or local function
   * passed by name is called with as many arguments as it has parameters.
   */
  private inlineCallback(cb: Expression, args: Expression[], resultUsed: boolean, origin: Loc | undefined): { out: NStmt[]; value: Expression } {
    if (cb.type === "Identifier") {
      const local = this.resolveDeep(cb.name);
      const nested = local !== undefined ? this.lookupNested(local) : undefined;
      const info = nested ? nested.info : this.ctx.known.get(cb.name)!;
      const name = nested ? local! : cb.name;
      const callArgs = [...args.slice(0, info.arity), ...Array.from({ length: Math.max(0, info.arity - args.length) }, () => undef())];
      const tmp = this.fresh("$call");
      return { out: [{ k: "call", target: id(tmp), call: { kind: "known", name, info, args: callArgs, callee: id(name, cb.loc) }, origin }], value: id(tmp) };
    }
    const fn = cb as Extract<Expression, { type: "ArrowFunctionExpression" | "FunctionExpression" }>;
    if (fn.async || fn.generator) {
      this.report("CT1001", "asyncCallback", {}, fn.loc);
      return { out: [], value: undef() };
    }
    if (fn.type === "FunctionExpression") {
      let usesThis = false;
      const seen = (e: Expression) => {
        if (e.type === "ThisExpression") usesThis = true;
      };
      for (const e of statementExpressions(fn.body)) forEachExpression(e, seen);
      if (usesThis) {
        this.report("CT1001", "thisInFunctionCallback", {}, fn.loc);
        return { out: [], value: undef() };
      }
    }
    return this.scoped(() => {
      const out: NStmt[] = [];
      fn.params.forEach((p, i) => {
        const { pattern, dflt } = splitDefault(p);
        const arg = args[i] ? clone(args[i]!) : undef();
        if (pattern.type === "Identifier") {
          const name = this.declare(pattern.name, pattern.typeAnnotation);
          out.push({ k: "assign", target: id(name, pattern.loc), value: arg, origin });
          if (dflt) out.push(this.defaultValue(name, dflt, p.loc));
        } else if (pattern.type === "ArrayPattern" || pattern.type === "ObjectPattern") {
          const tmp = this.fresh("$param");
          out.push({ k: "assign", target: id(tmp), value: arg, origin });
          if (dflt) out.push(this.defaultValue(tmp, dflt, p.loc));
          out.push(...this.destructure(pattern, id(tmp), p.loc, pattern.typeAnnotation));
        } else {
          this.report("CT1008", "callbackRest", {}, p.loc);
        }
      });
      const saved = { loop: this.loop, retFlag: this.retFlag, retVar: this.retVar };
      // No break or continue crosses a function boundary; the frame makes `let` start afresh per call.
      this.loop = { brk: "", usedBrk: false, usedCont: false };
      try {
        if (fn.body.type !== "BlockStatement") {
          if (!resultUsed) return { out: [...out, ...this.exprStatement(fn.body, fn.body.loc ?? origin)], value: undef() };
          const r = this.expr(fn.body);
          return { out: [...out, ...r.pre], value: r.expr };
        }
        const stmts = fn.body.body;
        this.hoistFunctions(stmts);
        const last = stmts[stmts.length - 1];
        const returns = countReturns(stmts);
        if (returns === 1 && last?.type === "ReturnStatement") {
          const lowered = this.list(stmts.slice(0, -1));
          const r = last.argument ? this.expr(last.argument) : { pre: [], expr: undef() };
          return { out: [...out, ...lowered.out, ...r.pre], value: r.expr };
        }
        if (returns === 0) return { out: [...out, ...this.list(stmts).out], value: undef() };
        this.retFlag = this.fresh("$returned");
        this.retVar = this.fresh("$result");
        out.push({ k: "assign", target: id(this.retFlag), value: bool(false), origin }, { k: "assign", target: id(this.retVar), value: undef(), origin });
        out.push(...this.list(stmts).out);
        return { out, value: id(this.retVar) };
      } finally {
        this.loop = saved.loop;
        this.retFlag = saved.retFlag;
        this.retVar = saved.retVar;
      }
    });
  }
}

/** A parameter as its pattern and its default value (`x = 1`), if any. */
function splitDefault(p: Pattern): { pattern: Pattern; dflt?: Expression } {
  return p.type === "AssignmentPattern" ? { pattern: p.left, dflt: p.right } : { pattern: p };
}

/** The leftmost `?.` link of a chain of members and calls ending at `e`, if any. */
function optionalLink(e: Expression): MemberExpression | CallExpression | undefined {
  let found: MemberExpression | CallExpression | undefined;
  for (let cur: Expression = e; cur.type === "MemberExpression" || cur.type === "CallExpression"; cur = cur.type === "MemberExpression" ? cur.object : cur.callee) {
    if (cur.optional) found = cur;
  }
  return found;
}

/** A variable, `this`, or a path below one with literal or variable keys: reading it twice is the same as once. */
function isPlainPath(e: Expression): boolean {
  if (e.type === "Identifier" || e.type === "ThisExpression") return true;
  if (e.type !== "MemberExpression") return false;
  const key = e.property;
  return isPlainPath(e.object) && (!e.computed || key.type === "NumericLiteral" || key.type === "StringLiteral" || key.type === "Identifier");
}

/** An expression with no effect of its own (dropped as a statement). */
function isPlainRead(e: Expression): boolean {
  return e.type === "Identifier" || e.type === "NumericLiteral" || e.type === "ConditionalExpression" && isPlainRead(e.consequent) && isPlainRead(e.alternate);
}

/** `xs.entries()` / `xs.keys()` / `xs.values()` iterated by for…of: which, and over what. */
function iterationOf(e: Expression): { kind: "entries" | "keys" | "values"; array: Expression } | undefined {
  if (e.type !== "CallExpression" || e.arguments.length || e.callee.type !== "MemberExpression" || e.callee.computed) return undefined;
  const p = e.callee.property;
  if (p.type !== "Identifier" || (p.name !== "entries" && p.name !== "keys" && p.name !== "values")) return undefined;
  // `Object.entries(o)` and friends take an argument: not this form.
  return { kind: p.name, array: e.callee.object };
}

function orAll(es: Expression[]): Expression {
  return es.reduce((a, b) => or(a, b));
}
