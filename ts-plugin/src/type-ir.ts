// Type annotations → TypeIR. Syntax first (number, arrays, tuples, object literals); with a type
// checker, type references (interfaces, aliases, generics instantiated at the annotation) are
// resolved to the same shapes. Anything else is `unknown` with its text, which the core treats as
// "generic tangent helpers", so a miss here costs speed, never correctness.

import type * as TS from "typescript";
import { optionalType, unionType, type TypeIR } from "@cotangent/transformer";

export interface TypeContext {
  ts: typeof TS;
  sourceFile: TS.SourceFile;
  checker?: TS.TypeChecker;
}

/** How deep resolved types are expanded (recursive interfaces stop here as `unknown`). */
const MAX_DEPTH = 4;

export function typeNodeToIR(node: TS.TypeNode, cx: TypeContext): TypeIR {
  const { ts } = cx;
  const text = () => node.getText(cx.sourceFile);
  switch (node.kind) {
    case ts.SyntaxKind.NumberKeyword:
      return { kind: "number" };
    case ts.SyntaxKind.BooleanKeyword:
      return { kind: "boolean" };
    case ts.SyntaxKind.StringKeyword:
      return { kind: "string" };
    case ts.SyntaxKind.VoidKeyword:
      return { kind: "void" };
    case ts.SyntaxKind.SymbolKeyword:
    case ts.SyntaxKind.BigIntKeyword:
    case ts.SyntaxKind.UndefinedKeyword:
    case ts.SyntaxKind.NullKeyword:
      return { kind: "nondiff", text: text() };
  }
  if (ts.isParenthesizedTypeNode(node)) return typeNodeToIR(node.type, cx);
  if (ts.isLiteralTypeNode(node)) {
    const lit = node.literal;
    if (ts.isNumericLiteral(lit)) return { kind: "number" };
    if (ts.isPrefixUnaryExpression(lit) && ts.isNumericLiteral(lit.operand)) return { kind: "number" };
    if (lit.kind === ts.SyntaxKind.TrueKeyword || lit.kind === ts.SyntaxKind.FalseKeyword) return { kind: "boolean" };
    if (ts.isStringLiteral(lit) || ts.isNoSubstitutionTemplateLiteral(lit)) return { kind: "string" };
    if (lit.kind === ts.SyntaxKind.NullKeyword) return { kind: "nondiff", text: text() };
    if (ts.isBigIntLiteral(lit)) return { kind: "nondiff", text: text() };
    return { kind: "unknown", text: text() };
  }
  if (ts.isArrayTypeNode(node)) return { kind: "array", element: typeNodeToIR(node.elementType, cx) };
  if (ts.isTypeOperatorNode(node) && node.operator === ts.SyntaxKind.ReadonlyKeyword) return typeNodeToIR(node.type, cx);
  if (ts.isTupleTypeNode(node)) {
    const elements: TypeIR[] = [];
    for (const el of node.elements) {
      if (ts.isNamedTupleMember(el)) {
        if (el.dotDotDotToken || el.questionToken) return { kind: "unknown", text: text() };
        elements.push(typeNodeToIR(el.type, cx));
      } else if (ts.isRestTypeNode(el) || ts.isOptionalTypeNode(el)) {
        return { kind: "unknown", text: text() };
      } else {
        elements.push(typeNodeToIR(el, cx));
      }
    }
    return { kind: "tuple", elements };
  }
  if (ts.isTypeLiteralNode(node)) {
    const fields: Record<string, TypeIR> = {};
    const dropped: string[] = [];
    for (const member of node.members) {
      const name = member.name && propertyNameText(ts, member.name);
      if (name === undefined) return { kind: "unknown", text: text() };
      if (ts.isPropertySignature(member)) {
        // `NoDerivative<T>` fields (from @cotangent/runtime) have no tangent: they drop out.
        if ((member.type && isNoDerivativeNode(ts, member.type)) || hasNoDerivativeTag(ts, member)) {
          dropped.push(name);
          continue;
        }
        const type: TypeIR = member.type ? typeNodeToIR(member.type, cx) : { kind: "unknown" };
        fields[name] = member.questionToken ? optionalType(type) : type;
      } else if (ts.isMethodSignature(member)) {
        fields[name] = { kind: "function" };
      } else {
        return { kind: "unknown", text: text() };
      }
    }
    return dropped.length ? { kind: "object", fields, noDerivative: dropped } : { kind: "object", fields };
  }
  if (ts.isFunctionTypeNode(node)) return { kind: "function" };
  if (ts.isTypeReferenceNode(node)) {
    const name = ts.isIdentifier(node.typeName) ? node.typeName.text : undefined;
    const args = node.typeArguments;
    if ((name === "Array" || name === "ReadonlyArray") && args?.length === 1) {
      return { kind: "array", element: typeNodeToIR(args[0]!, cx) };
    }
  }
  // Everything else (references to interfaces and aliases, unions, `typeof x`, indexed access, …):
  // what the checker says the annotation means.
  if (cx.checker) {
    try {
      return typeToIR(cx.checker.getTypeFromTypeNode(node), cx, 0, new Set());
    } catch {
      // A checker failure on an odd type must not break the build: fall through to `unknown`.
    }
  }
  if (ts.isUnionTypeNode(node)) return unionType(node.types.map((t) => typeNodeToIR(t, cx)), text());
  return { kind: "unknown", text: text() };
}

/** A checker type → TypeIR, expanding interfaces and aliases a few levels deep. */
export function typeToIR(type: TS.Type, cx: TypeContext, depth: number, seen: Set<TS.Type>): TypeIR {
  const { ts } = cx;
  const checker = cx.checker!;
  const text = () => checker.typeToString(type);
  const f = type.flags;
  if (f & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return { kind: "number" };
  if (f & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { kind: "boolean" };
  if (f & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral | ts.TypeFlags.TemplateLiteral)) return { kind: "string" };
  if (f & ts.TypeFlags.Void) return { kind: "void" };
  if (f & (ts.TypeFlags.ESSymbolLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.Null | ts.TypeFlags.Undefined)) return { kind: "nondiff", text: text() };
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { kind: "unknown", text: text() };
  if (type.isUnion()) {
    // The core's reading of unions (numeric enums and number literals are numbers; `number |
    // undefined` is unknown), as the Babel host's. Members that are objects are not expanded.
    const primitive = (t: TS.Type): TypeIR => (t.flags & ts.TypeFlags.Object ? { kind: "unknown" } : typeToIR(t, cx, depth + 1, seen));
    return unionType(type.types.map(primitive), text());
  }
  if (depth >= MAX_DEPTH || seen.has(type)) return { kind: "unknown", text: text() };
  if (!(f & ts.TypeFlags.Object)) return { kind: "unknown", text: text() };
  seen.add(type);
  try {
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as TS.TypeReference);
      return { kind: "array", element: element ? typeToIR(element, cx, depth + 1, seen) : { kind: "unknown" } };
    }
    if (checker.isTupleType(type)) {
      const target = (type as TS.TypeReference).target as TS.TupleType;
      if (target.hasRestElement || target.minLength !== target.fixedLength) return { kind: "unknown", text: text() };
      const elements = checker.getTypeArguments(type as TS.TypeReference).slice(0, target.fixedLength);
      return { kind: "tuple", elements: elements.map((t) => typeToIR(t, cx, depth + 1, seen)) };
    }
    if (type.getCallSignatures().length > 0) return { kind: "function" };
    if (checker.getIndexInfosOfType(type).length > 0) return { kind: "unknown", text: text() };
    const symbol = type.getSymbol();
    // Classes carry methods and identity; the core treats them generically.
    if (symbol && symbol.flags & ts.SymbolFlags.Class) return { kind: "unknown", text: text() };
    const fields: Record<string, TypeIR> = {};
    const dropped: string[] = [];
    for (const prop of checker.getPropertiesOfType(type)) {
      const propType = checker.getTypeOfSymbol(prop);
      if (isNoDerivativeProperty(ts, prop, propType)) {
        dropped.push(prop.name);
        continue;
      }
      const field = prop.flags & ts.SymbolFlags.Method ? { kind: "function" as const } : typeToIR(propType, cx, depth + 1, seen);
      // Optional whatever strictNullChecks says (without it the checker drops the `| undefined`).
      fields[prop.name] = prop.flags & ts.SymbolFlags.Optional && field.kind !== "function" ? optionalType(field) : field;
    }
    return dropped.length ? { kind: "object", fields, noDerivative: dropped } : { kind: "object", fields };
  } finally {
    seen.delete(type);
  }
}

/** `NoDerivative<T>` / `ct.NoDerivative<T>` written as a type. */
export function isNoDerivativeNode(ts: typeof TS, node: TS.TypeNode): boolean {
  while (ts.isParenthesizedTypeNode(node)) node = node.type;
  if (!ts.isTypeReferenceNode(node)) return false;
  const name = ts.isIdentifier(node.typeName) ? node.typeName.text : node.typeName.right.text;
  return name === "NoDerivative";
}

/** A field with a `/** @noDerivative *\/` JSDoc tag (Swift's `@noDerivative`). */
export function hasNoDerivativeTag(ts: typeof TS, d: TS.Node): boolean {
  return ts.getJSDocTags(d).some((t) => t.tagName.text === "noDerivative");
}

/** A property declared as `NoDerivative<T>` (or whose type is that alias, for mapped and instantiated types), or tagged `@noDerivative`. */
function isNoDerivativeProperty(ts: typeof TS, prop: TS.Symbol, propType: TS.Type): boolean {
  for (const d of prop.declarations ?? []) {
    const typeNode = (d as { type?: TS.TypeNode }).type;
    if ((ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) && typeNode && isNoDerivativeNode(ts, typeNode)) return true;
    if (hasNoDerivativeTag(ts, d)) return true;
  }
  return propType.aliasSymbol?.name === "NoDerivative";
}

/** The text of a property name when it is static (identifier, string, number); undefined when computed. */
export function propertyNameText(ts: typeof TS, name: TS.PropertyName | TS.BindingName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (ts.isNumericLiteral(name)) return String(numericValue(name.text));
  return undefined;
}

/** The value of a numeric literal's text: `1e-3`, `0x10`, `0o17`, `0b101`, `1_000`. */
export function numericValue(text: string): number {
  return Number(text.replace(/_/g, ""));
}
