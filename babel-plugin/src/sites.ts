// What the Babel host tells the core's module planner about a file (transformer/src/module.ts):
// every site where a mark may be, in source order, in host-neutral form — declarations and
// `const f = …` literals with the comments before them, class members with their `differentiable`
// decorators, wrappers, aliases, literals passed to an operator, operator calls on names — and,
// per function, the facts the planner needs before it asks for the function lowered to the IR.
// Which sites are marks is the planner's decision, not this file's.

import type { NodePath, types as t } from "@babel/core";
import { RUNTIME_MODULE, isOperatorName, type FunctionFacts, type Loc, type Site } from "@cotangent/transformer";
import { type BabelAdapter, type collectLocalTypes, locOf, typeIR } from "./adapter.js";

export type FunctionNode = t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression | t.ClassMethod;
/** How the file refers to the runtime's exports. */
export interface RuntimeImports {
  /** local name → exported name, for `import { gradient as g }` */
  named: Map<string, string>;
  /** `import * as ct` */
  namespaces: Set<string>;
}

export function runtimeImports(program: t.Program): RuntimeImports {
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

export function isDifferentiableDecorator(e: t.Node, imports: RuntimeImports): boolean {
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
export function findSites(
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
export function facts(path: NodePath<FunctionNode>, adapterFor: (runtime: string) => BabelAdapter, source: string, localTypes: ReturnType<typeof collectLocalTypes>): FunctionFacts {
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

