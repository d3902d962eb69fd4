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
import { diagnostic } from "./catalog.js";
import { derivativeNames, isOperatorName } from "./host.js";
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
 * marks (or a marked function applies an operator to a mark: see {@link differentiatesAnOperator}),
 * else `automatic` when it exports a mark and the host's option is "exported".
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

/**
 * True when a marked function calls an operator's result on one of the module's marks
 * (`gradient(D)(w, x)` inside a marked loss: a gradient penalty): differentiating the marked
 * function differentiates `gradient(D)`, whose derivatives the runtime builds from D's JVP's.
 * Runtime imports appear in the IR as members of the runtime namespace (`RT.gradient`).
 */
export function differentiatesAnOperator(fns: readonly MarkedFunction[], ctx: ModuleContext): boolean {
  let found = false;
  const visit = (e: Expression) => {
    if (found || e.type !== "CallExpression" || e.callee.type !== "CallExpression") return;
    const op = e.callee.callee;
    const [arg] = e.callee.arguments;
    const isOperator =
      op.type === "MemberExpression" && !op.computed && op.object.type === "Identifier" && op.object.name === ctx.runtime && op.property.type === "Identifier" && isOperatorName(op.property.name);
    if (isOperator && arg?.type === "Identifier" && ctx.known.has(arg.name)) found = true;
  };
  for (const fn of fns) {
    if (fn.body.type !== "BlockStatement") forEachExpression(fn.body, visit);
    else for (const s of fn.body.body) for (const e of statementExpressions(s)) forEachExpression(e, visit);
  }
  return found;
}

/** `differentiate`, with a crash in the core turned into a located error. */
export function differentiateSafely(fn: MarkedFunction, ctx: ModuleContext): DifferentiateResult {
  try {
    return differentiate(fn, ctx);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { diagnostics: [diagnostic("CT9000", "differentiating", { fn: fn.name, error: message }, fn.loc)] };
  }
}

/**
 * Differentiates the candidates' JVPs. In automatic mode a JVP that fails is dropped, with the
 * JVPs that call it, and the others are redone without them until none fails, so no generated
 * code calls a second-order function that is not there. (Tensor ops' JVPs have derivatives of
 * their own: see runtime/src/rules; a JVP through them is differentiated like any other.)
 */
export function differentiateSecondOrder(ctx: ModuleContext, candidates: readonly SecondOrderCandidate[], mode: Exclude<SecondOrderMode, false>): SecondOrderResult {
  const full = secondOrderContext(ctx);
  const dropped = new Set<number>();
  const calls = candidates.map((c) => calledNames(c.jvpFunction));
  /** Drops, transitively, the JVPs that call a dropped one's JVP: only the run-time lookup could differentiate those, and it would fail. */
  const dropCallers = () => {
    for (let changed = true; changed; ) {
      changed = false;
      candidates.forEach((_, i) => {
        if (dropped.has(i) || !candidates.some((d, j) => dropped.has(j) && calls[i]!.has(d.jvpFunction.name))) return;
        dropped.add(i);
        changed = true;
      });
    }
  };
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
    dropCallers();
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
