// The facts about a marked function's file that the core's quick fixes need (FixSites,
// transformer/src/fixes.ts): how the file calls withoutDerivative — and the import edit when it
// cannot yet — and where the function's `wrt` is written or would go (its JSDoc tag, the options of
// `differentiable(fn, { … })`, its decorator), with where each name in it is. The core writes the
// fixes from these; the editor plugin only shows them.

import type * as TS from "typescript";
import { RUNTIME_MODULE, jsDocWrtSite, type FixSites, type TextEdit, type WrtSite } from "@cotangent/transformer";
import { findRuntimeImports, runtimeExportOf, skipOuterExpressions, type RuntimeImports } from "./marks.js";

type FunctionLike = TS.FunctionDeclaration | TS.FunctionExpression | TS.ArrowFunction | TS.MethodDeclaration;

/** The fix sites of the marked function `node` of `sf`. */
export function fixSitesOf(ts: typeof TS, sf: TS.SourceFile, node: FunctionLike, refs?: { bindings: ReadonlyMap<string, string>; namespaces: ReadonlySet<string> }): FixSites | undefined {
  try {
    const imports: RuntimeImports = refs ? { bindings: new Map(refs.bindings), namespaces: new Set(refs.namespaces) } : findRuntimeImports(ts, sf);
    const out: FixSites = { withoutDerivative: withoutDerivativeSite(ts, sf, imports) };
    const wrt = wrtSite(ts, sf, node, imports);
    if (wrt) out.wrt = wrt;
    return out;
  } catch {
    return undefined; // no fixes rather than a failure
  }
}

/** How this file can call withoutDerivative, and the import edit that makes it so when it cannot yet. */
function withoutDerivativeSite(ts: typeof TS, sf: TS.SourceFile, imports: RuntimeImports): NonNullable<FixSites["withoutDerivative"]> {
  for (const [local, exported] of imports.bindings) if (exported === "withoutDerivative") return { callee: local };
  const ns = [...imports.namespaces][0];
  if (ns) return { callee: `${ns}.withoutDerivative` };
  const runtimeImports = sf.statements.filter(
    (s): s is TS.ImportDeclaration => ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === RUNTIME_MODULE,
  );
  for (const imp of runtimeImports) {
    const nb = imp.importClause?.namedBindings;
    if (imp.importClause?.isTypeOnly || !nb || !ts.isNamedImports(nb)) continue;
    if (nb.elements.length === 0) return { callee: "withoutDerivative", importEdits: [{ start: nb.getStart(sf), end: nb.end, newText: "{ withoutDerivative }" }] };
    const last = nb.elements[nb.elements.length - 1]!;
    return { callee: "withoutDerivative", importEdits: [{ start: last.end, end: last.end, newText: ", withoutDerivative" }] };
  }
  // After the last import; with none, after the prologue ("use strict"), else at the top — below
  // a `#!` line, which must stay first.
  const lastImport = [...sf.statements].reverse().find((s) => ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s));
  const directives = sf.statements.filter((s, i) => sf.statements.slice(0, i + 1).every((d) => ts.isExpressionStatement(d) && ts.isStringLiteral(d.expression)));
  const after = lastImport ?? directives[directives.length - 1];
  const starts = sf.getLineStarts();
  let at: number;
  if (after) {
    const line = sf.getLineAndCharacterOfPosition(after.end).line;
    at = line + 1 < starts.length ? starts[line + 1]! : sf.text.length;
  } else {
    at = sf.text.startsWith("#!") && starts.length > 1 ? starts[1]! : 0;
  }
  const prefix = after && at === sf.text.length && !sf.text.endsWith("\n") ? "\n" : "";
  const edit: TextEdit = { start: at, end: at, newText: `${prefix}import { withoutDerivative } from "${RUNTIME_MODULE}";\n` };
  return { callee: "withoutDerivative", importEdits: [edit] };
}

/** Where the function's `wrt` is written, or would go. */
function wrtSite(ts: typeof TS, sf: TS.SourceFile, node: FunctionLike, imports: RuntimeImports): WrtSite | undefined {
  if (ts.isMethodDeclaration(node)) {
    const decorator = ts.getDecorators(node)?.find((d) => {
      const e = skipOuterExpressions(ts, d.expression);
      return runtimeExportOf(ts, ts.isCallExpression(e) ? e.expression : e, imports) === "differentiable";
    });
    if (decorator) {
      const e = skipOuterExpressions(ts, decorator.expression);
      if (!ts.isCallExpression(e)) return { start: e.end, end: e.end, template: "({ wrt: {array} })" };
      if (!e.arguments[0]) return { start: e.arguments.end, end: e.arguments.end, template: "{ wrt: {array} }" };
      return optionsSite(ts, sf, e.arguments[0], undefined);
    }
    return jsDocSite(ts, sf, node);
  }
  if (ts.isFunctionDeclaration(node)) return jsDocSite(ts, sf, node);
  // A literal: `differentiable(fn, { … })`, or `const f = fn` with the mark on the statement.
  let outer: TS.Node = node;
  while (outer.parent && (ts.isParenthesizedExpression(outer.parent) || ts.isAsExpression(outer.parent) || ts.isSatisfiesExpression(outer.parent) || ts.isNonNullExpression(outer.parent) || ts.isTypeAssertionExpression(outer.parent))) outer = outer.parent;
  const parent = outer.parent;
  if (parent && ts.isCallExpression(parent) && parent.arguments[0] === outer && runtimeExportOf(ts, parent.expression, imports) === "differentiable") {
    return optionsSite(ts, sf, parent.arguments[1], parent.arguments[0]);
  }
  if (parent && ts.isVariableDeclaration(parent) && parent.initializer === outer && ts.isVariableDeclarationList(parent.parent) && ts.isVariableStatement(parent.parent.parent)) {
    return jsDocSite(ts, sf, parent.parent.parent);
  }
  return undefined;
}

/** The JSDoc block nearest `node` that carries `@differentiable`. */
function jsDocSite(ts: typeof TS, sf: TS.SourceFile, node: TS.Node): WrtSite | undefined {
  const text = sf.text;
  const ranges = [...(ts.getTrailingCommentRanges(text, node.pos) ?? []), ...(ts.getLeadingCommentRanges(text, node.pos) ?? [])];
  const docs = ranges.filter((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", r.pos) && /@differentiable\b/.test(text.slice(r.pos, r.end)));
  const doc = docs[docs.length - 1];
  return doc ? jsDocWrtSite(text.slice(doc.pos, doc.end), doc.pos) : undefined;
}

/** `differentiable(fn)` / `differentiable(fn, { … })`, `@differentiable({ … })`: the `wrt` option. */
function optionsSite(ts: typeof TS, sf: TS.SourceFile, options: TS.Expression | undefined, fn: TS.Expression | undefined): WrtSite | undefined {
  if (!options) return fn ? { start: fn.end, end: fn.end, template: ", { wrt: {array} }" } : undefined;
  const obj = skipOuterExpressions(ts, options);
  if (!ts.isObjectLiteralExpression(obj)) return undefined;
  const wrt = obj.properties.find((p) => p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === "wrt");
  if (wrt && ts.isPropertyAssignment(wrt)) {
    const init = wrt.initializer;
    const list = skipOuterExpressions(ts, init);
    const names = ts.isArrayLiteralExpression(list)
      ? list.elements.filter((e): e is TS.StringLiteral => ts.isStringLiteral(e)).map((e) => ({ name: e.text, start: e.getStart(sf) + 1, end: e.end - 1 }))
      : [];
    return { start: init.getStart(sf), end: init.end, template: "{array}", names };
  }
  if (wrt) return undefined;
  if (obj.properties.length === 0) return { start: obj.getStart(sf), end: obj.end, template: "{ wrt: {array} }" };
  const first = obj.properties[0]!.getStart(sf);
  return { start: first, end: first, template: "wrt: {array}, " };
}
