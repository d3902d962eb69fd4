// Checks a `/** @derivative(of: f) */` function against f with the type checker (CT1012): it must
// take f's parameters and return `{ value, pullback }` (reverse) or `{ value, differential }`
// (forward) whose types fit f — `value` assignable to f's result; a pullback taking the result's
// cotangent and returning the cotangent of the one parameter (or an array, one per parameter); a
// differential taking one tangent per parameter and returning the result's tangent. Number
// parameters and results are checked exactly; structured ones by kind (array or not).

import type * as TS from "typescript";
import { diagnostic, note, part, type ArgsOf, type Diagnostic, type ReasonOf } from "@cotangent/transformer";
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

  const problem = <R extends ReasonOf<"CT1012">>(reason: R, args: Omit<ArgsOf<"CT1012", R>, "name" | "of">, at: TS.Node = node.name ?? node): Diagnostic =>
    diagnostic("CT1012", reason, { name, of, ...args } as unknown as ArgsOf<"CT1012", R>, locOf(sf, at), {
      notes: targetDecl
        ? [{ message: note("declaredHere", { name: of }), loc: locOf(targetDecl.getSourceFile(), (targetDecl as TS.NamedDeclaration).name ?? targetDecl), fileName: targetDecl.getSourceFile().fileName }]
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
  if (own.length !== params.length) return problem("parameterCount", { signature: signatureText, count: own.length });
  for (let i = 0; i < params.length; i++) {
    if (!accepts(paramType(actual, i), paramType(expected, i)))
      return problem("parameterType", { index: i + 1, expected: show(paramType(expected, i)), signature: signatureText, actual: show(paramType(actual, i)) }, node.parameters[i]);
  }

  // The result: { value, pullback } or { value, differential }.
  const result = checker.getReturnTypeOfSignature(actual);
  const fResult = checker.getReturnTypeOfSignature(expected);
  const prop = (t: TS.Type, key: string) => {
    const p = checker.getPropertyOfType(t, key);
    return p && checker.getTypeOfSymbolAtLocation(p, node);
  };
  const shape = part("CT1012", mode === "vjp" ? "vjpShape" : "jvpShape");
  const value = prop(result, "value");
  if (!value) return problem("noValue", { shape });
  if (!checker.isTypeAssignableTo(value, fResult)) return problem("valueType", { expected: show(fResult), actual: show(value) });
  const fnProp = prop(result, mode === "vjp" ? "pullback" : "differential");
  const sig = fnProp?.getCallSignatures()[0];
  if (!sig) return problem("noFunction", { shape, prop: mode === "vjp" ? "pullback" : "differential" });

  if (mode === "vjp") {
    if (sig.getParameters().length < 1) return problem("pullbackArity", {});
    const ct = paramType(sig, 0);
    if (isNumber(fResult) && !accepts(ct, checker.getNumberType())) return problem("pullbackCotangent", { actual: show(ct) });
    const back = checker.getReturnTypeOfSignature(sig);
    if (params.length === 1) {
      if (isNumber(paramType(expected, 0)) && !isNumber(back))
        return problem("pullbackNumber", { param: params[0]!.name, actual: show(back) });
    } else if (!checker.isArrayLikeType(back)) {
      return problem("pullbackArray", { signature: signatureText, actual: show(back) });
    } else if (checker.isTupleType(back)) {
      const n = (back as TS.TupleTypeReference).target.fixedLength;
      if (n !== params.length) return problem("pullbackCount", { expected: params.length, actual: n });
    }
  } else {
    if (sig.getParameters().length !== params.length)
      return problem("differentialArity", { signature: signatureText, count: sig.getParameters().length });
    for (let i = 0; i < params.length; i++) {
      if (isNumber(paramType(expected, i)) && !accepts(paramType(sig, i), checker.getNumberType()))
        return problem("differentialTangent", { index: i + 1, param: params[i]!.name, actual: show(paramType(sig, i)) });
    }
    const out = checker.getReturnTypeOfSignature(sig);
    if (isNumber(fResult) && !isNumber(out)) return problem("differentialResult", { actual: show(out) });
  }
  return undefined;
}
