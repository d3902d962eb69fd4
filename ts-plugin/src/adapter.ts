// ts.Node → IR: lowers one function-like node of a TypeScript source file to the core's
// `MarkedFunction` (transformer/src/ir.ts). Type-only syntax is stripped (`as`, `!`, `<T>x`,
// `satisfies`, type arguments, `this` parameters, type declarations); every node carries its `Loc`;
// every construct the IR cannot express becomes `Unsupported` / `UnsupportedStatement` at its own
// location, so the core reports it instead of it being dropped.

import ts from "typescript";
import type * as TS from "typescript";
import type * as IR from "@cotangent/transformer";
import type { Loc, MarkedFunction, ModuleClasses, SyntaxKind, TypeIR } from "@cotangent/transformer";
import { locOf, locOfRange } from "./loc.js";
import { hasNoDerivativeTag, isNoDerivativeNode, numericValue, propertyNameText, typeNodeToIR, typeToIR } from "./type-ir.js";
import type { CalleeResolver } from "./callee.js";
import { fixSitesOf } from "./sites.js";

export type FunctionLikeNode = TS.FunctionDeclaration | TS.FunctionExpression | TS.ArrowFunction | TS.MethodDeclaration;

/** How references to `@cotangent/runtime` imports appear in the IR. */
export interface RuntimeRefs {
  /** The namespace identifier generated code uses for the runtime (`ModuleContext.runtime`). */
  namespace: string;
  /** Local name → exported name, from `import { gradient as g } from "@cotangent/runtime"`. */
  bindings: ReadonlyMap<string, string>;
  /** Local names of `import * as ct from "@cotangent/runtime"`. */
  namespaces: ReadonlySet<string>;
}

export interface AdaptOptions {
  /** The TypeScript instance whose nodes these are (ts-patch hands its own); default: `require("typescript")`. */
  ts?: typeof TS;
  sourceFile: TS.SourceFile;
  /** When given, type references in annotations are resolved to structure. */
  checker?: TS.TypeChecker;
  /** Name for the generated derivatives; default: the function's own name, else "anonymous". */
  name?: string;
  /** Default: "declaration" for function declarations, "method" for methods, else "expression". */
  kind?: MarkedFunction["kind"];
  wrt?: string[];
  /** Where the mark is (a decorator, the `differentiable(…)` call); default: the function head. */
  markLoc?: Loc;
  /**
   * When given, references to runtime imports are rewritten to members of `runtime.namespace`:
   * `wd(x)` (from `import { withoutDerivative as wd }`) becomes `__ct.withoutDerivative(x)` and
   * `ct.gradient` becomes `__ct.gradient`, so the core sees one spelling whatever the imports were,
   * and the generated code reaches the runtime only through the namespace the host adds.
   */
  runtime?: RuntimeRefs;
  /**
   * With a checker: what each call's callee is (`calleeInfo`: marked, registered, a runtime
   * primitive, or a function without a derivative). See callee.ts (`createCalleeResolver`).
   */
  callees?: CalleeResolver;
}

/** Lowers a function-like node to the IR of a marked function. */
export function adaptFunction(node: FunctionLikeNode, options: AdaptOptions): MarkedFunction {
  return new Adapter(options, node).markedFunction(node, options);
}

/**
 * The accessors of the file's top-level class declarations, as the core takes them
 * (ModuleContext.classes): a getter whose body is one `return` gives that expression in IR.
 */
export function moduleClasses(options: AdaptOptions): ModuleClasses {
  const tsi = options.ts ?? ts;
  const out: ModuleClasses = new Map();
  for (const s of options.sourceFile.statements) {
    if (!tsi.isClassDeclaration(s) || !s.name) continue;
    const accessors = new Map<string, { get?: IR.Expression | null; set: boolean }>();
    for (const m of s.members) {
      if (!(tsi.isGetAccessorDeclaration(m) || tsi.isSetAccessorDeclaration(m)) || !tsi.isIdentifier(m.name)) continue;
      const entry = accessors.get(m.name.text) ?? { set: false };
      if (tsi.isSetAccessorDeclaration(m)) entry.set = true;
      else {
        const only = m.body?.statements.length === 1 ? m.body.statements[0] : undefined;
        entry.get = only && tsi.isReturnStatement(only) && only.expression ? new Adapter(options, m).expressionOf(only.expression) : null;
      }
      accessors.set(m.name.text, entry);
    }
    if (accessors.size) out.set(s.name.text, accessors);
  }
  return out;
}

/** The location of a function's head: from its first token (after decorators) to the end of its signature. */
export function functionHeadLoc(tsi: typeof TS, sourceFile: TS.SourceFile, node: TS.SignatureDeclaration): Loc {
  let start = node.getStart(sourceFile);
  const mods = tsi.canHaveModifiers(node) ? node.modifiers : undefined;
  const firstNonDecorator = mods?.find((m) => !tsi.isDecorator(m));
  const lastDecorator = mods?.filter((m) => tsi.isDecorator(m)).pop();
  if (lastDecorator) {
    start = firstNonDecorator ? firstNonDecorator.getStart(sourceFile) : skipTrivia(sourceFile.text, lastDecorator.end);
  }
  let end = node.type ? node.type.end : node.parameters.end;
  if (!node.type) {
    const body = (node as { body?: TS.Node }).body;
    const limit = body ? body.getStart(sourceFile) : node.end;
    const close = sourceFile.text.indexOf(")", node.parameters.end);
    if (close >= 0 && close < limit) end = close + 1;
  }
  return locOfRange(sourceFile, start, Math.max(start, end));
}

/** The first position at or after `pos` that is not whitespace or a comment. */
function skipTrivia(text: string, pos: number): number {
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (text.startsWith("//", pos)) {
      const nl = text.indexOf("\n", pos);
      pos = nl < 0 ? text.length : nl;
    } else if (text.startsWith("/*", pos)) {
      const close = text.indexOf("*/", pos + 2);
      pos = close < 0 ? text.length : close + 2;
    } else return pos;
  }
}

const ASSIGNMENT_OPERATORS = new Set(["=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "&&=", "||=", "??="]);
const LOGICAL_OPERATORS = new Set(["&&", "||", "??"]);

class Adapter {
  private readonly ts: typeof TS;
  private readonly sf: TS.SourceFile;
  private readonly checker?: TS.TypeChecker;
  private readonly runtime?: RuntimeRefs;
  private readonly callees?: CalleeResolver;
  private readonly root: TS.Node;
  /** Names declared anywhere inside the function: they shadow runtime imports of the same name. */
  private readonly localNames = new Set<string>();

  constructor(options: AdaptOptions, root: TS.Node) {
    this.ts = options.ts ?? ts;
    this.sf = options.sourceFile;
    this.checker = options.checker;
    this.runtime = options.runtime;
    this.callees = options.callees;
    this.root = root;
    if (this.runtime) this.collectLocalNames(root);
  }

  markedFunction(node: FunctionLikeNode, options: AdaptOptions): MarkedFunction {
    const { ts } = this;
    const ownName = node.name && ts.isIdentifier(node.name) ? node.name.text : undefined;
    const kind = options.kind ?? (ts.isFunctionDeclaration(node) ? "declaration" : ts.isMethodDeclaration(node) ? "method" : "expression");
    const fn = this.functionLike(node);
    const marked: MarkedFunction = {
      name: options.name ?? ownName ?? "anonymous",
      kind,
      params: fn.params,
      body: fn.body,
      loc: options.markLoc ?? functionHeadLoc(ts, this.sf, node),
      isArrow: ts.isArrowFunction(node),
    };
    if (fn.returnType) marked.returnType = fn.returnType;
    if (this.checker) this.checkerTypes(node, marked);
    if (options.wrt) marked.wrt = options.wrt;
    if (ts.isMethodDeclaration(node) && !ts.isIdentifier(node.name) && !ts.isStringLiteral(node.name)) {
      marked.body = this.prependUnsupported(marked.body, "ComputedMethodName", node.name);
    }
    const fixSites = fixSitesOf(ts, this.sf, node, this.runtime);
    if (fixSites) marked.fixSites = fixSites;
    return marked;
  }

  /**
   * Types the checker infers where the function has no annotation: each plain parameter (from
   * its declared or contextual type) and the result (from the signature).
   */
  /** `obj.f` where f is declared `NoDerivative<T>` or holds a string or boolean: no derivative flows through it. */
  /**
   * `o.p` where the checker says p is a get/set accessor: the core inlines the getters of this
   * module's classes it can (getters.ts) and reports the others read on a differentiated value.
   */
  private accessorOf(node: TS.PropertyAccessExpression): IR.MemberExpression["accessor"] {
    const ts = this.ts;
    const symbol = this.checker!.getSymbolAtLocation(node.name);
    if (!symbol || !(symbol.flags & ts.SymbolFlags.Accessor)) return undefined;
    const getter = symbol.declarations?.find(ts.isGetAccessorDeclaration);
    const declaration = getter ?? symbol.declarations?.find(ts.isSetAccessorDeclaration);
    const parent = declaration?.parent;
    const owner = parent && ts.isClassLike(parent) && parent.name ? parent.name.text : undefined;
    return { kind: getter ? "get" : "set", name: node.name.text, ...(owner ? { owner } : {}) };
  }

  private fieldHasNoDerivative(node: TS.PropertyAccessExpression): boolean {
    const ts = this.ts;
    try {
      const symbol = this.checker!.getSymbolAtLocation(node.name);
      if (!symbol || !(symbol.flags & ts.SymbolFlags.Property)) return false;
      for (const d of symbol.declarations ?? []) {
        const typeNode = (d as { type?: TS.TypeNode }).type;
        if ((ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) && typeNode && isNoDerivativeNode(ts, typeNode)) return true;
        if (hasNoDerivativeTag(ts, d)) return true;
      }
      const type = this.checker!.getTypeAtLocation(node);
      const NON_DIFF = ts.TypeFlags.StringLike | ts.TypeFlags.BooleanLike;
      return type.isUnion() ? type.types.every((t) => t.flags & NON_DIFF) : (type.flags & NON_DIFF) !== 0;
    } catch {
      return false; // a checker failure leaves the field differentiable (the safe side)
    }
  }

  private checkerTypes(node: FunctionLikeNode, marked: MarkedFunction): void {
    const { ts } = this;
    const checker = this.checker!;
    const cx = { ts, sourceFile: this.sf, checker };
    const params = node.parameters.filter((p) => !this.isThisParameter(p));
    params.forEach((p, i) => {
      const target = marked.params[i];
      if (p.type || p.dotDotDotToken || !target || target.type !== "Identifier" || target.typeAnnotation) return;
      try {
        const t = typeToIR(checker.getTypeAtLocation(p), cx, 0, new Set());
        if (t.kind !== "unknown") target.typeAnnotation = t;
      } catch {
        // no fact
      }
    });
    if (!node.type && !marked.returnType) {
      try {
        const sig = checker.getSignatureFromDeclaration(node);
        const t = sig && typeToIR(checker.getReturnTypeOfSignature(sig), cx, 0, new Set());
        if (t && t.kind !== "unknown") marked.returnType = t;
      } catch {
        // no fact
      }
    }
  }

  // ---- functions ----------------------------------------------------------------------------

  private functionLike(node: TS.SignatureDeclaration & { body?: TS.ConciseBody }): {
    params: IR.Pattern[];
    body: IR.BlockStatement | IR.Expression;
    returnType?: TypeIR;
    async: boolean;
    generator: boolean;
  } {
    const { ts } = this;
    const params = node.parameters.filter((p) => !this.isThisParameter(p)).map((p) => this.parameter(p));
    let body: IR.BlockStatement | IR.Expression;
    if (!node.body) {
      body = { type: "BlockStatement", body: [this.unsupportedStatement("FunctionWithoutBody", node)], loc: this.loc(node) };
    } else if (ts.isBlock(node.body)) {
      body = this.block(node.body);
    } else {
      body = this.expression(node.body);
    }
    const asyncMod = ts.canHaveModifiers(node) ? node.modifiers?.find((m) => m.kind === ts.SyntaxKind.AsyncKeyword) : undefined;
    const star = (node as { asteriskToken?: TS.AsteriskToken }).asteriskToken;
    if (asyncMod) body = this.prependUnsupported(body, "AsyncFunction", asyncMod);
    if (star) body = this.prependUnsupported(body, "GeneratorFunction", star);
    const out: ReturnType<Adapter["functionLike"]> = { params, body, async: !!asyncMod, generator: !!star };
    if (node.type) out.returnType = this.type(node.type);
    return out;
  }

  /** Function-level constructs the IR cannot flag (async, generator, …): an unsupported first statement. */
  private prependUnsupported(body: IR.BlockStatement | IR.Expression, syntax: SyntaxKind, at: TS.Node): IR.BlockStatement | IR.Expression {
    if (body.type === "BlockStatement") return { ...body, body: [this.unsupportedStatement(syntax, at), ...body.body] };
    return this.unsupported(syntax, at);
  }

  private isThisParameter(p: TS.ParameterDeclaration): boolean {
    return this.ts.isIdentifier(p.name) && p.name.text === "this";
  }

  private parameter(p: TS.ParameterDeclaration): IR.Pattern {
    const { ts } = this;
    const loc = this.loc(p);
    let target = this.bindingName(p.name);
    if (p.type && !p.dotDotDotToken) setTypeAnnotation(target, this.type(p.type));
    if (p.questionToken && target.type === "Identifier") target.optional = true;
    if (p.dotDotDotToken) return { type: "RestElement", argument: target, loc, ...(p.type ? { typeAnnotation: this.type(p.type) } : {}) };
    if (p.initializer) return { type: "AssignmentPattern", left: target, right: this.expression(p.initializer), loc };
    if (ts.isIdentifier(p.name)) target = { ...target, loc } as IR.Identifier;
    return target;
  }

  private bindingName(name: TS.BindingName): IR.Identifier | IR.ArrayPattern | IR.ObjectPattern {
    const { ts } = this;
    if (ts.isIdentifier(name)) return this.identifier(name);
    if (ts.isArrayBindingPattern(name)) {
      return {
        type: "ArrayPattern",
        elements: name.elements.map((el) => (ts.isOmittedExpression(el) ? null : this.bindingElement(el))),
        loc: this.loc(name),
      };
    }
    return {
      type: "ObjectPattern",
      properties: name.elements.map((el): IR.ObjectPatternProperty | IR.RestElement => {
        if (el.dotDotDotToken) return { type: "RestElement", argument: this.bindingName(el.name), loc: this.loc(el) };
        const keyNode = el.propertyName ?? (el.name as TS.Identifier);
        const computed = !!el.propertyName && ts.isComputedPropertyName(el.propertyName);
        const key = this.propertyKey(keyNode);
        let value: IR.Pattern = this.bindingName(el.name);
        if (el.initializer) value = { type: "AssignmentPattern", left: value, right: this.expression(el.initializer), loc: this.loc(el) };
        return { type: "ObjectProperty", key, value, computed, shorthand: !el.propertyName, loc: this.loc(el) };
      }),
      loc: this.loc(name),
    };
  }

  private bindingElement(el: TS.BindingElement): IR.Pattern {
    const target = this.bindingName(el.name);
    if (el.dotDotDotToken) return { type: "RestElement", argument: target, loc: this.loc(el) };
    if (el.initializer) return { type: "AssignmentPattern", left: target, right: this.expression(el.initializer), loc: this.loc(el) };
    return target;
  }

  private propertyKey(name: TS.PropertyName): IR.Expression {
    const { ts } = this;
    const loc = this.loc(name);
    if (ts.isIdentifier(name)) return { type: "Identifier", name: name.text, loc };
    if (ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return { type: "StringLiteral", value: name.text, loc };
    if (ts.isNumericLiteral(name)) return { type: "NumericLiteral", value: numericValue(name.text), loc };
    if (ts.isComputedPropertyName(name)) return this.expression(name.expression);
    if (ts.isPrivateIdentifier(name)) return this.unsupported("PrivateName", name);
    return this.unsupported("BigIntPropertyName", name);
  }

  private type(node: TS.TypeNode): TypeIR {
    return typeNodeToIR(node, { ts: this.ts, sourceFile: this.sf, checker: this.checker });
  }

  // ---- statements ---------------------------------------------------------------------------

  private block(node: TS.Block): IR.BlockStatement {
    return { type: "BlockStatement", body: this.statements(node.statements), loc: this.loc(node) };
  }

  private statements(nodes: readonly TS.Statement[]): IR.Statement[] {
    const out: IR.Statement[] = [];
    for (const s of nodes) {
      const lowered = this.statement(s);
      if (lowered) out.push(lowered);
    }
    return out;
  }

  /** undefined for type-only statements (interfaces, type aliases, overload signatures, `declare`). */
  private statement(node: TS.Statement): IR.Statement | undefined {
    const { ts } = this;
    const loc = this.loc(node);
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return undefined;
    if (ts.canHaveModifiers(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) return undefined;
    if (ts.isVariableStatement(node)) return this.variableDeclaration(node.declarationList, node);
    if (ts.isExpressionStatement(node)) return { type: "ExpressionStatement", expression: this.expression(node.expression), loc };
    if (ts.isBlock(node)) return this.block(node);
    if (ts.isIfStatement(node)) {
      return {
        type: "IfStatement",
        test: this.expression(node.expression),
        consequent: this.subStatement(node.thenStatement),
        alternate: node.elseStatement ? this.subStatement(node.elseStatement) : null,
        loc,
      };
    }
    if (ts.isForStatement(node)) {
      let init: IR.VariableDeclaration | IR.Expression | null = null;
      if (node.initializer) {
        init = ts.isVariableDeclarationList(node.initializer)
          ? this.variableDeclaration(node.initializer, node.initializer)
          : this.expression(node.initializer);
      }
      return {
        type: "ForStatement",
        init,
        test: node.condition ? this.expression(node.condition) : null,
        update: node.incrementor ? this.expression(node.incrementor) : null,
        body: this.subStatement(node.statement),
        loc,
      };
    }
    if (ts.isForOfStatement(node)) {
      if (node.awaitModifier) return this.unsupportedStatement("ForAwait", node);
      const left = ts.isVariableDeclarationList(node.initializer)
        ? this.variableDeclaration(node.initializer, node.initializer)
        : this.assignmentTarget(node.initializer);
      if (left.type === "Unsupported") return { ...left, type: "UnsupportedStatement" };
      return { type: "ForOfStatement", left, right: this.expression(node.expression), body: this.subStatement(node.statement), loc };
    }
    if (ts.isForInStatement(node)) {
      const left = ts.isVariableDeclarationList(node.initializer)
        ? this.variableDeclaration(node.initializer, node.initializer)
        : this.assignmentTarget(node.initializer);
      if (left.type === "Unsupported") return { ...left, type: "UnsupportedStatement" };
      return { type: "ForInStatement", left, right: this.expression(node.expression), body: this.subStatement(node.statement), loc };
    }
    if (ts.isWhileStatement(node)) {
      return { type: "WhileStatement", test: this.expression(node.expression), body: this.subStatement(node.statement), loc };
    }
    if (ts.isDoStatement(node)) {
      return { type: "DoWhileStatement", test: this.expression(node.expression), body: this.subStatement(node.statement), loc };
    }
    if (ts.isBreakStatement(node)) return { type: "BreakStatement", label: node.label ? this.identifier(node.label) : null, loc };
    if (ts.isContinueStatement(node)) return { type: "ContinueStatement", label: node.label ? this.identifier(node.label) : null, loc };
    if (ts.isReturnStatement(node)) return { type: "ReturnStatement", argument: node.expression ? this.expression(node.expression) : null, loc };
    if (ts.isThrowStatement(node)) return { type: "ThrowStatement", argument: this.expression(node.expression), loc };
    if (ts.isEmptyStatement(node)) return { type: "EmptyStatement", loc };
    if (ts.isSwitchStatement(node)) {
      return {
        type: "SwitchStatement",
        discriminant: this.expression(node.expression),
        cases: node.caseBlock.clauses.map((c) => ({
          type: "SwitchCase" as const,
          test: ts.isCaseClause(c) ? this.expression(c.expression) : null,
          consequent: this.statements(c.statements),
          loc: this.loc(c),
        })),
        loc,
      };
    }
    if (ts.isFunctionDeclaration(node)) {
      if (!node.body) return undefined; // an overload signature
      if (!node.name) return this.unsupportedStatement("AnonymousFunctionDeclaration", node);
      const fn = this.functionLike(node);
      if (fn.body.type !== "BlockStatement") return this.unsupportedStatement("FunctionWithoutBody", node);
      const decl: IR.FunctionDeclaration = { type: "FunctionDeclaration", id: this.identifier(node.name), params: fn.params, body: fn.body, loc };
      if (fn.returnType) decl.returnType = fn.returnType;
      return decl;
    }
    if (ts.isLabeledStatement(node)) return { type: "LabeledStatement", label: this.identifier(node.label), body: this.subStatement(node.statement), loc };
    if (ts.isTryStatement(node)) {
      const c = node.catchClause;
      return {
        type: "TryStatement",
        block: this.block(node.tryBlock),
        handler: c
          ? { type: "CatchClause", param: c.variableDeclaration ? this.bindingName(c.variableDeclaration.name) : null, body: this.block(c.block), loc: this.loc(c) }
          : null,
        finalizer: node.finallyBlock ? this.block(node.finallyBlock) : null,
        loc,
      };
    }
    if (ts.isClassDeclaration(node)) return this.unsupportedStatement("ClassDeclaration", node);
    if (ts.isEnumDeclaration(node)) return this.unsupportedStatement("EnumDeclaration", node);
    if (ts.isModuleDeclaration(node)) return this.unsupportedStatement("NamespaceDeclaration", node);
    if (ts.isDebuggerStatement(node)) return this.unsupportedStatement("DebuggerStatement", node);
    if (ts.isWithStatement(node)) return this.unsupportedStatement("WithStatement", node);
    if (ts.isImportDeclaration(node) || ts.isImportEqualsDeclaration(node)) return this.unsupportedStatement("Import", node);
    return this.unsupportedStatement("Other", node, ts.SyntaxKind[node.kind]);
  }

  /** The body of an `if`/loop: a type-only declaration there is an empty statement. */
  private subStatement(node: TS.Statement): IR.Statement {
    return this.statement(node) ?? { type: "EmptyStatement", loc: this.loc(node) };
  }

  private variableDeclaration(list: TS.VariableDeclarationList, at: TS.Node): IR.VariableDeclaration {
    const { ts } = this;
    const flags = list.flags;
    const loc = this.loc(at);
    const scope = flags & ts.NodeFlags.BlockScoped;
    if (scope === ts.NodeFlags.Using || scope === ts.NodeFlags.AwaitUsing) {
      // `using` has no IR form: keep the shape, with an unsupported initializer the core reports.
      const word = scope === ts.NodeFlags.AwaitUsing ? "await using" : "using";
      return {
        type: "VariableDeclaration",
        kind: "const",
        declarations: list.declarations.map((d) => ({ type: "VariableDeclarator", id: this.bindingName(d.name), init: this.unsupported("UsingDeclaration", d, word), loc: this.loc(d) })),
        loc,
      };
    }
    const kind = scope === ts.NodeFlags.Const ? "const" : scope === ts.NodeFlags.Let ? "let" : "var";
    return {
      type: "VariableDeclaration",
      kind,
      declarations: list.declarations.map((d): IR.VariableDeclarator => {
        const id: IR.Pattern = this.bindingName(d.name);
        if (d.type) setTypeAnnotation(id, this.type(d.type));
        return { type: "VariableDeclarator", id, init: d.initializer ? this.expression(d.initializer) : null, loc: this.loc(d) };
      }),
      loc,
    };
  }

  // ---- expressions --------------------------------------------------------------------------

  /** One expression of the file (a getter's body) in IR. */
  expressionOf(node: TS.Expression): IR.Expression {
    return this.expression(node);
  }

  private expression(node: TS.Expression): IR.Expression {
    const { ts } = this;
    const loc = this.loc(node);
    // Type-only wrappers: the IR sees what runs.
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node) || ts.isTypeAssertionExpression(node) || ts.isSatisfiesExpression(node)) {
      return this.expression(node.expression);
    }
    if (ts.isExpressionWithTypeArguments(node)) return this.expression(node.expression);
    if (ts.isIdentifier(node)) return this.reference(node);
    if (ts.isNumericLiteral(node)) return { type: "NumericLiteral", value: numericValue(node.text), loc };
    if (ts.isStringLiteral(node)) return { type: "StringLiteral", value: node.text, loc };
    if (ts.isNoSubstitutionTemplateLiteral(node)) return { type: "TemplateLiteral", quasis: [node.text], expressions: [], loc };
    if (ts.isTemplateExpression(node)) {
      return {
        type: "TemplateLiteral",
        quasis: [node.head.text, ...node.templateSpans.map((s) => s.literal.text)],
        expressions: node.templateSpans.map((s) => this.expression(s.expression)),
        loc,
      };
    }
    switch (node.kind) {
      case ts.SyntaxKind.TrueKeyword:
        return { type: "BooleanLiteral", value: true, loc };
      case ts.SyntaxKind.FalseKeyword:
        return { type: "BooleanLiteral", value: false, loc };
      case ts.SyntaxKind.NullKeyword:
        return { type: "NullLiteral", loc };
      case ts.SyntaxKind.ThisKeyword:
        return { type: "ThisExpression", loc };
      case ts.SyntaxKind.SuperKeyword:
        return this.unsupported("Super", node);
    }
    if (ts.isBinaryExpression(node)) return this.binary(node);
    if (ts.isPrefixUnaryExpression(node)) {
      const op = ts.tokenToString(node.operator)!;
      if (op === "++" || op === "--") return { type: "UpdateExpression", operator: op, prefix: true, argument: this.updateTarget(node.operand), loc };
      return { type: "UnaryExpression", operator: op, argument: this.expression(node.operand), loc };
    }
    if (ts.isPostfixUnaryExpression(node)) {
      const op = ts.tokenToString(node.operator) as "++" | "--";
      return { type: "UpdateExpression", operator: op, prefix: false, argument: this.updateTarget(node.operand), loc };
    }
    if (ts.isTypeOfExpression(node)) return { type: "UnaryExpression", operator: "typeof", argument: this.expression(node.expression), loc };
    if (ts.isVoidExpression(node)) return { type: "UnaryExpression", operator: "void", argument: this.expression(node.expression), loc };
    if (ts.isDeleteExpression(node)) return { type: "UnaryExpression", operator: "delete", argument: this.expression(node.expression), loc };
    if (ts.isAwaitExpression(node)) return this.unsupported("Await", node);
    if (ts.isYieldExpression(node)) return this.unsupported("Yield", node);
    if (ts.isConditionalExpression(node)) {
      return { type: "ConditionalExpression", test: this.expression(node.condition), consequent: this.expression(node.whenTrue), alternate: this.expression(node.whenFalse), loc };
    }
    if ((ts.isCallExpression(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && !ts.isOptionalChain(node)) {
      // `(a?.b).c`: the parentheses end the chain, so `.c` is not guarded.
      let inner: TS.Expression = node.expression;
      let parenthesized = false;
      while (ts.isParenthesizedExpression(inner) || ts.isAsExpression(inner) || ts.isNonNullExpression(inner) || ts.isTypeAssertionExpression(inner) || ts.isSatisfiesExpression(inner)) {
        if (ts.isParenthesizedExpression(inner)) parenthesized = true;
        inner = inner.expression;
      }
      if (parenthesized && ts.isOptionalChain(inner)) {
        return this.unsupported("ParenthesizedOptionalChain", node);
      }
    }
    if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) return this.unsupported("DynamicImport", node);
      if (node.expression.kind === ts.SyntaxKind.SuperKeyword) return this.unsupported("SuperCall", node);
      const call: IR.CallExpression = { type: "CallExpression", callee: this.expression(node.expression), arguments: node.arguments.map((a) => this.argument(a)), loc };
      if (node.questionDotToken) call.optional = true;
      const info = this.callees?.(node, this.root);
      if (info) call.calleeInfo = info;
      return call;
    }
    if (ts.isNewExpression(node)) {
      return { type: "NewExpression", callee: this.expression(node.expression), arguments: (node.arguments ?? []).map((a) => this.argument(a)), loc };
    }
    if (ts.isPropertyAccessExpression(node)) {
      if (ts.isPrivateIdentifier(node.name)) return this.unsupported("PrivateField", node.name);
      const member: IR.MemberExpression = {
        type: "MemberExpression",
        object: this.expression(node.expression),
        property: { type: "Identifier", name: node.name.text, loc: this.loc(node.name) },
        computed: false,
        loc,
      };
      if (node.questionDotToken) member.optional = true;
      if (this.checker && this.fieldHasNoDerivative(node)) member.noDerivative = true;
      const accessor = this.checker && this.accessorOf(node);
      if (accessor) member.accessor = accessor;
      return member;
    }
    if (ts.isElementAccessExpression(node)) {
      const member: IR.MemberExpression = { type: "MemberExpression", object: this.expression(node.expression), property: this.expression(node.argumentExpression), computed: true, loc };
      if (node.questionDotToken) member.optional = true;
      return member;
    }
    if (ts.isArrayLiteralExpression(node)) {
      return { type: "ArrayExpression", elements: node.elements.map((e) => (ts.isOmittedExpression(e) ? null : this.argument(e))), loc };
    }
    if (ts.isObjectLiteralExpression(node)) return this.objectLiteral(node);
    if (ts.isArrowFunction(node)) {
      const fn = this.functionLike(node);
      const out: IR.ArrowFunctionExpression = { type: "ArrowFunctionExpression", params: fn.params, body: fn.body, loc };
      if (fn.async) out.async = true;
      if (fn.returnType) out.returnType = fn.returnType;
      return out;
    }
    if (ts.isFunctionExpression(node)) {
      const fn = this.functionLike(node);
      if (fn.body.type !== "BlockStatement") return this.unsupported("FunctionWithoutBody", node);
      const out: IR.FunctionExpression = { type: "FunctionExpression", id: node.name ? this.identifier(node.name) : null, params: fn.params, body: fn.body, loc };
      if (fn.async) out.async = true;
      if (fn.generator) out.generator = true;
      if (fn.returnType) out.returnType = fn.returnType;
      return out;
    }
    if (ts.isClassExpression(node)) return this.unsupported("ClassExpression", node);
    if (ts.isTaggedTemplateExpression(node)) return this.unsupported("TaggedTemplate", node);
    if (ts.isRegularExpressionLiteral(node)) return this.unsupported("RegExpLiteral", node);
    if (ts.isBigIntLiteral(node)) return this.unsupported("BigIntLiteral", node);
    if (ts.isMetaProperty(node)) return this.unsupported("MetaProperty", node, node.getText(this.sf));
    if (ts.isSpreadElement(node)) return this.unsupported("SpreadOutsideCall", node);
    if (ts.isJsxElement(node) || ts.isJsxSelfClosingElement(node) || ts.isJsxFragment(node)) return this.unsupported("JSX", node);
    if (ts.isOmittedExpression(node)) return this.unsupported("ArrayHole", node);
    return this.unsupported("Other", node, ts.SyntaxKind[node.kind]);
  }

  private argument(node: TS.Expression): IR.Expression | IR.SpreadElement {
    if (this.ts.isSpreadElement(node)) return { type: "SpreadElement", argument: this.expression(node.expression), loc: this.loc(node) };
    return this.expression(node);
  }

  private binary(node: TS.BinaryExpression): IR.Expression {
    const { ts } = this;
    const loc = this.loc(node);
    const op = ts.tokenToString(node.operatorToken.kind)!;
    if (ASSIGNMENT_OPERATORS.has(op)) {
      const left = op === "=" ? this.assignmentTarget(node.left) : this.updateTarget(node.left);
      if (left.type === "Unsupported") return left;
      return { type: "AssignmentExpression", operator: op, left: left as IR.Pattern | IR.MemberExpression, right: this.expression(node.right), loc };
    }
    if (LOGICAL_OPERATORS.has(op)) {
      return { type: "LogicalExpression", operator: op as "&&" | "||" | "??", left: this.expression(node.left), right: this.expression(node.right), loc };
    }
    if (op === ",") {
      const expressions: IR.Expression[] = [];
      const flatten = (e: TS.Expression) => {
        if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.CommaToken) {
          flatten(e.left);
          flatten(e.right);
        } else expressions.push(this.expression(e));
      };
      flatten(node);
      return { type: "SequenceExpression", expressions, loc };
    }
    if (ts.isPrivateIdentifier(node.left)) return this.unsupported("PrivateIn", node.left);
    return { type: "BinaryExpression", operator: op, left: this.expression(node.left), right: this.expression(node.right), loc };
  }

  /** The operand of `++`/`--`/`+=`: a variable or a member. */
  private updateTarget(node: TS.Expression): IR.Expression {
    const { ts } = this;
    const inner = this.skipTypeWrappers(node);
    if (ts.isIdentifier(inner)) return this.identifier(inner);
    if (ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner)) return this.expression(inner);
    return this.unsupported("AssignmentTarget", node);
  }

  /** The left of `=` or of `for (… of …)`: a variable, a member, or a destructuring pattern. */
  private assignmentTarget(node: TS.Expression): IR.Pattern | IR.Unsupported {
    const { ts } = this;
    const inner = this.skipTypeWrappers(node);
    const loc = this.loc(inner);
    if (ts.isIdentifier(inner)) return this.identifier(inner);
    if (ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner)) {
      const member = this.expression(inner);
      // A write to an accessor goes through its setter (the core reports it).
      if (member.type === "MemberExpression" && member.accessor) member.accessor = { ...member.accessor, kind: "set" };
      return member.type === "MemberExpression" ? member : (member as IR.Unsupported);
    }
    if (ts.isArrayLiteralExpression(inner)) {
      return {
        type: "ArrayPattern",
        elements: inner.elements.map((e) => {
          if (ts.isOmittedExpression(e)) return null;
          if (ts.isSpreadElement(e)) return { type: "RestElement", argument: this.patternOrCast(e.expression), loc: this.loc(e) } as IR.RestElement;
          return this.patternOrCast(e);
        }),
        loc,
      };
    }
    if (ts.isObjectLiteralExpression(inner)) {
      return {
        type: "ObjectPattern",
        properties: inner.properties.map((p): IR.ObjectPatternProperty | IR.RestElement => {
          const ploc = this.loc(p);
          if (ts.isSpreadAssignment(p)) return { type: "RestElement", argument: this.patternOrCast(p.expression), loc: ploc };
          if (ts.isShorthandPropertyAssignment(p)) {
            let value: IR.Pattern = this.identifier(p.name);
            if (p.objectAssignmentInitializer) value = { type: "AssignmentPattern", left: value, right: this.expression(p.objectAssignmentInitializer), loc: ploc };
            return { type: "ObjectProperty", key: { type: "Identifier", name: p.name.text, loc: this.loc(p.name) }, value, computed: false, shorthand: true, loc: ploc };
          }
          if (ts.isPropertyAssignment(p)) {
            return { type: "ObjectProperty", key: this.propertyKey(p.name), value: this.patternOrCast(p.initializer), computed: ts.isComputedPropertyName(p.name), shorthand: false, loc: ploc };
          }
          return { type: "ObjectProperty", key: this.unsupported("DestructuringMethod", p), value: this.unsupported("DestructuringMethod", p) as unknown as IR.Pattern, computed: false, shorthand: false, loc: ploc };
        }),
        loc,
      };
    }
    if (ts.isBinaryExpression(inner) && inner.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      return { type: "AssignmentPattern", left: this.patternOrCast(inner.left), right: this.expression(inner.right), loc };
    }
    return this.unsupported("AssignmentTarget", node);
  }

  /** A nested pattern; Pattern has no Unsupported member, so a bad nested target is passed as one (the core reports it). */
  private patternOrCast(node: TS.Expression): IR.Pattern {
    return this.assignmentTarget(node) as IR.Pattern;
  }

  private objectLiteral(node: TS.ObjectLiteralExpression): IR.ObjectExpression {
    const { ts } = this;
    const properties = node.properties.map((p): IR.ObjectProperty | IR.SpreadElement => {
      const ploc = this.loc(p);
      if (ts.isSpreadAssignment(p)) return { type: "SpreadElement", argument: this.expression(p.expression), loc: ploc };
      if (ts.isShorthandPropertyAssignment(p)) {
        return { type: "ObjectProperty", key: { type: "Identifier", name: p.name.text, loc: this.loc(p.name) }, value: this.reference(p.name), computed: false, shorthand: true, loc: ploc };
      }
      if (ts.isPropertyAssignment(p)) {
        return { type: "ObjectProperty", key: this.propertyKey(p.name), value: this.expression(p.initializer), computed: ts.isComputedPropertyName(p.name), shorthand: false, loc: ploc };
      }
      const syntax = ts.isGetAccessorDeclaration(p) ? "ObjectGetter" : ts.isSetAccessorDeclaration(p) ? "ObjectSetter" : "ObjectMethod";
      return { type: "ObjectProperty", key: this.propertyKey(p.name), value: this.unsupported(syntax, p), computed: ts.isComputedPropertyName(p.name), shorthand: false, loc: ploc };
    });
    return { type: "ObjectExpression", properties, loc: this.loc(node) };
  }

  private skipTypeWrappers(node: TS.Expression): TS.Expression {
    const { ts } = this;
    while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node) || ts.isTypeAssertionExpression(node) || ts.isSatisfiesExpression(node)) {
      node = node.expression;
    }
    return node;
  }

  // ---- leaves -------------------------------------------------------------------------------

  private identifier(node: TS.Identifier): IR.Identifier {
    return { type: "Identifier", name: node.text, loc: this.loc(node) };
  }

  /** An identifier read: runtime imports become `runtime.namespace.exportName` when asked. */
  private reference(node: TS.Identifier): IR.Expression {
    const rt = this.runtime;
    const name = node.text;
    if (rt && !this.localNames.has(name)) {
      const loc = this.loc(node);
      const exported = rt.bindings.get(name);
      if (exported !== undefined) {
        return {
          type: "MemberExpression",
          object: { type: "Identifier", name: rt.namespace, loc },
          property: { type: "Identifier", name: exported, loc },
          computed: false,
          loc,
        };
      }
      if (rt.namespaces.has(name)) return { type: "Identifier", name: rt.namespace, loc };
    }
    return this.identifier(node);
  }

  /** What the core is told of a construct outside the IR: its kind from the core's list (the core words the message). */
  private unsupported(syntax: SyntaxKind, node: TS.Node, detail?: string): IR.Unsupported {
    return { type: "Unsupported", syntax, ...(detail !== undefined ? { detail } : {}), loc: this.loc(node) };
  }

  private unsupportedStatement(syntax: SyntaxKind, node: TS.Node, detail?: string): IR.UnsupportedStatement {
    return { type: "UnsupportedStatement", syntax, ...(detail !== undefined ? { detail } : {}), loc: this.loc(node) };
  }

  private loc(node: TS.Node): Loc {
    return locOf(this.sf, node);
  }

  private collectLocalNames(root: TS.Node): void {
    const { ts } = this;
    const addBinding = (name: TS.BindingName) => {
      if (ts.isIdentifier(name)) this.localNames.add(name.text);
      else for (const el of name.elements) if (!ts.isOmittedExpression(el)) addBinding(el.name);
    };
    const visit = (n: TS.Node): void => {
      if (ts.isParameter(n) || ts.isVariableDeclaration(n) || ts.isBindingElement(n)) addBinding(n.name);
      else if ((ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassDeclaration(n) || ts.isClassExpression(n)) && n.name) this.localNames.add(n.name.text);
      else if (ts.isCatchClause(n) && n.variableDeclaration) addBinding(n.variableDeclaration.name);
      ts.forEachChild(n, visit);
    };
    visit(root);
  }
}

function setTypeAnnotation(target: IR.Pattern, type: TypeIR): void {
  if (target.type === "Identifier" || target.type === "ArrayPattern" || target.type === "ObjectPattern" || target.type === "RestElement") {
    target.typeAnnotation = type;
  }
}

export { propertyNameText };
