// @cotangent/babel-plugin: the Babel host. On entering a Program it reports every place a mark may
// be to the core's module planner (sites.ts), lowers the functions the planner asks for
// (adapter.ts), and applies the edits it returns as Babel nodes carrying the user's locations
// (this file, build-ast.ts). What is marked, the names and the second-order code are the
// planner's (transformer/src/module.ts), not the host's.
//
// Usage: `plugins: ["@cotangent/babel-plugin"]` beside `@babel/preset-typescript`.

import type { NodePath, PluginObj, PluginPass, types as t } from "@babel/core";
import { parse, parseExpression } from "@babel/parser";
import {
  RUNTIME_MODULE,
  formatDiagnostic,
  mightHaveMarks,
  planModule,
  type Diagnostic,
  type GeneratedFunction,
  type Loc,
  type Piece,
  type Replacement,
  type SecondOrderOption,
} from "@cotangent/transformer";
import { BabelAdapter, collectLocalClasses, collectLocalTypes } from "./adapter.js";
import { facts, findSites, isDifferentiableDecorator, runtimeImports } from "./sites.js";
import { functionDeclaration, functionExpression } from "./build-ast.js";

export interface PluginOptions {
  /** Print warnings (such as a result that does not depend on the inputs) to stderr. Default true. */
  warnings?: boolean;
  /** Called with each function's generated derivatives (used by `cotangent explain`). */
  onDerivatives?: (generated: { name: string; jvp: GeneratedFunction; vjp: GeneratedFunction; grad?: GeneratedFunction; valueGrad?: GeneratedFunction }) => void;
  /** Called with every diagnostic of a file (errors and warnings, as data) before errors fail the build: for tools. */
  onDiagnostics?: (diagnostics: readonly Diagnostic[], fileName: string) => void;
  /**
   * Second derivatives of marked functions for other modules (`derivative(derivative(f))` of an
   * imported `f`): "exported" generates them for the marked functions of modules that export
   * one; "requested" (default) only where the module itself differentiates twice.
   */
  secondOrder?: SecondOrderOption;
  /** Fuse chains of elementwise tensor ops in reverse mode (one kernel per chain on WebGPU). Default true. */
  fuse?: boolean;
}

interface BabelApi {
  assertVersion(range: number | string): void;
  types: typeof t;
}

export default function cotangentBabelPlugin(api: BabelApi, options: PluginOptions = {}): PluginObj<PluginPass> {
  api.assertVersion(7);
  const types = api.types;
  return {
    name: "cotangent",
    manipulateOptions(_opts: unknown, parserOpts: { plugins: unknown[] }) {
      // Standard decorators on methods (`@differentiable`); functions are marked with JSDoc.
      if (!parserOpts.plugins.some((p) => p === "decorators" || (Array.isArray(p) && p[0] === "decorators")))
        parserOpts.plugins.push(["decorators", { version: "2023-11" }]);
    },
    visitor: {
      Program(program, state) {
        transformProgram(program, state, types, options);
      },
    },
  };
}

function transformProgram(program: NodePath<t.Program>, state: PluginPass, types: typeof t, options: PluginOptions): void {
  const source: string = state.file.code ?? "";
  const fileName: string = state.file.opts.filename ?? "unknown.ts";
  if (!mightHaveMarks(source)) return; // the fast path: nothing to report, nothing to walk
  const imports = runtimeImports(program.node);
  const taken = new Set<string>();
  const shadowedGlobals = new Set<string>();
  program.traverse({
    Identifier(p) {
      taken.add(p.node.name);
      if (p.node.name === "Math" && p.scope.getBinding("Math")) shadowedGlobals.add("Math");
    },
  });
  const localTypes = collectLocalTypes(program.node);
  // The runtime identifier is the planner's choice: the adapter is made when the planner first needs it.
  let adapter: BabelAdapter | undefined;
  const adapterFor = (runtime: string) => (adapter ??= new BabelAdapter(source, imports.named, runtime, localTypes, collectLocalClasses(program.node)));
  const { sites, paths, literals } = findSites(source, program, imports, (fn) => facts(fn, adapterFor, source, localTypes));
  const plan = planModule({
    fileName,
    source,
    takenNames: taken,
    shadowedGlobals,
    moduleConstants: moduleConstants(program.node),
    sites,
    classes: (runtime) => adapterFor(runtime).moduleClasses(),
    ...(options.secondOrder ? { secondOrder: options.secondOrder } : {}),
    ...(options.fuse === false ? { fuse: false } : {}),
  });

  options.onDiagnostics?.(plan.diagnostics, fileName);
  for (const m of plan.marks) if (m.ok && m.jvp && m.vjp) options.onDerivatives?.({ name: m.name, jvp: m.jvp, vjp: m.vjp, ...(m.grad ? { grad: m.grad } : {}), ...(m.valueGrad ? { valueGrad: m.valueGrad } : {}) });
  const errors = plan.diagnostics.filter((d) => d.severity === "error");
  if (options.warnings !== false) for (const d of plan.diagnostics) if (d.severity !== "error") console.warn(formatDiagnostic(d, source, fileName));
  if (errors.length) {
    // Each diagnostic brings its own code frame at the offending expression; the error carries the
    // first one's position (`loc`, as Babel's own errors do) for tools that show where it is.
    const summary = errors.length === 1 ? "1 error" : `${errors.length} errors`;
    const error = new Error(`Cotangent: ${summary}\n\n${errors.map((d) => formatDiagnostic(d, source, fileName)).join("\n\n")}\n`) as Error & { code?: string; loc?: { line: number; column: number } };
    error.code = "COTANGENT_DIAGNOSTICS";
    const first = errors.find((d) => d.loc)?.loc;
    if (first) error.loc = { line: first.line, column: first.column };
    throw error;
  }

  // Apply the edits in source order; replacements of operator calls last-first, so that
  // `outer(inner(f))` replaces what `inner(f)` became.
  const build = new Builder(types, fileName, (site) => plan.marks.find((m) => m.site === site)?.marked.loc);
  const inserted = new Map<t.Node, number>();
  const operatorEdits = plan.edits.filter((e) => e.kind === "replaceOperator").reverse();
  for (const e of [...plan.edits.filter((e) => e.kind !== "replaceOperator"), ...operatorEdits]) {
    const path = paths[e.site]!;
    switch (e.kind) {
      case "after":
      case "before":
        insertNodes(statementOf(path), e.kind, e.pieces.map((piece) => build.statement(piece, e.site)), inserted);
        break;
      case "replace":
      case "replaceOperator": {
        const replaced = build.expression(e.replacement, literals[e.site]!, e.site);
        if (e.replacement.keepRestArguments) (replaced as t.CallExpression).arguments.push(...(path.node as t.CallExpression).arguments.slice(1));
        path.replaceWith(replaced);
        break;
      }
      case "members": {
        const classBody = path.parentPath as NodePath<t.ClassBody>;
        for (const g of e.functions) {
          const fn = functionDeclaration(g, fileName, build.locOf(e.site));
          classBody.node.body.push(types.classMethod("method", types.identifier(g.name), fn.params, fn.body, false, e.isStatic));
        }
        break;
      }
      case "removeDecorators": {
        const method = path.node as t.ClassMethod;
        method.decorators = (method.decorators ?? []).filter((d) => !isDifferentiableDecorator(d.expression, imports));
        if (!method.decorators.length) method.decorators = null;
        break;
      }
    }
  }
  if (plan.importsRuntime) {
    program.node.body.unshift(types.importDeclaration([types.importNamespaceSpecifier(types.identifier(plan.runtime))], types.stringLiteral(RUNTIME_MODULE)));
  }
}

/** The names the file binds with `const` at its top level (exported or not): never reassigned. */
function moduleConstants(program: t.Program): Set<string> {
  const out = new Set<string>();
  for (const s of program.body) {
    const d = s.type === "ExportNamedDeclaration" ? s.declaration : s;
    if (d?.type !== "VariableDeclaration" || d.kind !== "const") continue;
    for (const v of d.declarations) if (v.id.type === "Identifier") out.add(v.id.name);
  }
  return out;
}

/** The Babel form of the planner's pieces and replacements. */
class Builder {
  constructor(
    private readonly types: typeof t,
    private readonly fileName: string,
    /** Where a site's generated code maps to when a node has no location of its own. */
    readonly locOf: (site: number) => Loc | undefined,
  ) {}

  statement(piece: Piece, site: number): t.Statement {
    if (piece.kind === "code") return parse(piece.code, { sourceType: "module" }).program.body[0]!;
    const fn = functionDeclaration(piece.fn, this.fileName, this.locOf(site));
    if (!piece.arrow) return fn;
    // A `const` arrow: it sees the same `this` as the arrow it differentiates.
    const arrow = this.types.arrowFunctionExpression(fn.params, fn.body);
    arrow.loc = fn.loc;
    const decl = this.types.variableDeclaration("const", [this.types.variableDeclarator(this.types.identifier(piece.fn.name), arrow)]);
    decl.loc = fn.loc;
    return decl;
  }

  expression(r: Replacement, original: t.Node, site: number): t.Expression {
    const out = parseExpression(r.code);
    for (const [hole, fill] of Object.entries(r.holes)) {
      const node =
        fill === "original" ? original
        : fill.kind === "code" ? parseExpression(fill.code)
        : fill.arrow ? { ...functionExpression(fill.fn, this.fileName, this.locOf(site)), type: "ArrowFunctionExpression", id: null, expression: false }
        : functionExpression(fill.fn, this.fileName, this.locOf(site));
      replaceIdentifier(out, hole, node as t.Node);
    }
    return out;
  }
}

// ---- applying edits ---------------------------------------------------------------------------

/** The statement an insertion beside a site goes next to: a method's class, a declaration's `export`. */
function statementOf(path: NodePath): NodePath {
  let p: NodePath = path.isClassMethod() ? path.parentPath.parentPath! : path;
  if (!p.isStatement()) p = p.getStatementParent()!;
  return p.parentPath?.isExportNamedDeclaration() || p.parentPath?.isExportDefaultDeclaration() ? p.parentPath : p;
}

/**
 * Splices generated statements next to `stmt` in its statement list. This runs on entering the
 * Program, before Babel has visited the body, so plain node insertion is enough: Babel visits the
 * new statements like any others, without the path bookkeeping (and scope re-crawls) of insertAfter.
 */
function insertNodes(stmt: NodePath, where: "before" | "after", nodes: t.Statement[], insertedAfter: Map<t.Node, number>): void {
  const container = stmt.container;
  if (!Array.isArray(container)) {
    if (where === "after") stmt.insertAfter(nodes);
    else stmt.insertBefore(nodes);
    return;
  }
  // Several sites may insert beside one statement (the methods of a class): each after the last.
  const at = (container as t.Node[]).indexOf(stmt.node);
  const after = insertedAfter.get(stmt.node) ?? 0;
  (container as t.Node[]).splice(where === "after" ? at + 1 + after : at, 0, ...nodes);
  if (where === "after") insertedAfter.set(stmt.node, after + nodes.length);
}

function replaceIdentifier(root: t.Node, name: string, replacement: t.Node): void {
  const visit = (n: unknown, parent?: Record<string, unknown>, key?: string | number): void => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach((x, i) => visit(x, n as unknown as Record<string, unknown>, i));
    const node = n as t.Node;
    if (node.type === "Identifier" && node.name === name && parent && key !== undefined) {
      (parent as Record<string | number, unknown>)[key] = replacement;
      return;
    }
    for (const [k, v] of Object.entries(node)) if (k !== "loc") visit(v, node as unknown as Record<string, unknown>, k);
  };
  visit(root);
}
