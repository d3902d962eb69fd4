// A reusable derivative checker for runtime ops (and any function with a Derivatives record that
// follows the conventions of ../src/ad/derivatives.ts). For one call `fn(...args)` it checks:
//
//   (a) the VJP against central finite differences: for a random cotangent g of the output's shape,
//       (⟨g, f(x + ε·e_i)⟩ − ⟨g, f(x − ε·e_i)⟩) / 2ε equals element i of the cotangent, for every
//       input element i (or a random subset of at most `maxElements` per input);
//   (b) the JVP against the VJP: ⟨J·u, v⟩ = ⟨u, Jᵀ·v⟩ for random u and v, once with every
//       differentiated input's tangent at once and once per input (the others null);
//   (c) the values returned by jvp and vjp equal the plain result;
//   (d) each cotangent has its argument's shape and dtype (a number for a number argument), the
//       tangent has the result's shape and dtype, the pullback returns one entry per parameter,
//       and zero in gives zero out (null tangents, null cotangent).
//
// "Differentiated inputs" are the parameters in the record's `wrt` that hold a float tensor, a
// number, or an array of tensors (concat, stack); int32 tensors there must get a null cotangent.

import { getDerivatives, randomNormal, Tensor, tensor, type AnyFunction, type Derivatives } from "../src/index";

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Tolerance of the finite-difference comparison: |fd − vjp| ≤ tol·(1 + |vjp| + scale·…) (default 1e-6). */
  tol?: number;
  /** Tolerance of the JVP/VJP and value comparisons (default 1e-9, relative to the terms' size). */
  jvpTol?: number;
  /** At most this many finite-difference probes per input (default 64). */
  maxElements?: number;
  /** Seed of g, u, v and the probe subset (default 1). */
  seed?: number;
  /** Skip the finite-difference check (a reason is required by the table, not here). */
  skipFd?: boolean;
}

/** Where a differentiated input sits: args[arg], or args[arg][item] for a list argument. */
export interface Leaf {
  arg: number;
  item: number | undefined;
  value: Tensor | number;
}

export interface GradCheckReport {
  leaves: number;
  fdProbes: number;
}

// ---- small deterministic helpers -------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG for probe subsets and random numbers. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function describeLeaf(l: Leaf): string {
  return l.item === undefined ? `argument ${l.arg}` : `argument ${l.arg}[${l.item}]`;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

function isFloatTensor(x: unknown): x is Tensor {
  return x instanceof Tensor && x.dtype !== "int32";
}

/** The differentiated inputs of a call. */
export function leavesOf(args: readonly unknown[], wrt: readonly number[]): Leaf[] {
  const out: Leaf[] = [];
  for (const p of wrt) {
    const a = args[p];
    if (isFloatTensor(a) || typeof a === "number") out.push({ arg: p, item: undefined, value: a });
    else if (Array.isArray(a)) a.forEach((t, i) => isFloatTensor(t) && out.push({ arg: p, item: i, value: t }));
  }
  return out;
}

/** `args` with one leaf replaced (lists are copied, never mutated). */
function withLeaf(args: readonly unknown[], leaf: Leaf, value: Tensor | number): unknown[] {
  const out = [...args];
  if (leaf.item === undefined) out[leaf.arg] = value;
  else {
    const list = [...(out[leaf.arg] as unknown[])];
    list[leaf.item] = value;
    out[leaf.arg] = list;
  }
  return out;
}

/** The entry of a pullback's result (or tangent list) for a leaf. */
function pick(ct: unknown[], leaf: Leaf): unknown {
  const c = ct[leaf.arg];
  if (leaf.item === undefined) return c;
  if (c === null || c === undefined) return c;
  if (!Array.isArray(c)) throw new Error(`the cotangent of list argument ${leaf.arg} is not an array (got ${typeof c})`);
  return c[leaf.item];
}

/** What an op returns: a tensor, or a number (`t.item()`). */
type Value = Tensor | number;

function dot(a: Tensor | number, b: Tensor | number): number {
  if (typeof a === "number" || typeof b === "number") {
    if (typeof a !== "number" || typeof b !== "number") throw new Error("dot: a number with a tensor");
    return a * b;
  }
  if (a.size !== b.size) throw new Error(`dot: sizes ${a.size} and ${b.size}`);
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.values[i]! * b.values[i]!;
  return s;
}

/** A random direction like `like` (same shape and dtype; a number for a number). */
export function randomLike(like: Tensor | number, seed: number): Tensor | number {
  if (typeof like === "number") return prng(seed)() * 2 - 1;
  return randomNormal(like.shape, { seed, dtype: like.dtype });
}

function perturbed(x: Tensor | number, i: number, delta: number): Tensor | number {
  if (typeof x === "number") return x + delta;
  const v = x.dataSync();
  v[i] = v[i]! + delta;
  return tensor(v, x.shape, x.dtype);
}

function elementOf(x: Tensor | number, i: number): number {
  return typeof x === "number" ? x : x.values[i]!;
}

function sizeOfLeaf(x: Tensor | number): number {
  return typeof x === "number" ? 1 : x.size;
}

function close(a: number, b: number, tol: number, scale = 0): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  return Math.abs(a - b) <= tol * (1 + Math.abs(a) + Math.abs(b) + scale);
}

/** Same number (NaN equals NaN), or for tensors see {@link expectSameTensor}. */
function expectSameValue(actual: unknown, expected: Value, what: string): void {
  if (typeof expected === "number") {
    if (typeof actual !== "number") throw new Error(`${what}: expected a number, got ${actual === null ? "null" : typeof actual}`);
    if (!(actual === expected || (Number.isNaN(actual) && Number.isNaN(expected)))) throw new Error(`${what}: ${actual}, expected ${expected}`);
  } else expectSameTensor(actual, expected, what);
}

/** Same shape, dtype and elements (NaN equals NaN). */
export function expectSameTensor(actual: unknown, expected: Tensor, what: string): void {
  if (!(actual instanceof Tensor)) throw new Error(`${what}: expected a Tensor, got ${actual === null ? "null" : typeof actual}`);
  if (fmt(actual.shape) !== fmt(expected.shape)) throw new Error(`${what}: shape ${fmt(actual.shape)}, expected ${fmt(expected.shape)}`);
  if (actual.dtype !== expected.dtype) throw new Error(`${what}: dtype ${actual.dtype}, expected ${expected.dtype}`);
  for (let i = 0; i < expected.size; i++) {
    const a = actual.values[i]!;
    const e = expected.values[i]!;
    if (!(Object.is(a, e) || a === e || (Number.isNaN(a) && Number.isNaN(e))))
      throw new Error(`${what}: element ${i} is ${a}, expected ${e}`);
  }
}

function checkCotangentType(ct: unknown, leaf: Leaf, what: string): Tensor | number {
  const x = leaf.value;
  if (typeof x === "number") {
    if (typeof ct !== "number") throw new Error(`${what}: the cotangent of ${describeLeaf(leaf)} (a number) must be a number, got ${ct === null ? "null" : typeof ct}`);
    return ct;
  }
  if (!(ct instanceof Tensor)) throw new Error(`${what}: the cotangent of ${describeLeaf(leaf)} must be a Tensor of shape ${fmt(x.shape)}, got ${ct === null ? "null" : typeof ct}`);
  if (fmt(ct.shape) !== fmt(x.shape)) throw new Error(`${what}: the cotangent of ${describeLeaf(leaf)} has shape ${fmt(ct.shape)}, expected ${fmt(x.shape)}`);
  if (ct.dtype !== x.dtype) throw new Error(`${what}: the cotangent of ${describeLeaf(leaf)} has dtype ${ct.dtype}, expected ${x.dtype}`);
  return ct;
}

function isZero(t: unknown): boolean {
  if (t === null || t === undefined) return true;
  if (typeof t === "number") return t === 0;
  if (t instanceof Tensor) return t.values.every((v) => v === 0);
  if (Array.isArray(t)) return t.every(isZero);
  return false;
}

// ---- the check -------------------------------------------------------------------------------

/**
 * Checks `fn`'s derivative record at `args` (see the header). Throws an Error that says what
 * failed, for which input element, with the numbers. `label` prefixes the messages.
 *
 * @example
 * checkGradients(mul, [randomNormal([2, 3], { seed: 1, dtype: "float64" }), 2]);
 */
export function checkGradients(fn: AnyFunction, args: readonly unknown[], options: GradCheckOptions = {}, label = fn.name || "op"): GradCheckReport {
  const eps = options.eps ?? 1e-6;
  const tol = options.tol ?? 1e-6;
  const jvpTol = options.jvpTol ?? 1e-9;
  const maxElements = options.maxElements ?? 64;
  const seed = options.seed ?? 1;
  const d: Derivatives | undefined = getDerivatives(fn);
  if (!d || typeof d.jvp !== "function" || typeof d.vjp !== "function") throw new Error(`${label}: no jvp/vjp record`);
  const jvp = d.jvp;
  const vjp = d.vjp;
  const call = (xs: readonly unknown[]): Value => {
    const y = fn(...xs);
    if (!(y instanceof Tensor) && typeof y !== "number") throw new Error(`${label}: the op returned ${typeof y}, not a Tensor or a number`);
    return y;
  };
  const padArgs = [...args];
  while (padArgs.length < d.arity) padArgs.push(undefined);
  const leaves = leavesOf(args, d.wrt);
  if (leaves.length === 0) throw new Error(`${label}: no differentiated inputs in this case`);

  // (c) values.
  const y = call(args);
  const vj = vjp.apply(undefined, [...args]);
  expectSameValue(vj.value, y, `${label}: vjp value`);
  const zeroTangents: unknown[] = new Array(d.arity).fill(null);
  const jz = jvp.apply(undefined, [...padArgs, ...zeroTangents]);
  expectSameValue(jz.value, y, `${label}: jvp value (null tangents)`);
  if (!isZero(jz.tangent)) throw new Error(`${label}: null tangents in, a non-zero tangent out`);

  // (d) the pullback's result: length, shapes, dtypes; zero in gives zero out.
  const g = randomLike(y, seed * 7 + 3);
  const ct = vj.pullback(g);
  if (!Array.isArray(ct) || ct.length !== d.arity) throw new Error(`${label}: the pullback returned ${Array.isArray(ct) ? ct.length : typeof ct} entries, expected ${d.arity} (one per parameter)`);
  const cts = leaves.map((l) => checkCotangentType(pick(ct, l), l, label));
  // wrt parameters that hold int32 tensors get no cotangent.
  for (const p of d.wrt) {
    const a = args[p];
    if (a instanceof Tensor && a.dtype === "int32" && !isZero(ct[p])) throw new Error(`${label}: an int32 argument ${p} got a non-zero cotangent`);
  }
  // Options (non-wrt parameters) get null.
  for (let p = 0; p < d.arity; p++)
    if (!d.wrt.includes(p) && ct[p] !== null && ct[p] !== undefined) throw new Error(`${label}: option parameter ${p} got a cotangent`);
  const ctNull = vjp.apply(undefined, [...args]).pullback(null);
  if (!Array.isArray(ctNull) || !ctNull.every(isZero)) throw new Error(`${label}: pullback(null) is not all zero`);

  // (a) finite differences.
  let fdProbes = 0;
  if (!options.skipFd) {
    const rand = prng(seed * 13 + 5);
    // Rounding error of one ⟨g, f⟩: about the unit roundoff of f's dtype times Σ|g||f|.
    let gyAbs = 0;
    for (let i = 0; i < sizeOfLeaf(y); i++) gyAbs += Math.abs(elementOf(g, i) * elementOf(y, i));
    const unit = y instanceof Tensor && y.dtype === "float32" ? 6e-8 : 1.2e-16;
    leaves.forEach((leaf, li) => {
      const n = sizeOfLeaf(leaf.value);
      let idx = Array.from({ length: n }, (_, i) => i);
      if (n > maxElements) {
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [idx[i], idx[j]] = [idx[j]!, idx[i]!];
        }
        idx = idx.slice(0, maxElements);
      }
      for (const i of idx) {
        const x = leaf.value;
        // The step actually taken (float32 storage rounds x ± ε).
        const xp = perturbed(x, i, eps);
        const xm = perturbed(x, i, -eps);
        const h = elementOf(xp, i) - elementOf(xm, i);
        const fp = dot(g, call(withLeaf(args, leaf, xp)));
        const fm = dot(g, call(withLeaf(args, leaf, xm)));
        const fd = (fp - fm) / h;
        const an = elementOf(cts[li]!, i);
        // That rounding, amplified by 1/h, is allowed for on top of tol.
        const scale = (4 * unit * gyAbs) / (h * tol);
        if (!close(fd, an, tol, scale))
          throw new Error(`${label}: VJP ≠ finite differences at ${describeLeaf(leaf)} element ${i}: vjp ${an}, finite differences ${fd} (|diff| ${Math.abs(fd - an)})`);
        fdProbes++;
      }
    });
  }

  // (b) JVP against VJP: all tangents at once, then one input at a time.
  const us = leaves.map((l, i) => randomLike(l.value, seed * 101 + 17 * i + 1));
  const v = randomLike(y, seed * 31 + 11);
  const ctv = vjp.apply(undefined, [...args]).pullback(v);
  const ctvs = leaves.map((l) => checkCotangentType(pick(ctv, l), l, `${label} (second pullback)`));
  const tangentsFor = (only: number | undefined): unknown[] => {
    const t: unknown[] = new Array(d.arity).fill(null);
    leaves.forEach((l, i) => {
      if (only !== undefined && only !== i) return;
      if (l.item === undefined) t[l.arg] = us[i];
      else {
        if (!Array.isArray(t[l.arg])) t[l.arg] = new Array((args[l.arg] as unknown[]).length).fill(null);
        (t[l.arg] as unknown[])[l.item] = us[i];
      }
    });
    return t;
  };
  const runs: (number | undefined)[] = [undefined, ...(leaves.length > 1 ? leaves.map((_, i) => i) : [])];
  for (const only of runs) {
    const jr = jvp.apply(undefined, [...padArgs, ...tangentsFor(only)]);
    const which = only === undefined ? "all tangents" : `only the tangent of ${describeLeaf(leaves[only]!)}`;
    expectSameValue(jr.value, y, `${label}: jvp value (${which})`);
    const t = jr.tangent;
    if (typeof y === "number") {
      if (typeof t !== "number") throw new Error(`${label}: jvp (${which}) gave a tangent that is ${t === null ? "null" : typeof t}, expected a number`);
    } else {
      if (!(t instanceof Tensor)) throw new Error(`${label}: jvp (${which}) gave a tangent that is ${t === null ? "null" : typeof t}, expected a Tensor of shape ${fmt(y.shape)}`);
      if (fmt(t.shape) !== fmt(y.shape)) throw new Error(`${label}: jvp (${which}) tangent has shape ${fmt(t.shape)}, expected ${fmt(y.shape)}`);
      if (t.dtype !== y.dtype) throw new Error(`${label}: jvp (${which}) tangent has dtype ${t.dtype}, expected ${y.dtype}`);
    }
    const lhs = dot(t, v);
    let rhs = 0;
    let size = 0;
    leaves.forEach((_, i) => {
      if (only !== undefined && only !== i) return;
      const term = dot(us[i]!, ctvs[i]!);
      rhs += term;
      size += Math.abs(term);
    });
    if (!close(lhs, rhs, jvpTol, size)) throw new Error(`${label}: ⟨J·u, v⟩ = ${lhs} but ⟨u, Jᵀ·v⟩ = ${rhs} (${which})`);
  }
  return { leaves: leaves.length, fdProbes };
}
