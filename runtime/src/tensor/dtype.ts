// Element types of tensors and the typed arrays that store them on the CPU.

import { CotangentError } from "../errors.js";

/** Element type of a tensor: `float32` (default), `float64` (CPU; what gradient checks use), `int32` (indices, labels). */
export type DType = "float32" | "float64" | "int32";

/** The typed array that stores each dtype. */
export interface DTypeArrays {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
}

/** Storage of any tensor. */
export type TensorData = Float32Array | Float64Array | Int32Array;

export const DTYPES: readonly DType[] = ["float32", "float64", "int32"];

export function isDType(x: unknown): x is DType {
  return x === "float32" || x === "float64" || x === "int32";
}

export function checkDType(x: unknown, op: string): DType {
  if (isDType(x)) return x;
  throw new CotangentError("CT3005", `${op}: unknown dtype ${JSON.stringify(x)}; use "float32", "float64" or "int32".`);
}

/** A new zero-filled array for `n` elements of `dtype`. */
export function allocate<D extends DType>(dtype: D, n: number): DTypeArrays[D] {
  switch (dtype) {
    case "float32":
      return new Float32Array(n) as DTypeArrays[D];
    case "float64":
      return new Float64Array(n) as DTypeArrays[D];
    default:
      return new Int32Array(n) as DTypeArrays[D];
  }
}

/** The dtype whose typed array `a` is, or undefined for other arrays. */
export function dtypeOfArray(a: unknown): DType | undefined {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return undefined;
}

export function isFloat(d: DType): boolean {
  return d !== "int32";
}

/**
 * The dtype of a binary op's result: float64 wins over float32, any float wins over int32.
 * (A plain number operand takes the tensor's dtype and does not take part.)
 */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "float64" || b === "float64") return "float64";
  return "float32";
}
