// The diagnostics catalog: every word of every message Cotangent's build reports, keyed by code.
//
// Each code has one entry: its message template (`{name}` placeholders), the note it adds at the
// marked function, and — where the specific reason varies — a table of reasons, each a template of
// its own that fills the message's `{reason}`; `parts` are the phrases those reasons are assembled
// from (one place each). CT1001's reasons include `syntax`, which names a construct from the core's
// list of syntax kinds (SYNTAX): hosts report the kind (`{ type: "Unsupported", syntax: "Await" }`),
// never words, so every host prints the same text. The titles of the quick fixes the core attaches
// (fixes.ts) are here too. No message text exists anywhere else in the core or the hosts: code
// calls `diagnostic`, `notDifferentiable`, `kernelError`, `part` or `fixTitle` with a reason and
// its arguments.

import type { Diagnostic, DiagnosticFix, DiagnosticNote, Severity } from "./api.js";
import type { Loc } from "./ir.js";

/**
 * Constructs outside the differentiable subset, by kind. `what` names it; the message is
 * "{what} is not supported in differentiable functions (why); hint". `text` replaces the whole
 * sentence where that form does not fit (marks a host rejects). `{detail}` is the one variable
 * part a kind may have (the `using` keyword, `import.meta`, a host's own node type for `Other`).
 */
export const SYNTAX = {
  // ---- reported by the hosts' adapters (AST → IR) ----
  ClassExpression: { what: "a class expression" },
  ClassDeclaration: { what: "a class declaration", hint: "declare the class outside the function" },
  EnumDeclaration: { what: "an enum declaration", hint: "declare it outside the function" },
  NamespaceDeclaration: { what: "a namespace declaration", hint: "declare it outside the function" },
  Import: { what: "an import", hint: "import at the top of the module" },
  DynamicImport: { what: "a dynamic `import()`" },
  Super: { what: "`super`" },
  SuperCall: { what: "a `super(…)` call" },
  Await: { what: "`await`" },
  Yield: { what: "`yield`" },
  AsyncFunction: { what: "an `async` function" },
  GeneratorFunction: { what: "a generator function" },
  FunctionWithoutBody: { what: "a function without a body" },
  AnonymousFunctionDeclaration: { what: "a function declaration without a name" },
  ComputedMethodName: { what: "a method with a computed or private name" },
  TaggedTemplate: { what: "a tagged template" },
  RegExpLiteral: { what: "a regular expression literal" },
  BigIntLiteral: { what: "a bigint literal", why: "a bigint has no derivative" },
  BigIntPropertyName: { what: "a bigint property name" },
  MetaProperty: { what: "`{detail}`" },
  JSX: { what: "JSX" },
  PrivateField: { what: "a private field (`#x`)" },
  PrivateName: { what: "a private name (`#x`)" },
  PrivateIn: { what: "a private-name `in` check (`#x in obj`)" },
  ObjectMethod: { what: "an object method", hint: "write `name: (…) => …`" },
  ObjectGetter: { what: "a getter in an object literal" },
  ObjectSetter: { what: "a setter in an object literal" },
  DestructuringMethod: { what: "a method in a destructuring pattern" },
  WithStatement: { what: "a `with` statement" },
  DebuggerStatement: { what: "a `debugger` statement" },
  ForAwait: { what: "`for await`" },
  UsingDeclaration: { what: "a `{detail}` declaration" },
  ParenthesizedOptionalChain: { what: "a member or call on a parenthesized optional chain such as `(a?.b).c` (write `a?.b?.c`)" },
  SpreadOutsideCall: { what: "a spread outside a call or array" },
  ArrayHole: { what: "an array hole", hint: "write `undefined`" },
  V8Intrinsic: { what: "a V8 intrinsic call" },
  AssignmentTarget: { what: "an assignment to this kind of target" },
  /** Syntax a host has no kind for: `detail` is the host's own name of the node type. */
  Other: { what: "the syntax '{detail}'" },
  // ---- found by the core's normalization ----
  TryCatch: {
    what: "`try`/`catch`",
    why: "a derivative is not defined for a block that stops part-way",
    hint: "catch around the call of the marked function instead, or use `try`/`finally`",
  },
  Arguments: { what: "`arguments`", hint: "name the parameters" },
  Delete: { what: "`delete`" },
  New: { what: "`new`", why: "except `new Array(n)`" },
  AssignmentInExpression: { what: "an assignment inside an expression", hint: "make it its own statement" },
  PushInExpression: { what: "push inside an expression", hint: "make it its own statement" },
  Sequence: { what: "the comma operator", hint: "make each expression its own statement" },
  LogicalAssignment: { what: "the logical assignment '{detail}'", hint: "write an if statement" },
  FieldOfExpression: { what: "assignment to a field of this expression", hint: "assign to a local array or object" },
  DestructuringDefault: { what: "a default value in destructuring", hint: "destructure, then assign the default in an if statement" },
  ObjectPatternRest: { what: "a rest element or computed key in object destructuring" },
  ObjectPatternKey: { what: "this key in object destructuring" },
  DestructuringTarget: { what: "this destructuring target" },
  CaseLabelCall: { what: "a call in a case label", hint: "compute the value before the switch" },
  ComputedKey: { what: "a computed key in an object literal" },
  OptionalCallOnComputed: { what: "an optional call of a method on a computed object (`f().m?.()`)", hint: "store the object in a local first" },
  // ---- marks a host rejects (reported through an UnsupportedStatement at the mark) ----
  AnonymousDefaultExport: { text: "an anonymous `export default function` cannot be marked differentiable; give the function a name" },
  AccessorMark: {
    text: "@differentiable applies to methods with a plain name, not to getters, setters, constructors or methods with a computed name; mark a method with a plain name",
  },
  AnonymousClassMethod: { text: "a @differentiable method must belong to a named class declaration; give the class a name and declare it" },
  InvalidWrtOption: { text: "its `wrt` option is not an array of parameter-name strings; write `{ wrt: [\"x\"] }`" },
} as const satisfies Record<string, { what: string; why?: string; hint?: string } | { text: string }>;

export type SyntaxKind = keyof typeof SYNTAX;

/** The sentence every `what` of SYNTAX goes into (the message's `{reason}` for `syntax`). */
const SYNTAX_SENTENCE = "{what} is not supported in differentiable functions{why}{hint}";
const SYNTAX_WHY = " ({why})";
const SYNTAX_HINT = "; {hint}";

/** Notes added to a diagnostic (at the marked function, at a declaration). */
export const NOTES = {
  markedHere: "'{fn}' is marked differentiable here",
  kernelHere: "'{fn}' is marked @kernel here",
  declaredHere: "'{name}' is declared here",
} as const;

/** The quick fixes the core attaches to diagnostics (`Diagnostic.fixes`, fixes.ts): kind → title. */
export const FIXES = {
  wrapInWithoutDerivative: "Wrap in withoutDerivative(...)",
  markDifferentiable: "Mark '{name}' as /** @differentiable */",
  restrictWrt: "Differentiate only with respect to {list}",
  fixWrtName: "Change '{name}' to '{param}'",
} as const;

export type FixKind = keyof typeof FIXES;

interface Form {
  /** The message; `{reason}` is where the reason's text goes. */
  readonly message: string;
  /** A note at the marked function (NOTES key), added by `notDifferentiable` / `kernelError`. */
  readonly note?: keyof typeof NOTES;
  readonly reasons?: Readonly<Record<string, string>>;
  readonly parts?: Readonly<Record<string, string>>;
}

interface Entry extends Form {
  /** Its name in CODES. */
  readonly key: string;
  readonly severity: Severity;
  /** One line: what the code is about (the README's table). */
  readonly summary: string;
  /** Other forms of the message (CT1001's `kernel`: a @kernel function outside the kernel subset). */
  readonly forms?: Readonly<Record<string, Form>>;
  /** The quick fixes its diagnostics may carry (fixes.ts attaches them where it knows the edit). */
  readonly fixes?: readonly FixKind[];
}

const NOT_DIFFERENTIABLE = "function '{fn}' is not differentiable: {reason}";
const STORE_A_COPY = "derivatives treat arrays as values, so store a copy instead (for an array, `.slice()`; for nested arrays, copy each level)";

/** Every code: its message, note, reasons and phrases. */
export const CATALOG = {
  CT1001: {
    key: "unsupportedSyntax",
    severity: "error",
    summary: "syntax outside the differentiable subset (names the construct)",
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      /** A construct of SYNTAX (args: `syntax`, and `detail` where its words take one). */
      syntax: "{syntax}",
      jumpWithoutLoop: "this {jump} has no enclosing loop in the function",
      jumpWithoutLabel: "this {jump} has no enclosing statement labeled '{label}' in the function",
      updateTarget: "'{op}' needs a variable or an element",
      updateReadsTwice: "'{op}' on '{name}' inside an expression that also reads '{name}' is not supported; make the update its own statement",
      asyncLocalFunction: "the local function '{name}' is async or a generator, and async functions and generators are not differentiable",
      asyncCallback: "an async or generator callback is not differentiable",
      thisInFunctionCallback: "a `function` callback that reads `this` is not supported (its `this` is not the method's); use an arrow function",
      callInPlainExpression: "calls to differentiable functions are not supported here (a parameter default or a `throw` argument)",
      localFunctionAsValue: "the local function '{name}' is used as a value (stored or passed); local functions can only be called",
      functionAsValue:
        "a function expression used as a value is not supported here (callbacks are supported for the array methods {methods} and for Array.from); declare it with const and call it, or use a loop",
      shadowedMath: "'Math' here is not the global Math (this file declares its own); differentiable code uses the built-in Math functions, so rename that declaration",
      mathSpread: "a spread argument to Math.{name} is not supported (only Math.max and Math.min take one); pass the arguments one by one",
      spreadToUnknown: "spread arguments are supported in calls of marked and local functions (and Math.max/min); pass the array itself, or mark the function called",
      spreadNotLast: "a spread argument must be the last argument (the parameters after it would depend on its length)",
      fillOnExpression: "fill is supported on a local array (`ys.fill(v)`); assign the array to a variable first",
      setter: "it assigns to '{name}', a setter of {owner}, whose effect on the derivative is not known; assign the fields it sets instead",
      getterNotInlined:
        "the getter '{name}' of {owner} is read on a value that depends on the differentiated inputs, and it cannot be inlined (a getter is inlined when its class is declared in this module, the object is known to be of that class — a parameter or `this` declared as it, or an element of an array of it — and its body is one `return` of an expression), so its derivative would be missing; compute it here from the fields it reads",
      getterRecursive: "the getter '{name}' of class {cls} reads itself (a recursive getter cannot be inlined)",
      objectSpreadUnknown: "object spread of a value whose fields are not known here; annotate its type (an interface or an object type), or list the fields",
      inPlaceArrayMethod:
        "'{method}' changes an array in place, and the derivative does not follow in-place changes other than element writes and push; build a new array instead (slice() and element writes, or a loop)",
      methodOnActive:
        "calling the method '{method}' on a value that depends on the differentiated inputs is not supported (its derivative with respect to the object is not computed); pass the value as an argument instead",
      arrayMethodOnActive: "the method '{method}' on a value that depends on the differentiated inputs is not supported; write a loop instead",
    },
    parts: {
      // The `{owner}` of `setter` and `getterNotInlined`.
      ofClass: "class {name}",
      ofUnnamedClass: "its class",
    },
    forms: {
      kernel: {
        message: "function '{fn}' cannot be a @kernel: {reason}",
        note: "kernelHere",
        reasons: {
          notDeclaration: "a @kernel must be a function declaration (function f(x: number): number { … })",
          parameterPattern: "its parameters must be plain names (numbers)",
          parameterType: "parameter '{name}' must be a number",
          resultType: "it must return a number",
          returnsNumber: "a @kernel function returns a number",
          propertyRead: "a property read is not supported in a @kernel function (only Math constants: Math.PI, Math.E, …)",
          operator: "the operator '{op}' is not supported in a @kernel function",
          logicalOnNumbers: "'{op}' on numbers is not supported in a @kernel function; compare first (a && b on booleans is), or use ?:",
          assignmentOperator: "'{op}' is not supported in a @kernel function",
          mathFunction: "Math.{name} is not supported in a @kernel function",
          mathArity: "Math.{name} takes exactly two arguments in a @kernel function",
          spreadArgument: "a spread argument is not supported in a @kernel function",
          call: "a call other than a Math function is not supported in a @kernel function (inline the helper, or make it a kernel and compose with map)",
          value: "{what} is not supported in a @kernel function (numbers and booleans only)",
          statement: "{what} is not supported in a @kernel function",
          destructuring: "destructuring is not supported in a @kernel function",
          localWithoutValue: "a @kernel local needs an initial value",
          statementKind: "only assignments to locals are supported as statements in a @kernel function",
          labeledBreak: "a labeled break is not supported in a @kernel function",
          continue: "continue is not supported in a @kernel function (a for loop's update would be skipped); use if/else",
          condition: "a @kernel condition must be a comparison (x > 0, not x)",
        },
        parts: {
          // What a node is, in words (the `{what}` of `value` and `statement`), by IR node type.
          ArrayExpression: "an array",
          ObjectExpression: "an object",
          StringLiteral: "a string",
          TemplateLiteral: "a template string",
          NewExpression: "`new`",
          ArrowFunctionExpression: "a function",
          FunctionExpression: "a function",
          NullLiteral: "null",
          SwitchStatement: "switch",
          TryStatement: "try",
          ThrowStatement: "throw",
          ForOfStatement: "for…of",
          ForInStatement: "for…in",
          DoWhileStatement: "do…while",
          FunctionDeclaration: "a nested function",
          LabeledStatement: "a label",
          other: "a {type}",
        },
      },
    },
  },
  CT1002: {
    key: "unknownWrt",
    severity: "error",
    summary: "`wrt` names a parameter the function does not have",
    fixes: ["fixWrtName"],
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      empty: "its 'wrt' lists no parameter (or is malformed); write the parameters to differentiate, e.g. @differentiable(wrt: x, y) or { wrt: [\"x\"] }",
      unknownName: "'wrt' names '{name}', which is not a parameter of '{fn}' (its parameters: {params})",
      unknownNameNear: "'wrt' names '{name}', which is not a parameter of '{fn}'; did you mean '{near}'? (its parameters: {params})",
      noParameters: "'wrt' names '{name}', but '{fn}' has no parameters",
    },
  },
  CT1003: {
    key: "nonDifferentiableOperation",
    severity: "error",
    summary: "a non-differentiable operation (bitwise, string, `Number(…)`/`parseInt`) on a value that depends on the inputs; suggests `withoutDerivative(…)`",
    fixes: ["wrapInWithoutDerivative"],
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      bitwise:
        "the bitwise operator '{op}' is not differentiable and is applied to a value that depends on the differentiated inputs; wrap the operand in withoutDerivative(...) if a zero derivative is intended",
      stringOperation: "a string operation on a value that depends on the differentiated inputs is not differentiable; use withoutDerivative(...) around the value",
      templateString: "a template string built from a value that depends on the differentiated inputs is not differentiable; use withoutDerivative(...) around the value",
      conversion: "the conversion '{name}(...)' is not differentiable; use withoutDerivative(...) if a constant is intended",
      numberMethod:
        "the method '{method}' of a number that depends on the differentiated inputs is not differentiable; use withoutDerivative(...) on the number if a constant is intended",
    },
  },
  CT1004: {
    key: "writeToCapture",
    severity: "error",
    summary: "a write to a global, a captured variable, or into a parameter's elements",
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      nonLocal:
        "it assigns to '{name}', which is not a local variable or parameter (a global or a captured variable); differentiable functions may only write their own locals — copy it into a local first",
      parameter:
        "it writes into its parameter '{name}', which belongs to the caller; derivatives treat arguments as values, so a caller would not see this write. Write into a copy instead: `const copy = {name}.slice();`",
    },
  },
  CT1005: {
    key: "activeCapture",
    severity: "error",
    summary: "a closure captures a value that depends on the inputs",
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      capture:
        "the local function '{name}' captures '{capture}', which depends on the differentiated inputs; pass '{capture}' to it as a parameter instead (captured values are constants of the derivative)",
    },
  },
  CT1006: {
    key: "unknownMathFunction",
    severity: "error",
    summary: "a `Math` function with no derivative",
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      math: "Math.{name} has no derivative",
    },
  },
  CT1007: {
    key: "nonDifferentiableArgument",
    severity: "error",
    summary: "an active argument passed to a parameter the callee does not differentiate",
    fixes: ["wrapInWithoutDerivative"],
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      argument:
        "argument {index} of '{callee}' depends on the differentiated inputs, but '{callee}' is not differentiable with respect to that parameter; add it to its 'wrt' or pass withoutDerivative(...)",
    },
  },
  CT1008: {
    key: "unsupportedParameter",
    severity: "error",
    summary: "a parameter form the derivatives cannot take (a destructuring rest parameter `...[a, b]`)",
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      restPattern: "a rest parameter must be a plain name (`...xs`); destructure it in the body",
      callbackRest: "a rest parameter in a callback is not supported; name the parameters",
    },
  },
  CT1009: {
    key: "aliasedWrite",
    severity: "error",
    summary: "two names for one array or object, written through one of them (also through containers, `?:` and shallow copies)",
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      same: `{a} and {b} refer to the same array or object, and '{written}' is written through; ${STORE_A_COPY}{annotate}`,
      contains: `{a} holds a reference to {b}, and '{written}' is written through; ${STORE_A_COPY}{annotate}`,
      elements: `{a} is a shallow copy of {b} and shares its inner arrays, and '{written}' is written through; ${STORE_A_COPY}{annotate}`,
    },
    parts: {
      name: "'{name}'",
      computed: "a value computed here",
      annotate: ". If these hold only numbers, annotating their types (number[]) tells Cotangent so",
    },
  },
  CT1010: {
    key: "noDerivative",
    severity: "error",
    summary:
      "a call, on a value that depends on the inputs, to a function with no derivative: a runtime op without one, or a function of the program that is not marked (ts-patch host and editor: needs types)",
    fixes: ["wrapInWithoutDerivative", "markDifferentiable"],
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      runtimeOp:
        "it calls the runtime op '{op}' on a value that depends on the differentiated inputs, and '{op}' has no derivative ({why}); wrap the {operand} in withoutDerivative(...) to use its result as a constant",
      castToInt:
        "it casts a value that depends on the differentiated inputs to int32, and integers have no derivative; keep it a float, or wrap the tensor in withoutDerivative(...) if the integers are meant as constants",
      callee:
        "it calls '{name}' on a value that depends on the differentiated inputs, and '{name}' has no derivative; mark '{name}' /** @differentiable */ where it is defined, register one with registerDerivative({name}, { vjp, jvp }), or pass withoutDerivative(...) if the call is meant as a constant",
    },
    parts: {
      why: "it is not differentiable",
      tensor: "tensor",
      argument: "argument",
    },
  },
  CT1011: {
    key: "notDifferentiableType",
    severity: "error",
    summary: "a differentiated parameter, or the result, whose type is not differentiable; suggests a `wrt`",
    fixes: ["restrictWrt"],
    message: NOT_DIFFERENTIABLE,
    note: "markedHere",
    reasons: {
      parameter:
        "it can only be differentiated with respect to parameters whose type is Differentiable (numbers, and arrays and objects of numbers), and '{name}' is {type}; {advice}",
      result: "its result type {type} is not Differentiable; a differentiable function returns numbers, or arrays and objects of numbers",
    },
    parts: {
      restrict: "restrict it with /** @differentiable(wrt: {list}) */",
      chooseWrt: "mark the parameter that should be differentiated with wrt",
    },
  },
  CT1012: {
    key: "customDerivativeMismatch",
    severity: "error",
    summary: "a `/** @derivative(of: f) */` function whose parameters, `value`, pullback or differential do not fit `f` (ts-patch host and editor)",
    message: "the custom derivative '{name}' does not fit '{of}': {reason}",
    reasons: {
      parameterCount: "it must take {of}'s parameters {signature}, but it takes {count}",
      parameterType: "parameter {index} must accept {expected} ({of} takes {signature}), not {actual}",
      noValue: "it must return {shape}; its result has no 'value'",
      valueType: "'value' must be {expected} (what {of} returns), not {actual}",
      noFunction: "it must return {shape}; '{prop}' is missing or not a function",
      pullbackArity: "the pullback must take the cotangent of the result",
      pullbackCotangent: "the pullback must take the result's cotangent, a number, not {actual}",
      pullbackNumber: "the pullback must return the cotangent of '{param}', a number, not {actual}",
      pullbackArray: "the pullback must return an array with one cotangent per parameter of {of} {signature}, not {actual}",
      pullbackCount: "the pullback must return {expected} cotangents (one per parameter of {of}), not {actual}",
      differentialArity: "the differential must take one tangent per parameter of {of} {signature}, but it takes {count}",
      differentialTangent: "the differential's tangent {index} must be a number (the tangent of '{param}'), not {actual}",
      differentialResult: "the differential must return the result's tangent, a number, not {actual}",
    },
    parts: {
      vjpShape: "{ value, pullback }",
      jvpShape: "{ value, differential }",
    },
  },
  CT1101: {
    key: "resultNotActive",
    severity: "warning",
    summary: "warning: the result does not depend on any differentiated parameter",
    message: "the result of '{fn}' does not depend on any differentiated parameter; its derivative is always zero",
  },
  CT1102: {
    key: "zeroDerivative",
    severity: "warning",
    summary: "warning: a step function (`Math.round`, `floor`, …) or `%` by a divisor that depends on the inputs: zero or piecewise derivative",
    fixes: ["wrapInWithoutDerivative"],
    message: "in '{fn}': {reason}",
    reasons: {
      stepFunction:
        "Math.{name} has a zero derivative wherever it has one, so no derivative flows through it; write Math.{name}(withoutDerivative(...)) to say that is intended",
      remainder:
        "'%' by a divisor that depends on the differentiated inputs is only piecewise differentiable (∂(a % b)/∂b = -trunc(a / b), with jumps); use withoutDerivative(...) on the divisor if it is meant as a constant",
    },
  },
  CT9000: {
    key: "internalError",
    severity: "error",
    summary: "an internal error of Cotangent (please report it)",
    message: "internal error while {reason}",
    reasons: {
      differentiating: "differentiating '{fn}': {error}",
      lowering: "lowering '{fn}': {error}",
    },
  },
} as const satisfies Record<string, Entry>;

// ---- types: what each reason needs ------------------------------------------------------------

export type Code = keyof typeof CATALOG;
type Cat = typeof CATALOG;
/** The placeholders of a template: `"{fn} … {what}"` → `"fn" | "what"` (braces around anything but a word are text: `{ vjp, jvp }`). */
type Holes<S> = S extends `${string}{${infer P}}${infer R}` ? (P extends `${string}${" " | "," | ":" | '"' | "{"}${string}` ? never : P) | Holes<R> : never;
type Value = string | number;
type Fill<S> = { [K in Holes<S>]: Value };
type ReasonsOf<F> = F extends { reasons: infer R } ? R : Record<never, string>;

/** The reasons of a code's (default) message. */
export type ReasonOf<C extends Code> = keyof ReasonsOf<Cat[C]> & string;
/** The arguments a reason of a code needs: the message's own (`fn`, …) and the reason's. */
export type ArgsOf<C extends Code, R extends string> = Omit<Fill<Cat[C]["message"]>, "reason"> &
  (R extends "syntax" ? { syntax: SyntaxKind; detail?: string } : R extends keyof ReasonsOf<Cat[C]> ? Fill<ReasonsOf<Cat[C]>[R]> : never);
type PartsOf<F> = F extends { parts: infer P } ? P : Record<never, string>;
export type PartOf<C extends Code> = keyof PartsOf<Cat[C]> & string;
type KernelForm = Cat["CT1001"]["forms"]["kernel"];
export type KernelReason = keyof KernelForm["reasons"];

// ---- rendering ----------------------------------------------------------------------------------

/** Fills `{name}` placeholders; a placeholder without an argument is a bug of the caller (thrown). */
export function fill(template: string, args: Readonly<Record<string, Value | undefined>>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = args[k];
    if (v === undefined) throw new Error(`catalog: no value for {${k}} in "${template}"`);
    return String(v);
  });
}

/** `{what} is not supported in differentiable functions (why); hint` for a syntax kind. */
export function syntaxText(kind: SyntaxKind, detail?: string): string {
  const entry: { what?: string; why?: string; hint?: string; text?: string } = SYNTAX[kind] ?? SYNTAX.Other;
  const args = { detail: detail ?? kind };
  if (entry.text) return fill(entry.text, args);
  return fill(SYNTAX_SENTENCE, {
    what: fill(entry.what!, args),
    why: entry.why ? fill(SYNTAX_WHY, { why: entry.why }) : "",
    hint: entry.hint ? fill(SYNTAX_HINT, { hint: entry.hint }) : "",
  });
}

/** The message of a diagnostic (without the `CTnnnn: ` prefix hosts add). */
export function message<C extends Code, R extends ReasonOf<C>>(code: C, reason: R | undefined, args: Args<C, R>): string {
  return renderForm(CATALOG[code], reason, args as Record<string, Value>);
}

/** The arguments of `diagnostic`/`message`: a code without reasons takes its message's. */
export type Args<C extends Code, R extends string> = [ReasonOf<C>] extends [never] ? Fill<Cat[C]["message"]> : ArgsOf<C, R>;

function renderForm(form: Form, reason: string | undefined, args: Record<string, Value | undefined>): string {
  if (reason === undefined) return fill(form.message, args);
  const template = form.reasons?.[reason];
  if (template === undefined) throw new Error(`catalog: no reason '${reason}'`);
  const text =
    reason === "syntax" ? syntaxText(args.syntax as SyntaxKind, args.detail as string | undefined)
    : fill(template, args);
  return fill(form.message, { ...args, reason: text });
}

/** A phrase of a code's table (`part("CT1010", "tensor")`), for the reasons' arguments. */
export function part<C extends Code>(code: C, name: PartOf<C>, args: Readonly<Record<string, Value>> = {}): string {
  const parts = (CATALOG[code] as Form).parts!;
  return fill(parts[name]!, args);
}

/** `class C` (or `its class`): the `{owner}` of an accessor. */
export function ownerWords(className: string | undefined): string {
  return className ? part("CT1001", "ofClass", { name: className }) : part("CT1001", "ofUnnamedClass");
}

/** The words of a kernel's `{what}`: an IR node type. */
export function kernelWords(nodeType: string): string {
  const parts: Readonly<Record<string, string>> = CATALOG.CT1001.forms.kernel.parts;
  return parts[nodeType] ?? fill(parts.other!, { type: nodeType });
}

/** A note's text. */
export function note(name: keyof typeof NOTES, args: Readonly<Record<string, Value>>): string {
  return fill(NOTES[name], args);
}

/** A quick fix's title. */
export function fixTitle(kind: FixKind, args: Readonly<Record<string, Value>> = {}): string {
  return fill(FIXES[kind], args);
}

// ---- diagnostics --------------------------------------------------------------------------------

export interface DiagnosticOptions {
  notes?: DiagnosticNote[];
  fixes?: DiagnosticFix[];
  /** Overrides the entry's severity. */
  severity?: Severity;
}

/** A diagnostic of `code` for `reason` (undefined for codes without reasons), worded by the catalog, at `loc`. */
export function diagnostic<C extends Code, R extends ReasonOf<C>>(code: C, reason: R | undefined, args: Args<C, R>, loc: Loc | undefined, options: DiagnosticOptions = {}): Diagnostic {
  const a = args as Record<string, Value>;
  return build(code, CATALOG[code].severity, renderForm(CATALOG[code], reason, a), loc, options.notes ?? [], options);
}

function build(code: Code, severity: Severity, text: string, loc: Loc | undefined, notes: DiagnosticNote[], options: DiagnosticOptions = {}): Diagnostic {
  const d: Diagnostic = { code, severity: options.severity ?? severity, message: text, loc, notes };
  if (options.fixes?.length) d.fixes = options.fixes;
  return d;
}

/**
 * `function 'f' is not differentiable: <reason>` at the expression (`at`, else the function), with
 * the entry's note (`'f' is marked differentiable here`) at the function.
 */
export function notDifferentiable<C extends Code, R extends ReasonOf<C>>(code: C, reason: R, args: ArgsOf<C, R>, at: Loc | undefined, fnLoc: Loc | undefined): Diagnostic {
  const entry: Entry = CATALOG[code];
  const a = args as unknown as Record<string, Value>;
  const notes = entry.note ? [{ message: note(entry.note, a), loc: fnLoc }] : [];
  return build(code, entry.severity, renderForm(entry, reason, a), at ?? fnLoc, notes);
}

/** `function 'f' cannot be a @kernel: <reason>` (CT1001), with the note at the mark. */
export function kernelError<R extends KernelReason>(reason: R, args: { fn: string } & Fill<KernelForm["reasons"][R]>, at: Loc | undefined, fnLoc: Loc | undefined): Diagnostic {
  const form: Form = CATALOG.CT1001.forms.kernel;
  const a = args as unknown as Record<string, Value>;
  return build("CT1001", "error", renderForm(form, reason, a), at ?? fnLoc, [{ message: note(form.note!, a), loc: fnLoc }]);
}

/** The codes whose diagnostics may carry quick fixes (`Diagnostic.fixes`). */
export function fixableCodes(): Code[] {
  return (Object.keys(CATALOG) as Code[]).filter((c) => ((CATALOG[c] as Entry).fixes ?? []).length > 0);
}
