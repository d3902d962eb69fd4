// Getters of the module's own classes, inlined into the normalized function: `b.momentum` with
// `get momentum() { return this.mass * this.v; }` becomes `b.mass * b.v`, so the derivative flows
// through what the getter reads (read as a field, the getter would get a tangent of its own and
// its dependence on the fields would be lost).
//
// Which class an object has is inferred here, flow-insensitively, from what the normalized
// function says: parameters declared as a class (or an array of one), `this` in a method, and
// locals assigned from those (`b = bodies[i]`, which is also how loops and inlined callbacks bind
// elements). A local given values of two classes has none. Setters are not supported (writes to
// objects the function did not build are errors anyway); a getter whose body is more than one
// `return` of an expression is reported where it is read on a differentiated value (analysis.ts).

import type { Diagnostic, ModuleClasses, ModuleContext } from "./api.js";
import { clone } from "./build.js";
import { notDifferentiable, ownerWords, type ArgsOf, type ReasonOf } from "./catalog.js";
import type { Expression, Loc, MemberExpression, TypeIR } from "./ir.js";
import type { NFunction, NStmt } from "./nir.js";
import { forEachExpression, stmtExpressions, walkStmts } from "./walk.js";

/** Past this many substitutions in one function, a getter is taken to be recursive. */
const MAX_INLINED = 1000;

/** Inlines getters in `fn` and its nested functions, in place; errors go to `diagnostics`. */
export function inlineGetters(fn: NFunction, ctx: ModuleContext, fnLoc: Loc | undefined, diagnostics: Diagnostic[]): void {
  const classes = ctx.classes;
  if (!classes?.size) return;
  for (const n of fn.nested) inlineGetters(n.fn, ctx, n.loc, diagnostics);
  const types = inferClasses(fn, classes);
  let inlined = 0;
  const error = <R extends ReasonOf<"CT1001">>(reason: R, args: Omit<ArgsOf<"CT1001", R>, "fn">, loc: Loc | undefined) =>
    diagnostics.push(notDifferentiable("CT1001", reason, { fn: fn.name, ...args } as ArgsOf<"CT1001", R>, loc, fnLoc));

  const classOf = (e: Expression): string | undefined =>
    e.type === "ThisExpression" ? types.thisClass : e.type === "Identifier" ? types.objects.get(e.name) ?? undefined : e.type === "MemberExpression" && e.computed && e.object.type === "Identifier" ? types.elements.get(e.object.name) ?? undefined : undefined;
  const accessorOf = (m: MemberExpression) => {
    if (m.computed || m.property.type !== "Identifier") return undefined;
    const cls = classOf(m.object);
    const entry = cls === undefined ? undefined : classes.get(cls)?.get(m.property.name);
    return entry && { cls: cls!, name: m.property.name, ...entry };
  };
  const visit = (e: Expression): void => {
    if (e.type !== "MemberExpression") return;
    const a = accessorOf(e);
    if (!a) return;
    if (a.get === undefined) return; // a setter alone: reading it gives undefined, as in JavaScript
    const body = a.get && inlinable(a.get, fn) ? a.get : undefined;
    if (!body) {
      // Reported by analysis if the object is differentiated.
      e.accessor = { kind: "get", name: a.name, owner: a.cls };
      return;
    }
    if (++inlined > MAX_INLINED) {
      if (inlined === MAX_INLINED + 1) error("getterRecursive", { name: a.name, cls: a.cls }, e.loc);
      return;
    }
    // In place, so that the visit goes on into the inlined body (getters that read getters).
    const replacement = withThis(body, e.object, e.loc);
    for (const k of Object.keys(e)) delete (e as unknown as Record<string, unknown>)[k];
    Object.assign(e, replacement);
    visit(e); // the body may itself be a getter read (`return this.other;`)
  };
  const visitAll = (e: Expression) => forEachExpression(e, (x) => void visit(x));
  walkStmts(fn.body, (s: NStmt) => {
    if (s.k === "assign" && s.target.type === "MemberExpression") {
      const a = accessorOf(s.target);
      if (a?.set) error("setter", { name: a.name, owner: ownerWords(a.cls) }, s.target.loc ?? s.origin);
    }
    for (const e of stmtExpressions(s)) visitAll(e);
  });
  visitAll(fn.result);
}

/** A getter body that is a plain expression of `this`, literals, operators and Math, naming none of the function's variables. */
function inlinable(body: Expression, fn: NFunction): boolean {
  let ok = true;
  forEachExpression(body, (e) => {
    switch (e.type) {
      case "ThisExpression":
      case "NumericLiteral":
      case "BooleanLiteral":
      case "StringLiteral":
      case "NullLiteral":
      case "BinaryExpression":
      case "UnaryExpression":
      case "ConditionalExpression":
      case "LogicalExpression":
        return;
      case "Identifier":
        // A module-level name the function shadows would change meaning when inlined.
        if (fn.locals.has(e.name) || fn.params.some((p) => p.name === e.name)) ok = false;
        return;
      case "MemberExpression":
        if (e.optional) ok = false;
        return;
      case "CallExpression":
        // Math.f(…) only; its callee's children (`Math`) are fine.
        if (!(e.callee.type === "MemberExpression" && e.callee.object.type === "Identifier" && e.callee.object.name === "Math")) ok = false;
        return;
      default:
        ok = false;
        return false;
    }
  });
  return ok;
}

/** `body` with `this` replaced by `object` (copied), every node located at the read. */
function withThis(body: Expression, object: Expression, loc: Loc | undefined): Expression {
  const visit = (n: unknown): unknown => {
    if (n === null || typeof n !== "object") return n;
    if (Array.isArray(n)) return n.map(visit);
    if ((n as { type?: string }).type === "ThisExpression") return clone(object);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) out[k] = k === "loc" ? loc : visit(v);
    return out;
  };
  return visit(body) as Expression;
}

interface Classes {
  /** Local → its class (null: more than one). */
  objects: Map<string, string | null>;
  /** Local array → the class of its elements. */
  elements: Map<string, string | null>;
  thisClass: string | undefined;
}

/** The class a declared type names: `Body` (unknown to the type facts, which do not describe classes). */
function classNamed(t: TypeIR | undefined, classes: ModuleClasses): string | undefined {
  return t?.kind === "unknown" && t.text !== undefined && classes.has(t.text) ? t.text : undefined;
}

function inferClasses(fn: NFunction, classes: ModuleClasses): Classes {
  const objects = new Map<string, string | null>();
  const elements = new Map<string, string | null>();
  const thisClass = fn.owner?.endsWith(".prototype") ? fn.owner.slice(0, -".prototype".length) : undefined;
  const note = (m: Map<string, string | null>, name: string, cls: string | undefined | null): boolean => {
    if (cls === undefined) return false;
    const had = m.get(name);
    const next = had === undefined || had === cls ? cls : null;
    if (had === next) return false;
    m.set(name, next);
    return true;
  };
  for (const p of fn.params) {
    note(objects, p.name, classNamed(p.type, classes));
    if (p.type?.kind === "array") note(elements, p.name, classNamed(p.type.element, classes));
  }
  const classOfValue = (e: Expression): string | null | undefined =>
    e.type === "ThisExpression" ? thisClass
    : e.type === "Identifier" ? objects.get(e.name)
    : e.type === "MemberExpression" && e.computed && e.object.type === "Identifier" ? elements.get(e.object.name)
    : undefined;
  // Flow-insensitive: repeat until nothing changes (a loop may assign before it reads).
  for (let changed = true, round = 0; changed && round < 8; round++) {
    changed = false;
    walkStmts(fn.body, (s) => {
      if (s.k === "assign" && s.target.type === "Identifier") {
        if (note(objects, s.target.name, classOfValue(s.value))) changed = true;
        if (s.value.type === "Identifier" && note(elements, s.target.name, elements.get(s.value.name))) changed = true;
      } else if (s.k === "push" && s.array.type === "Identifier") {
        // Arrays built in the function (filter's result, a spread copy) hold what is pushed.
        if (note(elements, s.array.name, classOfValue(s.value))) changed = true;
      }
    });
  }
  return { objects, elements, thisClass };
}
