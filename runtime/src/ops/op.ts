// The op registry: every runtime tensor op is defined once, here, with its derivative rules beside
// it. The same records serve the generated code at run time (through the derivative registry of
// ../ad/derivatives.ts) and the build: `primitiveManifest()` lists which exported functions and
// Tensor methods are primitives and whether they are differentiable, and the build writes it to
// dist/primitives.json, which the Babel and TypeScript hosts read (see scripts/build.mjs).

import { defineDerivatives, type AnyFunction, type JvpFunction, type VjpFunction } from "../ad/derivatives.js";
import { CotangentError } from "../errors.js";

/** The op families (one file each in this folder, one kernel family per backend). */
export type OpFamily = "creation" | "elementwise" | "compare" | "reduce" | "matmul" | "movement" | "nn" | "conv";

export interface DifferentiableOpSpec {
  name: string;
  /** false for ops that exist only as Tensor methods (`t.item()`): not listed as exported functions. */
  exported?: boolean;
  /**
   * Also a Tensor method of the same name, with the tensor as the first argument (`a.add(b)` is
   * `add(a, b)`): installed by ./methods.ts, typed by ./methods.generated.ts (scripts/gen-methods.mjs).
   */
  method?: boolean;
  family: OpFamily;
  /** Number of declared parameters (tangents/cotangents come one per parameter). */
  arity: number;
  /** The parameters that carry derivatives (the others are options: axes, shapes, flags). */
  wrt: readonly number[];
  /** jvp(...args, ...tangents) → { value, tangent }; a null tangent is zero. */
  jvp: JvpFunction;
  /** vjp(...args) → { value, pullback(g) → one cotangent per parameter }; a null g is zero. */
  vjp: VjpFunction;
}

export interface NonDifferentiableOpSpec {
  name: string;
  exported?: boolean;
  /** See {@link DifferentiableOpSpec.method}. */
  method?: boolean;
  family: OpFamily;
  /** Why it has no derivative, for the diagnostic ("a comparison gives a mask"). */
  why: string;
}

export interface OpInfo {
  name: string;
  family: OpFamily;
  fn: AnyFunction;
  differentiable: boolean;
  why?: string;
  /** Tensor methods that call this op with the tensor as the first argument (its own name when `method` was given). */
  methods: string[];
  /** The op is also a Tensor method of its name (installed by ./methods.ts). */
  method: boolean;
  /** An export of the runtime (false: only a method). */
  exported: boolean;
}

const OPS = new Map<string, OpInfo>();
const BY_FUNCTION = new Map<AnyFunction, OpInfo>();

/**
 * Registers `fn` as a differentiable primitive with its JVP and VJP, or as a primitive without a
 * derivative (then calling it on an active value is a build error). Returns `fn`.
 */
export function defineOp<F extends AnyFunction>(fn: F, spec: DifferentiableOpSpec | NonDifferentiableOpSpec): F {
  if (OPS.has(spec.name)) throw new CotangentError("CT3004", `defineOp: an op named '${spec.name}' is already defined.`);
  if ("jvp" in spec) {
    defineDerivatives(fn, { name: spec.name, arity: spec.arity, wrt: spec.wrt, jvp: spec.jvp, vjp: spec.vjp });
  }
  const info: OpInfo =
    "jvp" in spec
      ? { name: spec.name, family: spec.family, fn, differentiable: true, methods: [], method: spec.method ?? false, exported: spec.exported ?? true }
      : { name: spec.name, family: spec.family, fn, differentiable: false, why: spec.why, methods: [], method: spec.method ?? false, exported: spec.exported ?? true };
  OPS.set(spec.name, info);
  BY_FUNCTION.set(fn, info);
  return fn;
}

const RULES = new Map<string, AnyFunction>();

/**
 * @internal Registers op `name`'s forward-mode rule written with the ops (runtime/rules/jvp.ts,
 * differentiated by Cotangent: ../rules/index.ts does this). Ops fall back to it on a backend that
 * does not offer the fused slope kernels (Backend.unaryBackward / binaryBackward).
 */
export function setComposedRule(name: string, rule: AnyFunction): void {
  RULES.set(name, rule);
}

/** @internal The composed rule of op `name` (see {@link setComposedRule}). */
export function composedRule(name: string): AnyFunction {
  const rule = RULES.get(name);
  if (!rule)
    throw new CotangentError(
      "CT3004",
      `${name}: this backend has no fused slope kernel for it and the op's composed rule is not registered; import the runtime through its package entry (@cotangent/runtime), which loads the rules.`,
    );
  return rule;
}

/** The op record of an op function. */
export function opOf(fn: AnyFunction): OpInfo | undefined {
  return BY_FUNCTION.get(fn);
}

/** @internal Records that Tensor method `method` calls op `fn`. */
export function noteMethod(fn: AnyFunction, method: string): OpInfo {
  const info = BY_FUNCTION.get(fn);
  if (!info) throw new CotangentError("CT3005", `noteMethod: ${fn.name || "the function"} is not a registered op.`);
  info.methods.push(method);
  return info;
}

/** Every registered op, in definition order. */
export function listOps(): OpInfo[] {
  return [...OPS.values()];
}

export function getOp(name: string): OpInfo | undefined {
  return OPS.get(name);
}

/** What the build needs to know about the runtime's primitives (JSON-serializable). */
export interface PrimitiveManifest {
  /** Exported functions of @cotangent/runtime that are tensor primitives. */
  functions: Record<string, { differentiable: boolean; why?: string }>;
  /** Tensor methods. */
  methods: Record<string, { op: string; differentiable: boolean; why?: string }>;
}

export function primitiveManifest(): PrimitiveManifest {
  const functions: PrimitiveManifest["functions"] = {};
  const methods: PrimitiveManifest["methods"] = {};
  for (const op of listOps()) {
    if (op.exported) functions[op.name] = op.differentiable ? { differentiable: true } : { differentiable: false, why: op.why! };
    for (const m of op.methods) methods[m] = op.differentiable ? { op: op.name, differentiable: true } : { op: op.name, differentiable: false, why: op.why! };
  }
  return { functions, methods };
}
