// Every diagnostic a user can see: one table of stable codes, and the formatter that prints a
// message with a code frame. The words of each code's messages are in catalog.ts (one entry per
// code); the wording follows Swift's: an error at the exact expression saying what to do, plus a
// note at the differentiable function.

import type { Diagnostic } from "./api.js";
import type { Loc } from "./ir.js";

export const CODES = {
  /** Syntax outside the differentiable subset. */
  unsupportedSyntax: "CT1001",
  /** `wrt` names a parameter the function does not have. */
  unknownWrt: "CT1002",
  /** A non-differentiable operation applied to a value that depends on the differentiated inputs. */
  nonDifferentiableOperation: "CT1003",
  /** Assignment to a variable captured from outside the function (or a global). */
  writeToCapture: "CT1004",
  /** A closure inside the function captures a value that depends on the differentiated inputs. */
  activeCapture: "CT1005",
  /** A `Math` member with no derivative. */
  unknownMathFunction: "CT1006",
  /** An active argument passed to a parameter the callee does not differentiate. */
  nonDifferentiableArgument: "CT1007",
  /** Parameters of a form the derivative code cannot take (rest parameters, pattern defaults). */
  unsupportedParameter: "CT1008",
  /** Two names for one array or object, written through one of them. */
  aliasedWrite: "CT1009",
  /** A call, on an active value, to a function that has no derivative (known from types). */
  noDerivative: "CT1010",
  /** A differentiated parameter or the result has a type that is not Differentiable. */
  notDifferentiableType: "CT1011",
  /** A `/** @derivative(of: f) *\/` function whose types do not match f's (needs the type checker). */
  customDerivativeMismatch: "CT1012",
  /** The result does not depend on any differentiated parameter. */
  resultNotActive: "CT1101",
  /** A step function (Math.round, floor, …) or `%` by an active divisor: a derivative that is zero or piecewise. */
  zeroDerivative: "CT1102",
  /** A bug in Cotangent itself (the host caught an exception from the core). */
  internalError: "CT9000",
} as const;
export type DiagnosticCode = (typeof CODES)[keyof typeof CODES];

/**
 * Where Cotangent's codes sit among TypeScript's numeric diagnostic codes (tsserver, tspc): CTnnnn
 * is 1_000_000 + nnnn, far above TypeScript's own (below 100 000), so that CT1003 is never taken
 * for TS1003 ("Identifier expected") by an editor, a quick fix or a `// @ts-expect-error` tool.
 */
export const TS_CODE_BASE = 1_000_000;

/** The numeric code a TypeScript host reports for a Cotangent code: `tsCodeOf("CT1003")` is 1001003. */
export function tsCodeOf(code: string): number {
  return TS_CODE_BASE + Number(/\d+/.exec(code)?.[0] ?? 0);
}

/** A code frame: the offending line(s) with a caret under the location, like Babel's. */
export function codeFrame(source: string, loc: Loc, context = 1): string {
  const lines = source.split(/\r?\n/);
  const first = Math.max(1, loc.line - context);
  const last = Math.min(lines.length, loc.endLine + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = lines[n - 1] ?? "";
    const marked = n >= loc.line && n <= loc.endLine;
    out.push(`${marked ? ">" : " "} ${String(n).padStart(width)} | ${text}`);
    if (marked) {
      const from = n === loc.line ? loc.column : 0;
      const to = n === loc.endLine ? loc.endColumn : text.length;
      out.push(`  ${" ".repeat(width)} | ${" ".repeat(from)}${"^".repeat(Math.max(1, to - from))}`);
    }
  }
  return out.join("\n");
}

/** `file.ts:3:7 - error CT1003: …` followed by a code frame and the notes. */
export function formatDiagnostic(d: Diagnostic, source: string, fileName: string): string {
  const where = d.loc ? `${fileName}:${d.loc.line}:${d.loc.column + 1}` : fileName;
  const parts = [`${where} - ${d.severity} ${d.code}: ${d.message}`];
  if (d.loc) parts.push(codeFrame(source, d.loc));
  for (const note of d.notes) {
    const at = note.loc ? ` (${note.fileName ?? fileName}:${note.loc.line}:${note.loc.column + 1})` : "";
    parts.push(`note: ${note.message}${at}`);
  }
  return parts.join("\n");
}
