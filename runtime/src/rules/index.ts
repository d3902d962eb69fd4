// Second derivatives through the tensor ops. Each op's forward-mode rule is written once with the
// public ops (runtime/rules/jvp.ts, `<op>Jvp`) and differentiated by Cotangent itself
// (./jvp.generated.ts, from scripts/gen-rules.mjs). This module makes the rule's derivatives the
// derivatives of the op's registered JVP, which is what a second derivative differentiates: the
// build differentiates a marked function's JVP again, where each op call is `jvpCall(op, …)` or
// `jvpMethodCall(t.op, …)`, and those look up the derivatives of the op's JVP (../ad/derivatives.ts).
//
// The op's JVP itself stays the backend's fused first-order kernel where it has one (one dispatch
// for g·f′(x)); runtime/test/rules.test.ts holds it equal to the rule.
//
// It loads the ops itself (./runtime.ts), so it may be imported anywhere.

import { defineDerivatives, getDerivatives, type AnyFunction, type JvpFunction, type VjpFunction } from "../ad/derivatives.js";
import { concreteTangent } from "../ad/tangent.js";
import { listOps, setComposedRule } from "../ops/op.js";
import "./runtime.js"; // every op registered (and the Tensor methods installed) before link()
import * as generated from "./jvp.generated.js";

/**
 * The rule's derivatives, called with the op JVP's null tangents (rule parameters n…2n−1, where a
 * null is a symbolic zero) made concrete zeros: in the rule they are operands of ops. Only
 * differentiated positions; an omitted optional number (leakyRelu's alpha) gets 0. The tangents
 * of the rule's own arguments (its JVP's second half) may stay null: generated code takes those.
 */
function withConcreteTangents(fn: AnyFunction, arity: number, wrt: readonly number[]): AnyFunction {
  const n = arity / 2;
  return function (this: unknown, ...given: unknown[]) {
    const args = given.slice();
    for (const i of wrt) if (i >= n) args[i] = args[i - n] === undefined ? (args[i] ?? 0) : concreteTangent(args[i - n], args[i]);
    return fn.apply(this, args);
  };
}

/** The rule of each op, by op name (`tanh` → `tanhJvp`). */
export function ruleOf(op: string): AnyFunction | undefined {
  const rule = (generated as Record<string, unknown>)[`${op}Jvp`];
  return typeof rule === "function" ? (rule as AnyFunction) : undefined;
}

function link(): void {
  for (const op of listOps()) {
    if (!op.differentiable) continue;
    const rule = ruleOf(op.name);
    const jvp = getDerivatives(op.fn)?.jvp;
    const d = rule && getDerivatives(rule);
    if (!jvp || !d?.jvp || !d.vjp) continue;
    setComposedRule(op.name, rule!);
    defineDerivatives(jvp, {
      name: `${op.name}Jvp`,
      arity: d.arity,
      wrt: d.wrt,
      jvp: withConcreteTangents(d.jvp, d.arity, d.wrt) as JvpFunction,
      vjp: withConcreteTangents(d.vjp, d.arity, d.wrt) as VjpFunction,
      fn: rule,
    });
  }
}

link();
