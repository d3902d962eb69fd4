// The ts-patch program transformer: `{ "transform": "@cotangent/ts-plugin/transformer" }` in a
// tsconfig's `plugins`. Per source file it asks the core's module planner for the file's plan
// (check.ts: the sites of marks.ts, lowered by adapter.ts), reports the core's errors through
// ts-patch's `addDiagnostic` (so `tspc` prints them and exits non-zero) and its warnings to stderr
// (or through `addDiagnostic` with `warningsAsDiagnostics`), and applies the plan's edits: the
// generated functions as synthesized nodes (synthesize.ts) beside the originals, replacements of
// marked literals and of `gradient(f)`-style calls.

import ts from "typescript";
import type * as TS from "typescript";
import {
  RUNTIME_MODULE,
  formatDiagnostic,
  type Diagnostic,
  type GeneratedFunction,
  type Piece,
  type Replacement,
  type SecondOrderOption,
  type SiteEdit,
} from "@cotangent/transformer";
import { createCalleeResolver } from "./callee.js";
import { analyzeSourceFile, mightHaveMarks, toTsDiagnostic, type AnalyzeOptions } from "./check.js";
import { collectReferences, synthesizeFunction, synthesizeStatements } from "./synthesize.js";

/** Options from the tsconfig plugin entry (ts-patch passes the whole entry). */
export interface CotangentTransformerConfig {
  transform?: string;
  /**
   * Report the core's warnings (such as CT1101, a result that does not depend on the inputs)
   * through `addDiagnostic`, as TypeScript warnings. Default false: they are printed to stderr,
   * because `tspc` exits non-zero on any reported diagnostic, warnings included.
   */
  warningsAsDiagnostics?: boolean;
  /** Print warnings to stderr when they are not reported as diagnostics. Default true (as the Babel plugin's `warnings`). */
  warnings?: boolean;
  /**
   * Second derivatives of marked functions for other modules (`derivative(derivative(f))` of an
   * imported `f`): "exported" generates them for the marks of modules that export one;
   * "requested" (default) only where the module itself differentiates twice.
   */
  secondOrder?: SecondOrderOption;
  /** Fuse chains of elementwise tensor ops in reverse mode (one kernel per chain on WebGPU). Default true. */
  fuse?: boolean;
  [key: string]: unknown;
}


/** What ts-patch passes as the third argument of a program transformer. */
export interface TransformerExtras {
  ts?: typeof TS;
  addDiagnostic?: (diagnostic: TS.Diagnostic) => unknown;
}

/**
 * The ts-patch program transformer (`type: "program"`, the default).
 *
 * @example
 * // tsconfig.json
 * { "compilerOptions": { "plugins": [{ "transform": "@cotangent/ts-plugin/transformer" }] } }
 * // or by hand:
 * program.emit(undefined, undefined, undefined, false, { before: [cotangentTransformer(program, {}, { ts })] });
 */
export default function cotangentTransformer(
  program: TS.Program | undefined,
  config: CotangentTransformerConfig = {},
  extras: TransformerExtras = {},
): TS.TransformerFactory<TS.SourceFile> {
  const tsi = extras.ts ?? ts;
  const checker = program?.getTypeChecker();
  // One resolver per program: it caches the program's custom derivatives for every file.
  const callees = program && checker ? createCalleeResolver(tsi, program, checker) : undefined;
  const analyze: AnalyzeOptions = {
    ...(checker ? { checker } : {}),
    ...(program ? { program } : {}),
    ...(callees ? { callees } : {}),
    secondOrder: config.secondOrder === "exported" ? "exported" : "requested",
    ...(config.fuse === false ? { fuse: false } : {}),
  };
  const addDiagnostic =
    extras.addDiagnostic ??
    ((d: TS.Diagnostic) => {
      if (d.category === tsi.DiagnosticCategory.Error) throw new Error(tsi.flattenDiagnosticMessageText(d.messageText, "\n"));
      console.warn(tsi.flattenDiagnosticMessageText(d.messageText, "\n"));
    });
  const report: Reporter = (sf, d) => {
    if (d.severity === "warning" && !config.warningsAsDiagnostics) {
      if (config.warnings !== false) console.warn(formatDiagnostic(d, sf.text, sf.fileName));
      return;
    }
    addDiagnostic(toTsDiagnostic(tsi, sf, d));
  };
  return (context) => (sf) => {
    if (sf.isDeclarationFile || !mightHaveMarks(sf.text)) return sf;
    return transformSourceFile(tsi, context, sf, analyze, report);
  };
}

/** Where a core diagnostic goes: errors to `addDiagnostic`, warnings to stderr unless configured otherwise. */
type Reporter = (sf: TS.SourceFile, d: Diagnostic) => void;

export { cotangentTransformer };

function transformSourceFile(
  ts: typeof TS,
  context: TS.TransformationContext,
  sf: TS.SourceFile,
  analyze: AnalyzeOptions,
  report: Reporter,
): TS.SourceFile {
  const { factory } = context;
  // What is marked, the names, the derivatives and where they go: the core's plan (check.ts).
  const analysis = analyzeSourceFile(ts, sf, analyze);
  if (!analysis) return sf;
  for (const d of analysis.diagnostics) report(sf, d);
  const { plan, nodes } = analysis;
  if (!plan.importsRuntime) return sf;

  /** The plan's edits by the node they apply to. */
  const editsAt = new Map<TS.Node, SiteEdit[]>();
  for (const e of plan.edits) {
    const node = nodes[e.site]!.node;
    editsAt.set(node, [...(editsAt.get(node) ?? []), e]);
  }
  const locOf = (site: number) => plan.marks.find((m) => m.site === site)?.marked.loc;

  // Generated functions as nodes: identifiers that name a user binding take the user's reference
  // as their original (so the module transform rewrites them like the user's own).
  const refsCache = new Map<TS.Node, Map<string, TS.Identifier>>();
  const referencesOf = (node: TS.Node) => {
    let refs = refsCache.get(node);
    if (!refs) refsCache.set(node, (refs = collectReferences(ts, node)));
    return refs;
  };
  const declaration = (g: GeneratedFunction, site: number): TS.FunctionDeclaration => {
    const fallback = locOf(site);
    return synthesizeFunction(ts, g, { ...(fallback ? { fallback } : {}), references: referencesOf(nodes[site]!.fn ?? nodes[site]!.node) });
  };
  const statement = (piece: Piece, site: number): TS.Statement => {
    if (piece.kind === "code") return synthesizeStatements(ts, piece.code)[0]!;
    const decl = declaration(piece.fn, site);
    if (!piece.arrow) return decl;
    // A `const` arrow: it sees the same `this` as the arrow it differentiates.
    return factory.createVariableStatement(
      undefined,
      factory.createVariableDeclarationList([factory.createVariableDeclaration(decl.name!.text, undefined, undefined, toExpression(decl, true))], ts.NodeFlags.Const),
    );
  };
  const toExpression = (decl: TS.FunctionDeclaration, arrow: boolean): TS.Expression => {
    const e = arrow
      ? factory.createArrowFunction(undefined, undefined, decl.parameters, undefined, factory.createToken(ts.SyntaxKind.EqualsGreaterThanToken), decl.body!)
      : factory.createFunctionExpression(undefined, undefined, decl.name, undefined, decl.parameters, undefined, decl.body!);
    return moveEmitInfo(ts, decl, e);
  };
  /** The replacement's code, its holes filled: "original" with the visited node, pieces with generated functions. */
  const expression = (r: Replacement, original: TS.Expression, site: number): TS.Expression => {
    const stmt = synthesizeStatements(ts, `(${r.code});`)[0] as TS.ExpressionStatement;
    let expr = stmt.expression;
    if (ts.isParenthesizedExpression(expr)) expr = expr.expression;
    const fills = new Map<string, TS.Expression>();
    for (const [hole, fill] of Object.entries(r.holes)) {
      fills.set(
        hole,
        fill === "original" ? original
        : fill.kind === "code" ? (synthesizeStatements(ts, `(${fill.code});`)[0] as TS.ExpressionStatement).expression
        : toExpression(declaration(fill.fn, site), fill.arrow),
      );
    }
    const fill = (node: TS.Node): TS.Node => (ts.isIdentifier(node) && fills.has(node.text) ? fills.get(node.text)! : ts.visitEachChild(node, fill, context));
    return fill(expr) as TS.Expression;
  };

  // Statements are visited in lists, so that insertions before and after the statement that holds a site have a place.
  const frames: { before: TS.Statement[]; after: TS.Statement[] }[] = [];
  const frame = () => frames[frames.length - 1]!;
  const visitStatements = (statements: readonly TS.Statement[]): TS.Statement[] => {
    const out: TS.Statement[] = [];
    for (const s of statements) {
      frames.push({ before: [], after: [] });
      const r = ts.visitNode(s, visitor);
      const { before, after } = frames.pop()!;
      out.push(...before);
      if (r) out.push(...(Array.isArray(r) ? r : [r as TS.Statement]));
      out.push(...after);
    }
    return out;
  };
  const insert = (e: SiteEdit, into: { before: TS.Statement[]; after: TS.Statement[] }) => {
    if (e.kind === "before" || e.kind === "after") into[e.kind].push(...e.pieces.map((piece) => statement(piece, e.site)));
  };

  const visitor = (node: TS.Node): TS.VisitResult<TS.Node | undefined> => {
    if (ts.isBlock(node)) return factory.updateBlock(node, visitStatements(node.statements));
    if (ts.isModuleBlock(node)) return factory.updateModuleBlock(node, visitStatements(node.statements));
    if (ts.isCaseClause(node)) return factory.updateCaseClause(node, ts.visitNode(node.expression, visitor) as TS.Expression, visitStatements(node.statements));
    if (ts.isDefaultClause(node)) return factory.updateDefaultClause(node, visitStatements(node.statements));
    if (ts.isClassDeclaration(node) && node.members.some((m) => editsAt.has(m))) return visitClass(node);
    const edits = editsAt.get(node);
    if (!edits) return ts.visitEachChild(node, visitor, context);
    let out: TS.Node = node;
    for (const e of edits) {
      insert(e, frame());
      if (e.kind === "replace" || e.kind === "replaceOperator") {
        // The original, visited: a constant's literal is the site's node itself (its children, then).
        const original = nodes[e.site]!.fn!;
        const fn = (original === node ? ts.visitEachChild(node, visitor, context) : ts.visitNode(original, visitor)) as TS.Expression;
        out = expression(e.replacement, fn, e.site);
        if (e.replacement.keepRestArguments) out = withRestArguments(node as TS.CallExpression, out as TS.CallExpression);
      }
    }
    return out === node ? ts.visitEachChild(node, visitor, context) : out;
  };

  /** The call's arguments after the first (the function), kept after the rewritten call's own. */
  const withRestArguments = (original: TS.CallExpression, call: TS.CallExpression): TS.Expression => {
    const rest = original.arguments.slice(1).map((a) => ts.visitNode(a, visitor) as TS.Expression);
    const out = rest.length > 0 ? factory.updateCallExpression(call, call.expression, undefined, [...call.arguments, ...rest]) : call;
    ts.setTextRange(out, original);
    ts.setSourceMapRange(out, original);
    return out;
  };

  const visitClass = (node: TS.ClassDeclaration): TS.Node => {
    const members: TS.ClassElement[] = [];
    const afterClass = { before: [] as TS.Statement[], after: [] as TS.Statement[] };
    for (const member of node.members) {
      const edits = editsAt.get(member) ?? [];
      let visited = ts.visitEachChild(member, visitor, context) as TS.ClassElement;
      const extra: TS.ClassElement[] = [];
      for (const e of edits) {
        insert(e, afterClass);
        if (e.kind === "removeDecorators" && ts.canHaveDecorators(visited)) {
          const marks = new Set<TS.Node>(nodes[e.site]!.decorators ?? []);
          visited = withModifiers(visited, ts.getModifiers(visited) ? visited.modifiers!.filter((m) => !(ts.isDecorator(m) && marks.has(ts.getOriginalNode(m)))) : undefined);
        } else if (e.kind === "members") {
          for (const g of e.functions) {
            const decl = declaration(g, e.site);
            const method = factory.createMethodDeclaration(
              e.isStatic ? [factory.createModifier(ts.SyntaxKind.StaticKeyword)] : undefined,
              undefined,
              factory.createIdentifier(decl.name!.text),
              undefined,
              undefined,
              decl.parameters,
              undefined,
              decl.body,
            );
            extra.push(moveEmitInfo(ts, decl, method));
          }
        }
      }
      members.push(visited, ...extra);
    }
    frame().before.push(...afterClass.before);
    frame().after.push(...afterClass.after);
    return factory.updateClassDeclaration(node, ts.visitNodes(node.modifiers, visitor) as TS.NodeArray<TS.ModifierLike> | undefined, node.name, node.typeParameters, node.heritageClauses, members);
  };

  /** A class member with other modifiers (the mark's decorators removed). */
  const withModifiers = (m: TS.ClassElement, modifiers: readonly TS.ModifierLike[] | undefined): TS.ClassElement => {
    if (ts.isMethodDeclaration(m)) return factory.updateMethodDeclaration(m, modifiers, m.asteriskToken, m.name, m.questionToken, m.typeParameters, m.parameters, m.type, m.body);
    if (ts.isGetAccessor(m)) return factory.updateGetAccessorDeclaration(m, modifiers, m.name, m.parameters, m.type, m.body);
    if (ts.isSetAccessor(m)) return factory.updateSetAccessorDeclaration(m, modifiers, m.name, m.parameters, m.body);
    return m;
  };

  frames.push({ before: [], after: [] });
  const statements = visitStatements(sf.statements);
  frames.pop();
  const runtimeImport = factory.createImportDeclaration(
    undefined,
    factory.createImportClause(false, undefined, factory.createNamespaceImport(factory.createIdentifier(plan.runtime))),
    factory.createStringLiteral(RUNTIME_MODULE),
  );
  return factory.updateSourceFile(sf, [runtimeImport, ...statements]);
}

/** Puts a function's source-map range and comments on the node built from it. */
function moveEmitInfo<T extends TS.Node>(ts: typeof TS, from: TS.Node, to: T): T {
  ts.setSourceMapRange(to, ts.getSourceMapRange(from));
  const leading = ts.getSyntheticLeadingComments(from);
  if (leading) ts.setSyntheticLeadingComments(to, leading);
  return to;
}

export { toTsDiagnostic };
