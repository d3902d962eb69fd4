// Babel AST → the core's IR. Babel's node shapes are the IR's model, so most nodes copy across;
// the work is dropping TypeScript-only syntax, reducing type annotations to TypeIR, attaching
// locations, and turning anything outside the IR into an `Unsupported` node the core reports.

import type { types as t } from "@babel/core";
import { optionalType, unionType } from "@cotangent/transformer";
import type {
  Expression,
  FixSites,
  Loc,
  MarkedFunction,
  ModuleClasses,
  Pattern,
  Statement,
  SyntaxKind,
  TypeIR,
} from "@cotangent/transformer";

type AnyNode = t.Node & { [k: string]: unknown };

export function locOf(node: t.Node | null | undefined): Loc | undefined {
  if (!node?.loc || node.start == null || node.end == null) return undefined;
  return {
    start: node.start,
    end: node.end,
    line: node.loc.start.line,
    column: node.loc.start.column,
    endLine: node.loc.end.line,
    endColumn: node.loc.end.column,
  };
}

/** Babel node types outside the IR → the core's syntax kinds (the core words the message: catalog.ts SYNTAX). */
const SYNTAX_KINDS: Record<string, SyntaxKind> = {
  ClassExpression: "ClassExpression",
  ClassDeclaration: "ClassDeclaration",
  TSEnumDeclaration: "EnumDeclaration",
  TSModuleDeclaration: "NamespaceDeclaration",
  ImportDeclaration: "Import",
  TSImportEqualsDeclaration: "Import",
  Import: "DynamicImport",
  ImportExpression: "DynamicImport",
  Super: "Super",
  AwaitExpression: "Await",
  YieldExpression: "Yield",
  TaggedTemplateExpression: "TaggedTemplate",
  RegExpLiteral: "RegExpLiteral",
  BigIntLiteral: "BigIntLiteral",
  MetaProperty: "MetaProperty",
  JSXElement: "JSX",
  JSXFragment: "JSX",
  ObjectMethod: "ObjectMethod",
  WithStatement: "WithStatement",
  DebuggerStatement: "DebuggerStatement",
  SpreadElement: "SpreadOutsideCall",
};

const TYPE_WRAPPERS = new Set(["TSNonNullExpression", "TSAsExpression", "TSSatisfiesExpression", "TSTypeAssertion"]);
const isOptionalChain = (n: t.Node): boolean =>
  n.type === "OptionalMemberExpression" || n.type === "OptionalCallExpression" || (TYPE_WRAPPERS.has(n.type) && isOptionalChain((n as { expression: t.Node }).expression));

/** What the core is told about a node outside the IR: its kind, and for `Other` the node type. */
function unsupportedKind(node: t.Node, source: string): { syntax: SyntaxKind; detail?: string } {
  const kind = SYNTAX_KINDS[node.type];
  if (kind === "MetaProperty" && node.start != null && node.end != null) return { syntax: kind, detail: source.slice(node.start, node.end) };
  return kind ? { syntax: kind } : { syntax: "Other", detail: node.type };
}

/** Reduces a TypeScript type annotation to what the core needs to know. */
/**
 * The file's own interfaces and type aliases by name, so that annotations naming them (`model:
 * Mlp`) give the core object types — with their `NoDerivative<T>` / `@noDerivative` fields marked.
 */
export type LocalTypes = ReadonlyMap<string, t.Node>;

/** Collects the interfaces and type aliases declared at the top level of a program (exported or not). */
export function collectLocalTypes(program: t.Program): Map<string, t.Node> {
  const out = new Map<string, t.Node>();
  for (const stmt of program.body) {
    const d = stmt.type === "ExportNamedDeclaration" && stmt.declaration ? stmt.declaration : stmt;
    if (d.type === "TSInterfaceDeclaration" && !d.typeParameters) out.set(d.id.name, d.body);
    else if (d.type === "TSTypeAliasDeclaration" && !d.typeParameters) out.set(d.id.name, d.typeAnnotation);
  }
  return out;
}

/** Accessors of a class of this module, by property name: a getter's one `return` expression (null when its body is more). */
export type LocalClasses = Map<string, Map<string, { get?: t.Expression | null; set: boolean }>>;

/** The get/set accessors of the module's top-level class declarations. */
export function collectLocalClasses(program: t.Program): LocalClasses {
  const out: LocalClasses = new Map();
  for (const stmt of program.body) {
    const d = (stmt.type === "ExportNamedDeclaration" || stmt.type === "ExportDefaultDeclaration") && stmt.declaration ? stmt.declaration : stmt;
    if (d.type !== "ClassDeclaration" || !d.id) continue;
    const accessors = new Map<string, { get?: t.Expression | null; set: boolean }>();
    for (const m of d.body.body) {
      if (m.type !== "ClassMethod" || (m.kind !== "get" && m.kind !== "set") || m.computed || m.key.type !== "Identifier") continue;
      const entry = accessors.get(m.key.name) ?? { set: false };
      if (m.kind === "set") entry.set = true;
      else {
        const only = m.body.body.length === 1 ? m.body.body[0] : undefined;
        entry.get = only?.type === "ReturnStatement" && only.argument ? only.argument : null;
      }
      accessors.set(m.key.name, entry);
    }
    if (accessors.size) out.set(d.id.name, accessors);
  }
  return out;
}

/** `NoDerivative<T>` (or `ct.NoDerivative<T>`) written as a type. */
function isNoDerivativeType(node: t.Node | null | undefined): boolean {
  if (!node) return false;
  if (node.type === "TSTypeAnnotation") return isNoDerivativeType(node.typeAnnotation);
  if (node.type !== "TSTypeReference") return false;
  const n = node.typeName;
  return (n.type === "Identifier" && n.name === "NoDerivative") || (n.type === "TSQualifiedName" && n.right.name === "NoDerivative");
}

/** A member with a `/** @noDerivative *\/` comment. */
function hasNoDerivativeTag(node: t.Node): boolean {
  return (node.leadingComments ?? []).some((c) => c.type === "CommentBlock" && /(^|\s|\*)@noDerivative\b/.test(c.value));
}

/** The fields of a type literal or interface body: NoDerivative / @noDerivative fields left out and listed. */
function objectType(members: readonly t.Node[], source: string, locals: LocalTypes | undefined, seen: Set<string>): TypeIR {
  const fields: Record<string, TypeIR> = {};
  const dropped: string[] = [];
  for (const m of members) {
    if (m.type !== "TSPropertySignature" || m.key.type !== "Identifier") continue;
    if (isNoDerivativeType(m.typeAnnotation) || hasNoDerivativeTag(m)) {
      dropped.push(m.key.name);
      continue;
    }
    const type = typeIR(m.typeAnnotation, source, locals, seen) ?? { kind: "unknown" };
    fields[m.key.name] = m.optional ? optionalType(type) : type;
  }
  return dropped.length ? { kind: "object", fields, noDerivative: dropped } : { kind: "object", fields };
}

export function typeIR(node: t.Node | null | undefined, source: string, locals?: LocalTypes, seen: Set<string> = new Set()): TypeIR | undefined {
  if (!node) return undefined;
  const text = () => (node.start != null && node.end != null ? source.slice(node.start, node.end) : node.type);
  const sub = (n: t.Node | null | undefined) => typeIR(n, source, locals, seen);
  switch (node.type) {
    case "TSTypeAnnotation":
      return sub(node.typeAnnotation);
    case "TSNumberKeyword":
      return { kind: "number" };
    case "TSBooleanKeyword":
      return { kind: "boolean" };
    case "TSStringKeyword":
      return { kind: "string" };
    case "TSVoidKeyword":
      return { kind: "void" };
    case "TSLiteralType": {
      const lit = node.literal;
      if (lit.type === "StringLiteral" || lit.type === "TemplateLiteral") return { kind: "string" };
      if (lit.type === "NumericLiteral" || (lit.type === "UnaryExpression" && lit.argument.type === "NumericLiteral")) return { kind: "number" };
      if (lit.type === "BooleanLiteral") return { kind: "boolean" };
      return { kind: "unknown", text: text() };
    }
    case "TSUnionType":
      // The core's reading of unions (one kind, or unknown: `number | undefined` too), as the ts host's.
      return unionType(
        node.types.map((x) => sub(x) ?? { kind: "unknown" }),
        text(),
      );
    case "TSUndefinedKeyword":
    case "TSNullKeyword":
    case "TSSymbolKeyword":
    case "TSBigIntKeyword":
      return { kind: "nondiff", text: text() };
    case "TSParenthesizedType":
      return sub(node.typeAnnotation);
    case "TSTypeOperator":
      return node.operator === "readonly" ? sub(node.typeAnnotation) : { kind: "unknown", text: text() };
    case "TSArrayType":
      return { kind: "array", element: sub(node.elementType) ?? { kind: "unknown" } };
    case "TSTupleType":
      return {
        kind: "tuple",
        elements: node.elementTypes.map((e) => (e.type === "TSNamedTupleMember" ? sub(e.elementType) : sub(e)) ?? { kind: "unknown" }),
      };
    case "TSTypeLiteral":
      return objectType(node.members, source, locals, seen);
    case "TSInterfaceBody":
      return objectType(node.body, source, locals, seen);
    case "TSTypeReference": {
      const name = node.typeName.type === "Identifier" ? node.typeName.name : undefined;
      const arg = node.typeParameters?.params[0];
      if ((name === "Array" || name === "ReadonlyArray") && arg) return { kind: "array", element: sub(arg) ?? { kind: "unknown" } };
      // The file's own interface or alias (not recursively through itself).
      const local = name !== undefined && !seen.has(name) ? locals?.get(name) : undefined;
      if (local) {
        seen.add(name!);
        try {
          return sub(local) ?? { kind: "unknown", text: text() };
        } finally {
          seen.delete(name!);
        }
      }
      return { kind: "unknown", text: text() };
    }
    default:
      return { kind: "unknown", text: text() };
  }
}

export class BabelAdapter {
  /**
   * @param runtimeImports local name → runtime export (`wd` → `withoutDerivative`): the core sees
   *   every runtime reference as `RT.<export>`, whatever the user named the import.
   */
  constructor(
    private readonly source: string,
    private readonly runtimeImports: Map<string, string> = new Map(),
    private readonly runtime = "__ct",
    private readonly localTypes: LocalTypes = new Map(),
    private readonly localClasses: LocalClasses = new Map(),
  ) {}


  /** The module's class accessors as the core takes them (getters' bodies in IR). */
  moduleClasses(): ModuleClasses {
    const out: ModuleClasses = new Map();
    for (const [cls, accessors] of this.localClasses) {
      const m = new Map<string, { get?: Expression | null; set: boolean }>();
      for (const [name, a] of accessors) m.set(name, { set: a.set, ...(a.get !== undefined ? { get: a.get && this.expr(a.get) } : {}) });
      out.set(cls, m);
    }
    return out;
  }

  private base<T extends object>(node: t.Node, fields: T): T & { loc?: Loc } {
    return { ...fields, loc: locOf(node) };
  }

  /** An object key: a static name stays a name (never the runtime import it may spell). */
  private key(node: t.Node, computed: boolean): Expression {
    if (!computed && node.type === "Identifier") return this.base(node, { type: "Identifier", name: node.name });
    return this.expr(node);
  }

  expr(node: t.Node): Expression {
    const n = node as AnyNode;
    switch (node.type) {
      case "Identifier": {
        const exported = this.runtimeImports.get(node.name);
        if (exported)
          return this.base(node, {
            type: "MemberExpression",
            object: { type: "Identifier", name: this.runtime },
            property: { type: "Identifier", name: exported },
            computed: false,
          });
        return this.base(node, { type: "Identifier", name: node.name });
      }
      case "NumericLiteral":
        return this.base(node, { type: "NumericLiteral", value: node.value });
      case "StringLiteral":
        return this.base(node, { type: "StringLiteral", value: node.value });
      case "BooleanLiteral":
        return this.base(node, { type: "BooleanLiteral", value: node.value });
      case "NullLiteral":
        return this.base(node, { type: "NullLiteral" });
      case "ThisExpression":
        return this.base(node, { type: "ThisExpression" });
      case "TSAsExpression":
      case "TSSatisfiesExpression":
      case "TSNonNullExpression":
      case "TSTypeAssertion":
      case "TSInstantiationExpression":
      case "ParenthesizedExpression":
      case "TypeCastExpression":
        return this.expr(n.expression as t.Node);
      case "BinaryExpression":
        if (node.left.type === "PrivateName") return this.unsupported(node.left, "PrivateIn");
        return this.base(node, { type: "BinaryExpression", operator: node.operator, left: this.expr(node.left), right: this.expr(node.right) });
      case "LogicalExpression":
        return this.base(node, { type: "LogicalExpression", operator: node.operator, left: this.expr(node.left), right: this.expr(node.right) });
      case "UnaryExpression":
        return this.base(node, { type: "UnaryExpression", operator: node.operator, argument: this.expr(node.argument) });
      case "UpdateExpression":
        return this.base(node, { type: "UpdateExpression", operator: node.operator, prefix: node.prefix, argument: this.expr(node.argument) });
      case "AssignmentExpression":
        return this.base(node, {
          type: "AssignmentExpression",
          operator: node.operator,
          left: node.left.type === "MemberExpression" ? (this.expr(node.left) as Pattern) : this.pattern(node.left),
          right: this.expr(node.right),
        });
      case "ConditionalExpression":
        return this.base(node, {
          type: "ConditionalExpression",
          test: this.expr(node.test),
          consequent: this.expr(node.consequent),
          alternate: this.expr(node.alternate),
        });
      case "CallExpression":
      case "OptionalCallExpression":
      case "NewExpression": {
        if (node.callee.type === "Super") return this.unsupported(node, "SuperCall");
        if (node.callee.type === "Import") return this.unsupported(node, "DynamicImport");
        if (node.callee.type === "V8IntrinsicIdentifier") return this.unsupported(node, "V8Intrinsic");
        if (node.type !== "OptionalCallExpression" && isOptionalChain(node.callee)) return this.unsupported(node, "ParenthesizedOptionalChain");
        const args = node.arguments.map((a) =>
          a.type === "SpreadElement" ? this.base(a, { type: "SpreadElement" as const, argument: this.expr(a.argument) }) : this.expr(a as t.Expression),
        );
        const type = node.type === "NewExpression" ? "NewExpression" : "CallExpression";
        const optional = node.type === "OptionalCallExpression" && node.optional ? { optional: true } : {};
        return this.base(node, { type, callee: this.expr(node.callee), arguments: args, ...optional }) as Expression;
      }
      case "MemberExpression":
      case "OptionalMemberExpression":
        if (node.property.type === "PrivateName") return this.unsupported(node.property, "PrivateField");
        if (node.type === "MemberExpression" && isOptionalChain(node.object)) return this.unsupported(node, "ParenthesizedOptionalChain");
        return this.base(node, {
          type: "MemberExpression",
          object: this.expr(node.object),
          // `q.log` names a property, never the imported `log`: only computed keys are expressions.
          property: node.computed ? this.expr(node.property as t.Expression) : this.base(node.property, { type: "Identifier", name: (node.property as t.Identifier).name }),
          computed: node.computed,
          ...(node.type === "OptionalMemberExpression" && node.optional ? { optional: true } : {}),
        });
      case "ArrayExpression":
        return this.base(node, {
          type: "ArrayExpression",
          elements: node.elements.map((e) =>
            e === null ? null : e.type === "SpreadElement" ? this.base(e, { type: "SpreadElement" as const, argument: this.expr(e.argument) }) : this.expr(e),
          ),
        });
      case "ObjectExpression":
        return this.base(node, {
          type: "ObjectExpression",
          properties: node.properties.map((p) => {
            if (p.type === "SpreadElement") return this.base(p, { type: "SpreadElement" as const, argument: this.expr(p.argument) });
            if (p.type === "ObjectMethod")
              return this.base(p, { type: "SpreadElement" as const, argument: this.unsupported(p, p.kind === "get" ? "ObjectGetter" : p.kind === "set" ? "ObjectSetter" : "ObjectMethod") });
            return this.base(p, {
              type: "ObjectProperty" as const,
              key: this.key(p.key, p.computed),
              value: this.expr(p.value),
              computed: p.computed,
              shorthand: p.shorthand,
            });
          }),
        });
      case "SequenceExpression":
        return this.base(node, { type: "SequenceExpression", expressions: node.expressions.map((e) => this.expr(e)) });
      case "TemplateLiteral":
        return this.base(node, {
          type: "TemplateLiteral",
          quasis: node.quasis.map((q) => q.value.raw),
          expressions: node.expressions.map((e) => this.expr(e)),
        });
      case "ArrowFunctionExpression":
        return this.base(node, {
          type: "ArrowFunctionExpression",
          params: node.params.map((p) => this.pattern(p)),
          body: node.body.type === "BlockStatement" ? this.block(node.body) : this.expr(node.body),
          async: node.async,
          generator: false,
          returnType: typeIR(node.returnType, this.source),
        });
      case "FunctionExpression":
        return this.base(node, {
          type: "FunctionExpression",
          id: node.id ? { type: "Identifier" as const, name: node.id.name } : null,
          params: node.params.map((p) => this.pattern(p)),
          body: this.block(node.body),
          async: node.async,
          generator: node.generator,
          returnType: typeIR(node.returnType, this.source),
        });
      default:
        return this.base(node, { type: "Unsupported", ...unsupportedKind(node, this.source) });
    }
  }

  private unsupported(node: t.Node, syntax: SyntaxKind, detail?: string): Expression {
    return this.base(node, { type: "Unsupported", syntax, ...(detail !== undefined ? { detail } : {}) });
  }

  private unsupportedStatement(node: t.Node, syntax: SyntaxKind, detail?: string): Statement {
    return this.base(node, { type: "UnsupportedStatement", syntax, ...(detail !== undefined ? { detail } : {}) });
  }

  pattern(node: t.Node): Pattern {
    const ann = (node as { typeAnnotation?: t.Node | null }).typeAnnotation;
    switch (node.type) {
      case "Identifier":
        return this.base(node, { type: "Identifier", name: node.name, typeAnnotation: typeIR(ann, this.source, this.localTypes), optional: node.optional ?? undefined });
      case "ArrayPattern":
        return this.base(node, {
          type: "ArrayPattern",
          elements: node.elements.map((e) => (e ? this.pattern(e) : null)),
          typeAnnotation: typeIR(ann, this.source, this.localTypes),
        });
      case "ObjectPattern":
        return this.base(node, {
          type: "ObjectPattern",
          properties: node.properties.map((p) =>
            p.type === "RestElement"
              ? this.base(p, { type: "RestElement" as const, argument: this.pattern(p.argument) })
              : this.base(p, {
                  type: "ObjectProperty" as const,
                  key: this.key(p.key, p.computed),
                  value: this.pattern(p.value),
                  computed: p.computed,
                  shorthand: p.shorthand,
                }),
          ),
          typeAnnotation: typeIR(ann, this.source, this.localTypes),
        });
      case "AssignmentPattern":
        return this.base(node, { type: "AssignmentPattern", left: this.pattern(node.left), right: this.expr(node.right) });
      case "RestElement":
        return this.base(node, { type: "RestElement", argument: this.pattern(node.argument), typeAnnotation: typeIR(ann, this.source, this.localTypes) });
      case "MemberExpression":
        return this.expr(node) as Pattern;
      case "TSParameterProperty":
        return this.pattern(node.parameter);
      default:
        // Pattern has no Unsupported member: the core reports it where a pattern is bound.
        return this.unsupported(node, node.type === "ObjectMethod" ? "DestructuringMethod" : "AssignmentTarget") as unknown as Pattern;
    }
  }

  block(node: t.BlockStatement): Extract<Statement, { type: "BlockStatement" }> {
    return this.base(node, { type: "BlockStatement", body: node.body.map((s) => this.stmt(s)) });
  }

  private body(node: t.Statement): Statement {
    return this.stmt(node);
  }

  stmt(node: t.Node): Statement {
    switch (node.type) {
      case "BlockStatement":
        return this.block(node);
      case "VariableDeclaration":
        if (node.kind !== "var" && node.kind !== "let" && node.kind !== "const")
          return this.unsupportedStatement(node, "UsingDeclaration", node.kind);
        return this.base(node, {
          type: "VariableDeclaration",
          kind: node.kind,
          declarations: node.declarations.map((d) =>
            this.base(d, { type: "VariableDeclarator" as const, id: this.pattern(d.id), init: d.init ? this.expr(d.init) : null }),
          ),
        });
      case "ExpressionStatement":
        return this.base(node, { type: "ExpressionStatement", expression: this.expr(node.expression) });
      case "IfStatement":
        return this.base(node, {
          type: "IfStatement",
          test: this.expr(node.test),
          consequent: this.body(node.consequent),
          alternate: node.alternate ? this.body(node.alternate) : null,
        });
      case "ForStatement":
        return this.base(node, {
          type: "ForStatement",
          init: node.init ? (node.init.type === "VariableDeclaration" ? (this.stmt(node.init) as Extract<Statement, { type: "VariableDeclaration" }>) : this.expr(node.init)) : null,
          test: node.test ? this.expr(node.test) : null,
          update: node.update ? this.expr(node.update) : null,
          body: this.body(node.body),
        });
      case "ForInStatement":
      case "ForOfStatement": {
        if (node.type === "ForOfStatement" && node.await) return this.unsupportedStatement(node, "ForAwait");
        const left =
          node.left.type === "VariableDeclaration" ? (this.stmt(node.left) as Extract<Statement, { type: "VariableDeclaration" }>) : this.pattern(node.left);
        return this.base(node, { type: node.type, left, right: this.expr(node.right), body: this.body(node.body) });
      }
      case "WhileStatement":
        return this.base(node, { type: "WhileStatement", test: this.expr(node.test), body: this.body(node.body) });
      case "DoWhileStatement":
        return this.base(node, { type: "DoWhileStatement", test: this.expr(node.test), body: this.body(node.body) });
      case "BreakStatement":
        return this.base(node, { type: "BreakStatement", label: node.label ? { type: "Identifier" as const, name: node.label.name } : null });
      case "ContinueStatement":
        return this.base(node, { type: "ContinueStatement", label: node.label ? { type: "Identifier" as const, name: node.label.name } : null });
      case "ReturnStatement":
        return this.base(node, { type: "ReturnStatement", argument: node.argument ? this.expr(node.argument) : null });
      case "SwitchStatement":
        return this.base(node, {
          type: "SwitchStatement",
          discriminant: this.expr(node.discriminant),
          cases: node.cases.map((c) =>
            this.base(c, { type: "SwitchCase" as const, test: c.test ? this.expr(c.test) : null, consequent: c.consequent.map((s) => this.stmt(s)) }),
          ),
        });
      case "FunctionDeclaration":
        if (!node.id) return this.unsupportedStatement(node, "AnonymousFunctionDeclaration");
        return this.base(node, {
          type: "FunctionDeclaration",
          id: { type: "Identifier" as const, name: node.id.name },
          params: node.params.map((p) => this.pattern(p)),
          body: this.block(node.body),
          async: node.async,
          generator: node.generator,
          returnType: typeIR(node.returnType, this.source),
        });
      case "EmptyStatement":
      case "TSTypeAliasDeclaration":
      case "TSInterfaceDeclaration":
      case "TSDeclareFunction":
        return this.base(node, { type: "EmptyStatement" });
      case "ThrowStatement":
        return this.base(node, { type: "ThrowStatement", argument: this.expr(node.argument) });
      case "LabeledStatement":
        return this.base(node, { type: "LabeledStatement", label: this.base(node.label, { type: "Identifier" as const, name: node.label.name }), body: this.body(node.body) });
      case "TryStatement":
        return this.base(node, {
          type: "TryStatement",
          block: this.block(node.block),
          handler: node.handler
            ? this.base(node.handler, { type: "CatchClause" as const, param: node.handler.param ? this.pattern(node.handler.param) : null, body: this.block(node.handler.body) })
            : null,
          finalizer: node.finalizer ? this.block(node.finalizer) : null,
        });
      default:
        return this.base(node, { type: "UnsupportedStatement", ...unsupportedKind(node, this.source) });
    }
  }

  /** A marked function (declaration, expression, arrow or method) as the core's MarkedFunction. */
  marked(
    node: t.Function,
    name: string,
    kind: MarkedFunction["kind"],
    wrt: string[] | undefined,
    markLoc: Loc | undefined,
  ): MarkedFunction {
    let body: MarkedFunction["body"] = node.body.type === "BlockStatement" ? this.block(node.body) : this.expr(node.body);
    // Function-level constructs the IR cannot flag: an unsupported first statement at the keyword (as the TS host does).
    if (node.generator) body = this.prepend(body, "GeneratorFunction", this.tokenLoc(node, /\*/));
    if (node.async) body = this.prepend(body, "AsyncFunction", this.tokenLoc(node, /\basync\b/));
    const marked: MarkedFunction = {
      name,
      kind,
      params: node.params.map((p) => this.pattern(p)),
      body,
      returnType: typeIR(node.returnType as t.Node | null | undefined, this.source),
      wrt,
      loc: markLoc ?? locOf(node),
      isArrow: node.type === "ArrowFunctionExpression",
    };
    const fixSites = this.fixSites();
    if (fixSites) marked.fixSites = fixSites;
    return marked;
  }

  /**
   * What the core needs for its quick fixes: how this file calls withoutDerivative (a named
   * import of it). The Babel host shows no quick fixes, so nothing more (an import edit, where a
   * `wrt` goes) is worked out here.
   */
  private fixSites(): FixSites | undefined {
    for (const [local, exported] of this.runtimeImports) if (exported === "withoutDerivative") return { withoutDerivative: { callee: local } };
    return undefined;
  }

  private prepend(body: MarkedFunction["body"], syntax: SyntaxKind, loc: Loc | undefined): MarkedFunction["body"] {
    const stmt: Statement = { type: "UnsupportedStatement", syntax, loc };
    if (body.type === "BlockStatement") return { ...body, body: [stmt, ...body.body] };
    return { type: "Unsupported", syntax, loc };
  }

  /** The first match of `token` in the function's head (before its parameters), as a location. */
  private tokenLoc(node: t.Function, token: RegExp): Loc | undefined {
    if (node.start == null) return locOf(node);
    const headEnd = node.params[0]?.start ?? node.body.start ?? node.start;
    const m = token.exec(this.source.slice(node.start, headEnd));
    if (!m) return locOf(node);
    return locAtOffsets(this.source, node.start + m.index, node.start + m.index + m[0].length);
  }
}

/** The location of [start, end) in `source`. */
function locAtOffsets(source: string, start: number, end: number): Loc {
  const at = (offset: number) => {
    const before = source.slice(0, offset);
    const line = before.split("\n").length;
    return { line, column: offset - (before.lastIndexOf("\n") + 1) };
  };
  const s = at(start);
  const e = at(end);
  return { start, end, line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
}
