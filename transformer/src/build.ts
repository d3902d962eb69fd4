// Small constructors for IR nodes, used by normalization and both derivative generators.

import type {
  ArrayExpression,
  AssignmentExpression,
  BinaryExpression,
  BlockStatement,
  CallExpression,
  Expression,
  ExpressionStatement,
  Identifier,
  SpreadElement,
  IfStatement,
  Loc,
  MemberExpression,
  NumericLiteral,
  ObjectExpression,
  Pattern,
  ReturnStatement,
  Statement,
  UnaryExpression,
  VariableDeclaration,
} from "./ir.js";

/** A statement of generated code, optionally preceded by a `// …` comment. */
export type OutStatement = Statement & { comment?: string };

export const id = (name: string, loc?: Loc): Identifier => ({ type: "Identifier", name, loc });
export const num = (value: number): NumericLiteral => ({ type: "NumericLiteral", value });
export const bool = (value: boolean): Expression => ({ type: "BooleanLiteral", value });
export const nul = (): Expression => ({ type: "NullLiteral" });
export const undef = (): Identifier => id("undefined");
export const bin = (operator: string, left: Expression, right: Expression, loc?: Loc): BinaryExpression => ({
  type: "BinaryExpression",
  operator,
  left,
  right,
  loc,
});
export const un = (operator: string, argument: Expression): UnaryExpression => ({ type: "UnaryExpression", operator, argument });
export const not = (e: Expression): Expression => {
  if (e.type === "UnaryExpression" && e.operator === "!") return e.argument;
  return un("!", e);
};
const isTrue = (e: Expression) => e.type === "BooleanLiteral" && e.value;
export const and = (a: Expression, b: Expression): Expression =>
  isTrue(b) ? a : isTrue(a) ? b : { type: "LogicalExpression", operator: "&&", left: a, right: b };
export const or = (a: Expression, b: Expression): Expression => ({ type: "LogicalExpression", operator: "||", left: a, right: b });
export const member = (object: Expression, property: string | Expression, computed = typeof property !== "string"): MemberExpression => ({
  type: "MemberExpression",
  object,
  property: typeof property === "string" ? id(property) : property,
  computed,
});
export const index = (object: Expression, i: Expression | number): MemberExpression =>
  member(object, typeof i === "number" ? num(i) : i, true);
export const call = (callee: Expression, args: (Expression | SpreadElement)[], loc?: Loc): CallExpression => ({
  type: "CallExpression",
  callee,
  arguments: args,
  loc,
});
export const arr = (elements: Expression[]): ArrayExpression => ({ type: "ArrayExpression", elements });
export const obj = (fields: [string, Expression][]): ObjectExpression => ({
  type: "ObjectExpression",
  properties: fields.map(([k, v]) => ({ type: "ObjectProperty", key: id(k), value: v, computed: false, shorthand: false })),
});
export const assign = (left: Pattern | MemberExpression, right: Expression, operator = "="): AssignmentExpression => ({
  type: "AssignmentExpression",
  operator,
  left,
  right,
});
export const exprStmt = (expression: Expression, loc?: Loc): ExpressionStatement => ({ type: "ExpressionStatement", expression, loc });
export const assignStmt = (left: Pattern | MemberExpression, right: Expression, operator = "=", loc?: Loc): ExpressionStatement =>
  exprStmt(assign(left, right, operator), loc);
export const decl = (kind: "let" | "const", name: string, init: Expression | null, loc?: Loc): VariableDeclaration => ({
  type: "VariableDeclaration",
  kind,
  declarations: [{ type: "VariableDeclarator", id: id(name), init }],
  loc,
});
export const block = (body: Statement[]): BlockStatement => ({ type: "BlockStatement", body });
export const ifStmt = (test: Expression, consequent: Statement[], alternate: Statement[] | null = null, loc?: Loc): IfStatement => ({
  type: "IfStatement",
  test,
  consequent: block(consequent),
  alternate: alternate && alternate.length ? block(alternate) : null,
  loc,
});
export const ret = (argument: Expression | null): ReturnStatement => ({ type: "ReturnStatement", argument });

export function withComment<T extends Statement>(s: T, comment: string | undefined): T & { comment?: string } {
  if (comment) (s as T & { comment?: string }).comment = comment;
  return s;
}

/**
 * Deep copy of an IR subtree (generated code never shares nodes with the input). Locations are
 * shared: they are immutable records. A plain recursive copy; structuredClone is several times slower.
 */
export function clone<T>(node: T): T {
  if (node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) return node.map(clone) as T;
  const out: Record<string, unknown> = {};
  for (const key in node) {
    const v = (node as Record<string, unknown>)[key];
    out[key] = key === "loc" ? v : clone(v);
  }
  return out as T;
}

export const isMath = (e: Expression): e is MemberExpression & { property: Identifier } =>
  e.type === "MemberExpression" && !e.computed && e.object.type === "Identifier" && e.object.name === "Math" && e.property.type === "Identifier";
