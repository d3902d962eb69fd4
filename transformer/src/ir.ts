// The IR a host hands to the core: a small, ESTree/Babel-shaped tree of one marked function.
// Node type names match Babel's so the Babel adapter is nearly the identity; the TypeScript
// adapter builds the same shapes from ts.Node. Type annotations are reduced to TypeIR.
// Anything a host cannot express here becomes an `Unsupported` node, which the core reports
// as a diagnostic at that node's location (never silently skipped).

import type { SyntaxKind } from "./catalog.js";

/** A source location in the file being compiled (1-based lines, 0-based columns, offsets into the file text). */
export interface Loc {
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

interface Base {
  loc?: Loc;
}

/** Type facts the core uses to pick number arithmetic over generic tangent helpers. */
export type TypeIR =
  | { kind: "number" }
  | { kind: "boolean" }
  | { kind: "string" }
  | { kind: "void" }
  | { kind: "array"; element: TypeIR }
  | { kind: "tuple"; elements: TypeIR[] }
  /** `noDerivative`: fields declared `NoDerivative<T>` or tagged `@noDerivative` (dropped from `fields`). */
  | { kind: "object"; fields: Record<string, TypeIR>; noDerivative?: string[] }
  | { kind: "function" }
  | { kind: "nondiff"; text: string } // known not Differentiable (e.g. string, symbol)
  | { kind: "unknown"; text?: string };

export interface Identifier extends Base {
  type: "Identifier";
  name: string;
  typeAnnotation?: TypeIR;
  optional?: boolean;
}
export interface NumericLiteral extends Base {
  type: "NumericLiteral";
  value: number;
}
export interface StringLiteral extends Base {
  type: "StringLiteral";
  value: string;
}
export interface BooleanLiteral extends Base {
  type: "BooleanLiteral";
  value: boolean;
}
export interface NullLiteral extends Base {
  type: "NullLiteral";
}
export interface ThisExpression extends Base {
  type: "ThisExpression";
}
export interface BinaryExpression extends Base {
  type: "BinaryExpression";
  operator: string; // + - * / % ** == != === !== < <= > >= & | ^ << >> >>> in instanceof
  left: Expression;
  right: Expression;
}
export interface LogicalExpression extends Base {
  type: "LogicalExpression";
  operator: "&&" | "||" | "??";
  left: Expression;
  right: Expression;
}
export interface UnaryExpression extends Base {
  type: "UnaryExpression";
  operator: string; // - + ! ~ typeof void delete
  argument: Expression;
}
export interface UpdateExpression extends Base {
  type: "UpdateExpression";
  operator: "++" | "--";
  prefix: boolean;
  argument: Expression;
}
export interface AssignmentExpression extends Base {
  type: "AssignmentExpression";
  operator: string; // = += -= *= /= %= **= ...
  left: Pattern | MemberExpression;
  right: Expression;
}
export interface ConditionalExpression extends Base {
  type: "ConditionalExpression";
  test: Expression;
  consequent: Expression;
  alternate: Expression;
}
export interface CallExpression extends Base {
  type: "CallExpression";
  callee: Expression;
  arguments: (Expression | SpreadElement)[];
  optional?: boolean;
  /** What a host with a type checker knows about the function called (absent: unknown). */
  calleeInfo?: CalleeInfo;
}

/** Facts about a called function that only a type checker can give (the ts-patch host fills these). */
export interface CalleeInfo {
  /** The name to show in messages. */
  name: string;
  /**
   * false: the function has no derivative — not marked, no `@derivative(of:)`, not a runtime
   * primitive — so a call on an active value is an error. true: it has one. Absent: unknown (the
   * call is left to the run-time lookup).
   */
  hasDerivative: boolean;
  /**
   * Where the function is declared, for the note that suggests marking it; `mark`, when it is a
   * function of the program's own sources that a `/** @differentiable *\/` tag can mark (the
   * core's "Mark 'f'" fix writes it there).
   */
  declaration?: { fileName: string; loc: Loc; mark?: MarkSite };
  /** Declared by @cotangent/runtime: its primitive table (ModuleContext.primitives) has the facts. */
  runtime?: boolean;
}
export interface NewExpression extends Base {
  type: "NewExpression";
  callee: Expression;
  arguments: (Expression | SpreadElement)[];
}
export interface MemberExpression extends Base {
  type: "MemberExpression";
  object: Expression;
  property: Expression; // Identifier when !computed
  computed: boolean;
  optional?: boolean;
  /**
   * The field carries no derivative whatever its object does: declared `NoDerivative<T>`, or of a
   * type that is not Differentiable (a string, a boolean). Known from types (the TS host).
   */
  noDerivative?: boolean;
  /**
   * The property is a get or set accessor of a class, known from the checker (the TS hosts) or
   * found by getters.ts: reading a getter on a differentiated value is an error unless getters.ts
   * inlined it (its derivative is unknown), and assigning to an accessor always is.
   */
  accessor?: { kind: "get" | "set"; name: string; /** The name of the class that declares it, when it has one. */ owner?: string };
}
export interface SpreadElement extends Base {
  type: "SpreadElement";
  argument: Expression;
}
export interface ArrayExpression extends Base {
  type: "ArrayExpression";
  elements: (Expression | SpreadElement | null)[];
}
export interface ObjectProperty extends Base {
  type: "ObjectProperty";
  key: Expression; // Identifier / StringLiteral / NumericLiteral, or any when computed
  value: Expression;
  computed: boolean;
  shorthand: boolean;
}
export interface ObjectExpression extends Base {
  type: "ObjectExpression";
  properties: (ObjectProperty | SpreadElement)[];
}
export interface SequenceExpression extends Base {
  type: "SequenceExpression";
  expressions: Expression[];
}
export interface FunctionLike extends Base {
  params: Pattern[];
  body: BlockStatement | Expression;
  async?: boolean;
  generator?: boolean;
  returnType?: TypeIR;
}
export interface ArrowFunctionExpression extends FunctionLike {
  type: "ArrowFunctionExpression";
}
export interface FunctionExpression extends FunctionLike {
  type: "FunctionExpression";
  id?: Identifier | null;
  body: BlockStatement;
}
export interface TemplateLiteral extends Base {
  type: "TemplateLiteral";
  quasis: string[];
  expressions: Expression[];
}
/**
 * A construct the host could not lower; the core reports it at `loc`. Hosts say what it is with a
 * kind from the core's list (`syntax`, catalog.ts SYNTAX), and the catalog words the message, so
 * every host prints the same text.
 */
export interface Unsupported extends Base {
  type: "Unsupported";
  syntax?: SyntaxKind;
  /** The one variable part some kinds name (`using`, `import.meta`; for `Other`, the host's node type). */
  detail?: string;
}

export type Expression =
  | Identifier
  | NumericLiteral
  | StringLiteral
  | BooleanLiteral
  | NullLiteral
  | ThisExpression
  | BinaryExpression
  | LogicalExpression
  | UnaryExpression
  | UpdateExpression
  | AssignmentExpression
  | ConditionalExpression
  | CallExpression
  | NewExpression
  | MemberExpression
  | ArrayExpression
  | ObjectExpression
  | SequenceExpression
  | ArrowFunctionExpression
  | FunctionExpression
  | TemplateLiteral
  | Unsupported;

export interface ArrayPattern extends Base {
  type: "ArrayPattern";
  elements: (Pattern | null)[];
  typeAnnotation?: TypeIR;
}
export interface ObjectPatternProperty extends Base {
  type: "ObjectProperty";
  key: Expression;
  value: Pattern;
  computed: boolean;
  shorthand: boolean;
}
export interface ObjectPattern extends Base {
  type: "ObjectPattern";
  properties: (ObjectPatternProperty | RestElement)[];
  typeAnnotation?: TypeIR;
}
export interface AssignmentPattern extends Base {
  type: "AssignmentPattern";
  left: Pattern;
  right: Expression;
}
export interface RestElement extends Base {
  type: "RestElement";
  argument: Pattern;
  typeAnnotation?: TypeIR;
}
export type Pattern = Identifier | ArrayPattern | ObjectPattern | AssignmentPattern | RestElement | MemberExpression;

export interface VariableDeclarator extends Base {
  type: "VariableDeclarator";
  id: Pattern;
  init: Expression | null;
}
export interface VariableDeclaration extends Base {
  type: "VariableDeclaration";
  kind: "var" | "let" | "const";
  declarations: VariableDeclarator[];
}
export interface ExpressionStatement extends Base {
  type: "ExpressionStatement";
  expression: Expression;
}
export interface BlockStatement extends Base {
  type: "BlockStatement";
  body: Statement[];
}
export interface IfStatement extends Base {
  type: "IfStatement";
  test: Expression;
  consequent: Statement;
  alternate: Statement | null;
}
export interface ForStatement extends Base {
  type: "ForStatement";
  init: VariableDeclaration | Expression | null;
  test: Expression | null;
  update: Expression | null;
  body: Statement;
}
export interface ForOfStatement extends Base {
  type: "ForOfStatement";
  left: VariableDeclaration | Pattern;
  right: Expression;
  body: Statement;
}
/** `for (const k in o)`: lowered to a `for…of` over `RT.forInKeys(o)`, the keys for…in visits. */
export interface ForInStatement extends Base {
  type: "ForInStatement";
  left: VariableDeclaration | Pattern;
  right: Expression;
  body: Statement;
}
export interface WhileStatement extends Base {
  type: "WhileStatement";
  test: Expression;
  body: Statement;
}
export interface DoWhileStatement extends Base {
  type: "DoWhileStatement";
  test: Expression;
  body: Statement;
}
export interface BreakStatement extends Base {
  type: "BreakStatement";
  label: Identifier | null;
}
export interface ContinueStatement extends Base {
  type: "ContinueStatement";
  label: Identifier | null;
}
export interface ReturnStatement extends Base {
  type: "ReturnStatement";
  argument: Expression | null;
}
export interface SwitchCase extends Base {
  type: "SwitchCase";
  test: Expression | null;
  consequent: Statement[];
}
export interface SwitchStatement extends Base {
  type: "SwitchStatement";
  discriminant: Expression;
  cases: SwitchCase[];
}
export interface FunctionDeclaration extends FunctionLike {
  type: "FunctionDeclaration";
  id: Identifier;
  body: BlockStatement;
}
export interface EmptyStatement extends Base {
  type: "EmptyStatement";
}
export interface ThrowStatement extends Base {
  type: "ThrowStatement";
  argument: Expression;
}
export interface LabeledStatement extends Base {
  type: "LabeledStatement";
  label: Identifier;
  body: Statement;
}
export interface CatchClause extends Base {
  type: "CatchClause";
  param: Pattern | null;
  body: BlockStatement;
}
export interface TryStatement extends Base {
  type: "TryStatement";
  block: BlockStatement;
  handler: CatchClause | null;
  finalizer: BlockStatement | null;
}
/** A statement the host could not lower (see Unsupported). */
export interface UnsupportedStatement extends Base {
  type: "UnsupportedStatement";
  syntax?: SyntaxKind;
  detail?: string;
}

export type Statement =
  | VariableDeclaration
  | ExpressionStatement
  | BlockStatement
  | IfStatement
  | ForStatement
  | ForOfStatement
  | ForInStatement
  | WhileStatement
  | DoWhileStatement
  | BreakStatement
  | ContinueStatement
  | ReturnStatement
  | SwitchStatement
  | FunctionDeclaration
  | EmptyStatement
  | ThrowStatement
  | LabeledStatement
  | TryStatement
  | UnsupportedStatement;

export type Node = Expression | Statement | Pattern | SpreadElement | ObjectProperty | SwitchCase | VariableDeclarator;

/** One marked function, as a host found it. */
/** An edit of a file's text: [start, end) becomes `newText`. `fileName`: only when another file than the diagnostic's. */
export interface TextEdit {
  fileName?: string;
  start: number;
  end: number;
  newText: string;
}

/** Where a `/** @differentiable *\/` tag goes on a declaration (offsets into its file's text). */
export interface MarkSite {
  /** The declared name (the fix's title). */
  name: string;
  /** The start of the line the declaration starts on, and the indentation before it on that line. */
  lineStart: number;
  indent: string;
  /** The JSDoc block right before the declaration: its range, its text, and the indentation of the line it starts on. */
  doc?: { start: number; end: number; text: string; indent: string };
}

/**
 * Facts only a host knows that let the core write quick fixes (fixes.ts); offsets into the file's
 * text. Optional: without them, the core emits no fix of that kind.
 */
export interface FixSites {
  /** How this file's code calls withoutDerivative (`withoutDerivative`, `wd`, `ct.withoutDerivative`), and the edits that import it where it cannot yet. */
  withoutDerivative?: { callee: string; importEdits?: TextEdit[] };
  /**
   * Where the function's `wrt` is written, or would be: [start, end) becomes `template` with
   * `{list}` as `x, y` and `{array}` as `["x", "y"]`; `names`: where each name in it is.
   */
  wrt?: { start: number; end: number; template: string; names?: { name: string; start: number; end: number }[] };
}

export interface MarkedFunction {
  /** The name used for generated derivatives (`f` gives `f$jvp`, `f$vjp`); hosts give anonymous functions a stable name. */
  name: string;
  kind: "declaration" | "expression" | "method";
  params: Pattern[];
  /** Block body, or an expression for concise arrows. */
  body: BlockStatement | Expression;
  returnType?: TypeIR;
  /** Parameter names to differentiate with respect to; undefined means all parameters. */
  wrt?: string[];
  /** Location of the mark or the function head: where "function is not differentiable" errors point. */
  loc?: Loc;
  /** Arrow functions keep the enclosing `this`; the generated derivatives must too. */
  isArrow: boolean;
  /** Marked `@kernel` too: compiled to WGSL as well (transformer/src/kernel.ts). */
  kernel?: boolean;
  /**
   * For methods: code for the object the method is defined on (`Pendulum.prototype`, or
   * `Pendulum` for a static method). The derivatives check that `this.name` is still that method
   * (a subclass or an instance may override it) and otherwise defer to the override's derivatives.
   */
  owner?: string;
  /** What the host knows about where quick fixes go (see FixSites). */
  fixSites?: FixSites;
}
