// The normalized form both derivative generators work on. Normalization (normalize.ts) turns a
// marked function into: hoisted, uniquely named locals; straight assignments whose right-hand
// sides hold no calls to user functions (those become `call` statements, so reverse mode can keep
// their pullbacks); `if` and `while` as the only control flow (for, for…of, do…while, switch,
// break, continue and early return are lowered to flags); one result expression at the end.

import type { KnownFunction } from "./api.js";
import type { CalleeInfo, Expression, Identifier, Loc, MemberExpression, Statement, TypeIR } from "./ir.js";

/** Where an assignment writes: a variable, or an element/field path below one. */
export type Target = Identifier | MemberExpression;

export type NCall =
  /** A marked function of this module, or a nested function of the marked one: direct calls to its derivatives. */
  | { kind: "known"; name: string; info: KnownFunction; args: Expression[]; callee: Expression }
  /** `obj.m(…)` where `m` is a marked method: `obj[m$vjp](…)`. */
  | { kind: "method"; object: Expression; name: string; info: KnownFunction; args: Expression[]; callee: Expression }
  /** Anything else: the runtime looks the derivatives up on the function object. */
  | { kind: "dynamic"; callee: Expression; thisArg: Expression | null; args: Expression[]; calleeInfo?: CalleeInfo; primitive?: PrimitiveCall };

/**
 * A call of a runtime op (`RT.add(a, b)`) or Tensor method (`a.add(b)`), from the runtime's
 * primitive table. A method's derivatives also cover the object it is called on.
 */
export interface PrimitiveCall {
  name: string;
  method: boolean;
  differentiable: boolean;
  why?: string;
}

interface NBase {
  /** The user's statement this came from: generated code maps here and quotes it in `// grad of:`. */
  origin?: Loc;
}

export type NStmt =
  | (NBase & { k: "assign"; target: Target; value: Expression })
  | (NBase & { k: "call"; target: Identifier | null; call: NCall })
  | (NBase & { k: "push"; array: Target; value: Expression })
  | (NBase & { k: "if"; test: Expression; then: NStmt[]; else: NStmt[] })
  | (NBase & { k: "loop"; test: Expression; body: NStmt[] })
  /** Kept in the primal only (throw, console.log): has no effect on active values. */
  | (NBase & { k: "effect"; stmt: Statement });

export interface NLocal {
  name: string;
  /** Declared type, when the source had one. */
  declared?: TypeIR;
  /** Introduced by normalization (flags, temporaries): never active unless assigned an active value. */
  synthetic: boolean;
}

export interface NFunction {
  name: string;
  /** Defaults were moved into the body (`if (y === undefined) y = …`). */
  params: { name: string; type?: TypeIR; loc?: Loc }[];
  /** The declared result type, when the source had one. */
  returnType?: TypeIR;
  /** Methods: code for the object that holds them (see MarkedFunction.owner). */
  owner?: string;
  wrt: number[];
  locals: Map<string, NLocal>;
  body: NStmt[];
  result: Expression;
  /** Location of the returned expression (or of the function when it returns nothing). */
  resultOrigin?: Loc;
  /** Nested function declarations / local arrows that the body calls: differentiated alongside. */
  nested: NestedFunction[];
  usesThis: boolean;
}

export interface NestedFunction {
  fn: NFunction;
  info: KnownFunction;
  /** Names of the enclosing function's locals and params this one reads (captures). */
  captures: Set<string>;
  loc?: Loc;
}
