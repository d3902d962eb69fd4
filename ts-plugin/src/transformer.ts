// The ts-patch program transformer: `{ "transform": "@cotangent/ts-plugin/transformer" }` in a
// tsconfig's `plugins`. Per source file it finds the marks (marks.ts), lowers each marked function
// to the IR (adapter.ts), asks the core for its JVP and VJP, reports the core's errors through
// ts-patch's `addDiagnostic` (so `tspc` prints them and exits non-zero) and its warnings to stderr
// (or through `addDiagnostic` with `warningsAsDiagnostics`), and splices the generated functions
// in beside the originals (synthesize.ts), registering them on the function objects and resolving
// `gradient(f)`-style calls at build time. A file with an `outer(inner(f))` call also gets the
// derivatives of each marked function's JVP (`f$jvp$jvp`, `f$jvp$vjp`), for second derivatives.

import ts from "typescript";
import type * as TS from "typescript";
import {
  OPERATORS,
  RUNTIME_MODULE,
  defineDerivativesCode,
  defineKernelCode,
  derivativesRecordCode,
  formatDiagnostic,
  operatorCallCode,
  secondOrderRegistrationCode,
  uniqueName,
  type Diagnostic,
  type GeneratedFunction,
  type KnownFunction,
  type SecondOrderOption,
} from "@cotangent/transformer";
import { createCalleeResolver } from "./callee.js";
import { analyzeSourceFile, isSecondOrderInner, mightHaveMarks, toTsDiagnostic, type AnalyzeOptions, type Plan } from "./check.js";
import { nestedOperatorCallOf, runtimeExportOf, skipOuterExpressions, type Found } from "./marks.js";
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
  // 1–2. Marks, names, differentiation (check.ts: the same pipeline the editor plugin runs).
  const analysis = analyzeSourceFile(ts, sf, analyze);
  if (!analysis) return sf;
  for (const d of analysis.diagnostics) report(sf, d);
  const { imports, found, byNode, runtime, takenNames, known, secondByInfo } = analysis;

  // 3. Rewrite.
  let generatedAnything = false;
  const frames: { before: TS.Statement[]; after: TS.Statement[] }[] = [];
  const frame = () => frames[frames.length - 1]!;
  const refsCache = new Map<TS.Node, Map<string, TS.Identifier>>();
  const referencesOf = (node: TS.Node) => {
    let refs = refsCache.get(node);
    if (!refs) refsCache.set(node, (refs = collectReferences(ts, node)));
    return refs;
  };
  const gen = (plan: Plan, which: "jvp" | "vjp"): TS.FunctionDeclaration => genFrom(plan, plan.result![which]!);
  const genFrom = (plan: Plan, g: GeneratedFunction): TS.FunctionDeclaration => {
    generatedAnything = true;
    return synthesizeFunction(ts, g, { fallback: plan.marked.loc, references: referencesOf(plan.fnNode) });
  };
  /** The second-order functions (`f$jvp$jvp`, `f$jvp$vjp`) as declarations, when the file needs them. */
  const genSecond = (plan: Plan): TS.FunctionDeclaration[] => (plan.second ? [genFrom(plan, plan.second.jvp), genFrom(plan, plan.second.vjp)] : []);
  /** Registers the second-order functions as the derivatives of the JVP (see secondOrderRegistrationCode). */
  const registerSecond = (plan: Plan, owner?: string): TS.Statement[] => {
    const second = secondByInfo.get(plan.info);
    return plan.second && second ? [parseStatement(secondOrderRegistrationCode(runtime, plan.info.jvpName, second as KnownFunction, owner))] : [];
  };
  /** `const NAME = (…) => {…}`: a generated function that must see the enclosing `this`. */
  const asConstArrow = (decl: TS.FunctionDeclaration): TS.Statement =>
    factory.createVariableStatement(
      undefined,
      factory.createVariableDeclarationList([factory.createVariableDeclaration(decl.name!.text, undefined, undefined, toExpression(decl, true))], ts.NodeFlags.Const),
    );
  const parseStatement = (code: string): TS.Statement => {
    generatedAnything = true;
    return synthesizeStatements(ts, code)[0]!;
  };
  /** Parses an expression whose `$placeholders` are replaced by the given nodes. */
  const parseExpression = (code: string, holes: Record<string, TS.Expression> = {}): TS.Expression => {
    generatedAnything = true;
    const stmt = synthesizeStatements(ts, `(${code});`)[0] as TS.ExpressionStatement;
    let expr = stmt.expression;
    if (ts.isParenthesizedExpression(expr)) expr = expr.expression;
    const fill = (node: TS.Node): TS.Node => {
      if (ts.isIdentifier(node) && Object.prototype.hasOwnProperty.call(holes, node.text)) return holes[node.text]!;
      return ts.visitEachChild(node, fill, context);
    };
    return fill(expr) as TS.Expression;
  };
  const toExpression = (decl: TS.FunctionDeclaration, arrow: boolean): TS.Expression => {
    const e = arrow
      ? factory.createArrowFunction(undefined, undefined, decl.parameters, undefined, factory.createToken(ts.SyntaxKind.EqualsGreaterThanToken), decl.body!)
      : factory.createFunctionExpression(undefined, undefined, decl.name, undefined, decl.parameters, undefined, decl.body!);
    return moveEmitInfo(ts, decl, e);
  };
  const holeName = (base: string) => uniqueName(base, takenNames);

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

  const visitor = (node: TS.Node): TS.VisitResult<TS.Node | undefined> => {
    if (ts.isBlock(node)) return factory.updateBlock(node, visitStatements(node.statements));
    if (ts.isModuleBlock(node)) return factory.updateModuleBlock(node, visitStatements(node.statements));
    if (ts.isCaseClause(node)) return factory.updateCaseClause(node, ts.visitNode(node.expression, visitor) as TS.Expression, visitStatements(node.statements));
    if (ts.isDefaultClause(node)) return factory.updateDefaultClause(node, visitStatements(node.statements));

    const plan = byNode.get(node);
    if (plan?.found.kind === "declaration" && ts.isFunctionDeclaration(node)) {
      const visited = ts.visitEachChild(node, visitor, context);
      if (plan.ok) {
        frame().after.push(
          gen(plan, "jvp"),
          gen(plan, "vjp"),
          ...genSecond(plan),
          ...registerSecond(plan),
          parseStatement(`${defineDerivativesCode(runtime, plan.name, plan.info, plan.name, plan.info.jvpName, plan.info.vjpName)};`),
          ...(plan.result?.kernel ? [parseStatement(`${defineKernelCode(runtime, plan.name, plan.result.kernel)};`)] : []),
        );
      }
      return visited;
    }
    if (plan?.found.kind === "constant" && node === plan.fnNode) {
      // `/** @differentiable */ const f = (…) => …`: the derivatives before the statement, the
      // initializer wrapped in `defineDerivatives` (which returns it).
      const fnExpr = ts.visitEachChild(node, visitor, context) as TS.Expression;
      if (!plan.ok) return fnExpr;
      const fnHole = holeName("$fn");
      // An arrow using `this`: the derivatives are `const` arrows, so they see the same `this`.
      const decls = [gen(plan, "jvp"), gen(plan, "vjp"), ...genSecond(plan)];
      frame().before.push(...(plan.lexicalThis ? decls.map(asConstArrow) : decls), ...registerSecond(plan));
      return parseExpression(defineDerivativesCode(runtime, plan.name, plan.info, fnHole, plan.info.jvpName, plan.info.vjpName), { [fnHole]: fnExpr });
    }
    if (plan?.found.kind === "wrapper" && ts.isCallExpression(node)) {
      const fnExpr = ts.visitNode(node.arguments[0]!, visitor) as TS.Expression;
      if (!plan.ok) return factory.updateCallExpression(node, node.expression, node.typeArguments, ts.visitNodes(node.arguments, visitor) as TS.NodeArray<TS.Expression>);
      const fnHole = holeName("$fn");
      if (plan.found.binding) {
        // `const g = differentiable(…)`: hoisted declarations after the statement (other code
        // refers to them by name: `gradient(g)` resolves at build time); for an arrow using
        // `this`, `const` arrows before it, which see the same `this`.
        const decls = [gen(plan, "jvp"), gen(plan, "vjp"), ...genSecond(plan)];
        if (plan.lexicalThis) frame().before.push(...decls.map(asConstArrow), ...registerSecond(plan));
        else frame().after.push(...decls, ...registerSecond(plan));
        return parseExpression(defineDerivativesCode(runtime, plan.name, plan.info, fnHole, plan.info.jvpName, plan.info.vjpName), { [fnHole]: fnExpr });
      }
      // Anywhere else: the derivatives inline, as expressions in the same scope as the literal,
      // so they see the same captures and the same `this`.
      const jvpHole = holeName("$jvp");
      const vjpHole = holeName("$vjp");
      return parseExpression(defineDerivativesCode(runtime, plan.name, plan.info, fnHole, jvpHole, vjpHole), {
        [fnHole]: fnExpr,
        [jvpHole]: toExpression(gen(plan, "jvp"), plan.lexicalThis),
        [vjpHole]: toExpression(gen(plan, "vjp"), plan.lexicalThis),
      });
    }
    if (plan?.found.kind === "inline" && ts.isCallExpression(node)) {
      if (!plan.ok) return ts.visitEachChild(node, visitor, context);
      const op = plan.found.op;
      const fnExpr = ts.visitNode(node.arguments[0]!, visitor) as TS.Expression;
      const [fnHole, jvpHole, vjpHole] = [holeName("$fn"), holeName("$jvp"), holeName("$vjp")];
      const call = parseExpression(operatorCallCode(runtime, op, derivativesRecordCode(runtime, plan.name, plan.info, jvpHole, vjpHole, fnHole)), {
        [fnHole]: fnExpr,
        [jvpHole]: toExpression(gen(plan, "jvp"), plan.lexicalThis),
        [vjpHole]: toExpression(gen(plan, "vjp"), plan.lexicalThis),
      }) as TS.CallExpression;
      return withRestArguments(node, call);
    }
    if (ts.isCallExpression(node)) {
      const rewritten = rewriteOperatorCall(node);
      if (rewritten) return rewritten;
    }
    if (ts.isClassDeclaration(node) && node.members.some((m) => byNode.get(m)?.found.kind === "method")) {
      return visitClass(node);
    }
    if (plan?.found.kind === "method") return ts.visitEachChild(node, visitor, context);
    const custom = customByNode.get(node);
    if (custom && ts.isFunctionDeclaration(node)) {
      const visited = ts.visitEachChild(node, visitor, context);
      frame().after.push(parseStatement(`${runtime}.registerDerivative(${custom.of}, { ${custom.mode}: ${node.name!.text} }, { replace: true });`));
      return visited;
    }
    return ts.visitEachChild(node, visitor, context);
  };

  /** `gradient(f)` with `f` a marked function of this module → the operator applied to f's derivatives record. */
  const rewriteOperatorCall = (node: TS.CallExpression): TS.Expression | undefined => {
    const nested = rewriteNestedOperatorCall(node);
    if (nested) return nested;
    const op = runtimeExportOf(ts, node.expression, imports);
    if (op === undefined || !(OPERATORS as readonly string[]).includes(op) || node.arguments.length === 0) return undefined;
    const arg = skipOuterExpressions(ts, node.arguments[0]!);
    if (!ts.isIdentifier(arg)) return undefined;
    const info = known.get(arg.text);
    if (!info) return undefined;
    const fnHole = holeName("$fn");
    const call = parseExpression(
      operatorCallCode(runtime, op as (typeof OPERATORS)[number], derivativesRecordCode(runtime, arg.text, info, info.jvpName, info.vjpName, fnHole)),
      // The user's own identifier, so the module transform treats it like any reference of theirs.
      { [fnHole]: ts.visitNode(node.arguments[0]!, visitor) as TS.Expression },
    ) as TS.CallExpression;
    return withRestArguments(node, call);
  };

  /**
   * `outer(inner(f))`, inner ∈ {derivative, gradient}, f marked here: the runtime builds inner(f)'s
   * derivatives from f's and from its JVP's (`RT.secondOrder`), and outer applies to those.
   */
  const rewriteNestedOperatorCall = (node: TS.CallExpression): TS.Expression | undefined => {
    const c = nestedOperatorCallOf(ts, node, imports);
    if (!c || !isSecondOrderInner(c.inner)) return undefined;
    const info = known.get(c.name);
    const second = info && secondByInfo.get(info);
    if (!info || !second) return undefined;
    const fnHole = holeName("$fn");
    const record = derivativesRecordCode(runtime, c.name, info, info.jvpName, info.vjpName, fnHole);
    const inner = `${runtime}.secondOrder(${JSON.stringify(c.inner)}, ${record}, { jvp: ${second.jvpName}, vjp: ${second.vjpName} })`;
    const call = parseExpression(operatorCallCode(runtime, c.outer, inner), {
      [fnHole]: ts.visitNode(c.innerCall.arguments[0]!, visitor) as TS.Expression,
    }) as TS.CallExpression;
    return withRestArguments(node, call);
  };

  const withRestArguments = (original: TS.CallExpression, call: TS.CallExpression): TS.Expression => {
    const rest = original.arguments.slice(1).map((a) => ts.visitNode(a, visitor) as TS.Expression);
    const out = rest.length > 0 ? factory.updateCallExpression(call, call.expression, undefined, [...call.arguments, ...rest]) : call;
    ts.setTextRange(out, original);
    ts.setSourceMapRange(out, original);
    return out;
  };

  const visitClass = (node: TS.ClassDeclaration): TS.Node => {
    const members: TS.ClassElement[] = [];
    const afterClass: TS.Statement[] = [];
    const className = node.name?.text;
    for (const member of node.members) {
      const plan = byNode.get(member);
      if (plan?.found.kind !== "method" || !ts.isMethodDeclaration(member)) {
        members.push(ts.visitNode(member, visitor) as TS.ClassElement);
        continue;
      }
      const decorator = plan.found.decorator;
      const visited = ts.visitEachChild(member, visitor, context);
      const modifiers = decorator ? visited.modifiers?.filter((m) => !(ts.isDecorator(m) && ts.getOriginalNode(m) === decorator)) : visited.modifiers;
      members.push(factory.updateMethodDeclaration(visited, modifiers, visited.asteriskToken, visited.name, visited.questionToken, visited.typeParameters, visited.parameters, visited.type, visited.body));
      if (!plan.ok || !className) continue;
      const isStatic = !!member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
      for (const decl of [gen(plan, "jvp"), gen(plan, "vjp"), ...genSecond(plan)]) {
        const method = factory.createMethodDeclaration(
          isStatic ? [factory.createModifier(ts.SyntaxKind.StaticKeyword)] : undefined,
          undefined,
          factory.createIdentifier(decl.name!.text),
          undefined,
          undefined,
          decl.parameters,
          undefined,
          decl.body,
        );
        members.push(moveEmitInfo(ts, decl, method));
      }
      const owner = isStatic ? className : `${className}.prototype`;
      afterClass.push(
        parseStatement(`${defineDerivativesCode(runtime, plan.name, plan.info, `${owner}.${plan.name}`, `${owner}.${plan.info.jvpName}`, `${owner}.${plan.info.vjpName}`)};`),
        ...registerSecond(plan, owner),
      );
    }
    frame().after.push(...afterClass);
    return factory.updateClassDeclaration(node, ts.visitNodes(node.modifiers, visitor) as TS.NodeArray<TS.ModifierLike> | undefined, node.name, node.typeParameters, node.heritageClauses, members);
  };

  const customByNode = new Map<TS.Node, Extract<Found, { kind: "custom" }>>();
  for (const f of found) if (f.kind === "custom") customByNode.set(f.node, f);

  frames.push({ before: [], after: [] });
  const statements = visitStatements(sf.statements);
  frames.pop();
  if (!generatedAnything) return sf;
  const runtimeImport = factory.createImportDeclaration(
    undefined,
    factory.createImportClause(false, undefined, factory.createNamespaceImport(factory.createIdentifier(runtime))),
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
