// Reverse mode (VJP): `f$vjp(…args)` runs the primal once, recording only what the pullback
// cannot know otherwise — overwritten values some adjoint reads, which branch each `if` took, how
// many times each loop ran, and the pullbacks of calls inside loops — and returns
// `{ value, pullback }`. What is recorded, and where (a local outside loops, the unboxed `$tape`
// inside them), is decided beforehand by the tape plan (tape-plan.ts). The pullback walks the
// statements backwards: for each one it restores what the primal saved and sends the cotangent of
// what it assigned to its operands. It never re-runs the primal.

import type { Analysis } from "./analysis.js";
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
import { eliminateDeadCode } from "./dead-code.js";
import { declareAll, isReceiverCall, overrideGuard, primalCall, stampLocations, type GenContext } from "./forward.js";
import type { Expression, Identifier, ObjectPattern, Pattern, Statement, TypeIR, VariableDeclaration } from "./ir.js";
import type { NCall, NFunction, NStmt, Target } from "./nir.js";
import { isArrayCopy, isArrayFill } from "./queries.js";
import { BINARY_RULES, MATH_RULES, mul, neg } from "./rules.js";
import { planTape, storageAt, type Storage, type TapePlan } from "./tape-plan.js";
import { forEachExpression, namesRead, rootName as rootOf, statementExpressions, walkStmts } from "./walk.js";

/** A typed stack of the tape as the fused gradient holds it: the array and the index of its top, in locals. */
interface Cursor {
  array: string;
  top: string;
  grow: "growNumbers" | "growInts";
}

interface Generated {
  primal: OutStatement[];
  /** Adjoint statements in the order they run (already reversed). */
  adjoint: OutStatement[];
  /** For a list: each statement's adjoint, in primal order (where a loop body inserts its recomputations). */
  parts?: OutStatement[][];
}

export class ReverseGenerator {
  private readonly tape: string;
  private usesTape = false;
  /** Inside a loop the plan reserves tape room for (tape-plan.ts `reservations`): pushes need no capacity check. */
  private reserved = false;
  /** The pullback restores variables to earlier values: it can run once only. */
  private restores = false;
  /** Whether the pullback writes into arrays/objects in place (undoing element writes and pushes). */
  private undoesInPlace = false;
  private readonly plan: TapePlan;
  /** Set while generating the fused gradient, whose tape never leaves it: its typed stacks live in locals (cursorSave). */
  private cursors: { numbers?: Cursor; ints?: Cursor } | undefined;
  /** The fused value and gradient's local holding the value (gradientBody). */
  private valueName: string | undefined;
  private readonly extraLocals: string[] = [];
  /**
   * Number adjoints go through the runtime's tangent helpers (`accumulate`, `scaleTangent`)
   * instead of `+=` and `*`: a differentiated number passed to a call next to values of other
   * types (tensors) may get a cotangent that is still on a GPU (a PendingNumber, read once by the
   * async operators). Number code keeps its plain arithmetic.
   */
  private readonly numbersViaRuntime: boolean;

  constructor(
    private readonly fn: NFunction,
    private readonly an: Analysis,
    private readonly g: GenContext,
  ) {
    this.tape = g.names.fresh("$tape");
    this.plan = planTape(fn, an);
    // A differentiated number passed to a tensor op (a runtime primitive, a method of a tensor) or
    // to a call that also takes a differentiated tensor.
    let numberMeetsTensors = false;
    walkStmts(fn.body, (st) => {
      if (st.k !== "call") return;
      const c = st.call;
      if (!c.args.some((a) => an.isActive(a) && an.typeOf(a).kind === "number")) return;
      const tensorCall = c.kind === "dynamic" && (!!c.primitive || (!!c.thisArg && an.typeOf(c.thisArg).kind === "unknown"));
      if (tensorCall || c.args.some((a) => an.isActive(a) && an.typeOf(a).kind === "unknown")) numberMeetsTensors = true;
    });
    this.numbersViaRuntime = numberMeetsTensors;
  }

  /** `g · p` for a number cotangent g (see numbersViaRuntime). */
  private scaled(g: Expression, p: Expression): Expression {
    if (!this.numbersViaRuntime) return mul(g, p);
    return p.type === "NumericLiteral" && p.value === 1 ? g : call(this.rt("scaleTangent"), [g, p]);
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
  private temp(base: string): string {
    return this.g.names.fresh(base);
  }
  private depth(s: NStmt): number {
    return this.plan.loopDepth.get(s) ?? 0;
  }

  /**
   * Keeps the value of `e` for the pullback: in a fresh local, or on the tape stack the plan chose.
   * Returns the primal statements that save it (none for a write undone by its inverse) and the
   * expression that gives it back (once).
   */
  private save(e: Expression, storage: Storage, base = "$saved"): { store: Statement[]; load: Expression } {
    if (storage.where === "inverse") return { store: [], load: bin(storage.operator, clone(e), num(storage.step)) };
    if (storage.where === "local") {
      const t = this.temp(base);
      this.extraLocals.push(t);
      return { store: [assignStmt(id(t), e)], load: id(t) };
    }
    this.usesTape = true;
    if (this.cursors && storage.stack !== "ref") return this.cursorSave(e, this.cursor(storage.stack));
    const kind = storage.stack === "number" ? "Number" : storage.stack === "int" ? "Int" : "Ref";
    const put = this.reserved && kind !== "Ref" ? "put" : "push";
    return {
      store: [exprStmt(call(member(id(this.tape), `${put}${kind}`), [e]))],
      load: call(member(id(this.tape), `pop${kind}`), []),
    };
  }

  /** The fused gradient's local view of one of the tape's typed stacks (named on first use). */
  private cursor(stack: "number" | "int"): Cursor {
    const key = stack === "number" ? "numbers" : "ints";
    return (this.cursors![key] ??= { array: this.temp(stack === "number" ? "$numbers" : "$ints"), top: this.temp(stack === "number" ? "$n" : "$k"), grow: stack === "number" ? "growNumbers" : "growInts" });
  }

  /**
   * `$numbers[$n++] = e` and `$numbers[--$n]`: the fused gradient keeps the tape's stacks and their
   * tops in locals, which V8 holds in registers, instead of calling the tape's methods. Outside a
   * loop the plan reserved room for, the store grows the stack first when it is full.
   */
  private cursorSave(e: Expression, c: Cursor): { store: Statement[]; load: Expression } {
    const top = (operator: "++" | "--", prefix: boolean): Expression => ({ type: "UpdateExpression", operator, prefix, argument: id(c.top) });
    const store = assignStmt(member(id(c.array), top("++", false), true), e);
    const load = member(id(c.array), top("--", true), true);
    return { store: this.reserved ? [store] : [this.ensureRoom(c, num(1)), store], load };
  }

  /** `if ($n + k > $numbers.length) $numbers = $tape.growNumbers($n + k);` (for k = 1: `$n === $numbers.length`). */
  private ensureRoom(c: Cursor, k: Expression): Statement {
    const one = k.type === "NumericLiteral" && k.value === 1;
    const length = member(id(c.array), "length");
    const needed = one ? id(c.top) : bin("+", id(c.top), k);
    const full = one ? bin("===", id(c.top), length) : bin(">", needed, length);
    // A bare consequent: one line where the host's printer allows it.
    return { type: "IfStatement", test: full, consequent: assignStmt(id(c.array), call(member(id(this.tape), c.grow), one ? [] : [clone(needed)])), alternate: null };
  }

  /** Before a counted loop: room on the tape for all it records (tape-plan.ts `reservations`). */
  private reserve(room: { iterations: number; numbers: number; ints: number } | undefined): Statement[] {
    if (!room || !this.usesTape) return [];
    const numbers = room.numbers * room.iterations;
    const ints = room.ints * room.iterations;
    if (!this.cursors) return [exprStmt(call(member(id(this.tape), "reserve"), [num(numbers), num(ints)]))];
    const out: Statement[] = [];
    if (numbers && this.cursors.numbers) out.push(this.ensureRoom(this.cursors.numbers, num(numbers)));
    if (ints && this.cursors.ints) out.push(this.ensureRoom(this.cursors.ints, num(ints)));
    return out;
  }

  /** Saves the old value of the variable or element a statement overwrites, as the plan says; the pullback then restores it. */
  private saveOld(target: Expression, s: NStmt, primal: Statement[]): { load: Expression } | undefined {
    const storage = this.plan.saves.get(s);
    if (!storage) return undefined;
    this.restores = true;
    const saved = this.save(clone(target), storage);
    primal.push(...saved.store);
    return saved;
  }

  // ---- cotangent propagation ----------------------------------------------------------------

  /** Adds `g` into the adjoint of the place `e` (a local or a path below one). */
  private accumulate(e: Expression, g: Expression, out: Statement[]): void {
    const path = this.adjointPath(e);
    const type = this.an.typeOf(e);
    if (type.kind === "number" && !this.numbersViaRuntime) out.push(assignStmt(path, g, "+="));
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
        this.backprop(e.argument, e.operator === "-" ? (this.numbersViaRuntime ? this.scaled(g, num(-1)) : neg(g)) : g, out);
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
      if (p) this.backprop(a, this.scaled(clone(gg), p), out);
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

  list(ss: NStmt[]): Generated {
    const primal: OutStatement[] = [];
    const parts: OutStatement[][] = [];
    for (const s of ss) {
      const r = this.statement(s);
      stampLocations(r.primal, s.origin);
      stampLocations(r.adjoint, s.origin);
      primal.push(...r.primal);
      if (r.adjoint.length) {
        const c = this.comment(s);
        if (c && s.k !== "if" && s.k !== "loop" && !r.adjoint[0]!.comment) r.adjoint[0]!.comment = c;
      }
      parts.push(r.adjoint);
    }
    return { primal, adjoint: [...parts].reverse().flat(), parts };
  }

  /**
   * A loop body's adjoint with the plan's recomputations (tape-plan.ts): after the trailing
   * counter steps are undone, each recomputed value is evaluated again, in primal order, for the
   * rest of the iteration's adjoint to read.
   */
  private withRecomputation(loop: NStmt, body: Generated): OutStatement[] {
    const r = this.plan.recomputed.get(loop);
    if (!r || !body.parts) return body.adjoint;
    const parts = body.parts;
    const trailing = parts.slice(parts.length - r.after).reverse().flat();
    const rest = parts.slice(0, parts.length - r.after).reverse().flat();
    const again = r.assigns.map((a, k): OutStatement => {
      const s = a as NStmt & { k: "assign" };
      const q = this.g.quote(s.origin);
      return { ...assignStmt(clone(s.target), clone(s.value), "=", s.origin), ...(k === 0 && q ? { comment: `recompute: ${q}` } : {}) };
    });
    return [...trailing, ...again, ...rest];
  }

  private statement(s: NStmt): Generated {
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
          if (root && this.plan.undoneInPlace.has(root)) {
            adjoint.push(exprStmt(call(member(clone(s.array), "pop"), []), loc));
            this.undoesInPlace = true;
          }
          this.backprop(s.value, id(g), adjoint);
        } else if (root && this.plan.undoneInPlace.has(root)) {
          adjoint.push(exprStmt(call(member(clone(s.array), "pop"), []), loc));
          this.undoesInPlace = true;
        }
        return { primal, adjoint };
      }
      case "call":
        return this.callStatement(s);
      case "if": {
        const a = this.list(s.then);
        const b = this.list(s.else);
        if (!a.adjoint.length && !b.adjoint.length) {
          return { primal: [ifStmt(clone(s.test), a.primal, b.primal, loc)], adjoint: [] };
        }
        // A test the plan evaluates again (on recomputed values) needs no record.
        if (this.plan.retested.has(s)) {
          const adjoint = { ...ifStmt(clone(s.test), a.adjoint, b.adjoint, loc), comment: this.comment(s) };
          return { primal: [{ ...ifStmt(clone(s.test), a.primal, b.primal, loc), comment: this.comment(s) }], adjoint: [adjoint] };
        }
        // Which branch ran: a boolean local outside loops, 1/0 on the tape's int stack inside.
        const storage = storageAt(this.depth(s), "int");
        const then = this.save(storage.where === "local" ? bool(true) : num(1), storage, "$branch");
        const otherwise = storage.where === "local" ? [assignStmt(clone(then.load as Identifier), bool(false))] : this.save(num(0), storage).store;
        const primal = ifStmt(clone(s.test), [...a.primal, ...then.store], [...b.primal, ...otherwise], loc);
        const adjoint = { ...ifStmt(then.load, a.adjoint, b.adjoint, loc), comment: this.comment(s) };
        return { primal: [{ ...primal, comment: this.comment(s) }], adjoint: [adjoint] };
      }
      case "loop": {
        const reservation = this.plan.reservations.get(s);
        const outer = this.reserved;
        this.reserved = !!reservation;
        const body = this.list(s.body);
        this.reserved = outer;
        const whileStmt = (bodyStmts: Statement[], comment?: string): OutStatement => ({
          type: "WhileStatement",
          test: clone(s.test),
          body: { type: "BlockStatement", body: bodyStmts },
          loc,
          comment,
        });
        if (!body.adjoint.length) return { primal: [whileStmt(body.primal, this.comment(s))], adjoint: [] };
        const primal: OutStatement[] = [...this.reserve(reservation)];
        const trips = this.plan.tripCounts.get(s);
        const n = this.temp("$iterations");
        let init: VariableDeclaration | Expression | null;
        if (trips !== undefined) {
          // A counted loop: the pullback knows how many times it ran.
          primal.push(whileStmt(body.primal));
          init = decl("let", n, num(trips));
        } else {
          // Count the iterations; the pullback runs the body's adjoint that many times.
          // Outside loops the count stays in its local; inside, it goes on the tape's int stack.
          this.extraLocals.push(n);
          const onTape = this.depth(s) > 0;
          primal.push(
            assignStmt(id(n), num(0), "=", loc),
            whileStmt([exprStmt({ type: "UpdateExpression", operator: "++", prefix: false, argument: id(n) }), ...body.primal]),
          );
          if (onTape) {
            const kept = this.save(id(n), { where: "tape", stack: "int" });
            primal.push(...kept.store);
            init = assign(id(n), kept.load);
          } else {
            init = null;
            this.restores = true; // the pullback counts the local down: it can run once only
          }
        }
        primal[0] = { ...primal[0]!, comment: this.comment(s) } as OutStatement;
        const adjoint: OutStatement = {
          type: "ForStatement",
          init,
          test: bin(">", id(n), num(0)),
          update: { type: "UpdateExpression", operator: "--", prefix: false, argument: id(n) },
          body: { type: "BlockStatement", body: this.withRecomputation(s, body) },
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
    const initial = this.plan.initialDefs.has(s);
    const saved = this.saveOld(s.target, s, primal);
    if (saved && !isVar) this.undoesInPlace = true;
    primal.push(assignStmt(clone(s.target), clone(s.value), "=", loc));

    const targetActive = this.active(root);
    const valueActive = this.an.isActive(s.value);
    const reset = !initial && targetActive && (!isVar || this.plan.reassigned.has(root));
    const type = this.an.typeOf(s.target);
    let g: Expression | undefined;
    if (targetActive && valueActive) {
      const path = this.adjointPath(s.target);
      if (reset || saved) {
        const t = this.temp("$g");
        adjoint.push({ ...decl("const", t, path), loc });
        g = id(t);
      } else g = path;
    }
    if (saved) adjoint.push(assignStmt(clone(s.target), saved.load, "=", loc));
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

  private callStatement(s: Extract<NStmt, { k: "call" }>): Generated {
    const c = s.call;
    const loc = s.origin;
    const target = s.target;
    const needsVjp = this.an.callIsActive(s) && target && this.active(target.name);
    const primal: Statement[] = [];
    const adjoint: Statement[] = [];
    const initial = this.plan.initialDefs.has(s);
    const saved = target ? this.saveOld(target, s, primal) : undefined;
    if (!needsVjp) {
      const e = this.isNested(c) ? member(this.vjpCall(c), "value") : primalCall(c);
      primal.push(target ? assignStmt(clone(target), e, "=", loc) : exprStmt(e, loc));
      if (saved) adjoint.push(assignStmt(clone(target!), saved.load, "=", loc));
      if (!initial && target && this.active(target.name) && this.plan.reassigned.has(target.name))
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
    // Inside loops each iteration's pullback goes on the tape's reference stack.
    const kept = this.depth(s) > 0 ? this.save(id(pb), { where: "tape", stack: "ref" }) : undefined;
    if (kept) primal.push(...kept.store);
    // Adjoint: pull the result's cotangent back through the callee, then to each active argument.
    const cts = this.temp("$cotangents");
    if (kept) adjoint.push(assignStmt(id(pb), kept.load, "=", loc));
    adjoint.push({ ...decl("const", cts, call(id(pb), [id(this.b(target!.name))])), loc });
    if (!initial && this.plan.reassigned.has(target!.name))
      adjoint.push(assignStmt(id(this.b(target!.name)), this.zeroFor(target!, this.an.typeOf(target!)), "=", loc));
    if (saved) adjoint.push(assignStmt(clone(target!), saved.load, "=", loc));
    const first = isReceiverCall(c) ? 1 : 0;
    if (isReceiverCall(c)) this.backprop(c.thisArg, member(id(cts), num(0), true), adjoint, true);
    c.args.forEach((a, i) => this.backprop(a, member(id(cts), num(i + first), true), adjoint, true));
    return { primal, adjoint };
  }

  // ---- the function -------------------------------------------------------------------------

  /** The adjoint of the result seeded with `seed`, headed by `// grad of:` the returned expression. */
  private resultAdjoint(seed: Expression): Statement[] {
    const fn = this.fn;
    const out: Statement[] = [];
    this.backprop(fn.result, seed, out);
    stampLocations(out, fn.resultOrigin);
    const q = out.length ? this.g.quote(fn.resultOrigin) : undefined;
    if (q) (out[0] as OutStatement).comment = `grad of: ${q}`;
    return out;
  }

  /** What both the VJP and the fused gradient open with: nested derivatives, locals, the tape, the primal. */
  private prologue(gen: Generated, guard: boolean): { out: Statement[]; locals: string[] } {
    const fn = this.fn;
    const out: Statement[] = [];
    for (const n of fn.nested) out.push(...this.g.nestedCode(n.fn));
    const locals = [...fn.locals.keys(), ...this.extraLocals];
    if (locals.length) out.push(declareAll(locals));
    if (this.usesTape) out.push(decl("const", this.tape, call(this.rt("takeTape"), [])));
    for (const c of [this.cursors?.numbers, this.cursors?.ints]) {
      if (!c) continue;
      out.push({
        type: "VariableDeclaration",
        kind: "let",
        declarations: [
          { type: "VariableDeclarator", id: id(c.array), init: member(id(this.tape), c.grow === "growNumbers" ? "numbers" : "ints") },
          { type: "VariableDeclarator", id: id(c.top), init: num(0) },
        ],
      });
    }
    if (guard && fn.owner) out.push(overrideGuard(this.g.runtime, fn, "vjpCall", [arr(fn.params.map((p) => id(p.name)))]));
    out.push(...gen.primal);
    return { out, locals };
  }

  /**
   * The adjoint proper: adjoints start at zero (0 for numbers, zeros of the final shape for arrays
   * and objects), the result's adjoint and the body's run, the tape goes back to the pool (all it
   * held has been popped), and the cotangents are returned.
   */
  private adjointTail(resultAdjoint: Statement[], gen: Generated): Statement[] {
    const fn = this.fn;
    const out: Statement[] = [];
    const activeNames = [...fn.params.map((p) => p.name), ...fn.locals.keys()].filter((n) => this.active(n));
    if (activeNames.length) {
      out.push({
        type: "VariableDeclaration",
        kind: "let",
        declarations: activeNames.map((n) => ({ type: "VariableDeclarator", id: id(this.b(n)), init: this.zeroFor(id(n), this.an.typeOfVar(n)) })),
      });
    }
    out.push(...resultAdjoint, ...gen.adjoint);
    if (this.usesTape) out.push(exprStmt(call(member(id(this.tape), "release"), [])));
    // The pullback gives a cotangent per parameter (null where not differentiated); the fused
    // gradient gives what gradient(f) gives: the one cotangent, or those of `wrt` in order.
    const ofWrt = fn.wrt.map((i) => id(this.b(fn.params[i]!.name)));
    const gradient = ofWrt.length === 1 ? ofWrt[0]! : arr(ofWrt);
    if (!this.cursors) out.push(ret(arr(fn.params.map((p, i) => (fn.wrt.includes(i) ? id(this.b(p.name)) : nul())))));
    else out.push(ret(this.valueName ? obj([["value", id(this.valueName)], ["gradient", gradient]]) : gradient));
    return out;
  }

  body(): Statement[] {
    const fn = this.fn;
    const gen = this.list(fn.body);
    const seed = id(this.g.names.fresh("bResult"));
    const resultAdjoint = this.resultAdjoint(seed);
    const used = this.usesTape || this.restores ? this.g.names.fresh("$pulledBack") : undefined;
    const { out, locals } = this.prologue(gen, true);

    const pullback: Statement[] = [];
    const usedDecl: VariableDeclaration | undefined = used === undefined ? undefined : {
      type: "VariableDeclaration",
      kind: "let",
      declarations: [{ type: "VariableDeclarator", id: id(used), init: bool(false) }],
    };
    if (used) {
      pullback.push(ifStmt(id(used), [exprStmt(call(this.rt("pullbackReused"), [{ type: "StringLiteral", value: fn.name }]))]));
      pullback.push(assignStmt(id(used), bool(true)));
    }
    pullback.push(...this.adjointTail(resultAdjoint, gen));
    const pullbackFn: Expression = {
      type: "ArrowFunctionExpression",
      params: [seed],
      body: { type: "BlockStatement", body: pullback },
    };
    // The pullback undoes element writes and pushes in place; an array or object that escapes as
    // the value must not change under the caller when it runs: return a copy of it.
    const value =
      this.undoesInPlace && this.an.typeOf(fn.result).kind !== "number" ? call(this.rt("copyTangent"), [clone(fn.result)]) : clone(fn.result);
    const snapshot = this.snapshotPullback(pullbackFn, locals, usedDecl);
    if (!snapshot && usedDecl) out.push(usedDecl);
    out.push({ ...ret(obj([["value", value], ["pullback", snapshot ?? pullbackFn]])), loc: fn.resultOrigin });
    return out;
  }

  /**
   * Whether a fused gradient can stand for `vjp(…).pullback(1)`: a plain function (no `this`, not a
   * method) of numbers to a number. Such code is what a gradient call's fixed cost (the record,
   * the pullback's closures) weighs on most.
   */
  fusable(): boolean {
    const fn = this.fn;
    return !fn.owner && !fn.usesThis && this.an.typeOf(fn.result).kind === "number" && fn.params.every((p) => this.an.typeOfVar(p.name).kind === "number");
  }

  /**
   * The fused gradient `f$grad(…args)`: the primal, then the adjoint seeded with 1, in one body,
   * returning what `gradient(f)(…args)` returns (no record, no closure, nothing to snapshot), so
   * that gradient(f) can be f$grad itself. With `withValue`, `f$valueWithGradient(…args)`: the
   * same, returning what `valueWithGradient(f)(…args)` returns, `{ value, gradient }`.
   */
  gradientBody(withValue = false): Statement[] {
    this.cursors = {};
    const gen = this.list(this.fn.body);
    const resultAdjoint = this.resultAdjoint(num(1));
    const { out } = this.prologue(gen, false);
    // `f$valueWithGradient`: the value is taken before the adjoint restores what it overwrote.
    if (withValue) {
      this.valueName = this.temp("$value");
      out.push({ ...decl("const", this.valueName, clone(this.fn.result)), loc: this.fn.resultOrigin });
    }
    out.push(...this.adjointTail(resultAdjoint, gen));
    stampLocations(out.slice(-1), this.fn.resultOrigin);
    // The primal keeps only what the adjoint needs (and, for valueWithGradient, the value): what
    // only the value needed goes. (Local functions read variables when they are called: their
    // functions keep everything.)
    return this.fn.nested.length ? out : eliminateDeadCode(out);
  }

  /**
   * With loops, the pullback receives the primal's final state as parameters of an enclosing
   * arrow, `((x, r, $tape) => (bResult) => {…})(x, r, $tape)`, instead of capturing the
   * variables: V8 keeps a variable any closure captures on the heap for the whole function, which
   * made the primal's loops several times slower. Not done when local functions capture the
   * variables (their pullbacks read them as this pullback restores them).
   *
   * The variables of the module the pullback reads (a `scale` the adjoint multiplies by, a
   * `let` a recomputation reads) are passed the same way, with or without loops: the pullback may
   * run after the caller changed them, and must see the values the primal saw. Top-level `const`s
   * need not be (the host reports them).
   */
  private snapshotPullback(pullbackFn: Expression, locals: string[], usedDecl: VariableDeclaration | undefined): Expression | undefined {
    const fn = this.fn;
    if (fn.nested.length) return undefined;
    let hasLoop = false;
    walkStmts(fn.body, (s) => {
      if (s.k === "loop") hasLoop = true;
    });
    const own = new Set([...fn.params.map((p) => p.name), ...locals, this.tape]);
    const declared = declaredIn(pullbackFn);
    if (usedDecl) for (const d of usedDecl.declarations) if (d.id.type === "Identifier") declared.add(d.id.name);
    const read = [...namesRead(pullbackFn)].filter((n) => !declared.has(n));
    const state = hasLoop ? read.filter((n) => own.has(n)) : [];
    const moduleVariables = read.filter((n) => !own.has(n) && !IMMUTABLE_GLOBALS.has(n) && n !== this.g.runtime && !this.g.moduleConstants?.has(n));
    const params = [...state, ...moduleVariables];
    if (!hasLoop && !moduleVariables.length) return undefined;
    const body: Statement[] = [...(usedDecl ? [usedDecl] : []), ret(pullbackFn)];
    const outer: Expression = { type: "ArrowFunctionExpression", params: params.map((n) => id(n)), body: { type: "BlockStatement", body } };
    return call(outer, params.map((n) => id(n)));
  }

  params(): Pattern[] {
    return this.fn.params.map((p) => id(p.name));
  }
}

/** Globals a pullback may read as they are when it runs: nothing reassigns them. */
const IMMUTABLE_GLOBALS = new Set(["Math", "Number", "Array", "Object", "JSON", "Symbol", "String", "Boolean", "BigInt", "undefined", "NaN", "Infinity", "globalThis", "console"]);

/** The names a generated arrow function declares: its parameters and the variables of its body (at any depth). */
function declaredIn(e: Expression): Set<string> {
  const out = new Set<string>();
  const pattern = (p: Pattern | Expression) => {
    if (p.type === "Identifier") out.add(p.name);
  };
  const statements = (ss: readonly Statement[]): void => {
    for (const s of ss) {
      if (s.type === "VariableDeclaration") s.declarations.forEach((d) => pattern(d.id));
      else if (s.type === "BlockStatement") statements(s.body);
      else if (s.type === "IfStatement") statements([s.consequent, ...(s.alternate ? [s.alternate] : [])]);
      else if (s.type === "ForStatement") statements([...(s.init?.type === "VariableDeclaration" ? [s.init] : []), s.body]);
      else if (s.type === "WhileStatement" || s.type === "DoWhileStatement" || s.type === "ForOfStatement" || s.type === "ForInStatement") {
        if ((s.type === "ForOfStatement" || s.type === "ForInStatement") && s.left.type === "VariableDeclaration") statements([s.left]);
        statements([s.body]);
      }
    }
  };
  forEachExpression(e, (x) => {
    if (x.type === "ArrowFunctionExpression" || x.type === "FunctionExpression") {
      x.params.forEach(pattern);
      if (x.body.type === "BlockStatement") statements(x.body.body);
    }
  });
  return out;
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
  const expressions = rest.flatMap(statementExpressions);
  let written = false;
  for (const e of expressions)
    forEachExpression(e, (x) => {
      if (x.type === "AssignmentExpression" && JSON.stringify(stripLoc(x.left)) === key) written = true;
      return !written;
    });
  if (written) return;
  // Every read of `$g` becomes a copy of `bs` (the statements are this function's own: rewritten in place).
  const replacement = decl.init!;
  for (const e of expressions)
    forEachExpression(e, (x) => {
      if (x.type !== "Identifier" || x.name !== right.name) return;
      const node = x as unknown as Record<string, unknown>;
      for (const k of Object.keys(node)) delete node[k];
      Object.assign(node, structuredClone(replacement));
      return false;
    });
  stmts.splice(resetAt - 1, rest.length + 2, ...rest);
}

function stripLoc(e: unknown): unknown {
  return JSON.parse(JSON.stringify(e, (k, v) => (k === "loc" ? undefined : v)));
}

