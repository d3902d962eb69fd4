// How type annotations reduce to TypeIR where the hosts' readings could differ: unions and optional
// members. Both adapters (Babel's from syntax, TypeScript's from syntax and the checker) call these,
// so one annotation means one thing in every host.

import type { TypeIR } from "./ir.js";

const NULLISH = new Set(["undefined", "null", "void"]);

/** `undefined` / `null` (what an optional member adds to its type). */
export function isNullish(t: TypeIR): boolean {
  return t.kind === "void" || (t.kind === "nondiff" && NULLISH.has(t.text));
}

/**
 * A union: one primitive kind when every member is of it (string literals are strings, number
 * literals and numeric enums numbers); only nullish members: not differentiable; anything else,
 * including `number | undefined`, is `unknown` (generic tangent helpers: a value that may be
 * missing gets code that handles a missing value).
 */
export function unionType(parts: readonly TypeIR[], text?: string): TypeIR {
  if (parts.length > 0 && parts.every(isNullish)) return { kind: "nondiff", text: text ?? parts.map((p) => (p.kind === "nondiff" ? p.text : p.kind)).join(" | ") };
  for (const kind of ["string", "number", "boolean"] as const) if (parts.length > 0 && parts.every((p) => p.kind === kind)) return { kind };
  return text === undefined ? { kind: "unknown" } : { kind: "unknown", text };
}

/** The type of an optional member (`dt?: number`): its type or undefined. */
export function optionalType(t: TypeIR, text?: string): TypeIR {
  return unionType([t, { kind: "nondiff", text: "undefined" }], text);
}
