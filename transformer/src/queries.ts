// Questions asked of the IR (no rewriting): which intrinsic a call is, what a pattern binds, what
// an expression reads or assigns. Normalization, the analyses and both generators share these.

import { isMath } from "./build.js";
import type { CallExpression, Expression, Pattern, Statement } from "./ir.js";
import { forEachExpression, statementExpressions } from "./walk.js";

export const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function patternNames(p: Pattern): string[] {
  switch (p.type) {
    case "Identifier":
      return [p.name];
    case "ArrayPattern":
      return p.elements.flatMap((e) => (e ? patternNames(e) : []));
    case "ObjectPattern":
      return p.properties.flatMap((q) => patternNames(q.type === "RestElement" ? q.argument : q.value));
    case "AssignmentPattern":
      return patternNames(p.left);
    case "RestElement":
      return patternNames(p.argument);
    default:
      return [];
  }
}

/** Does statement `s` assign the variable `name` (`name = …`, `name += …`, `name++`)? Shadowing is ignored: conservative. */
export function assignsTo(s: Statement, name: string): boolean {
  return statementExpressions(s).some((e) => {
    let found = false;
    forEachExpression(e, (x) => {
      if (found) return false;
      if (x.type === "AssignmentExpression" && patternNames(x.left as Pattern).includes(name)) found = true;
      if (x.type === "UpdateExpression" && x.argument.type === "Identifier" && x.argument.name === name) found = true;
    });
    return found;
  });
}

export { countReads } from "./walk.js";

export function countReturns(stmts: Statement[]): number {
  let n = 0;
  const visit = (s: Statement | null | undefined): void => {
    if (!s) return;
    switch (s.type) {
      case "ReturnStatement":
        n++;
        return;
      case "BlockStatement":
        s.body.forEach(visit);
        return;
      case "IfStatement":
        visit(s.consequent);
        visit(s.alternate);
        return;
      case "ForStatement":
      case "ForOfStatement":
      case "ForInStatement":
      case "WhileStatement":
      case "DoWhileStatement":
        visit(s.body);
        return;
      case "SwitchStatement":
        s.cases.forEach((c) => c.consequent.forEach(visit));
        return;
      case "LabeledStatement":
        visit(s.body);
        return;
      case "TryStatement":
        visit(s.block);
        visit(s.handler?.body);
        visit(s.finalizer);
        return;
      default:
        return;
    }
  };
  stmts.forEach(visit);
  return n;
}

/** `withoutDerivative(x)`, and the runtime's `zerosLike(x)` / `forInKeys(o)` in generated code: values with no derivative. */
export function isWithoutDerivative(callee: Expression): boolean {
  return (
    (callee.type === "Identifier" && callee.name === "withoutDerivative") ||
    (callee.type === "MemberExpression" &&
      !callee.computed &&
      callee.property.type === "Identifier" &&
      (callee.property.name === "withoutDerivative" || callee.property.name === "zerosLike" || callee.property.name === "forInKeys"))
  );
}

const QUERY_FUNCTIONS = new Set(["Array.isArray", "Number.isFinite", "Number.isNaN", "Number.isInteger", "isFinite", "isNaN", "Object.keys"]);
const QUERY_METHODS = new Set(["indexOf", "lastIndexOf", "includes"]);

/**
 * Calls that answer a question about values (`Array.isArray(v)`, `xs.indexOf(v)`, `xs.includes(v)`):
 * their results (booleans, positions) carry no derivative, so they stay inline like comparisons.
 */
export function isQueryWithoutDerivative(x: CallExpression): boolean {
  const c = x.callee;
  if (c.type === "Identifier") return QUERY_FUNCTIONS.has(c.name);
  if (c.type !== "MemberExpression" || c.computed || c.property.type !== "Identifier") return false;
  if (c.object.type === "Identifier" && QUERY_FUNCTIONS.has(`${c.object.name}.${c.property.name}`)) return true;
  return QUERY_METHODS.has(c.property.name) && x.arguments.length >= 1 && x.arguments.length <= 2;
}

/** `new Array(n).fill(c)` / `Array(n).fill(c)`: a fresh array of constants. */
export function isArrayFill(x: CallExpression): boolean {
  const c = x.callee;
  if (c.type !== "MemberExpression" || c.computed || c.property.type !== "Identifier" || c.property.name !== "fill") return false;
  const o = c.object;
  return (
    (o.type === "NewExpression" && o.callee.type === "Identifier" && o.callee.name === "Array") ||
    (o.type === "CallExpression" && o.callee.type === "Identifier" && o.callee.name === "Array")
  );
}

/** `xs.slice()`: a copy of an array (the way to get a local array to write into). */
export function isArrayCopy(x: CallExpression): boolean {
  const c = x.callee;
  return x.arguments.length === 0 && c.type === "MemberExpression" && !c.computed && c.property.type === "Identifier" && c.property.name === "slice";
}

/** Does the expression call a user function (anything but Math, withoutDerivative, Array fill)? Function literals inside are not looked into. */
export function hasUserCall(e: Expression): boolean {
  let found = false;
  forEachExpression(e, (n) => {
    if (found) return false;
    if (n.type === "CallExpression" && !isMath(n.callee) && !isWithoutDerivative(n.callee) && !isArrayFill(n) && !isArrayCopy(n) && !isQueryWithoutDerivative(n)) found = true;
    return !found && n.type !== "ArrowFunctionExpression" && n.type !== "FunctionExpression";
  });
  return found;
}
