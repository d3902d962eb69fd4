// @cotangent/babel-plugin: the Babel host. On entering a Program it finds every marked function
// (`/** @differentiable */` declarations, `differentiable(fn)` wrappers, `@differentiable`
// methods, function literals passed straight to an operator), asks the core for their JVP and
// VJP, inserts them next to the originals with locations pointing at the user's lines, resolves
// operator calls on visible functions at build time, and removes the marks it consumed.
//
// Usage: `plugins: ["@cotangent/babel-plugin"]` beside `@babel/preset-typescript`.

import type { NodePath, PluginObj, PluginPass, types as t } from "@babel/core";
import { parse, parseExpression } from "@babel/parser";
import {
  CODES,
  RUNTIME_MODULE,
  defineDerivativesCode,
  derivativeNames,
  derivativesRecordCode,
  differentiateSafely,
  formatDiagnostic,
  isOperatorName,
  loadPrimitiveTable,
  operatorCallCode,
  markOfComments,
  differentiateSecondOrder,
  differentiatesAnOperator,
  defineKernelCode,
  type KernelSource,
  secondOrderMode,
  secondOrderRegistrationCode,
  uniqueName,
  wrtIndices,
  type GeneratedFunction,
  type Diagnostic,
  type KnownFunction,
  type Loc,
  type MarkedFunction,
  type ModuleContext,
  type OperatorName,
  type SecondOrderOption,
} from "@cotangent/transformer";
import { BabelAdapter, collectLocalClasses, collectLocalTypes, locOf, typeIR } from "./adapter.js";
import { functionDeclaration, functionExpression } from "./build-ast.js";

export interface PluginOptions {
  /** Print warnings (such as a result that does not depend on the inputs) to stderr. Default true. */
  warnings?: boolean;
  /** Called with each function's generated derivatives (used by `cotangent explain`). */
  onDerivatives?: (generated: { name: string; jvp: GeneratedFunction; vjp: GeneratedFunction }) => void;
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

/** How the file refers to the runtime's exports. */
interface RuntimeImports {
  /** local name → exported name, for `import { gradient as g }` */
  named: Map<string, string>;
  /** `import * as ct` */
  namespaces: Set<string>;
}

type FunctionNode = t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression | t.ClassMethod;

interface Mark {
  /** declaration: `/** @differentiable *\/ function f`; constant: the same mark on `const f = (…) => …`. */
  kind: "declaration" | "constant" | "wrapper" | "method" | "inline";
  path: NodePath<FunctionNode>;
  name: string;
  wrt?: string[];
  info: KnownFunction;
  /** wrapper: the `differentiable(...)` call; inline: the operator call. */
  call?: NodePath<t.CallExpression>;
  operator?: OperatorName;
  markLoc?: Loc;
  /** `@kernel` too: compiled to WGSL by the core (which refuses anything but a declaration). */
  kernel?: boolean;
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

function runtimeImports(program: NodePath<t.Program>): RuntimeImports {
  const named = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const s of program.node.body) {
    if (s.type !== "ImportDeclaration" || s.source.value !== RUNTIME_MODULE) continue;
    for (const spec of s.specifiers) {
      if (spec.type === "ImportNamespaceSpecifier") namespaces.add(spec.local.name);
      else if (spec.type === "ImportSpecifier") named.set(spec.local.name, spec.imported.type === "Identifier" ? spec.imported.name : spec.imported.value);
    }
  }
  return { named, namespaces };
}

/** Which runtime export (if any) an expression names: `gradient`, `g` (aliased) or `ct.gradient`. */
function runtimeName(e: t.Node, imports: RuntimeImports): string | undefined {
  if (e.type === "Identifier") return imports.named.get(e.name);
  if (e.type === "MemberExpression" && !e.computed && e.object.type === "Identifier" && imports.namespaces.has(e.object.name) && e.property.type === "Identifier")
    return e.property.name;
  return undefined;
}

/** `{ wrt: ["x", "y"] }` or `{ wrt: "x" }` → names. */
function wrtOption(node: t.Node | undefined): string[] | undefined {
  if (!node || node.type !== "ObjectExpression") return undefined;
  for (const p of node.properties) {
    if (p.type !== "ObjectProperty" || p.key.type !== "Identifier" || p.key.name !== "wrt") continue;
    if (p.value.type === "StringLiteral") return [p.value.value];
    if (p.value.type === "ArrayExpression")
      return p.value.elements.flatMap((e) => (e && e.type === "StringLiteral" ? [e.value] : []));
  }
  return undefined;
}

function paramNames(fn: t.Function): (string | undefined)[] {
  return fn.params.map((p) => {
    const q = p.type === "AssignmentPattern" ? p.left : p.type === "TSParameterProperty" ? p.parameter : p.type === "RestElement" ? p.argument : p;
    return q.type === "Identifier" ? q.name : undefined;
  });
}

function markComment(node: t.Node, parent: t.Node | null): ReturnType<typeof markOfComments> {
  // In source order: a comment before `export`, then those between `export` and the declaration.
  const exported = parent?.type === "ExportNamedDeclaration" || parent?.type === "ExportDefaultDeclaration" ? parent.leadingComments ?? [] : [];
  const blocks = [...exported, ...(node.leadingComments ?? [])].filter((c) => c.type === "CommentBlock");
  return markOfComments(blocks.map((c) => `/*${c.value}*/`));
}

function transformProgram(program: NodePath<t.Program>, state: PluginPass, types: typeof t, options: PluginOptions): void {
  const file = state.file;
  const source: string = file.code ?? "";
  const fileName: string = file.opts.filename ?? "unknown.ts";
  const imports = runtimeImports(program);

  const taken = new Set<string>();
  const shadowedGlobals = new Set<string>();
  program.traverse({
    Identifier(p) {
      taken.add(p.node.name);
      if (p.node.name === "Math" && p.scope.getBinding("Math")) shadowedGlobals.add("Math");
    },
  });
  const rt = uniqueName("__ct", taken);
  const primitives = loadPrimitiveTable(fileName);
  const ctx: ModuleContext = { fileName, source, runtime: rt, known: new Map(), knownMethods: new Map(), takenNames: taken, shadowedGlobals, ...(primitives ? { primitives } : {}), ...(options.fuse === false ? { fuse: false } : {}) };
  const marks: Mark[] = [];
  const customDerivatives: { path: NodePath<t.FunctionDeclaration>; of: string; mode: "vjp" | "jvp" }[] = [];
  const operatorCalls: { path: NodePath<t.CallExpression>; op: OperatorName; name: string }[] = [];
  /** `outer(inner(f))`: second derivatives, which need f's JVP differentiated too. */
  const nestedOperatorCalls: { path: NodePath<t.CallExpression>; outer: OperatorName; inner: OperatorName; name: string }[] = [];
  const localTypes = collectLocalTypes(program.node);
  const adapter = new BabelAdapter(source, imports.named, rt, localTypes, collectLocalClasses(program.node));
  ctx.classes = adapter.moduleClasses();
  /** Marks that cannot be honoured at all (reported with the differentiation errors). */
  const markErrors: Diagnostic[] = [];

  const info = (fn: t.Function, name: string, wrt: string[] | undefined, isMethod: boolean): KnownFunction => {
    // Methods of one name share derivative names in every class: `obj.m$jvp(…)` dispatches as `obj.m(…)` does.
    const shared = isMethod ? ctx.knownMethods.get(name) : undefined;
    const names = shared ? { jvpName: shared.jvpName, vjpName: shared.vjpName } : derivativeNames(name, taken);
    return {
      ...names,
      arity: fn.params.length,
      wrt: wrtIndices(paramNames(fn), wrt).indices,
      isMethod,
      returnType: typeIR(fn.returnType as t.Node | null | undefined, source, localTypes),
      ...(fn.params[fn.params.length - 1]?.type === "RestElement" ? { rest: true } : {}),
    };
  };

  // 1. Find every mark first, so marked functions can call each other in any order.
  program.traverse({
    FunctionDeclaration(p) {
      // Overloaded functions carry their documentation on the first signature: a mark there marks the implementation.
      const mark = markComment(p.node, p.parent) ?? overloadMark(p);
      if (!mark) return;
      if (!p.node.id) {
        markErrors.push({
          code: CODES.unsupportedSyntax,
          severity: "error",
          message: "an anonymous `export default function` cannot be marked differentiable (give the function a name)",
          loc: locOf(p.parentPath.isExportDefaultDeclaration() ? p.parent : p.node),
          notes: [],
        });
        return;
      }
      if (mark.kind === "derivative") {
        customDerivatives.push({ path: p, of: mark.of!, mode: returnsKey(p.node, "differential") ? "jvp" : "vjp" });
        return;
      }
      const name = p.node.id.name;
      const i = info(p.node, name, mark.wrt, false);
      ctx.known.set(name, i);
      marks.push({ kind: "declaration", path: p, name, wrt: mark.wrt, info: i, markLoc: locOf(p.node.id), ...(mark.kernel ? { kernel: true } : {}) });
    },
    VariableDeclarator(p) {
      const init = p.node.init;
      if (!init || (init.type !== "ArrowFunctionExpression" && init.type !== "FunctionExpression") || p.node.id.type !== "Identifier") return;
      const declaration = p.parentPath as NodePath<t.VariableDeclaration>;
      const mark = markComment(declaration.node, declaration.parent);
      if (!mark || mark.kind !== "differentiable" || declaration.node.declarations.length !== 1) return;
      const name = p.node.id.name;
      const i = info(init, name, mark.wrt, false);
      ctx.known.set(name, i);
      marks.push({ kind: "constant", path: p.get("init") as NodePath<FunctionNode>, name, wrt: mark.wrt, info: i, markLoc: locOf(p.node.id), ...(mark.kernel ? { kernel: true } : {}) });
    },
    CallExpression(p) {
      const which = runtimeName(p.node.callee, imports);
      const arg = p.node.arguments[0];
      if (!which || !arg) return;
      const isFn = arg.type === "ArrowFunctionExpression" || arg.type === "FunctionExpression";
      if (which === "differentiable" && isFn) {
        const decl = p.parentPath.isVariableDeclarator() && p.parentPath.node.id.type === "Identifier" ? p.parentPath.node.id.name : undefined;
        const name = decl ?? uniqueName("anonymous", taken);
        const wrt = wrtOption(p.node.arguments[1] as t.Node | undefined);
        const i = info(arg, name, wrt, false);
        if (decl) ctx.known.set(name, i);
        marks.push({ kind: "wrapper", path: p.get("arguments.0") as NodePath<FunctionNode>, name, wrt, info: i, call: p, markLoc: locOf(p.node.callee) });
      } else if (isOperatorName(which) && isFn) {
        const name = uniqueName("anonymous", taken);
        marks.push({
          kind: "inline",
          path: p.get("arguments.0") as NodePath<FunctionNode>,
          name,
          info: info(arg, name, undefined, false),
          call: p,
          operator: which,
          markLoc: locOf(arg),
        });
      } else if (isOperatorName(which) && arg.type === "Identifier") {
        operatorCalls.push({ path: p, op: which, name: arg.name });
      } else if (isOperatorName(which) && arg.type === "CallExpression" && arg.arguments[0]?.type === "Identifier") {
        const inner = runtimeName(arg.callee, imports);
        if (inner && isOperatorName(inner)) nestedOperatorCalls.push({ path: p, outer: which, inner, name: arg.arguments[0].name });
      }
    },
    ClassMethod(p) {
      const jsdoc = markComment(p.node, null);
      if (jsdoc?.kind === "differentiable" && p.node.key.type === "Identifier" && p.node.kind === "method") {
        const name = p.node.key.name;
        const i = info(p.node, name, jsdoc.wrt, true);
        ctx.knownMethods.set(name, i);
        marks.push({ kind: "method", path: p, name, wrt: jsdoc.wrt, info: i, markLoc: locOf(p.node.key), ...(jsdoc.kernel ? { kernel: true } : {}) });
        return;
      }
      const decorators = p.node.decorators ?? [];
      for (const d of decorators) {
        const e = d.expression;
        const isMark = runtimeName(e, imports) === "differentiable" || (e.type === "CallExpression" && runtimeName(e.callee, imports) === "differentiable");
        if (!isMark) continue;
        if (p.node.key.type !== "Identifier" || p.node.kind !== "method") {
          throw p.buildCodeFrameError("CT1001: @differentiable applies to methods with a plain name (not getters, setters or computed keys)");
        }
        const name = p.node.key.name;
        const wrt = e.type === "CallExpression" ? wrtOption(e.arguments[0] as t.Node | undefined) : undefined;
        const i = info(p.node, name, wrt, true);
        ctx.knownMethods.set(name, i);
        marks.push({ kind: "method", path: p, name, wrt, info: i, markLoc: locOf(p.node.key) });
        d.expression = types.identifier("undefined"); // replaced below: removed from the list
      }
      if (p.node.decorators) {
        p.node.decorators = p.node.decorators.filter((d) => !(d.expression.type === "Identifier" && d.expression.name === "undefined"));
        if (!p.node.decorators.length) p.node.decorators = null;
      }
    },
  });

  // 2. Differentiate every mark; report all errors at once.
  const errors: string[] = markErrors.map((d) => formatDiagnostic(d, source, fileName));
  let firstErrorAt: NodePath | undefined;
  const markedFunctions: MarkedFunction[] = [];
  const results = new Map<Mark, { jvp: GeneratedFunction; vjp: GeneratedFunction; jvpFunction?: MarkedFunction; kernel?: KernelSource; second?: { jvp: GeneratedFunction; vjp: GeneratedFunction; info: KnownFunction } }>();
  for (const m of marks) {
    const fnNode = m.path.node as t.Function;
    const marked: MarkedFunction = adapter.marked(fnNode, m.name, m.kind === "method" ? "method" : m.kind === "declaration" ? "declaration" : "expression", m.wrt, m.markLoc);
    if (m.kind === "method") marked.owner = methodOwner(m.path as NodePath<t.ClassMethod>);
    if (m.kernel) marked.kernel = true;
    markedFunctions.push(marked);
    const localCtx: ModuleContext = m.kind === "inline" || (m.kind === "wrapper" && !ctx.known.has(m.name)) ? { ...ctx, known: new Map([...ctx.known, [m.name, m.info]]) } : ctx;
    const r = differentiateSafely(marked, localCtx);
    for (const d of r.diagnostics) {
      const text = formatDiagnostic(d, source, fileName);
      if (d.severity === "error") {
        errors.push(text);
        firstErrorAt ??= m.path;
      }
      else if (options.warnings !== false) console.warn(text);
    }
    if (r.jvp && r.vjp) {
      results.set(m, { jvp: r.jvp, vjp: r.vjp, ...(r.jvpFunction ? { jvpFunction: r.jvpFunction } : {}), ...(r.kernel ? { kernel: r.kernel } : {}) });
      options.onDerivatives?.({ name: m.name, jvp: r.jvp, vjp: r.vjp });
    }
  }
  // Second derivatives: the core decides which marks' JVPs are differentiated again.
  const requested = nestedOperatorCalls.length > 0 || differentiatesAnOperator(markedFunctions, ctx);
  const secondMode = secondOrderMode(requested, marks.some((m) => isExported(m, program)), options.secondOrder);
  if (secondMode && !errors.length) {
    const referable = marks.filter((m) => m.kind !== "inline" && results.get(m)?.jvpFunction);
    const so = differentiateSecondOrder(ctx, referable.map((m) => ({ jvpFunction: results.get(m)!.jvpFunction!, isMethod: m.kind === "method" })), secondMode);
    for (const d of so.diagnostics) errors.push(formatDiagnostic(d, source, fileName));
    referable.forEach((m, i) => {
      const second = so.results[i];
      if (second) results.get(m)!.second = second;
    });
  }
  if (errors.length) {
    // Babel frames the function that is not differentiable; the message frames each offending expression.
    const at = firstErrorAt ?? program;
    const summary = errors.length === 1 ? "1 error" : `${errors.length} errors`;
    throw at.buildCodeFrameError(`Cotangent: ${summary}\n\n${errors.join("\n\n")}\n`);
  }

  // 3. Insert the derivatives next to each marked function.
  const used = { runtime: false };
  for (const m of marks) {
    const r = results.get(m)!;
    used.runtime = true;
    const inf = m.info;
    const extra = r.second ? [r.second.jvp, r.second.vjp] : [];
    const jvpDecl = () => functionDeclaration(r.jvp, fileName, m.markLoc);
    const vjpDecl = () => functionDeclaration(r.vjp, fileName, m.markLoc);
    const secondInfo = r.second?.info;
    const secondRegistration = (owner?: string) =>
      secondInfo ? [parseStatement(secondOrderRegistrationCode(rt, inf.jvpName, secondInfo, owner))] : [];
    const extraDecls = () => [...extra.map((g) => functionDeclaration(g, fileName, m.markLoc)), ...secondRegistration()];
    switch (m.kind) {
      case "declaration": {
        const stmt = m.path.parentPath.isExportNamedDeclaration() || m.path.parentPath.isExportDefaultDeclaration() ? m.path.parentPath : m.path;
        const reg = parseStatement(`${defineDerivativesCode(rt, m.name, inf, m.name, inf.jvpName, inf.vjpName)};`);
        const kernelReg = r.kernel ? [parseStatement(`${defineKernelCode(rt, m.name, r.kernel)};`)] : [];
        insertNodes(stmt, "after", [jvpDecl(), vjpDecl(), ...extraDecls(), reg, ...kernelReg]);
        break;
      }
      case "constant":
      case "wrapper": {
        // The literal becomes `RT.defineDerivatives(literal, {...})`; its derivatives go before the
        // statement, unless the literal sits in a function nested inside that statement (it could
        // capture that function's locals): then they go inline, as function expressions.
        const fnPath = m.path;
        const replaced = m.kind === "wrapper" ? m.call! : fnPath;
        const stmt = replaced.getStatementParent()!;
        const target = stmt.parentPath?.isExportNamedDeclaration() ? stmt.parentPath : stmt;
        const sameFunction = fnPath.parentPath!.scope.getFunctionParent() === stmt.scope.getFunctionParent();
        const inline = !sameFunction && !ctx.known.has(m.name);
        const replacement = parseExpression(
          defineDerivativesCode(rt, m.name, inf, "__cotangent_fn__", inline ? "__cotangent_jvp__" : inf.jvpName, inline ? "__cotangent_vjp__" : inf.vjpName),
        );
        replaceIdentifier(replacement, "__cotangent_fn__", fnPath.node);
        if (inline) {
          replaceIdentifier(replacement, "__cotangent_jvp__", functionExpression(r.jvp, fileName, m.markLoc));
          replaceIdentifier(replacement, "__cotangent_vjp__", functionExpression(r.vjp, fileName, m.markLoc));
        }
        replaced.replaceWith(replacement);
        if (!inline) insertNodes(target, "before", [jvpDecl(), vjpDecl(), ...extraDecls()]);
        break;
      }
      case "method": {
        const method = m.path as NodePath<t.ClassMethod>;
        const classBody = method.parentPath as NodePath<t.ClassBody>;
        const cls = classBody.parentPath as NodePath<t.Class>;
        const isStatic = method.node.static;
        for (const g of [r.jvp, r.vjp, ...extra]) {
          const fn = functionDeclaration(g, fileName, m.markLoc);
          classBody.node.body.push(types.classMethod("method", types.identifier(g.name), fn.params, fn.body, false, isStatic));
        }
        if (cls.node.type !== "ClassDeclaration" || !cls.node.id) {
          throw method.buildCodeFrameError("CT1001: @differentiable methods must belong to a named class declaration");
        }
        const owner = isStatic ? cls.node.id.name : `${cls.node.id.name}.prototype`;
        const reg = parseStatement(
          `${defineDerivativesCode(rt, m.name, inf, `${owner}.${m.name}`, `${owner}.${inf.jvpName}`, `${owner}.${inf.vjpName}`)};`,
        );
        const stmt = cls.parentPath.isExportNamedDeclaration() || cls.parentPath.isExportDefaultDeclaration() ? cls.parentPath : cls;
        insertNodes(stmt, "after", [reg, ...secondRegistration(owner)]);
        break;
      }
      case "inline": {
        const call = m.call!;
        const fnNode = m.path.node as t.Expression;
        const jvpExpr = functionExpression(r.jvp, fileName, m.markLoc);
        const vjpExpr = functionExpression(r.vjp, fileName, m.markLoc);
        const replacement = parseExpression(
          operatorCallCode(rt, m.operator!, derivativesRecordCode(rt, m.name, inf, "__cotangent_jvp__", "__cotangent_vjp__", "__cotangent_fn__")),
        );
        replaceIdentifier(replacement, "__cotangent_fn__", fnNode);
        replaceIdentifier(replacement, "__cotangent_jvp__", jvpExpr);
        replaceIdentifier(replacement, "__cotangent_vjp__", vjpExpr);
        call.replaceWith(replacement);
        break;
      }
    }
  }

  // 4. Operators applied to visible marked functions resolve at build time.
  for (const c of operatorCalls) {
    const inf = ctx.known.get(c.name);
    if (!inf || !c.path.node) continue;
    if (c.path.scope.getBinding(c.name)?.scope !== program.scope && !marks.some((m) => m.name === c.name)) continue;
    used.runtime = true;
    c.path.replaceWith(parseExpression(operatorCallCode(rt, c.op, derivativesRecordCode(rt, c.name, inf, inf.jvpName, inf.vjpName, c.name))));
  }

  // 4b. `outer(inner(f))`: the runtime builds inner(f)'s derivatives from f's and its JVP's.
  for (const c of nestedOperatorCalls) {
    const inf = ctx.known.get(c.name);
    const second = [...results].find(([m]) => m.kind !== "method" && m.info === inf)?.[1].second?.info;
    if (!inf || !second || (c.inner !== "derivative" && c.inner !== "gradient")) continue;
    used.runtime = true;
    const record = derivativesRecordCode(rt, c.name, inf, inf.jvpName, inf.vjpName, c.name);
    const inner = `${rt}.secondOrder(${JSON.stringify(c.inner)}, ${record}, { jvp: ${second.jvpName}, vjp: ${second.vjpName} })`;
    c.path.replaceWith(parseExpression(operatorCallCode(rt, c.outer, inner)));
  }

  // 5. Custom derivatives register themselves on the function they are for.
  for (const d of customDerivatives) {
    used.runtime = true;
    const stmt = d.path.parentPath.isExportNamedDeclaration() ? d.path.parentPath : d.path;
    insertNodes(stmt, "after", [parseStatement(`${rt}.registerDerivative(${d.of}, { ${d.mode}: ${d.path.node.id!.name} }, { replace: true });`)]);
  }

  if (used.runtime) {
    program.node.body.unshift(types.importDeclaration([types.importNamespaceSpecifier(types.identifier(rt))], types.stringLiteral(RUNTIME_MODULE)));
  }
}

/** True when the module exports the marked function (or, for a method, its class). */
function isExported(m: Mark, program: NodePath<t.Program>): boolean {
  if (m.kind === "inline") return false;
  const local = m.kind === "method" ? methodOwner(m.path as NodePath<t.ClassMethod>)?.split(".")[0] : m.name;
  if (!local) return false;
  return program.node.body.some((s) => {
    if (s.type === "ExportDefaultDeclaration") {
      const d = s.declaration;
      return (d.type === "Identifier" && d.name === local) || ((d.type === "FunctionDeclaration" || d.type === "ClassDeclaration") && d.id?.name === local);
    }
    if (s.type !== "ExportNamedDeclaration" || s.source) return false;
    const d = s.declaration;
    if (d?.type === "FunctionDeclaration" || d?.type === "ClassDeclaration") return d.id?.name === local;
    if (d?.type === "VariableDeclaration") return d.declarations.some((v) => v.id.type === "Identifier" && v.id.name === local);
    return s.specifiers.some((x) => x.type === "ExportSpecifier" && x.local.name === local);
  });
}

/** `C.prototype` (or `C` for a static method): where the method and its derivatives live. */
function methodOwner(method: NodePath<t.ClassMethod>): string | undefined {
  const cls = method.parentPath.parentPath?.node;
  if (!cls || cls.type !== "ClassDeclaration" || !cls.id) return undefined;
  return method.node.static ? cls.id.name : `${cls.id.name}.prototype`;
}

/**
 * Splices generated statements next to `stmt` in its statement list. This runs on entering the
 * Program, before Babel has visited the body, so plain node insertion is enough: Babel visits the
 * new statements like any others, without the path bookkeeping (and scope re-crawls) of insertAfter.
 */
function insertNodes(stmt: NodePath, where: "before" | "after", nodes: t.Statement[]): void {
  const container = stmt.container;
  if (!Array.isArray(container)) {
    if (where === "after") stmt.insertAfter(nodes);
    else stmt.insertBefore(nodes);
    return;
  }
  const at = (container as t.Node[]).indexOf(stmt.node);
  (container as t.Node[]).splice(where === "after" ? at + 1 : at, 0, ...nodes);
}

/** The mark on an overload signature (`declare`-like, bodiless) of the same name before this implementation. */
function overloadMark(p: NodePath<t.FunctionDeclaration>): ReturnType<typeof markOfComments> {
  const name = p.node.id?.name;
  const at = p.parentPath.isExportNamedDeclaration() ? p.parentPath : p;
  const container = at.container;
  if (!name || !Array.isArray(container)) return undefined;
  for (const s of container as t.Statement[]) {
    if (s === at.node) break;
    const fn = s.type === "ExportNamedDeclaration" ? s.declaration : s;
    if (fn?.type === "TSDeclareFunction" && fn.id?.name === name) {
      const mark = markComment(fn, s === fn ? null : s);
      if (mark) return mark;
    }
  }
  return undefined;
}

/** Does the function return an object literal with this key (`{ value, differential }`)? */
function returnsKey(fn: t.FunctionDeclaration, key: string): boolean {
  let found = false;
  const visit = (n: unknown): void => {
    if (found || !n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(visit);
    const node = n as t.Node;
    if (node.type === "ReturnStatement" && node.argument?.type === "ObjectExpression") {
      if (node.argument.properties.some((p) => p.type !== "SpreadElement" && p.key.type === "Identifier" && p.key.name === key)) found = true;
    }
    for (const [k, v] of Object.entries(node)) if (k !== "loc" && !k.endsWith("Comments")) visit(v);
  };
  visit(fn.body);
  return found;
}

function parseStatement(code: string): t.Statement {
  return parse(code, { sourceType: "module" }).program.body[0]!;
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

