// Derivative rules for number code: each operator and Math function gives the partial derivative
// of its result with respect to each argument, as an expression over the arguments. Forward mode
// sums partial·tangent; reverse mode sends cotangent·partial to each argument. One table serves
// both, so the two modes cannot disagree. The helpers fold 0 and 1 so generated code stays tidy.

import { bin, call, clone, id, member, num, un } from "./build.js";
import type { Expression } from "./ir.js";

const M = (name: string, ...args: Expression[]): Expression => call(member(id("Math"), name), args.map(clone));
const c = clone;

const isNum = (e: Expression, v?: number): boolean =>
  e.type === "NumericLiteral" ? v === undefined || e.value === v : false;

export function add(a: Expression | null, b: Expression | null): Expression | null {
  if (!a || isNum(a, 0)) return b;
  if (!b || isNum(b, 0)) return a;
  if (b.type === "UnaryExpression" && b.operator === "-") return bin("-", a, b.argument);
  return bin("+", a, b);
}
export function sub(a: Expression, b: Expression): Expression {
  if (isNum(b, 0)) return a;
  if (isNum(a, 0)) return neg(b);
  return bin("-", a, b);
}
export function neg(a: Expression): Expression {
  if (isNum(a)) return num(-(a as { value: number }).value);
  if (a.type === "UnaryExpression" && a.operator === "-") return a.argument;
  return un("-", a);
}
export function mul(a: Expression, b: Expression): Expression {
  if (isNum(a, 1)) return b;
  if (isNum(b, 1)) return a;
  if (isNum(a, -1)) return neg(b);
  if (isNum(b, -1)) return neg(a);
  if (isNum(a, 0) || isNum(b, 0)) return num(0);
  return bin("*", a, b);
}
export function div(a: Expression, b: Expression): Expression {
  if (isNum(b, 1)) return a;
  return bin("/", a, b);
}

/** Partial derivative of an operator/function result w.r.t. argument `i`, given the argument expressions. */
export type Partial = (args: Expression[], i: number) => Expression | null;

export const BINARY_RULES: Record<string, Partial> = {
  "+": () => num(1),
  "-": (_a, i) => num(i === 0 ? 1 : -1),
  "*": ([l, r], i) => c(i === 0 ? r! : l!),
  "/": ([l, r], i) => (i === 0 ? div(num(1), c(r!)) : neg(div(c(l!), bin("*", c(r!), c(r!))))),
  // ∂/∂x x^y = y·x^(y-1), which is 0 (not 0·∞) where y = 0 (x^0 is constant), as tensor pow.
  "**": ([l, r], i) =>
    i === 0
      ? isNum(r!)
        ? (r as { value: number }).value === 0
          ? num(0)
          : mul(c(r!), bin("**", c(l!), num((r as { value: number }).value - 1)))
        : { type: "ConditionalExpression", test: bin("===", c(r!), num(0)), consequent: num(0), alternate: mul(c(r!), bin("**", c(l!), bin("-", c(r!), num(1)))) }
      : // ∂/∂y x^y = x^y·ln x, which is 0 (not 0·-∞) at x = 0
        {
          type: "ConditionalExpression",
          test: bin("===", c(l!), num(0)),
          consequent: num(0),
          alternate: mul(bin("**", c(l!), c(r!)), M("log", l!)),
        },
  // a % b = a - b·trunc(a / b)
  "%": ([l, r], i) => (i === 0 ? num(1) : neg(M("trunc", bin("/", c(l!), c(r!))))),
};

/** Operators whose result is not differentiable in its operands (comparisons are fine: their results are booleans). */
export const NON_DIFFERENTIABLE_BINARY = new Set(["&", "|", "^", "<<", ">>", ">>>"]);
export const COMPARISON = new Set(["==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "instanceof"]);

const unary =
  (d: (u: Expression) => Expression): Partial =>
  ([u]) =>
    d(u!);

/** `null` entries: zero derivative (step functions); the rest give each argument's partial. */
export const MATH_RULES: Record<string, Partial | null> = {
  sin: unary((u) => M("cos", u)),
  cos: unary((u) => neg(M("sin", u))),
  tan: unary((u) => div(num(1), bin("**", M("cos", u), num(2)))),
  asin: unary((u) => div(num(1), M("sqrt", bin("-", num(1), bin("*", c(u), c(u)))))),
  acos: unary((u) => neg(div(num(1), M("sqrt", bin("-", num(1), bin("*", c(u), c(u))))))),
  atan: unary((u) => div(num(1), bin("+", num(1), bin("*", c(u), c(u))))),
  sinh: unary((u) => M("cosh", u)),
  cosh: unary((u) => M("sinh", u)),
  tanh: unary((u) => bin("-", num(1), bin("**", M("tanh", u), num(2)))),
  asinh: unary((u) => div(num(1), M("sqrt", bin("+", bin("*", c(u), c(u)), num(1))))),
  acosh: unary((u) => div(num(1), M("sqrt", bin("-", bin("*", c(u), c(u)), num(1))))),
  atanh: unary((u) => div(num(1), bin("-", num(1), bin("*", c(u), c(u))))),
  exp: unary((u) => M("exp", u)),
  expm1: unary((u) => M("exp", u)),
  log: unary((u) => div(num(1), c(u))),
  log1p: unary((u) => div(num(1), bin("+", num(1), c(u)))),
  log2: unary((u) => div(num(1), bin("*", c(u), member(id("Math"), "LN2")))),
  log10: unary((u) => div(num(1), bin("*", c(u), member(id("Math"), "LN10")))),
  sqrt: unary((u) => div(num(0.5), M("sqrt", u))),
  cbrt: unary((u) => div(num(1), bin("*", num(3), bin("**", M("cbrt", u), num(2))))),
  abs: unary((u) => M("sign", u)),
  pow: (args, i) => BINARY_RULES["**"]!(args, i),
  atan2: ([y, x], i) => {
    const r2 = bin("+", bin("*", c(x!), c(x!)), bin("*", c(y!), c(y!)));
    return i === 0 ? div(c(x!), r2) : neg(div(c(y!), r2));
  },
  hypot: (args, i) => div(c(args[i]!), M("hypot", ...args)),
  // Ties go to the first argument, like a subgradient.
  max: ([a, b], i) => ({
    type: "ConditionalExpression",
    test: bin(">=", c(a!), c(b!)),
    consequent: num(i === 0 ? 1 : 0),
    alternate: num(i === 0 ? 0 : 1),
  }),
  min: ([a, b], i) => ({
    type: "ConditionalExpression",
    test: bin("<=", c(a!), c(b!)),
    consequent: num(i === 0 ? 1 : 0),
    alternate: num(i === 0 ? 0 : 1),
  }),
  floor: null,
  ceil: null,
  round: null,
  trunc: null,
  sign: null,
  random: null,
  fround: unary(() => num(1)),
};
