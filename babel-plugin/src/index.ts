// @cotangent/babel-plugin: the Babel host. On entering a Program it reports every place a mark may
// be to the core's module planner (`/** @differentiable */` declarations and constants,
// `differentiable(fn)` wrappers, methods with their decorators, function literals passed to an
// operator, operator calls on names), lowers the functions the planner asks for (adapter.ts), and
// applies the edits it returns as Babel nodes carrying the user's locations. What is marked, the
// names and the second-order code are the planner's (transformer/src/module.ts), not this file's.
//
// Usage: `plugins: ["@cotangent/babel-plugin"]` beside `@babel/preset-typescript`.

import type { NodePath, PluginObj, PluginPass, types as t } from "@babel/core";
import { parse, parseExpression } from "@babel/parser";
import {
  RUNTIME_MODULE,
  formatDiagnostic,
  isOperatorName,
  mightHaveMarks,
  planModule,
  type Diagnostic,
  type FunctionFacts,
  type GeneratedFunction,
  type Loc,
  type Piece,
  type Replacement,
  type SecondOrderOption,
  type Site,
} from "@cotangent/transformer";
import { BabelAdapter, collectLocalClasses, collectLocalTypes, locOf, typeIR } from "./adapter.js";
import { functionDeclaration, functionExpression } from "./build-ast.js";

export interface PluginOptions {
  /** Print warnings (such as a result that does not depend on the inputs) to stderr. Default true. */
  warnings?: boolean;
  /** Called with each function's generated derivatives (used by `cotangent explain`). */
  onDerivatives?: (generated: { name: string; jvp: GeneratedFunction; vjp: GeneratedFunction; grad?: GeneratedFunction }) => void;
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

type FunctionNode = t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression | t.ClassMethod;

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
    sites,
    classes: (runtime) => adapterFor(runtime).moduleClasses(),
    ...(options.secondOrder ? { secondOrder: options.secondOrder } : {}),
    ...(options.fuse === false ? { fuse: false } : {}),
  });

  options.onDiagnostics?.(plan.diagnostics, fileName);
  for (const m of plan.marks) if (m.ok && m.jvp && m.vjp) options.onDerivatives?.({ name: m.name, jvp: m.jvp, vjp: m.vjp, ...(m.grad ? { grad: m.grad } : {}) });
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

// ---- sites: what the planner is told about the file -------------------------------------------

/** How the file refers to the runtime's exports. */
interface RuntimeImports {
  /** local name → exported name, for `import { gradient as g }` */
  named: Map<string, string>;
  /** `import * as ct` */
  namespaces: Set<string>;
}

function runtimeImports(program: t.Program): RuntimeImports {
  const named = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const s of program.body) {
    if (s.type !== "ImportDeclaration" || s.source.value !== RUNTIME_MODULE || s.importKind === "type") continue;
    for (const spec of s.specifiers) {
      if (spec.type === "ImportNamespaceSpecifier") namespaces.add(spec.local.name);
      else if (spec.type === "ImportSpecifier" && spec.importKind !== "type") named.set(spec.local.name, spec.imported.type === "Identifier" ? spec.imported.name : spec.imported.value);
    }
  }
  return { named, namespaces };
}

/** Which runtime export (if any) an expression names: `gradient`, `g` (aliased) or `ct.gradient`. */
function runtimeName(node: t.Node, imports: RuntimeImports): string | undefined {
  const e = skipTypeWrappers(node);
  if (e.type === "Identifier") return imports.named.get(e.name);
  if (e.type === "MemberExpression" && !e.computed && e.property.type === "Identifier") {
    const obj = skipTypeWrappers(e.object);
    if (obj.type === "Identifier" && imports.namespaces.has(obj.name)) return e.property.name;
  }
  return undefined;
}

function isDifferentiableDecorator(e: t.Node, imports: RuntimeImports): boolean {
  return runtimeName(e, imports) === "differentiable" || (e.type === "CallExpression" && runtimeName(e.callee, imports) === "differentiable");
}

const TYPE_WRAPPERS = new Set(["TSAsExpression", "TSSatisfiesExpression", "TSNonNullExpression", "TSTypeAssertion", "ParenthesizedExpression"]);

function skipTypeWrappers(node: t.Node): t.Node {
  while (TYPE_WRAPPERS.has(node.type)) node = (node as { expression: t.Node }).expression;
  return node;
}

function functionLiteral(node: t.Node | null | undefined): t.FunctionExpression | t.ArrowFunctionExpression | undefined {
  const e = node && skipTypeWrappers(node);
  return e && (e.type === "ArrowFunctionExpression" || e.type === "FunctionExpression") ? e : undefined;
}

/** `{ wrt: ["x", "y"] }` → names; anything else there → `invalid`, the node to report. */
function wrtOption(node: t.Node | undefined | null): { wrt?: string[]; invalid?: t.Node } {
  if (!node) return {};
  const obj = skipTypeWrappers(node);
  if (obj.type !== "ObjectExpression") return { invalid: node };
  for (const p of obj.properties) {
    const key = p.type !== "SpreadElement" && !p.computed ? (p.key.type === "Identifier" ? p.key.name : p.key.type === "StringLiteral" ? p.key.value : undefined) : undefined;
    if (key !== "wrt") continue;
    if (p.type !== "ObjectProperty") return { invalid: p };
    const arr = skipTypeWrappers(p.value);
    if (arr.type !== "ArrayExpression") return { invalid: p.value };
    const wrt: string[] = [];
    for (const el of arr.elements) {
      const e = el && skipTypeWrappers(el);
      if (e?.type === "StringLiteral") wrt.push(e.value);
      else if (e?.type === "TemplateLiteral" && e.expressions.length === 0) wrt.push(e.quasis[0]!.value.cooked ?? "");
      else return { invalid: el ?? arr };
    }
    return { wrt };
  }
  return {};
}

/** The texts of the comments before a node (and before its `export`), in source order. */
function commentsOf(node: t.Node, parent: t.Node | null | undefined): string[] {
  const exported = parent?.type === "ExportNamedDeclaration" || parent?.type === "ExportDefaultDeclaration" ? parent.leadingComments ?? [] : [];
  return [...exported, ...(node.leadingComments ?? [])].map((c) => (c.type === "CommentBlock" ? `/*${c.value}*/` : `//${c.value}`));
}

/** The local names the module exports. */
function exportedNames(program: t.Program): Set<string> {
  const out = new Set<string>();
  for (const s of program.body) {
    if (s.type === "ExportDefaultDeclaration") {
      const d = s.declaration;
      if (d.type === "Identifier") out.add(d.name);
      else if ((d.type === "FunctionDeclaration" || d.type === "ClassDeclaration") && d.id) out.add(d.id.name);
    } else if (s.type === "ExportNamedDeclaration" && !s.source) {
      const d = s.declaration;
      if ((d?.type === "FunctionDeclaration" || d?.type === "ClassDeclaration") && d.id) out.add(d.id.name);
      else if (d?.type === "VariableDeclaration") for (const v of d.declarations) if (v.id.type === "Identifier") out.add(v.id.name);
      for (const x of s.specifiers) if (x.type === "ExportSpecifier") out.add(x.local.name);
    }
  }
  return out;
}

/** `const NAME = <call>` (through type-only wrappers) → NAME. */
function constBinding(path: NodePath): string | undefined {
  let p: NodePath = path;
  while (p.parentPath && TYPE_WRAPPERS.has(p.parentPath.node.type)) p = p.parentPath;
  const decl = p.parentPath;
  if (!decl?.isVariableDeclarator() || decl.node.init !== p.node || decl.node.id.type !== "Identifier") return undefined;
  return (decl.parent as t.VariableDeclaration).kind === "const" ? decl.node.id.name : undefined;
}

/** Reports every site in source order; `paths[id]` is the node each edit of that site applies to. */
function findSites(
  source: string,
  program: NodePath<t.Program>,
  imports: RuntimeImports,
  factsOf: (fn: NodePath<FunctionNode>) => FunctionFacts,
): { sites: Site[]; paths: NodePath[]; literals: (t.Node | undefined)[] } {
  const sites: Site[] = [];
  const paths: NodePath[] = [];
  /** What a replacement's "original" stands for: the function literal of a mark, the function argument of an operator call. */
  const literals: (t.Node | undefined)[] = [];
  const exported = exportedNames(program.node);
  const add = (path: NodePath, site: DistributiveOmit<Site, "id">, literal?: t.Node) => {
    (site as Site).id = paths.length;
    paths.push(path);
    literals.push(literal);
    sites.push(site as Site);
  };
  program.traverse({
    FunctionDeclaration(p) {
      const name = p.node.id?.name;
      const overloads = overloadSignatures(p).map(([sig, parent]) => commentsOf(sig, parent));
      add(p, {
        kind: "function",
        ...(name ? { name } : {}),
        comments: commentsOf(p.node, p.parent),
        overloadComments: overloads,
        exported: !!name && exported.has(name),
        markLoc: p.node.id ? locOf(p.node.id) : headLoc(p, source),
        fn: factsOf(p),
        returnedKeys: returnedKeys(p.node),
      });
    },
    VariableDeclaration(p) {
      const first = p.get("declarations")[0];
      const literal = first && functionLiteral(first.node.init);
      if (!first || !literal || first.node.id.type !== "Identifier") return;
      const init = findPath(first.get("init") as NodePath, literal) as NodePath<FunctionNode>;
      const name = first.node.id.name;
      const site = { kind: "constant", name, declarators: p.node.declarations.length, comments: commentsOf(p.node, p.parent), exported: exported.has(name), markLoc: locOf(first.node.id), fn: factsOf(init) } as const;
      add(init, site, literal);
    },
    CallExpression(p) {
      const which = runtimeName(p.node.callee, imports);
      const arg = p.node.arguments[0];
      if (!which || !arg) return;
      const literal = functionLiteral(arg);
      const argPath = p.get("arguments.0") as NodePath;
      if (which === "differentiable" && literal) {
        const binding = constBinding(p);
        const { wrt, invalid } = wrtOption(p.node.arguments[1] as t.Node | undefined);
        const fn = findPath(argPath, literal) as NodePath<FunctionNode>;
        add(p, { kind: "wrapper", ...(binding ? { binding } : {}), exported: !!binding && exported.has(binding), ...(wrt ? { wrt } : {}), ...(invalid ? { invalidWrt: locOf(invalid)! } : {}), markLoc: locOf(p.node.callee), fn: factsOf(fn) }, literal);
      } else if (which === "differentiable" && p.node.arguments.length === 1 && skipTypeWrappers(arg).type === "Identifier") {
        const binding = constBinding(p);
        if (binding) add(p, { kind: "alias", binding, of: (skipTypeWrappers(arg) as t.Identifier).name });
      } else if (isOperatorName(which) && literal) {
        add(p, { kind: "inline", op: which, markLoc: locOf(literal), fn: factsOf(findPath(argPath, literal) as NodePath<FunctionNode>) }, literal);
      } else if (isOperatorName(which)) {
        const e = skipTypeWrappers(arg);
        if (e.type === "Identifier") {
          const outer = p.parentPath.isCallExpression() && p.parentPath.node.arguments[0] === p.node ? runtimeName(p.parentPath.node.callee, imports) : undefined;
          const underOperator = outer !== undefined && isOperatorName(outer);
          add(p, { kind: "operatorCall", op: which, name: e.name, moduleScope: moduleScoped(p, e.name, program), ...(underOperator ? { underOperator } : {}) }, arg);
        } else if (e.type === "CallExpression" && e.arguments.length === 1) {
          const inner = runtimeName(e.callee, imports);
          const f = skipTypeWrappers(e.arguments[0]!);
          if (inner && isOperatorName(inner) && f.type === "Identifier") add(p, { kind: "operatorCall", op: which, inner, name: f.name, moduleScope: moduleScoped(p, f.name, program) }, e.arguments[0]!);
        }
      }
    },
    ClassMethod(p) {
      const key = p.node.key;
      const name = p.node.computed ? undefined : key.type === "Identifier" ? key.name : key.type === "StringLiteral" ? key.value : undefined;
      const decorators = (p.node.decorators ?? [])
        .filter((d) => isDifferentiableDecorator(d.expression, imports))
        .map((d) => {
          const { wrt, invalid } = d.expression.type === "CallExpression" ? wrtOption(d.expression.arguments[0] as t.Node | undefined) : {};
          return { ...(wrt ? { wrt } : {}), ...(invalid ? { invalidWrt: locOf(invalid)! } : {}), loc: locOf(d)! };
        });
      const cls = p.parentPath.parentPath?.node;
      const className = cls?.type === "ClassDeclaration" ? cls.id?.name : undefined;
      add(p, {
        kind: "method",
        ...(name !== undefined ? { name } : {}),
        accessor: p.node.kind,
        hasBody: true,
        comments: commentsOf(p.node, null),
        decorators,
        ...(className ? { className } : {}),
        isStatic: p.node.static,
        exported: !!className && exported.has(className),
        markLoc: locOf(key),
        fn: factsOf(p),
      });
    },
  });
  return { sites, paths, literals };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An anonymous function's head, from `export` to its return type (or parameter list): where its diagnostics point, as in the ts host. */
function headLoc(p: NodePath<t.FunctionDeclaration>, source: string): Loc | undefined {
  const fn = p.node;
  const start = (p.parentPath.isExportDefaultDeclaration() ? p.parent : fn).start;
  const lastParam = fn.params[fn.params.length - 1];
  const end = fn.returnType?.end ?? source.indexOf(")", lastParam?.end ?? source.indexOf("(", fn.start ?? 0)) + 1;
  if (start == null || end == null || end <= start) return locOf(fn);
  const at = (offset: number) => {
    const before = source.slice(0, offset);
    const line = before.split("\n").length;
    return { line, column: offset - (before.lastIndexOf("\n") + 1) };
  };
  const from = at(start);
  const to = at(end);
  return { start, end, line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
}

function findPath(from: NodePath, node: t.Node): NodePath {
  let p = from;
  while (p.node !== node) p = p.get("expression") as NodePath;
  return p;
}

/** Does `name` at `at` refer to the module-level binding (or to no binding of this file)? */
function moduleScoped(at: NodePath, name: string, program: NodePath<t.Program>): boolean {
  const binding = at.scope.getBinding(name);
  return !binding || binding.scope === program.scope;
}

/** The overload signatures (bodiless declarations of the same name) before an implementation, with their parents. */
function overloadSignatures(p: NodePath<t.FunctionDeclaration>): [t.Node, t.Node | null][] {
  const name = p.node.id?.name;
  const at = p.parentPath.isExportNamedDeclaration() ? p.parentPath : p;
  const container = at.container;
  if (!name || !Array.isArray(container)) return [];
  const out: [t.Node, t.Node | null][] = [];
  for (const s of container as t.Statement[]) {
    if (s === at.node) break;
    const fn = s.type === "ExportNamedDeclaration" ? s.declaration : s;
    if (fn?.type === "TSDeclareFunction" && fn.id?.name === name) out.push([fn, s === fn ? null : s]);
  }
  return out;
}

/** The keys of each object literal the function returns (not those of nested functions). */
function returnedKeys(fn: t.FunctionDeclaration): string[][] {
  const out: string[][] = [];
  const visit = (n: unknown): void => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(visit);
    const node = n as t.Node;
    if (node !== fn && (node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression" || node.type === "ClassMethod" || node.type === "ObjectMethod")) return;
    if (node.type === "ReturnStatement" && node.argument) {
      const e = skipTypeWrappers(node.argument);
      if (e.type === "ObjectExpression") {
        out.push(e.properties.flatMap((p) => (p.type !== "SpreadElement" && !p.computed && p.key.type === "Identifier" ? [p.key.name] : p.type !== "SpreadElement" && p.key.type === "StringLiteral" ? [p.key.value] : [])));
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== "loc" && !k.endsWith("Comments") && k !== "extra") visit(v);
  };
  visit(fn.body);
  return out;
}

/** What the planner needs of a function before lowering it, and the lowering. */
function facts(path: NodePath<FunctionNode>, adapterFor: (runtime: string) => BabelAdapter, source: string, localTypes: ReturnType<typeof collectLocalTypes>): FunctionFacts {
  const fn = path.node;
  const params = fn.params.filter((p) => !(p.type === "Identifier" && p.name === "this"));
  return {
    params: params.map((p) => {
      const q = p.type === "AssignmentPattern" ? p.left : p.type === "TSParameterProperty" ? p.parameter : p.type === "RestElement" ? p.argument : p;
      const r = q.type === "AssignmentPattern" ? q.left : q;
      return r.type === "Identifier" ? r.name : undefined;
    }),
    rest: params[params.length - 1]?.type === "RestElement",
    lexicalThis: fn.type === "ArrowFunctionExpression" && readsThis(fn),
    lower: (r) => {
      const marked = adapterFor(r.runtime).marked(fn, r.name, r.kind, r.wrt, r.markLoc);
      const returnType = typeIR(fn.returnType as t.Node | null | undefined, source, localTypes);
      if (returnType) marked.returnType = returnType;
      return marked;
    },
  };
}

/** Does an arrow read the enclosing `this` (outside nested non-arrow functions and classes)? */
function readsThis(fn: t.ArrowFunctionExpression): boolean {
  let found = false;
  const visit = (n: unknown): void => {
    if (found || !n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(visit);
    const node = n as t.Node;
    if (node.type === "ThisExpression") found = true;
    else if (node.type === "FunctionExpression" || node.type === "FunctionDeclaration" || node.type === "ClassDeclaration" || node.type === "ClassExpression" || node.type === "ObjectMethod") return;
    else for (const [k, v] of Object.entries(node)) if (k !== "loc" && !k.endsWith("Comments") && k !== "extra") visit(v);
  };
  visit(fn.body);
  return found;
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
