// TypeScript signatures of the generated derivatives, from the types the analysis knows: what
// `cotangent explain` prints above each function (`declare function f$jvp(x: number, dx: number):
// { value: number; tangent: number };`). Tangent types follow the primal's structure; a type
// that is not known prints as `unknown`.

import type { Analysis } from "./analysis.js";
import type { TypeIR } from "./ir.js";
import type { Names } from "./naming.js";
import type { NFunction } from "./nir.js";

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** The type as TypeScript source. */
export function typeText(t: TypeIR | undefined): string {
  if (!t) return "unknown";
  switch (t.kind) {
    case "number":
    case "boolean":
    case "string":
    case "void":
      return t.kind;
    case "array": {
      const e = typeText(t.element);
      return /^[\w$]+$/.test(e) ? `${e}[]` : `(${e})[]`;
    }
    case "tuple":
      return `[${t.elements.map(typeText).join(", ")}]`;
    case "object":
      return `{ ${Object.entries(t.fields)
        .map(([k, v]) => `${IDENT.test(k) ? k : JSON.stringify(k)}: ${typeText(v)}`)
        .join("; ")} }`;
    case "function":
      return "Function";
    case "nondiff":
    case "unknown":
      return t.text && t.text !== "pending" ? t.text : "unknown";
  }
}

/** The tangent (and cotangent) type: numbers stay numbers, structures map field by field, the rest has none. */
export function tangentTypeText(t: TypeIR | undefined): string {
  if (!t) return "unknown";
  switch (t.kind) {
    case "number":
      return "number";
    case "array": {
      const e = tangentTypeText(t.element);
      return /^[\w$]+$/.test(e) ? `${e}[]` : `(${e})[]`;
    }
    case "tuple":
      return `[${t.elements.map(tangentTypeText).join(", ")}]`;
    case "object":
      return `{ ${Object.entries(t.fields)
        .filter(([, v]) => tangentTypeText(v) !== "null")
        .map(([k, v]) => `${IDENT.test(k) ? k : JSON.stringify(k)}: ${tangentTypeText(v)}`)
        .join("; ")} }`;
    case "boolean":
    case "string":
    case "void":
    case "function":
    case "nondiff":
      return "null";
    case "unknown":
      // A named type the analysis cannot see into: the runtime's TangentVector<T> computes it.
      return t.text && t.text !== "pending" ? `TangentVector<${t.text}>` : "unknown";
  }
}

/** `declare function NAME(…)` lines for the JVP and the VJP of `fn`. */
export function derivativeSignatures(
  fn: NFunction,
  an: Analysis,
  names: Names,
  jvpName: string,
  vjpName: string,
  fused: { grad?: string; valueGrad?: string } = {},
): { jvp: string; vjp: string; grad?: string; valueGrad?: string } {
  const paramType = (name: string) => an.typeOfVar(name);
  const result = fn.returnType && fn.returnType.kind !== "unknown" ? fn.returnType : an.typeOf(fn.result);
  const params = fn.params.map((p) => `${p.name}: ${typeText(paramType(p.name))}`);
  const tangents = fn.params.map(
    (p, i) => `${names.tangent(p.name)}: ${fn.wrt.includes(i) ? `${tangentTypeText(paramType(p.name))} | null` : "null"}`,
  );
  const cotangents = fn.params.map((p, i) => (fn.wrt.includes(i) ? tangentTypeText(paramType(p.name)) : "null"));
  return {
    jvp: `declare function ${jvpName}(${[...params, ...tangents].join(", ")}): { value: ${typeText(result)}; tangent: ${tangentTypeText(result)} };`,
    vjp: `declare function ${vjpName}(${params.join(", ")}): { value: ${typeText(result)}; pullback(cotangent: ${tangentTypeText(result)}): [${cotangents.join(", ")}] };`,
    ...(fused.grad ? { grad: `declare function ${fused.grad}(${params.join(", ")}): ${gradientText(fn, an)};` } : {}),
    ...(fused.valueGrad ? { valueGrad: `declare function ${fused.valueGrad}(${params.join(", ")}): { value: ${typeText(result)}; gradient: ${gradientText(fn, an)} };` } : {}),
  };
}

/** What gradient(f) returns (and the fused gradient): the one differentiated parameter's tangent type, or a tuple of them in `wrt` order. */
function gradientText(fn: NFunction, an: Analysis): string {
  const types = fn.wrt.map((i) => tangentTypeText(an.typeOfVar(fn.params[i]!.name)));
  return types.length === 1 ? types[0]! : `[${types.join(", ")}]`;
}
