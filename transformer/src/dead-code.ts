// Dead-code elimination for the fused gradient (`f$grad`), which returns the cotangents and not
// the value: the primal sweep keeps only what the adjoint needs (values it reads or saves,
// decisions, the counters it steps back), so `s = s + Math.sin(t)` in a loop whose adjoint reads
// no `s` costs nothing. A backward liveness analysis over the generated statements, as JAX's DCE
// prunes the primal outputs `grad` discards. Only pure assignments are removed (arithmetic and
// Math functions of locals: nothing that calls user code, reads a property or can throw); a body
// with control flow the analysis does not model (break, throw, try, closures) is left as it is.

import type { Expression, Statement, VariableDeclaration } from "./ir.js";
import { forEachExpression, namesRead, statementExpressions } from "./walk.js";

/** `body` without the assignments whose values nothing after them reads. */
export function eliminateDeadCode(body: Statement[]): Statement[] {
  if (!analysable(body)) return body;
  const kept = list(body, new Set()).kept;
  // Variables whose every write was removed are no longer declared either.
  const used = new Set<string>();
  for (const e of kept.flatMap(statementExpressions))
    forEachExpression(e, (x) => {
      if (x.type === "Identifier") used.add(x.name);
      if (x.type === "AssignmentExpression" && x.left.type === "Identifier") used.add(x.left.name);
    });
  return kept.flatMap((s): Statement[] => {
    if (s.type !== "VariableDeclaration") return [s];
    const declarations = s.declarations.filter((d) => d.init || d.id.type !== "Identifier" || used.has(d.id.name));
    return declarations.length ? [{ ...s, declarations }] : [];
  });
}

interface Result {
  kept: Statement[];
  /** The variables live before the statements. */
  live: Set<string>;
}

function list(ss: readonly Statement[], liveOut: ReadonlySet<string>): Result {
  const live = new Set(liveOut);
  const kept: Statement[] = [];
  for (let i = ss.length - 1; i >= 0; i--) {
    const s = statement(ss[i]!, live);
    if (s) kept.push(s);
  }
  return { kept: kept.reverse(), live };
}

/** The statement as kept (undefined: removed); updates `live` from after it to before it. */
function statement(s: Statement, live: Set<string>): Statement | undefined {
  switch (s.type) {
    case "ExpressionStatement": {
      const e = s.expression;
      if (e.type === "AssignmentExpression" && e.left.type === "Identifier") {
        const name = e.left.name;
        if (!live.has(name) && isPure(e.right)) return undefined;
        if (e.operator === "=") live.delete(name);
        else live.add(name);
        namesRead(e.right, live);
        return s;
      }
      if (e.type === "UpdateExpression" && e.argument.type === "Identifier") {
        if (!live.has(e.argument.name)) return undefined;
        return s;
      }
      namesRead(e, live);
      return s;
    }
    case "VariableDeclaration":
      return declaration(s, live);
    case "BlockStatement": {
      const r = list(s.body, live);
      replace(live, r.live);
      return { ...s, body: r.kept };
    }
    case "IfStatement": {
      const then = list(blockBody(s.consequent), live);
      const otherwise = s.alternate ? list(blockBody(s.alternate), live) : undefined;
      if (!then.kept.length && !otherwise?.kept.length && isPure(s.test)) return undefined;
      for (const n of then.live) live.add(n);
      for (const n of otherwise?.live ?? []) live.add(n);
      namesRead(s.test, live);
      return {
        ...s,
        consequent: s.consequent.type === "BlockStatement" ? { ...s.consequent, body: then.kept } : (then.kept[0] ?? { type: "BlockStatement", body: [] }),
        alternate: otherwise?.kept.length ? (s.alternate!.type === "BlockStatement" ? { ...s.alternate!, body: otherwise.kept } : otherwise.kept[0]!) : null,
      };
    }
    case "WhileStatement":
    case "ForStatement": {
      // Live at the loop's head: what follows it, what its test and step read, and (to a fixed
      // point) what its body reads before writing.
      const head = new Set(live);
      namesRead(s.test, head);
      if (s.type === "ForStatement") namesRead(s.update, head);
      for (;;) {
        const before = head.size;
        for (const n of list(blockBody(s.body), head).live) head.add(n);
        if (head.size === before) break;
      }
      const body = list(blockBody(s.body), head).kept;
      replace(live, head);
      if (s.type === "ForStatement" && s.init) for (const e of s.init.type === "VariableDeclaration" ? statementExpressions(s.init) : [s.init]) namesRead(e, live);
      return { ...s, body: { type: "BlockStatement", body } };
    }
    case "ReturnStatement":
      live.clear();
      namesRead(s.argument, live);
      return s;
    default:
      for (const e of statementExpressions(s)) namesRead(e, live);
      return s;
  }
}

/** `const` declarators nothing reads are removed (a const is never written later); `let`s stay declared. */
function declaration(s: VariableDeclaration, live: Set<string>): Statement | undefined {
  const kept = [];
  for (let i = s.declarations.length - 1; i >= 0; i--) {
    const d = s.declarations[i]!;
    const name = d.id.type === "Identifier" ? d.id.name : undefined;
    if (s.kind === "const" && name && !live.has(name) && (!d.init || isPure(d.init))) continue;
    if (name) live.delete(name);
    else for (const e of statementExpressions({ ...s, declarations: [d] })) namesRead(e, live);
    if (d.init) namesRead(d.init, live);
    kept.push(d);
  }
  if (!kept.length) return undefined;
  return { ...s, declarations: kept.reverse() };
}

function blockBody(s: Statement): Statement[] {
  return s.type === "BlockStatement" ? s.body : [s];
}

function replace(target: Set<string>, from: ReadonlySet<string>): void {
  target.clear();
  for (const n of from) target.add(n);
}

/** Math's functions other than Math.random: pure functions of numbers. */
const PURE_MATH = new Set(Object.getOwnPropertyNames(Math).filter((k) => k !== "random"));

/** Evaluating `e` has no effect and cannot throw: arithmetic, comparisons and Math functions of variables and literals. */
function isPure(e: Expression): boolean {
  let pure = true;
  forEachExpression(e, (x) => {
    switch (x.type) {
      case "Identifier":
      case "NumericLiteral":
      case "BooleanLiteral":
      case "NullLiteral":
      case "StringLiteral":
      case "ConditionalExpression":
      case "LogicalExpression":
        return;
      case "BinaryExpression":
        if (x.operator === "in" || x.operator === "instanceof") pure = false;
        return;
      case "UnaryExpression":
        if (x.operator === "delete") pure = false;
        return;
      case "CallExpression":
        if (!isMathMember(x.callee)) pure = false;
        // The callee `Math.sin` is a property read of Math: allowed.
        else for (const a of x.arguments) if (a.type === "SpreadElement" || !isPure(a)) pure = false;
        return false;
      case "MemberExpression":
        if (!isMathMember(x)) pure = false;
        return false;
      default:
        pure = false;
        return false;
    }
  });
  return pure;
}

function isMathMember(e: Expression): boolean {
  return e.type === "MemberExpression" && !e.computed && e.object.type === "Identifier" && e.object.name === "Math" && e.property.type === "Identifier" && PURE_MATH.has(e.property.name);
}

/**
 * Whether the liveness above is sound for `body`: straight-line code, ifs and loops only (no
 * jumps out of a block, no closures that read variables when called later), ending in its return.
 */
function analysable(body: readonly Statement[]): boolean {
  let ok = body.at(-1)?.type === "ReturnStatement";
  const visit = (ss: readonly Statement[], top: boolean): void => {
    ss.forEach((s, i) => {
      if (!ok) return;
      switch (s.type) {
        case "ExpressionStatement":
        case "VariableDeclaration":
          break;
        case "ReturnStatement":
          if (!top || i !== ss.length - 1) ok = false;
          break;
        case "BlockStatement":
          visit(s.body, false);
          break;
        case "IfStatement":
          visit(blockBody(s.consequent), false);
          if (s.alternate) visit(blockBody(s.alternate), false);
          break;
        case "WhileStatement":
        case "ForStatement":
          visit(blockBody(s.body), false);
          break;
        default:
          ok = false;
      }
      if (!ok) return;
      for (const e of statementExpressions(s))
        forEachExpression(e, (x) => {
          if (x.type === "ArrowFunctionExpression" || x.type === "FunctionExpression") ok = false;
          return ok;
        });
    });
  };
  visit(body, true);
  return ok;
}
