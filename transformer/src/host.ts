// Pieces every host shares, so the Babel plugin and the ts-patch transformer behave the same:
// reading marks, naming generated functions, and the code text hosts splice in around the
// generated derivatives (registration records and intrinsic rewrites).

import type { KnownFunction } from "./api.js";

/** The module users import; calls to its operators are intrinsics. */
export const RUNTIME_MODULE = "@cotangent/runtime";

/** The differential operators the transformer resolves at build time. */
export const OPERATORS = [
  "gradient",
  "valueWithGradient",
  "pullback",
  "valueWithPullback",
  "differential",
  "valueWithDifferential",
  "derivative",
] as const;
export type OperatorName = (typeof OPERATORS)[number];

export function isOperatorName(name: string): name is OperatorName {
  return (OPERATORS as readonly string[]).includes(name);
}

/** A name based on `base` that is not in `taken`; deterministic (`base`, `base$1`, `base$2`, …). Adds it to `taken`. */
export function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}$${i}`;
  taken.add(name);
  return name;
}

/** Names for the derivatives of a function called `name`. */
export function derivativeNames(name: string, taken: Set<string>): { jvpName: string; vjpName: string } {
  return { jvpName: uniqueName(`${name}$jvp`, taken), vjpName: uniqueName(`${name}$vjp`, taken) };
}

export interface Mark {
  kind: "differentiable" | "derivative";
  /** `@differentiable(wrt: x, z)` → ["x", "z"] */
  wrt?: string[];
  /** `@derivative(of: f)` → "f" */
  of?: string;
  /** `@kernel` beside `@differentiable`: also compiled to a WGSL elementwise kernel (./kernel.ts). */
  kernel?: boolean;
}

/**
 * Reads `@differentiable`, `@differentiable(wrt: x, z)`, `@kernel` and `@derivative(of: f)` out of a JSDoc
 * comment's text (with or without the comment delimiters). Returns undefined when there is none.
 */
export function parseJSDocMark(comment: string): Mark | undefined {
  // `@differentiable`, `@differentiable(wrt: x, z)`, and Swift's `@differentiable(wrt: (x, z))`.
  const diff = /@differentiable\b(?:[ \t]*\(([^\n]*)\))?/.exec(comment);
  if (diff) {
    // An opening parenthesis with no closing one: a malformed list, reported as an empty `wrt`.
    if (diff[1] === undefined && /^[ \t]*\(/.test(comment.slice(diff.index + diff[0].length))) return { kind: "differentiable", wrt: [] };
    const kernel = /@kernel\b/.test(comment) ? { kernel: true } : {};
    const args = diff[1]?.trim();
    if (!args) return { kind: "differentiable", ...kernel };
    const m = /^wrt\s*:\s*(.*)$/s.exec(args);
    const wrt = (m ? m[1]! : args)
      .replace(/^\((.*)\)$/s, "$1")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    return { kind: "differentiable", wrt, ...kernel };
  }
  // `@kernel` alone: a kernel is differentiable (map(f) differentiates through it).
  if (/@kernel\b/.test(comment)) return { kind: "differentiable", kernel: true };
  const der = /@derivative\s*\(\s*of\s*:\s*([A-Za-z_$][\w$]*)\s*\)/.exec(comment);
  if (der) return { kind: "derivative", of: der[1] };
  return undefined;
}

/**
 * The mark of a declaration, from the text of the comments before it, in source order (every host
 * passes all of them: a comment before `export` and one after it, several JSDoc blocks). Only
 * JSDoc blocks (`/** … *\/`) count; when several carry a mark, the one nearest the declaration wins.
 */
export function markOfComments(comments: readonly string[]): Mark | undefined {
  for (let i = comments.length - 1; i >= 0; i--) {
    const text = comments[i]!;
    if (!text.startsWith("/**") || text.startsWith("/**/")) continue;
    const mark = parseJSDocMark(text);
    if (mark) return mark;
  }
  return undefined;
}

/** Code text of a `new RT.Derivatives({...})` record for a function whose derivatives are `info`. */
export function derivativesRecordCode(
  runtime: string,
  name: string,
  info: Pick<KnownFunction, "arity" | "wrt" | "rest">,
  jvp: string,
  vjp: string,
  fn: string,
  fused?: FusedNames,
): string {
  return `new ${runtime}.Derivatives({ name: ${JSON.stringify(name)}, arity: ${info.arity}, wrt: [${info.wrt.join(", ")}]${restField(info)}, jvp: ${jvp}, vjp: ${vjp}${fusedFields(fused)}, fn: ${fn} })`;
}

/** `RT.defineDerivatives(fn, {...})`: attaches derivatives to a function object; evaluates to `fn`. */
export function defineDerivativesCode(
  runtime: string,
  name: string,
  info: Pick<KnownFunction, "arity" | "wrt" | "rest">,
  fn: string,
  jvp: string,
  vjp: string,
  fused?: FusedNames,
): string {
  return `${runtime}.defineDerivatives(${fn}, { name: ${JSON.stringify(name)}, arity: ${info.arity}, wrt: [${info.wrt.join(", ")}]${restField(info)}, jvp: ${jvp}, vjp: ${vjp}${fusedFields(fused)} })`;
}

/** The fused functions of a record: what `gradient(f)` and `valueWithGradient(f)` return instead of going through the VJP and its pullback. */
export interface FusedNames {
  grad?: string | undefined;
  valueWithGradient?: string | undefined;
}

/** `, grad: f$grad, valueWithGradient: f$valueWithGradient` (those there are). */
function fusedFields(fused: FusedNames | undefined): string {
  return `${fused?.grad ? `, grad: ${fused.grad}` : ""}${fused?.valueWithGradient ? `, valueWithGradient: ${fused.valueWithGradient}` : ""}`;
}

/** `RT.defineKernel(f, { params, wgsl })`: what `map(f)` runs on WebGPU (transformer/src/kernel.ts). */
export function defineKernelCode(runtime: string, fn: string, kernel: { params: string[]; wgsl: string; partials: string }): string {
  return `${runtime}.defineKernel(${fn}, { params: ${JSON.stringify(kernel.params)}, wgsl: ${JSON.stringify(kernel.wgsl)}, partials: ${kernel.partials} })`;
}

/** `, rest: true` for a function whose last parameter is a rest parameter (its derivatives take an array). */
function restField(info: Pick<KnownFunction, "rest">): string {
  return info.rest ? ", rest: true" : "";
}

/** `gradient(f)` → `RT.gradient(new RT.Derivatives({...}))`: resolved at build time, no lookup at run time. */
export function operatorCallCode(runtime: string, op: OperatorName, record: string): string {
  return `${runtime}.${op}(${record})`;
}

/** Resolves a `wrt` list of names to parameter indices; unknown names are reported by the caller. */
export function wrtIndices(paramNames: (string | undefined)[], wrt: string[] | undefined): { indices: number[]; unknown: string[] } {
  if (!wrt) return { indices: paramNames.map((_, i) => i), unknown: [] };
  const indices: number[] = [];
  const unknown: string[] = [];
  for (const w of wrt) {
    const i = paramNames.indexOf(w);
    if (i < 0) unknown.push(w);
    else indices.push(i);
  }
  return { indices: indices.sort((a, b) => a - b), unknown };
}

/**
 * After the second-order functions (`f$jvp$jvp`, `f$jvp$vjp`) of a marked function: registers
 * them as the derivatives of its JVP, so that code which calls the JVP through the run-time
 * lookup (a method on another object, an imported function) can be differentiated again.
 * `owner` is `C.prototype` / `C` for methods.
 */
export function secondOrderRegistrationCode(
  runtime: string,
  jvpName: string,
  second: Pick<KnownFunction, "arity" | "wrt" | "jvpName" | "vjpName">,
  owner?: string,
): string {
  const at = (name: string) => (owner ? `${owner}.${name}` : name);
  return `${defineDerivativesCode(runtime, jvpName, second, at(jvpName), at(second.jvpName), at(second.vjpName))};`;
}
