// Typed walkers over the IR and the normalized IR: the one place that says which expressions a
// node evaluates and which variables a statement reads and writes. Every pass asks these
// (normalization's queries, activity, the tape plan, the generators), so they agree on what a read
// is — in particular, the name in `o.w` or in `{ w: 1 }` is a property name, not a read of `w`.

import type { Expression, Pattern, SpreadElement, Statement } from "./ir.js";
import type { NCall, NStmt } from "./nir.js";

type Child = Expression | SpreadElement;

/** The expressions directly below `e` that are evaluated (property names and object keys are not, unless computed). */
export function childrenOf(e: Child): Expression[] {
  switch (e.type) {
    case "SpreadElement":
      return [e.argument];
    case "BinaryExpression":
    case "LogicalExpression":
      return [e.left, e.right];
    case "UnaryExpression":
    case "UpdateExpression":
      return [e.argument];
    case "AssignmentExpression":
      return [...patternExpressions(e.left), e.right];
    case "ConditionalExpression":
      return [e.test, e.consequent, e.alternate];
    case "CallExpression":
    case "NewExpression":
      return [e.callee, ...e.arguments.map(unspread)];
    case "MemberExpression":
      return e.computed ? [e.object, e.property] : [e.object];
    case "ArrayExpression":
      return e.elements.flatMap((x) => (x ? [unspread(x)] : []));
    case "ObjectExpression":
      return e.properties.flatMap((p) => (p.type === "SpreadElement" ? [p.argument] : p.computed ? [p.key, p.value] : [p.value]));
    case "SequenceExpression":
      return e.expressions;
    case "TemplateLiteral":
      return e.expressions;
    case "ArrowFunctionExpression":
    case "FunctionExpression": {
      const params = e.params.flatMap(patternExpressions);
      const body = e.body.type === "BlockStatement" ? statementExpressions(e.body) : [e.body as Expression];
      return [...params, ...body];
    }
    case "Identifier":
    case "NumericLiteral":
    case "StringLiteral":
    case "BooleanLiteral":
    case "NullLiteral":
    case "ThisExpression":
    case "Unsupported":
      return [];
  }
}

const unspread = (x: Child): Expression => (x.type === "SpreadElement" ? x.argument : x);

/** The expressions a pattern evaluates: defaults, computed keys, and the object/index of a member target. */
function patternExpressions(p: Pattern | Expression): Expression[] {
  switch (p.type) {
    case "Identifier":
      return [];
    case "ArrayPattern":
      return p.elements.flatMap((x) => (x ? patternExpressions(x) : []));
    case "ObjectPattern":
      return p.properties.flatMap((q) =>
        q.type === "RestElement" ? patternExpressions(q.argument) : [...(q.computed ? [q.key] : []), ...patternExpressions(q.value)],
      );
    case "AssignmentPattern":
      return [...patternExpressions(p.left), p.right];
    case "RestElement":
      return patternExpressions(p.argument);
    case "MemberExpression":
      return childrenOf(p);
    default:
      return [p as Expression];
  }
}

/** Every expression a (source IR) statement evaluates, its nested statements' included. */
export function statementExpressions(s: Statement): Expression[] {
  switch (s.type) {
    case "VariableDeclaration":
      return s.declarations.flatMap((d) => [...patternExpressions(d.id), ...(d.init ? [d.init] : [])]);
    case "ExpressionStatement":
      return [s.expression];
    case "BlockStatement":
      return s.body.flatMap(statementExpressions);
    case "IfStatement":
      return [s.test, ...statementExpressions(s.consequent), ...(s.alternate ? statementExpressions(s.alternate) : [])];
    case "ForStatement":
      return [
        ...(s.init ? (s.init.type === "VariableDeclaration" ? statementExpressions(s.init) : [s.init]) : []),
        ...(s.test ? [s.test] : []),
        ...(s.update ? [s.update] : []),
        ...statementExpressions(s.body),
      ];
    case "ForOfStatement":
    case "ForInStatement":
      return [
        ...(s.left.type === "VariableDeclaration" ? statementExpressions(s.left) : patternExpressions(s.left)),
        s.right,
        ...statementExpressions(s.body),
      ];
    case "WhileStatement":
    case "DoWhileStatement":
      return [s.test, ...statementExpressions(s.body)];
    case "ReturnStatement":
      return s.argument ? [s.argument] : [];
    case "ThrowStatement":
      return [s.argument];
    case "SwitchStatement":
      return [s.discriminant, ...s.cases.flatMap((c) => [...(c.test ? [c.test] : []), ...c.consequent.flatMap(statementExpressions)])];
    case "FunctionDeclaration":
      return [...s.params.flatMap(patternExpressions), ...statementExpressions(s.body)];
    case "LabeledStatement":
      return statementExpressions(s.body);
    case "TryStatement":
      return [
        ...statementExpressions(s.block),
        ...(s.handler ? [...(s.handler.param ? patternExpressions(s.handler.param) : []), ...statementExpressions(s.handler.body)] : []),
        ...(s.finalizer ? statementExpressions(s.finalizer) : []),
      ];
    case "BreakStatement":
    case "ContinueStatement":
    case "EmptyStatement":
    case "UnsupportedStatement":
      return [];
  }
}

/**
 * Visits `e` and the expressions below it, parents first. `visit` returning false skips the
 * node's children.
 */
export function forEachExpression(e: Child | null | undefined, visit: (e: Expression) => boolean | void): void {
  if (!e) return;
  const x = unspread(e);
  if (visit(x) === false) return;
  for (const c of childrenOf(x)) forEachExpression(c, visit);
}

/** The variables `e` reads (identifiers in evaluated positions), added to `out`. */
export function namesRead(e: Child | null | undefined, out: Set<string> = new Set()): Set<string> {
  forEachExpression(e, (x) => {
    if (x.type === "Identifier") out.add(x.name);
  });
  return out;
}

/** How many times `e` reads the variable `name`. */
export function countReads(e: Child | null | undefined, name: string): number {
  let n = 0;
  forEachExpression(e, (x) => {
    if (x.type === "Identifier" && x.name === name) n++;
  });
  return n;
}

// ---- normalized statements ------------------------------------------------------------------

/** What a normalized statement's walk passes: how many loops, and how many ifs and loops, enclose it. */
export interface StmtContext {
  loops: number;
  depth: number;
}

/** Visits every normalized statement, parents before their nested statements. */
export function walkStmts(ss: readonly NStmt[], visit: (s: NStmt, ctx: StmtContext) => void, ctx: StmtContext = { loops: 0, depth: 0 }): void {
  for (const s of ss) {
    visit(s, ctx);
    if (s.k === "if") {
      const inner = { loops: ctx.loops, depth: ctx.depth + 1 };
      walkStmts(s.then, visit, inner);
      walkStmts(s.else, visit, inner);
    } else if (s.k === "loop") walkStmts(s.body, visit, { loops: ctx.loops + 1, depth: ctx.depth + 1 });
  }
}

/** The expressions a call evaluates: the object or callee, and the arguments. */
export function callExpressions(c: NCall): Expression[] {
  switch (c.kind) {
    case "known":
      return c.args;
    case "method":
      return [c.object, ...c.args];
    case "dynamic":
      return [c.callee, ...(c.thisArg ? [c.thisArg] : []), ...c.args];
  }
}

/** The expressions a normalized statement itself evaluates (an if's test, not its branches). */
export function stmtExpressions(s: NStmt): Expression[] {
  switch (s.k) {
    case "assign":
      return [...(s.target.type === "MemberExpression" ? childrenOf(s.target) : []), s.value];
    case "push":
      return [s.array, s.value];
    case "call":
      return callExpressions(s.call);
    case "if":
    case "loop":
      return [s.test];
    case "effect":
      return statementExpressions(s.stmt);
  }
}

/** The variable a statement writes, and whether it replaces the whole value (`v = …`) or writes below it (`v[i] = …`, `v.push(…)`). */
export function writesOf(s: NStmt): { name: string; whole: boolean } | undefined {
  switch (s.k) {
    case "assign": {
      const name = rootName(s.target);
      return name === undefined ? undefined : { name, whole: s.target.type === "Identifier" };
    }
    case "call":
      return s.target ? { name: s.target.name, whole: true } : undefined;
    case "push": {
      const name = rootName(s.array);
      return name === undefined ? undefined : { name, whole: false };
    }
    default:
      return undefined;
  }
}

/** The variable at the root of a path: `m` of `m[i].x`. */
export function rootName(t: Expression): string | undefined {
  let e = t;
  while (e.type === "MemberExpression") e = e.object;
  return e.type === "Identifier" ? e.name : undefined;
}

/**
 * Renames the variable `from` to `to` throughout `ss`, in place: normalization builds an array in a
 * temporary and then gives it the user's name (`const ys = xs.map(…)`) rather than aliasing it.
 */
export function renameVariable(ss: readonly NStmt[], from: string, to: string): void {
  const rename = (e: Expression) => {
    if (e.type === "Identifier" && e.name === from) e.name = to;
  };
  walkStmts(ss, (s) => {
    if (s.k === "assign" && s.target.type === "Identifier") rename(s.target);
    if (s.k === "call" && s.target) rename(s.target);
    for (const e of stmtExpressions(s)) forEachExpression(e, rename);
  });
}
