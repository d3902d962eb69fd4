// Questions asked of the IR (no rewriting): which intrinsic a call is, what a pattern binds, what
// an expression reads or assigns. Normalization, the analyses and both generators share these.

import { isMath } from "./build.js";
import type { CallExpression, Expression, Pattern, Statement } from "./ir.js";

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

/** Does `node` assign the variable `name` (`name = …`, `name += …`, `name++`)? Shadowing is ignored: conservative. */
export function assignsTo(node: unknown, name: string): boolean {
  if (!node || typeof node !== "object") return false;
  if (Array.isArray(node)) return node.some((n) => assignsTo(n, name));
  const n = node as Expression;
  if (n.type === "AssignmentExpression" && patternNames(n.left as Pattern).includes(name)) return true;
  if (n.type === "UpdateExpression" && n.argument.type === "Identifier" && n.argument.name === name) return true;
  for (const [k, v] of Object.entries(n)) if (k !== "loc" && k !== "typeAnnotation" && assignsTo(v, name)) return true;
  return false;
}

export function countReads(e: unknown, name: string): number {
  if (!e || typeof e !== "object") return 0;
  if (Array.isArray(e)) return e.reduce((n, x) => n + countReads(x, name), 0);
  const n = e as Expression;
  if (n.type === "Identifier") return n.name === name ? 1 : 0;
  let total = 0;
  for (const [k, v] of Object.entries(n)) if (k !== "loc" && k !== "typeAnnotation" && !(n.type === "MemberExpression" && k === "property" && !n.computed)) total += countReads(v, name);
  return total;
}


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
      case "WhileStatement":
      case "DoWhileStatement":
        visit(s.body);
        return;
      case "SwitchStatement":
        s.cases.forEach((c) => c.consequent.forEach(visit));
        return;
      default:
        return;
    }
  };
  stmts.forEach(visit);
  return n;
}

/** `withoutDerivative(x)`, and the runtime's `zerosLike(x)` in generated code: values with no derivative. */
export function isWithoutDerivative(callee: Expression): boolean {
  return (
    (callee.type === "Identifier" && callee.name === "withoutDerivative") ||
    (callee.type === "MemberExpression" &&
      !callee.computed &&
      callee.property.type === "Identifier" &&
      (callee.property.name === "withoutDerivative" || callee.property.name === "zerosLike"))
  );
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

/** Does the expression call a user function (anything but Math, withoutDerivative, Array fill)? */
export function hasUserCall(e: Expression): boolean {
  let found = false;
  const visit = (x: unknown): void => {
    if (found || !x || typeof x !== "object") return;
    if (Array.isArray(x)) return x.forEach(visit);
    const n = x as Expression;
    if (n.type === "CallExpression" && !isMath(n.callee) && !isWithoutDerivative(n.callee) && !isArrayFill(n) && !isArrayCopy(n)) {
      found = true;
      return;
    }
    if (n.type === "ArrowFunctionExpression" || n.type === "FunctionExpression") return;
    for (const [k, v] of Object.entries(n)) if (k !== "loc" && k !== "typeAnnotation") visit(v);
  };
  visit(e);
  return found;
}
