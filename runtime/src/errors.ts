// Run-time errors of @cotangent/runtime: one table of codes (CT3xxx; build-time diagnostics of the
// transformer use other ranges) and the CotangentError class every runtime failure throws.

/** Stable codes of the errors the runtime throws, with what each one means. */
export const RUNTIME_ERROR_CODES = {
  /** A function has no derivative of the mode an operator or a generated call needs. */
  CT3001: "missing derivative",
  /** A pullback that replays a tape was called a second time. */
  CT3002: "pullback reused",
  /** `gradient` / `valueWithGradient` of a function whose value is not a number. */
  CT3003: "gradient of a non-number result",
  /** `registerDerivative` for a function that already has derivatives. */
  CT3004: "derivative already registered",
  /** An operator or helper was given an argument of the wrong kind. */
  CT3005: "invalid argument",
  /** `derivative` needs exactly one differentiated number parameter. */
  CT3006: "derivative needs one number parameter",
  /** A user-registered jvp/vjp returned something that does not follow its convention. */
  CT3007: "malformed registered derivative",
  /** Two tangents of different shapes were added. */
  CT3008: "tangent shape mismatch",
  /** A backend problem: a tensor on a device that cannot answer synchronously, a disposed tensor, an uninitialized or lost device. */
  CT3009: "backend",
  /** A getter or setter of a class used on a differentiated value where the build could not inline it. */
  CT3010: "accessor on a differentiated value",
} as const;

/** One of the codes in {@link RUNTIME_ERROR_CODES}. */
export type CotangentErrorCode = keyof typeof RUNTIME_ERROR_CODES;

/**
 * The error thrown by every Cotangent runtime check. `code` is stable and documented in
 * {@link RUNTIME_ERROR_CODES}; the message says what went wrong and how to fix it, and starts
 * with the code.
 *
 * @example
 * try {
 *   gradient(notMarked)(1);
 * } catch (e) {
 *   if (e instanceof CotangentError && e.code === "CT3001") console.log(e.message);
 * }
 */
export class CotangentError extends Error {
  /** Stable error code, e.g. `"CT3001"`. */
  readonly code: CotangentErrorCode;

  constructor(code: CotangentErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "CotangentError";
    this.code = code;
  }
}

/** Describes a value's type/shape for error messages: "a string", "an array of length 3", ... */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  switch (typeof v) {
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "a boolean";
    case "bigint":
      return "a bigint";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    default: {
      const keys = Object.keys(v as object);
      const shown = keys.slice(0, 5).join(", ") + (keys.length > 5 ? ", ..." : "");
      return keys.length === 0 ? "an empty object" : `an object with keys ${shown}`;
    }
  }
}

/** `fn.name`, or "<anonymous>". */
export function functionName(fn: unknown): string {
  const name = (typeof fn === "function" || (typeof fn === "object" && fn !== null)) ? (fn as { name?: unknown }).name : undefined;
  return typeof name === "string" && name !== "" ? name : "<anonymous>";
}
