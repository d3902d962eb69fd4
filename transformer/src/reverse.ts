// Reverse mode (VJP): `f$vjp(…args)` runs the primal once, recording on `$tape` only what the
// pullback cannot know otherwise — values a later statement overwrites, which branch each `if`
// took, how many times each loop ran, and the pullbacks of calls inside loops — and returns
// `{ value, pullback }`. The pullback walks the statements backwards: for each one it pops what the
// primal pushed (restoring the variables to their values at that point) and sends the cotangent
// of what it assigned to its operands. It never re-runs the primal.

import type { Analysis } from "./analysis.js";
import { rootOf } from "./analysis.js";
import {
  arr,
  assign,
  assignStmt,
  bin,
  bool,
  call,
  clone,
  decl,
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
import { declareAll, isReceiverCall, overrideGuard, primalCall, stampLocations, type GenContext } from "./forward.js";
import type { Expression, Identifier, ObjectPattern, Pattern, Statement, TypeIR } from "./ir.js";
import type { NCall, NFunction, NStmt, Target } from "./nir.js";
import { isArrayCopy, isArrayFill } from "./queries.js";
import { BINARY_RULES, MATH_RULES, mul, neg } from "./rules.js";

interface Generated {
  primal: OutStatement[];
  /** Adjoint statements in the order they run (already reversed). */
  adjoint: OutStatement[];
}

export class ReverseGenerator {
  private readonly tape: string;
  private usesTape = false;
  /** Locals and params whose overwritten values the pullback needs: pushed before each write. */
  private readonly restored = new Set<string>();
  /** Locals written more than once or in a loop (their adjoints must be reset after each write). */
  private readonly reassigned = new Set<string>();
  private readonly extraLocals: string[] = [];

  constructor(
    private readonly fn: NFunction,
    private readonly an: Analysis,
    private readonly g: GenContext,
  ) {
    this.tape = g.names.fresh("$tape");
    this.planRestoration();
  }

  private rt(name: string): Expression {
    return member(id(this.g.runtime), name);
  }
  private b(name: string): string {
    return this.g.names.adjoint(name);
  }
  private active(name: string | undefined): boolean {
    return !!name && this.an.active.has(name);
  }
  private push(e: Expression): Statement {
    this.usesTape = true;
    return exprStmt(call(member(id(this.tape), "push"), [e]));
  }
  private pop(): Expression {
    this.usesTape = true;
    return call(member(id(this.tape), "pop"), []);
  }
  private temp(base: string): string {
    return this.g.names.fresh(base);
  }

  private planRestoration(): void {
    const fn = this.fn;
    const writes = new Map<string, number>();
    const inLoop = new Set<string>();
    const read = new Set<string>();
    fn.params.forEach((p) => writes.set(p.name, 1));
    const all = (e: unknown): void => {
      if (!e || typeof e !== "object") return;
      if (Array.isArray(e)) return e.forEach(all);
      const n = e as Expression;
      if (n.type === "Identifier") read.add(n.name);
      for (const [k, v] of Object.entries(n)) if (k !== "loc" && k !== "typeAnnotation") all(v);
    };
    // The values the adjoint of `e` evaluates: the operands a partial derivative multiplies by,
    // tests, indices. Inactive parts have no adjoint; a variable that is only added or moved
    // (`s = s + t`, `v = v + 0.01 * f`) needs no saved values at all.
    const readsOf = (e: unknown): void => {
      if (!e || typeof e !== "object") return;
      if (Array.isArray(e)) return e.forEach(readsOf);
      const n = e as Expression;
      if (!this.an.isActive(n)) return;
      switch (n.type) {
        case "Identifier":
          if (this.an.typeOf(n).kind !== "number") read.add(n.name); // zeros of its shape are taken from it
          return;
        case "MemberExpression":
          readsOf(n.object);
          if (n.computed) all(n.property);
          return;
        case "BinaryExpression": {
          const l = this.an.isActive(n.left);
          const r = this.an.isActive(n.right);
          if (n.operator === "+" || n.operator === "-") {
            readsOf(n.left);
            readsOf(n.right);
          } else if (n.operator === "*") {
            // ∂(l·r)/∂l = r and ∂(l·r)/∂r = l: each side's value is needed only for the other's adjoint.
            if (l) all(n.right);
            if (r) all(n.left);
            readsOf(n.left);
            readsOf(n.right);
          } else if (n.operator === "/" && !r) {
            all(n.right);
            readsOf(n.left);
          } else all(n);
          return;
        }
        case "UnaryExpression":
          readsOf(n.argument);
          return;
        case "ConditionalExpression":
          all(n.test);
          readsOf(n.consequent);
          readsOf(n.alternate);
          return;
        case "LogicalExpression":
          all(n.left);
          readsOf(n.right);
          return;
        case "ArrayExpression":
          n.elements.forEach(readsOf);
          return;
        case "ObjectExpression":
          n.properties.forEach((p) => readsOf(p.type === "ObjectProperty" ? p.value : p));
          return;
        default:
          all(n);
      }
    };
    const visit = (ss: NStmt[], loop: boolean) => {
      for (const s of ss) {
        if (s.k === "assign" || s.k === "push" || s.k === "call") {
          const target = s.k === "assign" ? s.target : s.k === "push" ? s.array : s.target;
          const root = target ? rootOf(target) : undefined;
          if (root && (s.k === "call" || (s.k === "assign" && s.target.type === "Identifier"))) {
            writes.set(root, (writes.get(root) ?? 0) + 1);
            if (loop) inLoop.add(root);
          }
          const activeStmt =
            s.k === "call" ? this.an.callIsActive(s) : (root !== undefined && this.active(root)) || this.an.isActive(s.k === "assign" ? s.value : s.value);
          if (activeStmt) {
            if (s.k === "assign") {
              readsOf(s.value);
              if (s.target.type === "MemberExpression") readsOf(s.target);
            } else if (s.k === "push") readsOf(s.value);
            else {
              readsOf(s.call.args);
              // A Tensor method's pullback also sends a cotangent to the object it was called on
              // (callStatement backprops thisArg), so the adjoint reads its index too: without this,
              // `acc.add(ts[i].mul(2))` in a loop did not restore `i`, and every iteration's
              // cotangent went to ts[<final i>] (found by e2e/test/property-tensors.test.ts).
              if (isReceiverCall(s.call)) readsOf(s.call.thisArg);
            }
          }
        } else if (s.k === "if") {
          visit(s.then, loop);
          visit(s.else, loop);
        } else if (s.k === "loop") visit(s.body, true);
      }
    };
    visit(fn.body, false);
    readsOf(fn.result);
    // A local function's pullback reads the variables it captures when it runs, during this
    // function's pullback: they must hold the values they had at each call.
    for (const n of fn.nested) for (const c of n.captures) read.add(c);
    // A local's first write at the top level (before any other write) overwrites nothing the
    // pullback could need: no push, no restore, no adjoint reset.
    const written = new Set<string>(fn.params.map((p) => p.name));
    const walk = (ss: NStmt[], top: boolean) => {
      for (const s of ss) {
        const target = s.k === "assign" ? s.target : s.k === "call" ? s.target : null;
        if (target && target.type === "Identifier") {
          if (top && !written.has(target.name)) this.initialDefs.add(s);
          written.add(target.name);
        }
        if (s.k === "if") {
          walk(s.then, false);
          walk(s.else, false);
        } else if (s.k === "loop") walk(s.body, false);
      }
    };
    walk(fn.body, true);
    for (const [name, n] of writes) {
      const isParam = fn.params.some((p) => p.name === name);
      const multi = isParam ? n > 1 : n > 1 || inLoop.has(name);
      if (multi) this.reassigned.add(name);
      if (multi && read.has(name)) this.restored.add(name);
    }
    // Element writes and pushes mutate an array the pullback may read: undo them too.
    this.mutatedRead = read;
  }
  private mutatedRead = new Set<string>();
  /** Whether the pullback writes into arrays/objects in place (undoing element writes and pushes). */
  private undoesInPlace = false;
  private readonly initialDefs = new Set<NStmt>();

  // ---- cotangent propagation ----------------------------------------------------------------

  /** Adds `g` into the adjoint of the place `e` (a local or a path below one). */
  private accumulate(e: Expression, g: Expression, out: Statement[]): void {
    const path = this.adjointPath(e);
    const type = this.an.typeOf(e);
    if (type.kind === "number") out.push(assignStmt(path, g, "+="));
    else out.push(assignStmt(path, call(this.rt("accumulate"), [clone(path), g])));
  }

  private adjointPath(e: Expression): Target {
    if (e.type === "Identifier") return id(this.b(e.name));
    if (e.type === "MemberExpression") return member(this.adjointPath(e.object), clone(e.property), e.computed);
    throw new Error(`internal: no adjoint for ${e.type}`);
  }

  /** A cheap expression for `g`: binds it to a temporary unless it is already a name or a literal. */
  private cheap(g: Expression, out: Statement[]): Expression {
    if (g.type === "Identifier" || g.type === "NumericLiteral") return g;
    const t = this.temp("$g");
    out.push(decl("const", t, g));
    return id(t);
  }

  /** Sends cotangent `g` of the value of `e` to the adjoints of the active locals `e` reads. */
  backprop(e: Expression, g: Expression, out: Statement[], maybeNull = false): void {
    if (!this.an.isActive(e)) return;
    switch (e.type) {
      case "Identifier":
      case "MemberExpression":
        if (maybeNull && this.an.typeOf(e).kind !== "number") {
          const inner: Statement[] = [];
          this.accumulate(e, g, inner);
          out.push(ifStmt(bin("!=", clone(g), nul()), inner));
        } else this.accumulate(e, g, out);
        return;
      case "BinaryExpression":
        this.partials(BINARY_RULES[e.operator], [e.left, e.right], g, out);
        return;
      case "UnaryExpression":
        this.backprop(e.argument, e.operator === "-" ? neg(g) : g, out);
        return;
      case "CallExpression":
        if (isMath(e.callee)) this.partials(MATH_RULES[e.callee.property.name] ?? undefined, e.arguments as Expression[], g, out);
        // A copy passes its cotangent straight to the original.
        else if (isArrayCopy(e)) this.backprop((e.callee as { object: Expression }).object, g, out, maybeNull);
        // Every element of new Array(n).fill(x) is x: x gets the sum of their cotangents.
        else if (isArrayFill(e)) this.backprop(e.arguments[0] as Expression, call(this.rt("sumElements"), [clone(g)]), out);
        return;
      case "ConditionalExpression": {
        const a: Statement[] = [];
        const b: Statement[] = [];
        this.backprop(e.consequent, g, a);
        this.backprop(e.alternate, g, b);
        out.push(ifStmt(clone(e.test), a, b));
        return;
      }
      case "LogicalExpression": {
        const l: Statement[] = [];
        const r: Statement[] = [];
        this.backprop(e.left, g, l);
        this.backprop(e.right, g, r);
        if (e.operator === "&&") out.push(ifStmt(clone(e.left), r, l));
        else if (e.operator === "||") out.push(ifStmt(clone(e.left), l, r));
        else out.push(ifStmt(bin("!=", clone(e.left), nul()), l, r));
        return;
      }
      case "ArrayExpression": {
        const inner: Statement[] = [];
        const gg = this.cheap(g, out);
        e.elements.forEach((x, i) => x && this.backprop(x as Expression, member(clone(gg), num(i), true), inner, true));
        if (maybeNull) out.push(ifStmt(bin("!=", clone(gg), nul()), inner));
        else out.push(...inner);
        return;
      }
      case "ObjectExpression": {
        const inner: Statement[] = [];
        const gg = this.cheap(g, out);
        for (const p of e.properties) {
          if (p.type !== "ObjectProperty") continue;
          const key = p.key.type === "Identifier" ? p.key.name : p.key.type === "StringLiteral" ? p.key.value : String((p.key as { value?: unknown }).value);
          this.backprop(p.value, member(clone(gg), key), inner, true);
        }
        if (maybeNull) out.push(ifStmt(bin("!=", clone(gg), nul()), inner));
        else out.push(...inner);
        return;
      }
      default:
        return;
    }
  }

  private partials(
    rule: ((args: Expression[], i: number) => Expression | null) | undefined,
    args: Expression[],
    g: Expression,
    out: Statement[],
  ): void {
    if (!rule) return;
    const activeArgs = args.map((a) => this.an.isActive(a));
    const gg = activeArgs.filter(Boolean).length > 1 ? this.cheap(g, out) : g;
    args.forEach((a, i) => {
      if (!activeArgs[i]) return;
      const p = rule(args, i);
      if (p) this.backprop(a, mul(clone(gg), p), out);
    });
  }

  // ---- statements ---------------------------------------------------------------------------

  private zeroFor(place: Expression, type: TypeIR): Expression {
    return type.kind === "number" ? num(0) : call(this.rt("zerosLike"), [clone(place)]);
  }

  private comment(s: NStmt): string | undefined {
    const q = this.g.quote(s.origin);
    return q && `grad of: ${q}`;
  }

  list(ss: NStmt[], inLoop: boolean): Generated {
    const primal: OutStatement[] = [];
    const adjointParts: OutStatement[][] = [];
    for (const s of ss) {
      const r = this.statement(s, inLoop);
      stampLocations(r.primal, s.origin);
      stampLocations(r.adjoint, s.origin);
      primal.push(...r.primal);
      if (r.adjoint.length) {
        const c = this.comment(s);
        if (c && s.k !== "if" && s.k !== "loop" && !r.adjoint[0]!.comment) r.adjoint[0]!.comment = c;
        adjointParts.push(r.adjoint);
      }
    }
    return { primal, adjoint: adjointParts.reverse().flat() };
  }

  private statement(s: NStmt, inLoop: boolean): Generated {
    const loc = s.origin;
    switch (s.k) {
      case "assign":
        return this.assignment(s, loc);
      case "push": {
        const root = rootOf(s.array);
        const primal = [exprStmt(call(member(clone(s.array), "push"), [clone(s.value)]), loc)];
        const adjoint: Statement[] = [];
        if (this.active(root)) {
          const g = this.temp("$g");
          adjoint.push({ ...decl("const", g, call(member(this.adjointPath(s.array), "pop"), [])), loc });
          if (root && this.mutatedRead.has(root)) {
            adjoint.push(exprStmt(call(member(clone(s.array), "pop"), []), loc));
            this.undoesInPlace = true;
          }
          this.backprop(s.value, id(g), adjoint);
        } else if (root && this.mutatedRead.has(root)) {
          adjoint.push(exprStmt(call(member(clone(s.array), "pop"), []), loc));
          this.undoesInPlace = true;
        }
        return { primal, adjoint };
      }
      case "call":
        return this.callStatement(s, inLoop);
      case "if": {
        const a = this.list(s.then, inLoop);
        const b = this.list(s.else, inLoop);
        if (!a.adjoint.length && !b.adjoint.length) {
          return { primal: [ifStmt(clone(s.test), a.primal, b.primal, loc)], adjoint: [] };
        }
        const primal = ifStmt(clone(s.test), [...a.primal, this.push(bool(true))], [...b.primal, this.push(bool(false))], loc);
        const adjoint = { ...ifStmt(this.pop(), a.adjoint, b.adjoint, loc), comment: this.comment(s) };
        return { primal: [{ ...primal, comment: this.comment(s) }], adjoint: [adjoint] };
      }
      case "loop": {
        const body = this.list(s.body, true);
        const whileStmt = (bodyStmts: Statement[], comment?: string): OutStatement => ({
          type: "WhileStatement",
          test: clone(s.test),
          body: { type: "BlockStatement", body: bodyStmts },
          loc,
          comment,
        });
        if (!body.adjoint.length) return { primal: [whileStmt(body.primal, this.comment(s))], adjoint: [] };
        // Count the iterations; the pullback runs the body's adjoint that many times.
        const n = this.temp("$iterations");
        this.extraLocals.push(n);
        const primal = [
          assignStmt(id(n), num(0), "=", loc),
          whileStmt([exprStmt({ type: "UpdateExpression", operator: "++", prefix: false, argument: id(n) }), ...body.primal]),
          this.push(id(n)),
        ];
        primal[0] = { ...primal[0]!, comment: this.comment(s) } as OutStatement;
        const adjoint: OutStatement = {
          type: "ForStatement",
          init: assign(id(n), this.pop()),
          test: bin(">", id(n), num(0)),
          update: { type: "UpdateExpression", operator: "--", prefix: false, argument: id(n) },
          body: { type: "BlockStatement", body: body.adjoint },
          loc,
          comment: this.comment(s),
        };
        return { primal, adjoint: [adjoint] };
      }
      case "effect":
        return { primal: [clone(s.stmt)], adjoint: [] };
    }
  }

  private assignment(s: Extract<NStmt, { k: "assign" }>, loc: NStmt["origin"]): Generated {
    const root = rootOf(s.target)!;
    const primal: Statement[] = [];
    const adjoint: Statement[] = [];
    const isVar = s.target.type === "Identifier";
    const initial = this.initialDefs.has(s);
    const restore = !initial && (isVar ? this.restored.has(root) : this.mutatedRead.has(root));
    if (restore && !isVar) this.undoesInPlace = true;
    if (restore) primal.push(this.push(clone(s.target)));
    primal.push(assignStmt(clone(s.target), clone(s.value), "=", loc));

    const targetActive = this.active(root);
    const valueActive = this.an.isActive(s.value);
    const reset = !initial && targetActive && (!isVar || this.reassigned.has(root));
    const type = this.an.typeOf(s.target);
    let g: Expression | undefined;
    if (targetActive && valueActive) {
      const path = this.adjointPath(s.target);
      if (reset || restore) {
        const t = this.temp("$g");
        adjoint.push({ ...decl("const", t, path), loc });
        g = id(t);
      } else g = path;
    }
    if (restore) adjoint.push(assignStmt(clone(s.target), this.pop(), "=", loc));
    const resetAt = adjoint.length;
    if (reset) adjoint.push(assignStmt(this.adjointPath(s.target), this.zeroFor(s.target, type), "=", loc));
    if (g) this.backprop(s.value, g, adjoint);
    if (reset && type.kind === "number") foldResetIntoAccumulate(adjoint, resetAt);
    return { primal, adjoint };
  }

  private isNested(c: NCall): boolean {
    return c.kind === "known" && this.fn.nested.some((n) => n.fn.name === c.name);
  }

  private vjpCall(c: NCall): Expression {
    const args = c.args.map((a) => clone(a));
    switch (c.kind) {
      case "known":
        return call(id(c.info.vjpName), args);
      case "method":
        // `this.m$vjp(…)`: m's derivatives check for an override of m themselves (overrideGuard).
        return call(member(clone(c.object), c.info.vjpName), args);
      case "dynamic":
        // A Tensor method's pullback gives the object's cotangent first.
        if (isReceiverCall(c)) return call(this.rt("vjpMethodCall"), [clone(c.callee), clone(c.thisArg), arr(args)]);
        return call(this.rt("vjpCall"), [clone(c.callee), c.thisArg ? clone(c.thisArg) : id("undefined"), arr(args)]);
    }
  }

  private callStatement(s: Extract<NStmt, { k: "call" }>, inLoop: boolean): Generated {
    const c = s.call;
    const loc = s.origin;
    const target = s.target;
    const needsVjp = this.an.callIsActive(s) && target && this.active(target.name);
    const primal: Statement[] = [];
    const adjoint: Statement[] = [];
    const initial = this.initialDefs.has(s);
    const restore = !initial && target && this.restored.has(target.name);
    if (restore) primal.push(this.push(clone(target!)));
    if (!needsVjp) {
      const e = this.isNested(c) ? member(this.vjpCall(c), "value") : primalCall(c);
      primal.push(target ? assignStmt(clone(target), e, "=", loc) : exprStmt(e, loc));
      if (restore) adjoint.push(assignStmt(clone(target!), this.pop(), "=", loc));
      if (!initial && target && this.active(target.name) && this.reassigned.has(target.name))
        adjoint.push(assignStmt(id(this.b(target.name)), this.zeroFor(target, this.an.typeOf(target)), "=", loc));
      return { primal, adjoint };
    }
    const pb = this.temp("$pullback");
    this.extraLocals.push(pb);
    const pattern: ObjectPattern = {
      type: "ObjectPattern",
      properties: [
        { type: "ObjectProperty", key: id("value"), value: clone(target!), computed: false, shorthand: false },
        { type: "ObjectProperty", key: id("pullback"), value: id(pb), computed: false, shorthand: false },
      ],
    };
    primal.push(exprStmt(assign(pattern, this.vjpCall(c)), loc));
    if (inLoop) primal.push(this.push(id(pb)));
    // Adjoint: pull the result's cotangent back through the callee, then to each active argument.
    const cts = this.temp("$cotangents");
    if (inLoop) adjoint.push(assignStmt(id(pb), this.pop(), "=", loc));
    adjoint.push({ ...decl("const", cts, call(id(pb), [id(this.b(target!.name))])), loc });
    if (!initial && this.reassigned.has(target!.name))
      adjoint.push(assignStmt(id(this.b(target!.name)), this.zeroFor(target!, this.an.typeOf(target!)), "=", loc));
    if (restore) adjoint.push(assignStmt(clone(target!), this.pop(), "=", loc));
    const first = isReceiverCall(c) ? 1 : 0;
    if (isReceiverCall(c)) this.backprop(c.thisArg, member(id(cts), num(0), true), adjoint, true);
    c.args.forEach((a, i) => this.backprop(a, member(id(cts), num(i + first), true), adjoint, true));
    return { primal, adjoint };
  }

  // ---- the function -------------------------------------------------------------------------

  body(): Statement[] {
    const fn = this.fn;
    const gen = this.list(fn.body, false);
    const resultAdjoint: Statement[] = [];
    const seed = id(this.g.names.fresh("bResult"));
    this.backprop(fn.result, seed, resultAdjoint);
    stampLocations(resultAdjoint, fn.resultOrigin);
    if (resultAdjoint.length) {
      const q = this.g.quote(fn.resultOrigin);
      if (q) (resultAdjoint[0] as OutStatement).comment = `grad of: ${q}`;
    }

    const out: Statement[] = [];
    for (const n of fn.nested) out.push(...this.g.nestedCode(n.fn));
    const locals = [...fn.locals.keys(), ...this.extraLocals];
    if (locals.length) out.push(declareAll(locals));
    const used = this.usesTape ? this.g.names.fresh("$pulledBack") : undefined;
    if (this.usesTape) out.push(decl("const", this.tape, arr([])));
    if (fn.owner) out.push(overrideGuard(this.g.runtime, fn, "vjpCall", [arr(fn.params.map((p) => id(p.name)))]));
    out.push(...gen.primal);

    // Adjoints start at zero: 0 for numbers, zeros of the final shape for arrays and objects.
    const pullback: Statement[] = [];
    if (used) {
      out.push({ type: "VariableDeclaration", kind: "let", declarations: [{ type: "VariableDeclarator", id: id(used), init: bool(false) }] });
      pullback.push(ifStmt(id(used), [exprStmt(call(this.rt("pullbackReused"), [{ type: "StringLiteral", value: fn.name }]))]));
      pullback.push(assignStmt(id(used), bool(true)));
    }
    const activeNames = [...fn.params.map((p) => p.name), ...fn.locals.keys()].filter((n) => this.active(n));
    if (activeNames.length) {
      pullback.push({
        type: "VariableDeclaration",
        kind: "let",
        declarations: activeNames.map((n) => ({
          type: "VariableDeclarator",
          id: id(this.b(n)),
          init: this.zeroFor(id(n), this.an.typeOfVar(n)),
        })),
      });
    }
    pullback.push(...resultAdjoint, ...gen.adjoint);
    const cotangents = fn.params.map((p, i) => (fn.wrt.includes(i) ? id(this.b(p.name)) : nul()));
    pullback.push(ret(arr(cotangents)));
    const pullbackFn: Expression = {
      type: "ArrowFunctionExpression",
      params: [seed],
      body: { type: "BlockStatement", body: pullback },
    };
    // The pullback undoes element writes and pushes in place; an array or object that escapes as
    // the value must not change under the caller when it runs: return a copy of it.
    const value =
      this.undoesInPlace && this.an.typeOf(fn.result).kind !== "number" ? call(this.rt("copyTangent"), [clone(fn.result)]) : clone(fn.result);
    out.push({ ...ret(obj([["value", value], ["pullback", pullbackFn]])), loc: fn.resultOrigin });
    return out;
  }

  params(): Pattern[] {
    return this.fn.params.map((p) => id(p.name));
  }
}

/**
 * `bs = 0; … bs += g;` → `bs = g; …` when the statements between do not touch `bs`: the common
 * shape of accumulators (`s = s + t`), whose adjoint passes straight through.
 */
function foldResetIntoAccumulate(stmts: Statement[], resetAt: number): void {
  const reset = stmts[resetAt];
  if (reset?.type !== "ExpressionStatement" || reset.expression.type !== "AssignmentExpression") return;
  const key = JSON.stringify(stripLoc(reset.expression.left));
  for (let i = resetAt + 1; i < stmts.length; i++) {
    const s = stmts[i]!;
    if (s.type !== "ExpressionStatement" || s.expression.type !== "AssignmentExpression") return;
    const a = s.expression;
    if (JSON.stringify(stripLoc(a.left)) !== key) {
      if (JSON.stringify(stripLoc(a.right)).includes(key)) return;
      continue;
    }
    if (a.operator !== "+=") return;
    reset.expression.right = a.right;
    stmts.splice(i, 1);
    dropPassThrough(stmts, resetAt, key);
    return;
  }
}

/**
 * `const $g = bs; bs = $g; …uses of $g…` → `…uses of bs…` when nothing else writes `bs`: the
 * adjoint passes through unchanged and needs no temporary.
 */
function dropPassThrough(stmts: Statement[], resetAt: number, key: string): void {
  const reset = stmts[resetAt] as Extract<Statement, { type: "ExpressionStatement" }>;
  const right = (reset.expression as { right: Expression }).right;
  const temp = stmts[resetAt - 1];
  if (right.type !== "Identifier" || temp?.type !== "VariableDeclaration" || temp.declarations[0]?.id.type !== "Identifier") return;
  const decl = temp.declarations[0]!;
  if ((decl.id as Identifier).name !== right.name || JSON.stringify(stripLoc(decl.init)) !== key) return;
  const rest = stmts.slice(resetAt + 1);
  // Safe only if nothing after writes the adjoint (at any depth): then `$g` and `bs` are equal.
  let written = false;
  const scan = (n: unknown): void => {
    if (written || !n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(scan);
    const node = n as Expression;
    if (node.type === "AssignmentExpression" && JSON.stringify(stripLoc(node.left)) === key) written = true;
    for (const [k, v] of Object.entries(node)) if (k !== "loc") scan(v);
  };
  scan(rest);
  if (written) return;
  const replacement = decl.init!;
  const subst = (n: unknown): unknown => {
    if (!n || typeof n !== "object") return n;
    if (Array.isArray(n)) return n.map(subst);
    const node = n as Expression;
    if (node.type === "Identifier" && node.name === right.name) return structuredClone(replacement);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === "loc" ? v : subst(v);
    return out;
  };
  stmts.splice(resetAt - 1, rest.length + 2, ...(subst(rest) as Statement[]));
}

function stripLoc(e: unknown): unknown {
  return JSON.parse(JSON.stringify(e, (k, v) => (k === "loc" ? undefined : v)));
}

