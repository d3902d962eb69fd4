// Checker facts about called functions (the IR's `CallExpression.calleeInfo`): does the function a
// call resolves to have a derivative? Yes when it is marked (`/** @differentiable */` on its
// declaration — also read from `.d.ts` files, where tsc keeps JSDoc — `const f = differentiable(…)`,
// a `@differentiable` method), when the program has a `/** @derivative(of: f) */` or a
// `registerDerivative(f, …)` for it, when it is an export of @cotangent/runtime, or a `Math.*`.
// No for other functions the program declares (in its sources or in declaration files). Unknown
// (undefined) for everything else: the checker cannot resolve it, it is `any`, it is a parameter or
// a property holding a function, a default-library function (the core has its own rules for those),
// or a constant in a `.d.ts` (whose `differentiable(…)` initializer the declaration no longer shows).

import type * as TS from "typescript";
import { RUNTIME_MODULE, type CalleeInfo, type MarkSite } from "@cotangent/transformer";
import { locOf } from "./loc.js";
import { asFunctionLiteral, findRuntimeImports, jsDocMarkOf, runtimeExportOf, skipOuterExpressions, type RuntimeImports } from "./marks.js";

/** Answers `calleeInfo` for calls inside one marked function (`root`). */
export type CalleeResolver = (call: TS.CallExpression, root: TS.Node) => CalleeInfo | undefined;

/** Per program: the symbols that have a custom derivative (`@derivative(of:)`, `registerDerivative`). */
const registeredCache = new WeakMap<TS.Program, Set<TS.Symbol>>();
/** Per source file: its runtime imports. */
const importsCache = new WeakMap<TS.SourceFile, RuntimeImports>();
/** Per directory: is it inside the @cotangent/runtime package? */
const runtimeDirCache = new Map<string, boolean>();

function importsOf(ts: typeof TS, sf: TS.SourceFile): RuntimeImports {
  let i = importsCache.get(sf);
  if (!i) importsCache.set(sf, (i = findRuntimeImports(ts, sf)));
  return i;
}

export function createCalleeResolver(ts: typeof TS, program: TS.Program, checker: TS.TypeChecker = program.getTypeChecker()): CalleeResolver {
  let registered: Set<TS.Symbol> | undefined;
  const getRegistered = () => (registered ??= registeredSymbols(ts, program, checker));
  return (call, root) => {
    try {
      return resolveCallee(ts, program, checker, call, root, getRegistered);
    } catch {
      return undefined; // a fact the checker cannot give is an unknown, never a failure
    }
  };
}

function resolveCallee(
  ts: typeof TS,
  program: TS.Program,
  checker: TS.TypeChecker,
  call: TS.CallExpression,
  root: TS.Node,
  registered: () => Set<TS.Symbol>,
): CalleeInfo | undefined {
  const callee = skipOuterExpressions(ts, call.expression);
  const nameNode = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name) ? callee.name : undefined;
  if (!nameNode) return resolveBySignature(ts, program, checker, call, root);
  const name = nameNode.text;
  // `Math.sin(x)`: the global Math (the core differentiates it by its own table).
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Math") {
    const m = checker.getSymbolAtLocation(callee.expression);
    if (m && m.declarations?.some((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()))) return { name: `Math.${name}`, hasDerivative: true };
  }
  // `ct.withoutDerivative(x)` through a namespace import of the runtime.
  if (ts.isPropertyAccessExpression(callee) && runtimeExportOf(ts, callee, importsOf(ts, call.getSourceFile())) !== undefined) return { name, hasDerivative: true, runtime: true };
  const calleeType = checker.getTypeAtLocation(callee);
  if (calleeType.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
  let symbol = checker.getSymbolAtLocation(nameNode);
  if (!symbol) return undefined;
  // Through imports and re-exports; an alias chain through the runtime module is a runtime export.
  for (let i = 0; symbol.flags & ts.SymbolFlags.Alias && i < 32; i++) {
    if (symbol.declarations?.some((d) => aliasFromRuntime(ts, d))) return { name, hasDerivative: true, runtime: true };
    const next: TS.Symbol | undefined = checker.getImmediateAliasedSymbol(symbol);
    if (!next || next === symbol) break;
    symbol = next;
  }
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decls = symbol.declarations ?? [];
  if (decls.length === 0) return undefined;
  const declSf = decls[0]!.getSourceFile();
  if (program.isSourceFileDefaultLibrary(declSf)) return undefined;
  // Declared by the runtime (an op, a Tensor method): the core's primitive table says whether it has a derivative.
  if (isRuntimePackageFile(ts, declSf.fileName)) return { name, hasDerivative: true, runtime: true };
  // Functions declared inside the marked function are the core's own business (nested functions).
  if (decls.some((d) => d.getSourceFile() === root.getSourceFile() && d.pos >= root.pos && d.end <= root.end)) return undefined;

  let kind: "function" | "unknown" = "unknown";
  let marked = false;
  let declNode: TS.Node | undefined;
  for (const d of decls) {
    const sf = d.getSourceFile();
    if (ts.isFunctionDeclaration(d)) {
      kind = "function";
      declNode ??= d;
      if (jsDocMarkOf(ts, d, sf)?.kind === "differentiable") marked = true;
    } else if (ts.isMethodDeclaration(d) && ts.isClassLike(d.parent)) {
      kind = "function";
      declNode ??= d;
      if (isMarkedMethod(ts, d, sf)) marked = true;
    } else if (ts.isVariableDeclaration(d) && d.initializer) {
      const init = skipOuterExpressions(ts, d.initializer);
      const stmt = d.parent?.parent;
      if (asFunctionLiteral(ts, init)) {
        kind = "function";
        declNode ??= d;
        if (stmt && ts.isVariableStatement(stmt) && jsDocMarkOf(ts, stmt, sf)?.kind === "differentiable") marked = true;
      } else if (ts.isCallExpression(init) && runtimeExportOf(ts, init.expression, importsOf(ts, sf)) === "differentiable") {
        kind = "function";
        declNode ??= d;
        marked = true;
      }
    } else if (ts.isVariableDeclaration(d) && sf.isDeclarationFile) {
      // `export declare const g: (x: number) => number;` — marked only when its JSDoc says so.
      const stmt = d.parent?.parent;
      if (stmt && ts.isVariableStatement(stmt) && jsDocMarkOf(ts, stmt, sf)?.kind === "differentiable") {
        kind = "function";
        declNode ??= d;
        marked = true;
      }
    } else if (ts.isMethodDeclaration(d) && ts.isObjectLiteralExpression(d.parent)) {
      // `{ m(v) { … } }`: an object-literal method cannot be marked (no decorators there).
      kind = "function";
      declNode ??= d;
      if (jsDocMarkOf(ts, d, sf)?.kind === "differentiable") marked = true;
    } else if (ts.isPropertyAssignment(d) && ts.isObjectLiteralExpression(d.parent)) {
      // `{ m: (v) => … }` or `{ m: differentiable((v) => …) }`.
      const init = skipOuterExpressions(ts, d.initializer);
      if (asFunctionLiteral(ts, init)) {
        kind = "function";
        declNode ??= d;
        if (jsDocMarkOf(ts, d, sf)?.kind === "differentiable") marked = true;
      } else if (ts.isCallExpression(init) && runtimeExportOf(ts, init.expression, importsOf(ts, sf)) === "differentiable") {
        kind = "function";
        declNode ??= d;
        marked = true;
      }
    } else if (ts.isPropertyDeclaration(d) && d.initializer && asFunctionLiteral(ts, d.initializer)) {
      kind = "function";
      declNode ??= d;
      if (jsDocMarkOf(ts, d, sf)?.kind === "differentiable") marked = true;
    }
  }
  if (kind !== "function" || !declNode) return undefined;
  const hasDerivative = marked || registered().has(symbol);
  const nameOf = (declNode as { name?: TS.Node }).name;
  const at = nameOf ?? declNode;
  const dsf = declNode.getSourceFile();
  const mark = hasDerivative ? undefined : markSiteOf(ts, program, decls);
  return { name, hasDerivative, declaration: { fileName: dsf.fileName, loc: locOf(dsf, at), ...(mark ? { mark } : {}) } };
}

/**
 * Where a `/** @differentiable *\/` tag would mark the function (the core's "Mark 'f'" fix): a
 * function declaration with a body, or a `const f = (…) => …` statement of one declarator, in the
 * program's own sources (not a declaration file or a library).
 */
function markSiteOf(ts: typeof TS, program: TS.Program, decls: readonly TS.Declaration[]): MarkSite | undefined {
  for (const d of decls) {
    const sf = d.getSourceFile();
    if (sf.isDeclarationFile || program.isSourceFileFromExternalLibrary(sf) || program.isSourceFileDefaultLibrary(sf)) continue;
    let target: TS.Node | undefined;
    let name: string | undefined;
    if (ts.isFunctionDeclaration(d) && d.body && d.name) {
      target = d;
      name = d.name.text;
    } else if (
      ts.isVariableDeclaration(d) &&
      ts.isIdentifier(d.name) &&
      asFunctionLiteral(ts, d.initializer) &&
      ts.isVariableDeclarationList(d.parent) &&
      d.parent.declarations.length === 1 &&
      ts.isVariableStatement(d.parent.parent)
    ) {
      target = d.parent.parent;
      name = d.name.text;
    }
    if (!target || !name) continue;
    const text = sf.text;
    const start = target.getStart(sf);
    const lineStartOf = (pos: number) => sf.getLineStarts()[sf.getLineAndCharacterOfPosition(pos).line]!;
    const indentAt = (pos: number) => /^[ \t]*/.exec(text.slice(lineStartOf(pos), pos))![0];
    const lineStart = lineStartOf(start);
    const site: MarkSite = { name, lineStart, indent: indentAt(start) };
    const ranges = ts.getLeadingCommentRanges(text, target.pos) ?? [];
    const doc = [...ranges].reverse().find((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", r.pos));
    if (doc) site.doc = { start: doc.pos, end: doc.end, text: text.slice(doc.pos, doc.end), indent: indentAt(doc.pos) };
    return site;
  }
  return undefined;
}

/**
 * A callee that is not a name (`make()(x)`, `(pick ? a : b)(x)`): the function literal the checker
 * resolves the call to, when it is one of the program's own; marked only when it is wrapped in
 * `differentiable(…)`.
 */
function resolveBySignature(ts: typeof TS, program: TS.Program, checker: TS.TypeChecker, call: TS.CallExpression, root: TS.Node): CalleeInfo | undefined {
  const decl = checker.getResolvedSignature(call)?.declaration;
  if (!decl || !(ts.isArrowFunction(decl) || ts.isFunctionExpression(decl) || ts.isFunctionDeclaration(decl))) return undefined;
  const sf = decl.getSourceFile();
  if (program.isSourceFileDefaultLibrary(sf) || isRuntimePackageFile(ts, sf.fileName)) return undefined;
  if (sf === root.getSourceFile() && decl.pos >= root.pos && decl.end <= root.end) return undefined;
  const wrapped = ts.isCallExpression(decl.parent) && runtimeExportOf(ts, decl.parent.expression, importsOf(ts, sf)) === "differentiable";
  const marked = wrapped || (ts.isFunctionDeclaration(decl) && jsDocMarkOf(ts, decl, sf)?.kind === "differentiable");
  // A function literal in the union of a conditional's branches, say, is one candidate of several: unknown.
  const calleeType = checker.getTypeAtLocation(call.expression);
  if (calleeType.isUnion()) return undefined;
  return { name: call.expression.getText(call.getSourceFile()), hasDerivative: marked, declaration: { fileName: sf.fileName, loc: locOf(sf, decl) } };
}

/** A `@differentiable` decorator (any spelling that names `differentiable`) or JSDoc mark on a method. */
function isMarkedMethod(ts: typeof TS, m: TS.MethodDeclaration, sf: TS.SourceFile): boolean {
  if (jsDocMarkOf(ts, m, sf)?.kind === "differentiable") return true;
  const imports = importsOf(ts, sf);
  for (const mod of m.modifiers ?? []) {
    if (!ts.isDecorator(mod)) continue;
    let e = skipOuterExpressions(ts, mod.expression);
    if (ts.isCallExpression(e)) e = e.expression;
    if (runtimeExportOf(ts, e, imports) === "differentiable") return true;
  }
  return false;
}

/** An import or re-export specifier whose module is @cotangent/runtime. */
function aliasFromRuntime(ts: typeof TS, d: TS.Declaration): boolean {
  let n: TS.Node | undefined = d;
  while (n && !ts.isImportDeclaration(n) && !ts.isExportDeclaration(n) && !ts.isSourceFile(n)) n = n.parent;
  if (!n || ts.isSourceFile(n)) return false;
  const spec = n.moduleSpecifier;
  return !!spec && ts.isStringLiteral(spec) && spec.text === RUNTIME_MODULE;
}

/** Is the file part of the @cotangent/runtime package (found through its package.json)? */
function isRuntimePackageFile(ts: typeof TS, fileName: string): boolean {
  if (/[\\/]node_modules[\\/]@cotangent[\\/]runtime[\\/]/.test(fileName)) return true;
  const sys = ts.sys;
  if (!sys) return false;
  const visited: string[] = [];
  let dir = fileName.replace(/[\\/][^\\/]*$/, "");
  let answer = false;
  for (let i = 0; i < 12 && dir; i++) {
    const cached = runtimeDirCache.get(dir);
    if (cached !== undefined) {
      answer = cached;
      break;
    }
    visited.push(dir);
    const pj = `${dir}/package.json`;
    if (sys.fileExists(pj)) {
      try {
        answer = JSON.parse(sys.readFile(pj) ?? "{}").name === RUNTIME_MODULE;
      } catch {
        answer = false;
      }
      break;
    }
    const parent = dir.replace(/[\\/][^\\/]*$/, "");
    if (parent === dir) break;
    dir = parent;
  }
  for (const v of visited) runtimeDirCache.set(v, answer);
  return answer;
}

/** Every symbol with a custom derivative somewhere in the program's sources. */
function registeredSymbols(ts: typeof TS, program: TS.Program, checker: TS.TypeChecker): Set<TS.Symbol> {
  const cached = registeredCache.get(program);
  if (cached) return cached;
  const out = new Set<TS.Symbol>();
  const add = (s: TS.Symbol | undefined) => {
    if (!s) return;
    out.add(s);
    if (s.flags & ts.SymbolFlags.Alias) {
      try {
        out.add(checker.getAliasedSymbol(s));
      } catch {
        /* unresolvable alias */
      }
    }
  };
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile) continue;
    const text = sf.text;
    if (!text.includes("@derivative") && !text.includes("registerDerivative")) continue;
    const imports = importsOf(ts, sf);
    const visit = (node: TS.Node): void => {
      if (ts.isFunctionDeclaration(node) && node.name) {
        const mark = jsDocMarkOf(ts, node, sf);
        if (mark?.kind === "derivative" && mark.of) add(checker.resolveName(mark.of, node, ts.SymbolFlags.Value, false));
      } else if (ts.isCallExpression(node) && node.arguments.length > 0 && runtimeExportOf(ts, node.expression, imports) === "registerDerivative") {
        const target = skipOuterExpressions(ts, node.arguments[0]!);
        const at = ts.isPropertyAccessExpression(target) ? target.name : target;
        add(checker.getSymbolAtLocation(at));
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  registeredCache.set(program, out);
  return out;
}
