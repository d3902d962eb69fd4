// Finding what the transformer acts on in one source file: the `@cotangent/runtime` imports (so
// renamed and namespace imports are recognized), and every mark — `/** @differentiable */` function
// declarations and `const f = (…) => …` constants, `differentiable(fn, { wrt })` wrappers,
// `@differentiable` (decorator or JSDoc) methods, function literals passed straight to an
// operator, `/** @derivative(of: f) */` custom derivatives — and the `outer(inner(f))` calls that
// ask for second derivatives.

import type * as TS from "typescript";
import { RUNTIME_MODULE, isOperatorName, markOfComments, type Mark, type OperatorName } from "@cotangent/transformer";

export interface RuntimeImports {
  /** Local name → exported name. */
  bindings: Map<string, string>;
  /** Local names of namespace imports. */
  namespaces: Set<string>;
}

export function findRuntimeImports(ts: typeof TS, sf: TS.SourceFile): RuntimeImports {
  const bindings = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const stmt of sf.statements) {
    if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier) || stmt.moduleSpecifier.text !== RUNTIME_MODULE) continue;
    const clause = stmt.importClause;
    if (!clause || clause.isTypeOnly || !clause.namedBindings) continue;
    if (ts.isNamespaceImport(clause.namedBindings)) {
      namespaces.add(clause.namedBindings.name.text);
    } else {
      for (const el of clause.namedBindings.elements) {
        if (el.isTypeOnly) continue;
        const imported = el.propertyName ?? el.name;
        bindings.set(el.name.text, ts.isIdentifier(imported) ? imported.text : imported.text);
      }
    }
  }
  return { bindings, namespaces };
}

export function skipOuterExpressions(ts: typeof TS, node: TS.Expression): TS.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node) || ts.isTypeAssertionExpression(node) || ts.isSatisfiesExpression(node)) {
    node = node.expression;
  }
  return node;
}

/** The runtime export an expression names (`g` → "gradient" after `import { gradient as g }`; `ct.gradient` → "gradient"). */
export function runtimeExportOf(ts: typeof TS, expr: TS.Expression, imports: RuntimeImports): string | undefined {
  const e = skipOuterExpressions(ts, expr);
  if (ts.isIdentifier(e)) return imports.bindings.get(e.text);
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.name)) {
    const obj = skipOuterExpressions(ts, e.expression);
    if (ts.isIdentifier(obj) && imports.namespaces.has(obj.text)) return e.name.text;
  }
  return undefined;
}

/** The mark in the JSDoc comment right before a declaration (read from the text: tsc skips JSDoc parsing in .ts files). */
export function jsDocMarkOf(ts: typeof TS, node: TS.Node, sf: TS.SourceFile): Mark | undefined {
  // A comment on the same line as the previous token counts as that token's trailing comment for
  // TypeScript (`const a = 1; /** @differentiable */ function f…`): look at both.
  const ranges = [...(ts.getTrailingCommentRanges(sf.text, node.pos) ?? []), ...(ts.getLeadingCommentRanges(sf.text, node.pos) ?? [])];
  return markOfComments(ranges.filter((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia).map((r) => sf.text.slice(r.pos, r.end)));
}

export type FunctionLiteral = TS.ArrowFunction | TS.FunctionExpression;

export function asFunctionLiteral(ts: typeof TS, node: TS.Expression | undefined): FunctionLiteral | undefined {
  if (!node) return undefined;
  const e = skipOuterExpressions(ts, node);
  return ts.isArrowFunction(e) || ts.isFunctionExpression(e) ? e : undefined;
}

/**
 * `{ wrt: ["x", "y"] }` → ["x", "y"]; undefined when there is no `wrt`. A `wrt` that is not an
 * array of string literals is returned as `invalid` with the node to report.
 */
export function wrtOption(ts: typeof TS, options: TS.Expression | undefined): { wrt?: string[]; invalid?: TS.Node } {
  if (!options) return {};
  const obj = skipOuterExpressions(ts, options);
  if (!ts.isObjectLiteralExpression(obj)) return { invalid: options };
  for (const p of obj.properties) {
    const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    if (name !== "wrt") continue;
    if (!ts.isPropertyAssignment(p)) return { invalid: p };
    const arr = skipOuterExpressions(ts, p.initializer);
    if (!ts.isArrayLiteralExpression(arr)) return { invalid: p.initializer };
    const wrt: string[] = [];
    for (const el of arr.elements) {
      const e = skipOuterExpressions(ts, el);
      if (!ts.isStringLiteral(e) && !ts.isNoSubstitutionTemplateLiteral(e)) return { invalid: el };
      wrt.push(e.text);
    }
    return { wrt };
  }
  return {};
}

export type Found =
  /** `/** @differentiable *\/ function f(…) {…}` */
  | { kind: "declaration"; node: TS.FunctionDeclaration; name: string; wrt?: string[]; kernel?: boolean }
  /** `differentiable(fn, opts)`; `binding` is the `const` it initializes, if any. */
  | { kind: "wrapper"; call: TS.CallExpression; fn: FunctionLiteral; binding?: string; wrt?: string[]; invalidOptions?: TS.Node }
  /** `/** @differentiable *\/ const f = (…) => …` (or `= function (…) {…}`): one declarator whose initializer is a function literal. */
  | { kind: "constant"; statement: TS.VariableStatement; decl: TS.VariableDeclaration; fn: FunctionLiteral; name: string; wrt?: string[]; kernel?: boolean }
  /** `const h = differentiable(f)` with `f` an identifier: `h` is another name for `f`. */
  | { kind: "alias"; name: string; of: string }
  /** `@differentiable` / `@differentiable({ wrt })` on a method, or `/** @differentiable *\/` JSDoc (no decorator). */
  | { kind: "method"; node: TS.MethodDeclaration; decorator?: TS.Decorator; cls: TS.ClassLikeDeclaration; wrt?: string[]; invalidOptions?: TS.Node; kernel?: boolean }
  /** `gradient((x) => …)`: a literal passed straight to an operator. */
  | { kind: "inline"; call: TS.CallExpression; fn: FunctionLiteral; op: OperatorName }
  /** `/** @derivative(of: f) *\/ function fCustom(…) {…}` */
  | { kind: "custom"; node: TS.FunctionDeclaration; of: string; mode: "vjp" | "jvp" };

/** Every mark in the file, in source order. */
/** The mark on an overload signature of `impl` (a bodiless declaration of the same name before it). */
function overloadMarkOf(ts: typeof TS, impl: TS.FunctionDeclaration, sf: TS.SourceFile): Mark | undefined {
  const siblings = (impl.parent as { statements?: TS.NodeArray<TS.Statement> }).statements;
  if (!siblings || !impl.name) return undefined;
  for (const s of siblings) {
    if (s === impl) break;
    if (ts.isFunctionDeclaration(s) && !s.body && s.name?.text === impl.name.text) {
      const mark = jsDocMarkOf(ts, s, sf);
      if (mark) return mark;
    }
  }
  return undefined;
}

export function findMarks(ts: typeof TS, sf: TS.SourceFile, imports: RuntimeImports): Found[] {
  const found: Found[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.body) {
      // Overloaded functions carry their documentation on the first signature: a mark there
      // marks the implementation.
      const mark = jsDocMarkOf(ts, node, sf) ?? overloadMarkOf(ts, node, sf);
      if (mark?.kind === "differentiable") {
        // An anonymous `export default function` has no name to hang derivatives on: the transformer reports it.
        found.push({ kind: "declaration", node, name: node.name?.text ?? "", ...(mark.wrt ? { wrt: mark.wrt } : {}), ...(mark.kernel ? { kernel: true } : {}) });
      } else if (mark?.kind === "derivative" && mark.of && node.name) {
        found.push({ kind: "custom", node, of: mark.of, mode: returnsDifferential(ts, node) ? "jvp" : "vjp" });
      }
    } else if (ts.isVariableStatement(node)) {
      const mark = jsDocMarkOf(ts, node, sf);
      const decls = node.declarationList.declarations;
      const decl = decls[0];
      const fn = asFunctionLiteral(ts, decl?.initializer);
      if (mark?.kind === "differentiable" && decls.length === 1 && decl && fn && ts.isIdentifier(decl.name)) {
        found.push({ kind: "constant", statement: node, decl, fn, name: decl.name.text, ...(mark.wrt ? { wrt: mark.wrt } : {}), ...(mark.kernel ? { kernel: true } : {}) });
      }
    } else if (ts.isMethodDeclaration(node) && ts.isClassLike(node.parent)) {
      const before = found.length;
      for (const mod of node.modifiers ?? []) {
        if (!ts.isDecorator(mod)) continue;
        const expr = skipOuterExpressions(ts, mod.expression);
        if (runtimeExportOf(ts, expr, imports) === "differentiable") {
          found.push({ kind: "method", node, decorator: mod, cls: node.parent });
        } else if (ts.isCallExpression(expr) && runtimeExportOf(ts, expr.expression, imports) === "differentiable") {
          const { wrt, invalid } = wrtOption(ts, expr.arguments[0]);
          found.push({ kind: "method", node, decorator: mod, cls: node.parent, ...(wrt ? { wrt } : {}), ...(invalid ? { invalidOptions: invalid } : {}) });
        }
      }
      // `/** @differentiable */` (or `@differentiable(wrt: x)`) JSDoc on a method with a body (not
      // an overload signature) marks it like the decorator; with both, the decorator's mark stands.
      const mark = found.length === before && node.body ? jsDocMarkOf(ts, node, sf) : undefined;
      if (mark?.kind === "differentiable") found.push({ kind: "method", node, cls: node.parent, ...(mark.wrt ? { wrt: mark.wrt } : {}), ...(mark.kernel ? { kernel: true } : {}) });
    } else if (ts.isCallExpression(node)) {
      const exported = runtimeExportOf(ts, node.expression, imports);
      const fn = asFunctionLiteral(ts, node.arguments[0]);
      if (exported === "differentiable" && fn) {
        const { wrt, invalid } = wrtOption(ts, node.arguments[1]);
        const binding = constBindingOf(ts, node);
        found.push({ kind: "wrapper", call: node, fn, ...(binding ? { binding } : {}), ...(wrt ? { wrt } : {}), ...(invalid ? { invalidOptions: invalid } : {}) });
      } else if (exported === "differentiable" && node.arguments.length === 1) {
        const arg = skipOuterExpressions(ts, node.arguments[0]!);
        const binding = constBindingOf(ts, node);
        if (ts.isIdentifier(arg) && binding) found.push({ kind: "alias", name: binding, of: arg.text });
      } else if (exported !== undefined && isOperatorName(exported) && fn) {
        found.push({ kind: "inline", call: node, fn, op: exported });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** `const NAME = <call>` (through type-only wrappers) → NAME. */
function constBindingOf(ts: typeof TS, call: TS.CallExpression): string | undefined {
  let node: TS.Node = call;
  while (node.parent && (ts.isParenthesizedExpression(node.parent) || ts.isAsExpression(node.parent) || ts.isSatisfiesExpression(node.parent) || ts.isNonNullExpression(node.parent))) {
    node = node.parent;
  }
  const decl = node.parent;
  if (!decl || !ts.isVariableDeclaration(decl) || decl.initializer !== node || !ts.isIdentifier(decl.name)) return undefined;
  const list = decl.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return undefined;
  return decl.name.text;
}

/** Does a custom derivative return `{ value, differential }` (forward mode) rather than `{ value, pullback }`? */
function returnsDifferential(ts: typeof TS, fn: TS.FunctionDeclaration): boolean {
  let differential = false;
  const visit = (node: TS.Node): void => {
    if (differential) return;
    if (node !== fn && ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression) {
      const e = skipOuterExpressions(ts, node.expression);
      if (ts.isObjectLiteralExpression(e)) {
        for (const p of e.properties) {
          const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
          if (name === "differential") differential = true;
          if (name === "pullback") return;
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(fn);
  return differential;
}

/** `outer(inner(f))`: both runtime operators, `f` an identifier (second derivatives). */
export interface NestedOperatorCall {
  call: TS.CallExpression;
  outer: OperatorName;
  inner: OperatorName;
  /** The inner call, `inner(f)`. */
  innerCall: TS.CallExpression;
  name: string;
}

/** The `outer(inner(f))` call this node is, if any. */
export function nestedOperatorCallOf(ts: typeof TS, node: TS.Node, imports: RuntimeImports): NestedOperatorCall | undefined {
  if (!ts.isCallExpression(node) || node.arguments.length === 0) return undefined;
  const outer = runtimeExportOf(ts, node.expression, imports);
  if (outer === undefined || !isOperatorName(outer)) return undefined;
  const innerCall = skipOuterExpressions(ts, node.arguments[0]!);
  if (!ts.isCallExpression(innerCall) || innerCall.arguments.length !== 1) return undefined;
  const inner = runtimeExportOf(ts, innerCall.expression, imports);
  if (inner === undefined || !isOperatorName(inner)) return undefined;
  const arg = skipOuterExpressions(ts, innerCall.arguments[0]!);
  if (!ts.isIdentifier(arg)) return undefined;
  return { call: node, outer, inner, innerCall, name: arg.text };
}

/** Every `outer(inner(f))` call in the file. */
export function findNestedOperatorCalls(ts: typeof TS, sf: TS.SourceFile, imports: RuntimeImports): NestedOperatorCall[] {
  const out: NestedOperatorCall[] = [];
  const visit = (node: TS.Node): void => {
    const c = nestedOperatorCallOf(ts, node, imports);
    if (c) out.push(c);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}
