// IR → Babel AST. The core's IR is Babel-shaped, so generated code becomes Babel nodes by a
// copy that converts the few differences (locations, comments, template parts, arrow bodies)
// instead of printing it and parsing it back. Every node gets the user's location it came from
// (its own, or its statement's), which is what makes source maps land on the user's lines.

import type { types as t } from "@babel/core";
import type { GeneratedFunction, Loc } from "@cotangent/transformer";

type Json = Record<string, unknown>;

function sourceLocation(loc: Loc, fileName: string): t.SourceLocation {
  return {
    start: { line: loc.line, column: loc.column, index: loc.start },
    end: { line: loc.endLine, column: loc.endColumn, index: loc.end },
    filename: fileName,
    identifierName: undefined,
  } as t.SourceLocation;
}

function convert(node: unknown, inherited: Loc | undefined, fileName: string): unknown {
  if (node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) return node.map((n) => convert(n, inherited, fileName));
  const n = node as Json;
  const loc = (n.loc as Loc | undefined) ?? inherited;
  const out: Json = {};
  for (const key in n) {
    switch (key) {
      case "loc":
      case "comment":
      case "typeAnnotation":
      case "returnType":
        continue;
      default:
        out[key] = convert(n[key], loc, fileName);
    }
  }
  if (loc) out.loc = sourceLocation(loc, fileName);
  if (typeof n.comment === "string") out.leadingComments = [{ type: "CommentLine", value: ` ${n.comment}` }];
  switch (n.type) {
    case "TemplateLiteral": {
      const quasis = n.quasis as string[];
      out.quasis = quasis.map((raw, i) => ({ type: "TemplateElement", value: { raw, cooked: raw }, tail: i === quasis.length - 1 }));
      break;
    }
    case "ArrowFunctionExpression":
      out.expression = (n.body as Json).type !== "BlockStatement";
      break;
    case "ObjectProperty":
      out.shorthand = false;
      break;
    case "BlockStatement":
      out.directives = [];
      break;
    case "NumericLiteral":
      // Babel prints negative literals as `-1` only through a unary minus.
      if ((n.value as number) < 0 || Object.is(n.value, -0)) {
        return { type: "UnaryExpression", operator: "-", prefix: true, argument: { ...out, value: -(n.value as number) }, loc: out.loc };
      }
      break;
    case "UnaryExpression":
    case "UpdateExpression":
      if (out.prefix === undefined) out.prefix = n.type === "UnaryExpression" ? true : out.prefix;
      break;
  }
  return out;
}

/** The generated function as a Babel function declaration named `g.name`. */
export function functionDeclaration(g: GeneratedFunction, fileName: string, at: Loc | undefined): t.FunctionDeclaration {
  return {
    type: "FunctionDeclaration",
    id: { type: "Identifier", name: g.name },
    params: convert(g.params, at, fileName) as t.FunctionDeclaration["params"],
    body: { type: "BlockStatement", body: convert(g.body, at, fileName) as t.Statement[], directives: [] },
    generator: false,
    async: false,
    loc: at ? sourceLocation(at, fileName) : null,
  } as t.FunctionDeclaration;
}

export function functionExpression(g: GeneratedFunction, fileName: string, at: Loc | undefined): t.FunctionExpression {
  return { ...functionDeclaration(g, fileName, at), type: "FunctionExpression" } as unknown as t.FunctionExpression;
}
