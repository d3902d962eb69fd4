// The per-file pipeline both TypeScript hosts share: report the sites of one source file to the
// core's module planner (with the checker's facts: types, callees, which names are the module's),
// lower the functions it asks for, and return its plan. The ts-patch transformer (transformer.ts)
// applies the plan's edits; the language-service plugin (plugin.ts) only shows the diagnostics —
// the same ones, since both come from here.

import type * as TS from "typescript";
import { mightHaveMarks, planModule, tsCodeOf, type Diagnostic, type FunctionFacts, type ModulePlan, type SecondOrderOption, type Site } from "@cotangent/transformer";
import { adaptFunction, moduleClasses, type FunctionLikeNode } from "./adapter.js";
import { checkCustomDerivative } from "./custom.js";
import { createCalleeResolver, type CalleeResolver } from "./callee.js";
import { findRuntimeImports, findSites, type RuntimeImports, type SiteNodes } from "./marks.js";

export { mightHaveMarks };

/** Everything the analysis of one file found: the planner's plan and the nodes its sites name. */
export interface FileAnalysis {
  imports: RuntimeImports;
  sites: Site[];
  /** By site id: the nodes each edit of the plan applies to. */
  nodes: SiteNodes[];
  plan: ModulePlan;
  /** The core's diagnostics, and the checker's for custom derivatives (CT1012), in the order the transformer reports them. */
  diagnostics: Diagnostic[];
}

export interface AnalyzeOptions {
  checker?: TS.TypeChecker;
  /** With a program (and its checker), calls get `calleeInfo` (CT1010). */
  program?: TS.Program;
  /** Reuse a resolver across files of one program (it caches the program's custom derivatives). */
  callees?: CalleeResolver;
  /**
   * Second derivatives for other modules: "exported" generates them for the marks of a module that
   * exports one (the ts-patch transformer's option); "requested" (the default, and the editor's:
   * it only shows diagnostics) only where the file itself differentiates twice.
   */
  secondOrder?: SecondOrderOption;
  /** Fuse chains of elementwise tensor ops in reverse mode. Default true (the ts-patch transformer's option). */
  fuse?: boolean;
}

/** Globals this file declares its own binding for at the top level (`const Math = …`, `import Math`). */
function shadowedGlobals(ts: typeof TS, sf: TS.SourceFile): Set<string> {
  const out = new Set<string>();
  const add = (name: TS.Node | undefined) => {
    if (name && ts.isIdentifier(name) && name.text === "Math") out.add("Math");
  };
  for (const s of sf.statements) {
    if (ts.isVariableStatement(s)) s.declarationList.declarations.forEach((d) => add(d.name));
    else if (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s) || ts.isModuleDeclaration(s)) add(s.name);
    else if (ts.isImportDeclaration(s) && s.importClause) {
      add(s.importClause.name);
      const b = s.importClause.namedBindings;
      if (b && ts.isNamespaceImport(b)) add(b.name);
      else if (b) b.elements.forEach((e) => add(e.name));
    }
  }
  return out;
}

/** The names the file binds with `const` at its top level (exported or not): never reassigned. */
function moduleConstants(ts: typeof TS, sf: TS.SourceFile): Set<string> {
  const out = new Set<string>();
  for (const s of sf.statements) {
    if (!ts.isVariableStatement(s) || !(s.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) out.add(d.name.text);
  }
  return out;
}

/** Plans the file; undefined when it has no sites at all. */
export function analyzeSourceFile(ts: typeof TS, sf: TS.SourceFile, options: AnalyzeOptions = {}): FileAnalysis | undefined {
  const checker = options.checker ?? options.program?.getTypeChecker();
  const callees = options.callees ?? (options.program && checker ? createCalleeResolver(ts, options.program, checker) : undefined);
  const imports = findRuntimeImports(ts, sf);
  const refs = (runtime: string) => ({ namespace: runtime, bindings: imports.bindings, namespaces: imports.namespaces });
  const facts = (fn: FunctionLikeNode): FunctionFacts => {
    const params = fn.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === "this"));
    return {
      params: params.map((p) => (ts.isIdentifier(p.name) ? p.name.text : undefined)),
      rest: !!params[params.length - 1]?.dotDotDotToken,
      lexicalThis: ts.isArrowFunction(fn) && usesLexicalThis(ts, fn),
      lower: (r) =>
        adaptFunction(fn, { ts, sourceFile: sf, checker, name: r.name, kind: r.kind, ...(r.markLoc ? { markLoc: r.markLoc } : {}), runtime: refs(r.runtime), ...(callees ? { callees } : {}), ...(r.wrt ? { wrt: r.wrt } : {}) }),
    };
  };
  const { sites, nodes } = findSites(ts, sf, imports, facts, (id) => refersToModule(ts, id, checker));
  if (sites.length === 0) return undefined;
  const plan = planModule({
    fileName: sf.fileName,
    source: sf.text,
    takenNames: collectIdentifierNames(ts, sf),
    shadowedGlobals: shadowedGlobals(ts, sf),
    moduleConstants: moduleConstants(ts, sf),
    classes: (runtime) => moduleClasses({ ts, sourceFile: sf, ...(checker ? { checker } : {}), runtime: refs(runtime) }),
    sites,
    secondOrder: options.secondOrder ?? "requested",
    ...(options.fuse === false ? { fuse: false } : {}),
  });
  // `/** @derivative(of: f) */` functions must fit f (checked with types, CT1012).
  const diagnostics: Diagnostic[] = [];
  if (checker) {
    for (const c of plan.customDerivatives) {
      const d = checkCustomDerivative(ts, checker, sf, nodes[c.site]!.node as TS.FunctionDeclaration, c.of, c.mode);
      if (d) diagnostics.push(d);
    }
  }
  diagnostics.push(...plan.diagnostics);
  return { imports, sites, nodes, plan, diagnostics };
}

/** What `checkSourceFile` returns. */
export interface CheckResult {
  /** The core's diagnostics as TypeScript diagnostics (`CT1003: …`, code 1003, source "cotangent"). */
  diagnostics: TS.Diagnostic[];
  /** The same, as the core reported them. */
  core: Diagnostic[];
  /** How many marked functions the file has. */
  marks: number;
}

/**
 * Cotangent's diagnostics for one file of a program, exactly as `tspc` reports them (errors, and
 * warnings as TypeScript warnings). Never throws for a crash in the core: that is a CT9000.
 */
export function checkSourceFile(ts: typeof TS, program: TS.Program, sourceFile: TS.SourceFile, options: Omit<AnalyzeOptions, "program"> = {}): CheckResult {
  if (sourceFile.isDeclarationFile || !mightHaveMarks(sourceFile.text)) return { diagnostics: [], core: [], marks: 0 };
  const a = analyzeSourceFile(ts, sourceFile, { ...options, program });
  if (!a) return { diagnostics: [], core: [], marks: 0 };
  return { diagnostics: a.diagnostics.map((d) => toTsDiagnostic(ts, sourceFile, d, program)), core: a.diagnostics, marks: a.plan.marks.length };
}

/**
 * A core diagnostic as a ts.Diagnostic: `CT1003: …` at the core's location, notes as related
 * information (in the note's own file when it names one: the callee's declaration for CT1010).
 */
export function toTsDiagnostic(ts: typeof TS, sf: TS.SourceFile, d: Diagnostic, program?: TS.Program): TS.Diagnostic {
  const category = d.severity === "error" ? ts.DiagnosticCategory.Error : ts.DiagnosticCategory.Warning;
  const code = tsCodeOf(d.code);
  const related: TS.DiagnosticRelatedInformation[] = d.notes.map((n) => {
    const file = n.fileName && n.fileName !== sf.fileName ? program?.getSourceFile(n.fileName) : sf;
    const located = !!(n.loc && file);
    return {
      category: ts.DiagnosticCategory.Message,
      code,
      file: located ? file : undefined,
      start: located ? n.loc!.start : undefined,
      length: located ? n.loc!.end - n.loc!.start : undefined,
      messageText: n.message,
    };
  });
  const out: TS.Diagnostic = {
    category,
    code,
    file: sf,
    start: d.loc?.start ?? 0,
    length: d.loc ? d.loc.end - d.loc.start : 0,
    messageText: `${d.code}: ${d.message}`,
    source: "cotangent",
  };
  if (related.length > 0) out.relatedInformation = related;
  return out;
}

function usesLexicalThis(ts: typeof TS, fn: TS.ArrowFunction): boolean {
  let uses = false;
  const visit = (node: TS.Node): void => {
    if (uses) return;
    if (node.kind === ts.SyntaxKind.ThisKeyword) uses = true;
    else if (node !== fn && (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isClassLike(node) || ts.isMethodDeclaration(node))) return;
    else ts.forEachChild(node, visit);
  };
  visit(fn);
  return uses;
}

function collectIdentifierNames(ts: typeof TS, sf: TS.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: TS.Node): void => {
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) names.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return names;
}

/**
 * Does this identifier refer to a module-level binding of the file (or to none of its bindings)?
 * With the checker, from its symbol; without, by looking for a declaration of the name in the
 * functions and blocks around it.
 */
function refersToModule(ts: typeof TS, id: TS.Identifier, checker: TS.TypeChecker | undefined): boolean {
  if (checker) {
    const decls = checker.getSymbolAtLocation(id)?.declarations;
    if (!decls?.length) return true;
    return decls.some((d) => {
      let n: TS.Node = d;
      while (n.parent && !ts.isSourceFile(n.parent) && !ts.isFunctionLike(n.parent) && !ts.isBlock(n.parent) && !ts.isClassLike(n.parent)) n = n.parent;
      return !n.parent || ts.isSourceFile(n.parent);
    });
  }
  const name = id.text;
  const declares = (s: TS.Node): boolean =>
    (ts.isVariableStatement(s) && s.declarationList.declarations.some((d) => bindsName(ts, d.name, name))) ||
    ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name?.text === name);
  for (let n: TS.Node = id; n.parent && !ts.isSourceFile(n.parent); n = n.parent) {
    const p = n.parent;
    if (ts.isFunctionLike(p) && p.parameters.some((q) => bindsName(ts, q.name, name))) return false;
    if ((ts.isBlock(p) || ts.isCaseClause(p) || ts.isDefaultClause(p)) && p.statements.some(declares)) return false;
    if ((ts.isForStatement(p) || ts.isForOfStatement(p) || ts.isForInStatement(p)) && p.initializer && ts.isVariableDeclarationList(p.initializer) && p.initializer.declarations.some((d) => bindsName(ts, d.name, name))) return false;
    if (ts.isCatchClause(p) && p.variableDeclaration && bindsName(ts, p.variableDeclaration.name, name)) return false;
  }
  return true;
}

function bindsName(ts: typeof TS, pattern: TS.BindingName, name: string): boolean {
  if (ts.isIdentifier(pattern)) return pattern.text === name;
  return pattern.elements.some((e) => !ts.isOmittedExpression(e) && bindsName(ts, e.name, name));
}
