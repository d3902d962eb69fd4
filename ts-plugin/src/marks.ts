// What the TypeScript hosts report of one source file: the `@cotangent/runtime` imports (so
// renamed and namespace imports are recognized), and every site where a mark may be, as the core's
// module planner takes them (findSites): function declarations and `const f = (…) => …` constants
// with the comments before them, `differentiable(fn, { wrt })` wrappers, class members with their
// `differentiable` decorators, function literals passed to an operator, and operator calls on
// names (`gradient(f)`, `outer(inner(f))`). Which of them are marks is the core's decision.

import type * as TS from "typescript";
import { RUNTIME_MODULE, isOperatorName, markOfComments, siteMark, type FunctionFacts, type Mark, type OperatorName, type Site } from "@cotangent/transformer";
import { functionHeadLoc, type FunctionLikeNode } from "./adapter.js";
import { locOf } from "./loc.js";

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

/** A class member a mark may be on. */
export type MemberNode = TS.MethodDeclaration | TS.GetAccessorDeclaration | TS.SetAccessorDeclaration | TS.ConstructorDeclaration;

/** The nodes behind one reported site: where its edits apply, and the function it lowers. */
export interface SiteNodes {
  /** function: the declaration; constant: the literal; method: the member; wrapper, inline, operatorCall: the call. */
  node: TS.Node;
  /** The function literal or declaration of a mark; an operator call's function argument. */
  fn?: TS.Node;
  statement?: TS.VariableStatement;
  decorators?: TS.Decorator[];
}

/** The text of every comment before a node (leading, and trailing on the previous token's line). */
function commentsBefore(ts: typeof TS, node: TS.Node, sf: TS.SourceFile): string[] {
  // A comment on the same line as the previous token counts as that token's trailing comment for
  // TypeScript (`const a = 1; /** @differentiable */ function f…`): both are the declaration's.
  const ranges = [...(ts.getTrailingCommentRanges(sf.text, node.pos) ?? []), ...(ts.getLeadingCommentRanges(sf.text, node.pos) ?? [])];
  return ranges.map((r) => sf.text.slice(r.pos, r.end));
}

/**
 * Every place in the file a mark may be, in source order, as the core's module planner takes them
 * (`planModule` decides which are marks); `nodes[id]` are the nodes behind site `id`.
 */
export function findSites(
  ts: typeof TS,
  sf: TS.SourceFile,
  imports: RuntimeImports,
  factsOf: (fn: FunctionLikeNode) => FunctionFacts,
  refersToModule: (id: TS.Identifier) => boolean,
): { sites: Site[]; nodes: SiteNodes[] } {
  const sites: Site[] = [];
  const nodes: SiteNodes[] = [];
  const exported = exportedLocalNames(ts, sf);
  const add = (n: SiteNodes, site: DistributiveOmit<Site, "id">) => {
    (site as Site).id = nodes.length;
    nodes.push(n);
    sites.push(site as Site);
  };
  const visit = (node: TS.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.body) {
      const name = node.name?.text;
      const siblings: readonly TS.Statement[] = (node.parent as { statements?: TS.NodeArray<TS.Statement> }).statements ?? [];
      const overloads = siblings.filter((s, i) => i < siblings.indexOf(node) && ts.isFunctionDeclaration(s) && !s.body && !!name && s.name?.text === name);
      add({ node, fn: node }, {
        kind: "function",
        ...(name ? { name } : {}),
        comments: commentsBefore(ts, node, sf),
        overloadComments: overloads.map((o) => commentsBefore(ts, o, sf)),
        exported: !!name && exported.has(name),
        markLoc: node.name ? locOf(sf, node.name) : functionHeadLoc(ts, sf, node),
        fn: factsOf(node),
        returnedKeys: returnedKeys(ts, node),
      });
    } else if (ts.isVariableStatement(node)) {
      const decl = node.declarationList.declarations[0];
      const fn = asFunctionLiteral(ts, decl?.initializer);
      if (decl && fn && ts.isIdentifier(decl.name)) {
        const name = decl.name.text;
        add({ node: fn, fn, statement: node }, {
          kind: "constant",
          name,
          declarators: node.declarationList.declarations.length,
          comments: commentsBefore(ts, node, sf),
          exported: exported.has(name),
          markLoc: locOf(sf, decl.name),
          fn: factsOf(fn),
        });
      }
    } else if ((ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) || ts.isConstructorDeclaration(node)) && ts.isClassLike(node.parent)) {
      const decorators: TS.Decorator[] = [];
      const reported: Extract<Site, { kind: "method" }>["decorators"] = [];
      for (const mod of (ts.canHaveDecorators(node) ? ts.getDecorators(node) : undefined) ?? []) {
        const expr = skipOuterExpressions(ts, mod.expression);
        const call = ts.isCallExpression(expr) && runtimeExportOf(ts, expr.expression, imports) === "differentiable" ? expr : undefined;
        if (!call && runtimeExportOf(ts, expr, imports) !== "differentiable") continue;
        decorators.push(mod);
        const { wrt, invalid } = call ? wrtOption(ts, call.arguments[0]) : {};
        reported.push({ ...(wrt ? { wrt } : {}), ...(invalid ? { invalidWrt: locOf(sf, invalid) } : {}), loc: locOf(sf, mod) });
      }
      const cls = node.parent;
      const className = ts.isClassDeclaration(cls) && cls.name ? cls.name.text : undefined;
      const key = ts.isConstructorDeclaration(node) ? undefined : node.name;
      add({ node, fn: node, decorators }, {
        kind: "method",
        ...(key && (ts.isIdentifier(key) || ts.isStringLiteral(key)) ? { name: key.text } : {}),
        accessor: ts.isMethodDeclaration(node) ? "method" : ts.isGetAccessor(node) ? "get" : ts.isSetAccessor(node) ? "set" : "constructor",
        hasBody: !!node.body,
        comments: commentsBefore(ts, node, sf),
        decorators: reported,
        ...(className ? { className } : {}),
        isStatic: !!ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword),
        exported: !!className && exported.has(className),
        markLoc: locOf(sf, key ?? node),
        fn: factsOf(node as FunctionLikeNode),
      });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const exportedName = runtimeExportOf(ts, node.expression, imports);
      const fn = asFunctionLiteral(ts, node.arguments[0]);
      const arg = skipOuterExpressions(ts, node.arguments[0]!);
      if (exportedName === "differentiable" && fn) {
        const { wrt, invalid } = wrtOption(ts, node.arguments[1]);
        const binding = constBindingOf(ts, node);
        add({ node, fn }, {
          kind: "wrapper",
          ...(binding ? { binding } : {}),
          exported: !!binding && exported.has(binding),
          ...(wrt ? { wrt } : {}),
          ...(invalid ? { invalidWrt: locOf(sf, invalid) } : {}),
          markLoc: locOf(sf, node.expression),
          fn: factsOf(fn),
        });
      } else if (exportedName === "differentiable" && node.arguments.length === 1 && ts.isIdentifier(arg)) {
        const binding = constBindingOf(ts, node);
        if (binding) add({ node }, { kind: "alias", binding, of: arg.text });
      } else if (exportedName !== undefined && isOperatorName(exportedName) && fn) {
        add({ node, fn }, { kind: "inline", op: exportedName, markLoc: locOf(sf, fn), fn: factsOf(fn) });
      } else if (exportedName !== undefined && isOperatorName(exportedName) && ts.isIdentifier(arg)) {
        let at: TS.Node = node;
        while (at.parent && (ts.isParenthesizedExpression(at.parent) || ts.isAsExpression(at.parent) || ts.isNonNullExpression(at.parent) || ts.isSatisfiesExpression(at.parent))) at = at.parent;
        const outer = at.parent && ts.isCallExpression(at.parent) && at.parent.arguments[0] === at ? runtimeExportOf(ts, at.parent.expression, imports) : undefined;
        const underOperator = outer !== undefined && isOperatorName(outer);
        add({ node, fn: node.arguments[0]! }, { kind: "operatorCall", op: exportedName, name: arg.text, moduleScope: refersToModule(arg), ...(underOperator ? { underOperator } : {}) });
      } else {
        const nested = nestedOperatorCallOf(ts, node, imports);
        if (nested) {
          const f = nested.innerCall.arguments[0]!;
          add({ node, fn: f }, { kind: "operatorCall", op: nested.outer, inner: nested.inner, name: nested.name, moduleScope: refersToModule(skipOuterExpressions(ts, f) as TS.Identifier) });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { sites, nodes };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Every mark in the file, in source order, as the planner decides them (`siteMark`): for listings
 * such as the editor's quick fixes. Lowering is not needed to tell, so nothing is lowered.
 */
export function findMarks(ts: typeof TS, sf: TS.SourceFile, imports: RuntimeImports): Found[] {
  const noLowering: FunctionFacts["lower"] = () => {
    throw new Error("findMarks does not lower functions");
  };
  const facts = (): FunctionFacts => ({ params: [], rest: false, lexicalThis: false, lower: noLowering });
  const { sites, nodes } = findSites(ts, sf, imports, facts, () => true);
  const found: Found[] = [];
  for (const site of sites) {
    const mark = siteMark(site);
    const n = nodes[site.id]!;
    if (!mark) continue;
    const wrt = mark.wrt ? { wrt: mark.wrt } : {};
    const kernel = mark.kernel ? { kernel: true } : {};
    if (site.kind === "function" && mark.kind === "custom") found.push({ kind: "custom", node: n.node as TS.FunctionDeclaration, of: mark.of!, mode: returnsDifferential(site.returnedKeys) ? "jvp" : "vjp" });
    else if (site.kind === "function") found.push({ kind: "declaration", node: n.node as TS.FunctionDeclaration, name: site.name ?? "", ...wrt, ...kernel });
    else if (site.kind === "constant" && site.declarators === 1) {
      const statement = n.statement!;
      found.push({ kind: "constant", statement, decl: statement.declarationList.declarations[0]!, fn: n.fn as FunctionLiteral, name: site.name!, ...wrt, ...kernel });
    } else if (site.kind === "method" && ts.isMethodDeclaration(n.node)) {
      const decorator = n.decorators?.[0];
      const invalid = site.decorators[0]?.invalidWrt;
      found.push({ kind: "method", node: n.node, cls: n.node.parent as TS.ClassLikeDeclaration, ...(decorator ? { decorator } : {}), ...wrt, ...kernel, ...(invalid ? { invalidOptions: decorator! } : {}) });
    } else if (site.kind === "wrapper") {
      found.push({ kind: "wrapper", call: n.node as TS.CallExpression, fn: n.fn as FunctionLiteral, ...(site.binding ? { binding: site.binding } : {}), ...wrt, ...(site.invalidWrt ? { invalidOptions: (n.node as TS.CallExpression).arguments[1]! } : {}) });
    } else if (site.kind === "alias") found.push({ kind: "alias", name: site.binding, of: site.of });
    else if (site.kind === "inline") found.push({ kind: "inline", call: n.node as TS.CallExpression, fn: n.fn as FunctionLiteral, op: site.op });
  }
  return found;
}

/** A custom derivative that returns `{ value, differential }` is forward mode (else `{ value, pullback }`). */
function returnsDifferential(returned: string[][]): boolean {
  return returned.some((keys) => keys.includes("differential") && !keys.includes("pullback"));
}

/** The local names a module exports: `export function f`, `export const f`, `export class C`, `export { f as g }`, `export default f`. */
export function exportedLocalNames(ts: typeof TS, sf: TS.SourceFile): Set<string> {
  const out = new Set<string>();
  const isExport = (s: TS.Statement) => !!ts.getModifiers(s as TS.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const s of sf.statements) {
    if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name && isExport(s)) out.add(s.name.text);
    else if (ts.isVariableStatement(s) && isExport(s)) {
      for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) out.add(d.name.text);
    } else if (ts.isExportDeclaration(s) && !s.moduleSpecifier && s.exportClause && ts.isNamedExports(s.exportClause)) {
      for (const e of s.exportClause.elements) out.add((e.propertyName ?? e.name).text);
    } else if (ts.isExportAssignment(s) && ts.isIdentifier(s.expression)) out.add(s.expression.text);
  }
  return out;
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

/** The keys of each object literal the function returns (not those of nested functions). */
function returnedKeys(ts: typeof TS, fn: TS.FunctionDeclaration): string[][] {
  const out: string[][] = [];
  const visit = (node: TS.Node): void => {
    if (node !== fn && ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression) {
      const e = skipOuterExpressions(ts, node.expression);
      if (ts.isObjectLiteralExpression(e)) out.push(e.properties.flatMap((p) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? [p.name.text] : [])));
    }
    ts.forEachChild(node, visit);
  };
  visit(fn);
  return out;
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
