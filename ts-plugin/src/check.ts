// The per-file pipeline both TypeScript hosts share: find the marks of one source file, build the
// module context, lower each marked function to the IR (with the checker's facts: types, callees),
// and ask the core for its derivatives and diagnostics. The ts-patch transformer (transformer.ts)
// splices the generated code in; the language-service plugin (plugin.ts) only shows the
// diagnostics — the same ones, since both come from here.

import type * as TS from "typescript";
import {
  CODES,
  RUNTIME_MODULE,
  derivativeNames,
  differentiateSafely,
  differentiateSecondOrder,
  differentiatesAnOperator,
  loadPrimitiveTable,
  secondOrderMode,
  tsCodeOf,
  uniqueName,
  wrtIndices,
  type Diagnostic,
  type DifferentiateResult,
  type GeneratedFunction,
  type KnownFunction,
  type MarkedFunction,
  type ModuleContext,
  type SecondOrderOption,
} from "@cotangent/transformer";
import { adaptFunction, functionHeadLoc, moduleClasses, type FunctionLikeNode, type RuntimeRefs } from "./adapter.js";
import { checkCustomDerivative } from "./custom.js";
import { createCalleeResolver, type CalleeResolver } from "./callee.js";
import { locOf } from "./loc.js";
import { findMarks, findNestedOperatorCalls, findRuntimeImports, type Found, type FunctionLiteral, type RuntimeImports } from "./marks.js";

/** What the core produced for one mark, and the names the host uses around it. */
export interface Plan {
  found: Exclude<Found, { kind: "custom" } | { kind: "alias" }>;
  fnNode: FunctionLikeNode;
  name: string;
  info: KnownFunction;
  marked: MarkedFunction;
  result?: DifferentiateResult;
  ok: boolean;
  /** Other code can name it (`known` / `knownMethods`): declarations, constants, methods, bound wrappers. */
  referable: boolean;
  /** The derivatives of its JVP, when the file asks for second derivatives or exports marks. */
  second?: { jvp: GeneratedFunction; vjp: GeneratedFunction; info: KnownFunction };
  /** Lexical `this` in an arrow: the derivatives must be arrows too. */
  lexicalThis: boolean;
}

/** Everything the analysis of one file found: what the transformer needs to rewrite it. */
export interface FileAnalysis {
  imports: RuntimeImports;
  found: Found[];
  plans: Plan[];
  byNode: Map<TS.Node, Plan>;
  ctx: ModuleContext;
  runtime: string;
  takenNames: Set<string>;
  known: Map<string, KnownFunction>;
  knownMethods: Map<string, KnownFunction>;
  /** A marked function's second-order derivatives, by its KnownFunction (aliases share it). */
  secondByInfo: Map<KnownFunction, { jvpName: string; vjpName: string }>;
  /** The core's diagnostics, in the order the transformer reports them. */
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

/** Could this file have marks at all? (A cheap text test before any tree walk.) */
export function mightHaveMarks(text: string): boolean {
  return text.includes(RUNTIME_MODULE) || text.includes("@differentiable") || text.includes("@derivative");
}

/**
 * Finds and differentiates every marked function of `sf`; undefined when the file has no marks.
 * Marked functions that failed are removed from `known` / `knownMethods` (so callers do not use
 * their derivatives).
 */
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

export function analyzeSourceFile(ts: typeof TS, sf: TS.SourceFile, options: AnalyzeOptions = {}): FileAnalysis | undefined {
  const checker = options.checker ?? options.program?.getTypeChecker();
  const callees = options.callees ?? (options.program && checker ? createCalleeResolver(ts, options.program, checker) : undefined);
  const diagnostics: Diagnostic[] = [];
  const imports = findRuntimeImports(ts, sf);
  const found = findMarks(ts, sf, imports);
  if (found.length === 0) return undefined;

  const takenNames = collectIdentifierNames(ts, sf);
  const runtime = uniqueName("__ct", takenNames);
  const known = new Map<string, KnownFunction>();
  const knownMethods = new Map<string, KnownFunction>();
  const primitives = loadPrimitiveTable(sf.fileName);
  const ctx: ModuleContext = {
    fileName: sf.fileName,
    source: sf.text,
    runtime,
    known,
    knownMethods,
    takenNames,
    shadowedGlobals: shadowedGlobals(ts, sf),
    ...(primitives ? { primitives } : {}),
    ...(options.fuse === false ? { fuse: false } : {}),
  };
  const runtimeRefs = { namespace: runtime, bindings: imports.bindings, namespaces: imports.namespaces };
  ctx.classes = moduleClasses({ ts, sourceFile: sf, ...(checker ? { checker } : {}), runtime: runtimeRefs });

  // 1. Every mark gets its names and its KnownFunction first, so marked functions may call each
  //    other in any order (and themselves).
  const plans: Plan[] = [];
  const byNode = new Map<TS.Node, Plan>();
  for (const f of found) {
    if (f.kind === "custom" || f.kind === "alias") continue;
    const fnNode: FunctionLikeNode = f.kind === "declaration" || f.kind === "method" ? f.node : f.fn;
    const name =
      f.kind === "declaration" ? f.name || uniqueName("anonymous", takenNames)
      : f.kind === "method" ? methodName(ts, f.node) ?? uniqueName("anonymous", takenNames)
      : f.kind === "constant" ? f.name
      : f.kind === "wrapper" && f.binding ? f.binding
      : uniqueName("anonymous", takenNames);
    const wrt = f.kind === "inline" ? undefined : f.wrt;
    // Only names other code refers to are reserved; the core names the derivatives of the others.
    const referable = f.kind === "declaration" || f.kind === "method" || f.kind === "constant" || (f.kind === "wrapper" && !!f.binding);
    // Methods of one name share derivative names in every class: `obj.m$jvp(…)` dispatches as `obj.m(…)` does.
    const shared = f.kind === "method" ? knownMethods.get(name) : undefined;
    const { jvpName, vjpName } =
      shared ? shared
      : referable ? derivativeNames(name, takenNames)
      : { jvpName: `${name}$jvp`, vjpName: `${name}$vjp` };
    const paramNames = fnNode.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === "this")).map((p) => (ts.isIdentifier(p.name) ? p.name.text : undefined));
    const rest = !!fnNode.parameters[fnNode.parameters.length - 1]?.dotDotDotToken;
    const info: KnownFunction = { jvpName, vjpName, arity: paramNames.length, wrt: wrtIndices(paramNames, wrt).indices, isMethod: f.kind === "method", ...(rest ? { rest } : {}) };
    const kind = f.kind === "declaration" ? "declaration" : f.kind === "method" ? "method" : "expression";
    // Where function-level diagnostics (CT1002, …) point, as in the Babel host: the declared name,
    // the `differentiable` callee of a wrapper, the literal passed to an operator.
    const markLoc =
      f.kind === "method" ? locOf(sf, f.node.name)
      : f.kind === "constant" ? locOf(sf, f.decl.name)
      : f.kind === "declaration" ? (f.node.name ? locOf(sf, f.node.name) : functionHeadLoc(ts, sf, fnNode))
      : f.kind === "wrapper" ? locOf(sf, f.call.expression)
      : locOf(sf, f.fn);
    const marked = adaptFunction(fnNode, { ts, sourceFile: sf, checker, name, kind, markLoc, runtime: runtimeRefs, ...(callees ? { callees } : {}), ...(wrt ? { wrt } : {}) });
    if ((f.kind === "declaration" || f.kind === "constant" || f.kind === "method") && f.kernel) marked.kernel = true;
    // Lets callers use plain number arithmetic on a declared `number` result (as the Babel host does).
    if (marked.returnType) info.returnType = marked.returnType;
    const invalid = f.kind === "wrapper" || f.kind === "method" ? f.invalidOptions : undefined;
    if (invalid) rejectInBody(marked, "a `wrt` option that is not an array of parameter-name strings (write `{ wrt: [\"x\"] }`)", locOf(sf, invalid));
    if (f.kind === "declaration" && !f.name) {
      rejectInBody(marked, "an anonymous `export default function` (give the function a name)", marked.loc);
    }
    if (f.kind === "method" && !(ts.isClassDeclaration(f.cls) && f.cls.name)) {
      rejectInBody(marked, "a `@differentiable` method of an anonymous class or class expression (give the class a name and declare it)", markLoc);
    } else if (f.kind === "method" && ts.isClassDeclaration(f.cls) && f.cls.name) {
      // Where the method lives: its derivatives defer to an override found on `this` instead.
      const isStatic = !!ts.getModifiers(f.node)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
      marked.owner = isStatic ? f.cls.name.text : `${f.cls.name.text}.prototype`;
    }
    const lexicalThis = ts.isArrowFunction(fnNode) && usesLexicalThis(ts, fnNode);
    const plan: Plan = { found: f, fnNode, name, info, marked, ok: false, referable, lexicalThis };
    plans.push(plan);
    byNode.set(f.kind === "wrapper" || f.kind === "inline" ? f.call : f.kind === "constant" ? f.fn : f.node, plan);
    if ((f.kind === "declaration" && f.name) || f.kind === "constant" || (f.kind === "wrapper" && f.binding)) known.set(name, info);
    if (f.kind === "method") knownMethods.set(name, info);
  }
  for (const f of found) {
    if (f.kind === "alias" && known.has(f.of) && !known.has(f.name)) known.set(f.name, known.get(f.of)!);
    // `/** @derivative(of: f) */` functions must fit f (checked with types, CT1012).
    if (f.kind === "custom" && checker) {
      const d = checkCustomDerivative(ts, checker, sf, f.node, f.of, f.mode);
      if (d) diagnostics.push(d);
    }
  }

  // 2. Differentiate, reporting what the core says.
  for (const plan of plans) {
    const result = differentiateSafely(plan.marked, ctx);
    diagnostics.push(...result.diagnostics);
    plan.result = result;
    plan.ok = !result.diagnostics.some((d) => d.severity === "error") && !!result.jvp && !!result.vjp;
  }

  // Second derivatives: the core decides which marks' JVPs are differentiated again (second-order.ts).
  const requested =
    findNestedOperatorCalls(ts, sf, imports).some((c) => isSecondOrderInner(c.inner) && known.has(c.name)) ||
    differentiatesAnOperator(
      plans.map((p) => p.marked),
      ctx,
    );
  const exported = exportedLocalNames(ts, sf);
  const isExported = (p: Plan) =>
    p.found.kind === "method" ? !!p.found.cls.name && exported.has(p.found.cls.name.text) : p.referable && exported.has(p.name);
  const secondMode = secondOrderMode(requested, plans.some(isExported), options.secondOrder ?? "requested");
  /** A marked function's second-order derivatives, by its KnownFunction (aliases share it). */
  const secondByInfo = new Map<KnownFunction, { jvpName: string; vjpName: string }>();
  if (secondMode && plans.every((p) => p.ok)) {
    const candidates = plans.filter((p) => p.referable && p.result?.jvpFunction);
    const so = differentiateSecondOrder(ctx, candidates.map((p) => ({ jvpFunction: p.result!.jvpFunction!, isMethod: p.found.kind === "method" })), secondMode);
    diagnostics.push(...so.diagnostics);
    candidates.forEach((p, i) => {
      const second = so.results[i];
      if (!second) return;
      p.second = second;
      secondByInfo.set(p.info, second.info);
    });
  }
  const failed = new Set(plans.filter((p) => !p.ok).map((p) => p.name));
  for (const name of failed) {
    known.delete(name);
    knownMethods.delete(name);
  }

  return { imports, found, plans, byNode, ctx, runtime, takenNames, known, knownMethods, secondByInfo, diagnostics };
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
  return { diagnostics: a.diagnostics.map((d) => toTsDiagnostic(ts, sourceFile, d, program)), core: a.diagnostics, marks: a.plans.length };
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

/** A construct found by the host (not by the adapter) that makes the function not differentiable: reported by the core as unsupported. */
function rejectInBody(marked: MarkedFunction, construct: string, loc: MarkedFunction["loc"]): void {
  const stmt = { type: "UnsupportedStatement" as const, construct, loc };
  if (marked.body.type === "BlockStatement") marked.body = { ...marked.body, body: [stmt, ...marked.body.body] };
  else marked.body = { type: "BlockStatement", body: [stmt, { type: "ReturnStatement", argument: marked.body, loc: marked.body.loc }], loc: marked.body.loc };
}

/** Inner operators whose result the runtime can differentiate again (`RT.secondOrder`). */
export function isSecondOrderInner(op: string): boolean {
  return op === "derivative" || op === "gradient";
}

/** The local names a module exports: `export function f`, `export const f`, `export class C`, `export { f as g }`, `export default f`. */
function exportedLocalNames(ts: typeof TS, sf: TS.SourceFile): Set<string> {
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

function methodName(ts: typeof TS, node: TS.MethodDeclaration): string | undefined {
  return ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) ? node.name.text : undefined;
}

function usesLexicalThis(ts: typeof TS, fn: FunctionLiteral): boolean {
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
