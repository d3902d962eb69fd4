// Second derivatives: the derivatives of each marked function's generated JVP (`f$jvp$jvp`,
// `f$jvp$vjp`). Both hosts ask this module which to generate; neither decides on its own.
//
// A module needs them in two cases:
//   - requested: it applies an operator to an operator of its own marked function
//     (`derivative(derivative(f))`); then every referable mark's JVP is differentiated (f's JVP
//     calls the JVPs of what f calls) and any error is the user's to see;
//   - automatic (the hosts' `secondOrder: "exported"` option; off by default, as it about triples
//     the build time of such modules): it exports a marked function, which another module may
//     differentiate twice (the runtime builds `derivative(derivative(f))` of an imported f from
//     what is attached to f's JVP). Functions whose JVP cannot be differentiated again are left
//     without, silently: the user did not ask, and the runtime names the reason if someone does.

import type { Diagnostic, DifferentiateResult, GeneratedFunction, KnownFunction, MarkedFunction, ModuleContext } from "./api.js";
import { differentiate } from "./differentiate.js";
import { CODES } from "./diagnostics.js";
import { derivativeNames } from "./host.js";
import type { Expression, Statement } from "./ir.js";
import { forEachExpression, statementExpressions } from "./walk.js";

/** Which marks get second derivatives: see the header. `false` is never (a host option). */
export type SecondOrderMode = "requested" | "automatic" | false;

/** How a host configures automatic generation (`secondOrder` plugin option). */
export type SecondOrderOption = "exported" | "requested";

/** One marked function whose first derivatives were generated. */
export interface SecondOrderCandidate {
  /** The generated JVP as a marked function (`DifferentiateResult.jvpFunction`). */
  jvpFunction: MarkedFunction;
  isMethod: boolean;
}

export interface SecondOrderResult {
  /** Per candidate, in order: its JVP's derivatives and their names, or undefined when none. */
  results: ({ jvp: GeneratedFunction; vjp: GeneratedFunction; info: KnownFunction } | undefined)[];
  /** Errors to report (requested mode only). */
  diagnostics: Diagnostic[];
}

/**
 * Which mode a module needs: `requested` when it applies an operator to an operator of one of its
 * marks, else `automatic` when it exports a mark and the host's option is "exported".
 */
export function secondOrderMode(requested: boolean, exportsAMark: boolean, option: SecondOrderOption = "requested"): SecondOrderMode {
  if (requested) return "requested";
  return exportsAMark && option === "exported" ? "automatic" : false;
}

/**
 * The context for differentiating generated JVPs: each marked function's JVP `g$jvp` becomes a
 * known function whose derivatives are `g$jvp$jvp` / `g$jvp$vjp`.
 */
export function secondOrderContext(ctx: ModuleContext): ModuleContext {
  const lift = (m: Map<string, KnownFunction>) => {
    const out = new Map<string, KnownFunction>();
    for (const info of m.values()) {
      const arity = info.arity * 2;
      out.set(info.jvpName, {
        ...derivativeNames(info.jvpName, ctx.takenNames),
        arity,
        wrt: Array.from({ length: arity }, (_, i) => i),
        isMethod: info.isMethod,
      });
    }
    return out;
  };
  // The marked functions themselves stay known: a JVP calls them where their arguments carry no
  // tangent (`g(c)`), and a call of a rest function may spread its array (`g(...$spread)`).
  return { ...ctx, known: new Map([...ctx.known, ...lift(ctx.known)]), knownMethods: new Map([...ctx.knownMethods, ...lift(ctx.knownMethods)]) };
}

/** `differentiate`, with a crash in the core turned into a located error. */
export function differentiateSafely(fn: MarkedFunction, ctx: ModuleContext): DifferentiateResult {
  try {
    return differentiate(fn, ctx);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { diagnostics: [{ code: CODES.internalError, severity: "error", message: `internal error while differentiating '${fn.name}': ${message}`, loc: fn.loc, notes: [] }] };
  }
}

/**
 * Differentiates the candidates' JVPs. In automatic mode a JVP that fails, or that goes through a
 * runtime op (tensor ops have no second derivatives yet), is dropped, and the others are redone
 * without it until none fails, so no generated code calls a second-order function that is not there.
 */
export function differentiateSecondOrder(ctx: ModuleContext, candidates: readonly SecondOrderCandidate[], mode: Exclude<SecondOrderMode, false>): SecondOrderResult {
  const full = secondOrderContext(ctx);
  const dropped = new Set<number>();
  if (mode === "automatic") {
    candidates.forEach((c, i) => callsRuntimeOp(c.jvpFunction, ctx.runtime) && dropped.add(i));
    // A JVP that calls a dropped one's JVP could only be differentiated through the run-time
    // lookup, which would fail: drop it too (a model's loss calling its dropped layers).
    const calls = candidates.map((c) => calledNames(c.jvpFunction));
    for (let changed = true; changed; ) {
      changed = false;
      candidates.forEach((_, i) => {
        if (dropped.has(i)) return;
        if (candidates.some((d, j) => dropped.has(j) && calls[i]!.has(d.jvpFunction.name))) {
          dropped.add(i);
          changed = true;
        }
      });
    }
  }
  for (;;) {
    const c2 = dropped.size ? without(full, candidates.filter((_, i) => dropped.has(i))) : full;
    const results: SecondOrderResult["results"] = [];
    const diagnostics: Diagnostic[] = [];
    let more = false;
    candidates.forEach((c, i) => {
      if (dropped.has(i)) return results.push(undefined);
      const r = differentiateSafely(c.jvpFunction, c2);
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      // Warnings about generated code would only confuse the user.
      diagnostics.push(...errors);
      const info = (c.isMethod ? full.knownMethods : full.known).get(c.jvpFunction.name);
      if (errors.length || !r.jvp || !r.vjp || !info) {
        results.push(undefined);
        dropped.add(i);
        more = true;
      } else results.push({ jvp: r.jvp, vjp: r.vjp, info });
    });
    if (mode === "requested") return { results, diagnostics };
    if (!more) return { results, diagnostics: [] };
  }
}

function without(ctx: ModuleContext, drop: readonly SecondOrderCandidate[]): ModuleContext {
  const known = new Map(ctx.known);
  const knownMethods = new Map(ctx.knownMethods);
  for (const c of drop) (c.isMethod ? knownMethods : known).delete(c.jvpFunction.name);
  return { ...ctx, known, knownMethods };
}

/** The names a generated JVP calls directly (`g$jvp(…)`, `this.m$jvp(…)`). */
function calledNames(fn: MarkedFunction): Set<string> {
  const out = new Set<string>();
  const visit = (e: Expression) => {
    if (e.type !== "CallExpression") return;
    if (e.callee.type === "Identifier") out.add(e.callee.name);
    else if (e.callee.type === "MemberExpression" && !e.callee.computed && e.callee.property.type === "Identifier") out.add(e.callee.property.name);
  };
  const body: Statement[] = fn.body.type === "BlockStatement" ? fn.body.body : [];
  for (const s of body) for (const e of statementExpressions(s)) forEachExpression(e, visit);
  return out;
}

/** True when a generated JVP calls a runtime op's derivative (`RT.jvpCall(RT.mul, …)`, `x.mul(…)` on tensors). */
function callsRuntimeOp(fn: MarkedFunction, runtime: string): boolean {
  const isRuntimeMember = (e: Expression | undefined, names?: readonly string[]) =>
    e?.type === "MemberExpression" && !e.computed && e.object.type === "Identifier" && e.object.name === runtime && e.property.type === "Identifier" && (!names || names.includes(e.property.name));
  let found = false;
  const visit = (e: Expression) => {
    if (found) return false;
    if (e.type !== "CallExpression") return;
    const [first] = e.arguments;
    // A call's JVP through the lookup: an op of the runtime, or a method (tensor methods are ops).
    if (isRuntimeMember(e.callee, ["jvpCall"]) && first?.type !== "SpreadElement" && isRuntimeMember(first)) found = true;
    if (isRuntimeMember(e.callee, ["jvpMethodCall"])) found = true;
  };
  const body: Statement[] = fn.body.type === "BlockStatement" ? fn.body.body : [];
  for (const s of body) for (const e of statementExpressions(s)) forEachExpression(e, visit);
  return found;
}
