// Checks a `/** @derivative(of: f) */` function against f with the type checker (CT1012): it must
// take f's parameters and return `{ value, pullback }` (reverse) or `{ value, differential }`
// (forward) whose types fit f — `value` assignable to f's result; a pullback taking the result's
// cotangent and returning the cotangent of the one parameter (or an array, one per parameter); a
// differential taking one tangent per parameter and returning the result's tangent. Number
// parameters and results are checked exactly; structured ones by kind (array or not).

import type * as TS from "typescript";
import { CODES, type Diagnostic } from "@cotangent/transformer";
import { locOf } from "./loc.js";

export function checkCustomDerivative(
  ts: typeof TS,
  checker: TS.TypeChecker,
  sf: TS.SourceFile,
  node: TS.FunctionDeclaration,
  of: string,
  mode: "vjp" | "jvp",
): Diagnostic | undefined {
  const name = node.name?.text ?? "anonymous";
  let target = checker.getSymbolsInScope(node, ts.SymbolFlags.Value | ts.SymbolFlags.Alias).find((s) => s.name === of);
  if (!target) return undefined;
  if (target.flags & ts.SymbolFlags.Alias) target = checker.getAliasedSymbol(target);
  const targetDecl = target.valueDeclaration ?? target.declarations?.[0];
  const fnType = checker.getTypeOfSymbolAtLocation(target, node);
  const expected = fnType.getCallSignatures()[0];
  const actual = checker.getSignatureFromDeclaration(node);
  if (!expected || !actual) return undefined;

  const problem = (message: string, at: TS.Node = node.name ?? node): Diagnostic => ({
    code: CODES.customDerivativeMismatch,
    severity: "error",
    message: `the custom derivative '${name}' does not fit '${of}': ${message}`,
    loc: locOf(sf, at),
    notes: targetDecl
      ? [{ message: `'${of}' is declared here`, loc: locOf(targetDecl.getSourceFile(), (targetDecl as TS.NamedDeclaration).name ?? targetDecl), fileName: targetDecl.getSourceFile().fileName }]
      : [],
  });
  const show = (t: TS.Type) => checker.typeToString(t);
  const isNumber = (t: TS.Type) => !!(t.flags & ts.TypeFlags.NumberLike);
  const accepts = (param: TS.Type, value: TS.Type) => checker.isTypeAssignableTo(value, param);

  // Parameters: f's, in order.
  const params = expected.getParameters();
  const own = actual.getParameters();
  const paramType = (sig: TS.Signature, i: number) => checker.getTypeOfSymbolAtLocation(sig.getParameters()[i]!, node);
  const signatureText = `(${params.map((p, i) => `${p.name}: ${show(paramType(expected, i))}`).join(", ")})`;
  if (own.length !== params.length) return problem(`it must take ${of}'s parameters ${signatureText}, but it takes ${own.length}`);
  for (let i = 0; i < params.length; i++) {
    if (!accepts(paramType(actual, i), paramType(expected, i)))
      return problem(`parameter ${i + 1} must accept ${show(paramType(expected, i))} (${of} takes ${signatureText}), not ${show(paramType(actual, i))}`, node.parameters[i]);
  }

  // The result: { value, pullback } or { value, differential }.
  const result = checker.getReturnTypeOfSignature(actual);
  const fResult = checker.getReturnTypeOfSignature(expected);
  const prop = (t: TS.Type, key: string) => {
    const p = checker.getPropertyOfType(t, key);
    return p && checker.getTypeOfSymbolAtLocation(p, node);
  };
  const shape = mode === "vjp" ? "{ value, pullback }" : "{ value, differential }";
  const value = prop(result, "value");
  if (!value) return problem(`it must return ${shape}; its result has no 'value'`);
  if (!checker.isTypeAssignableTo(value, fResult)) return problem(`'value' must be ${show(fResult)} (what ${of} returns), not ${show(value)}`);
  const fnProp = prop(result, mode === "vjp" ? "pullback" : "differential");
  const sig = fnProp?.getCallSignatures()[0];
  if (!sig) return problem(`it must return ${shape}; '${mode === "vjp" ? "pullback" : "differential"}' is missing or not a function`);

  if (mode === "vjp") {
    if (sig.getParameters().length < 1) return problem("the pullback must take the cotangent of the result");
    const ct = paramType(sig, 0);
    if (isNumber(fResult) && !accepts(ct, checker.getNumberType())) return problem(`the pullback must take the result's cotangent, a number, not ${show(ct)}`);
    const back = checker.getReturnTypeOfSignature(sig);
    if (params.length === 1) {
      if (isNumber(paramType(expected, 0)) && !isNumber(back))
        return problem(`the pullback must return the cotangent of '${params[0]!.name}', a number, not ${show(back)}`);
    } else if (!checker.isArrayLikeType(back)) {
      return problem(`the pullback must return an array with one cotangent per parameter of ${of} ${signatureText}, not ${show(back)}`);
    } else if (checker.isTupleType(back)) {
      const n = (back as TS.TupleTypeReference).target.fixedLength;
      if (n !== params.length) return problem(`the pullback must return ${params.length} cotangents (one per parameter of ${of}), not ${n}`);
    }
  } else {
    if (sig.getParameters().length !== params.length)
      return problem(`the differential must take one tangent per parameter of ${of} ${signatureText}, but it takes ${sig.getParameters().length}`);
    for (let i = 0; i < params.length; i++) {
      if (isNumber(paramType(expected, i)) && !accepts(paramType(sig, i), checker.getNumberType()))
        return problem(`the differential's tangent ${i + 1} must be a number (the tangent of '${params[i]!.name}'), not ${show(paramType(sig, i))}`);
    }
    const out = checker.getReturnTypeOfSignature(sig);
    if (isNumber(fResult) && !isNumber(out)) return problem(`the differential must return the result's tangent, a number, not ${show(out)}`);
  }
  return undefined;
}
