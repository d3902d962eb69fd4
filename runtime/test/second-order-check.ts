// A second-order checker for runtime ops: the derivatives of an op's JVP (registered from its rule
// in runtime/rules/jvp.ts, see ../src/rules/index.ts). For one call `op(...x)`, with random
// tangents u of the differentiated inputs and random cotangents g (of the value) and h (of the
// tangent), it checks, in float64:
//
//   (a) reverse over forward against finite differences: the first half of the pullback of the
//       op's JVP at (x, u) for the cotangent {g, h} is ∇ₓΨ with Ψ(x) = ⟨g, op(x)⟩ + ⟨h, J(x)·u⟩
//       (⟨h, J·u⟩'s gradient is the Hessian-vector product of ⟨h, op⟩ along u), checked against
//       central differences of Ψ computed with the op's first-order rules (the fused fast path);
//   (b) the second half of that pullback is Jᵀh, the op's own pullback of h (the composed rule's
//       transpose equals the backend's VJP);
//   (c) forward over forward = reverse over forward: the JVP of the op's JVP along (v, w) has
//       tangent (J·v, D²op[u, v] + J·w), and ⟨g, J·v⟩ + ⟨h, D²op[u, v] + J·w⟩ = ⟨∇ₓΨ, v⟩ + ⟨Jᵀh, w⟩;
//   (d) the fused first-order JVP (what the op registers) equals its rule, value and tangent.

import { Tensor, concreteTangent, getDerivatives, type AnyFunction } from "../src/index";
import { ruleOf } from "../src/rules/index";
import { leavesOf, prng, randomLike, type Leaf } from "./gradcheck";
import { cast, tensor } from "../src/index";

export interface SecondOrderOptions {
  eps?: number;
  tol?: number;
  seed?: number;
  maxElements?: number;
  /** Tolerance of the identities (rule against fused JVP, transposes, forward against reverse); default 1e-10. */
  identityTol?: number;
}

type Value = Tensor | number;

/** A random direction like `like` (int32: float64, as tangents of integers are not checked). */
const randomLikeOf = (like: Value, seed: number): Value => randomLike(typeof like === "number" || like.dtype !== "int32" ? like : cast(like, "float64"), seed);

/** ⟨a, b⟩ over numbers, tensors and lists of them; null is zero. */
function dot(a: unknown, b: unknown): number {
  if (a == null || b == null) return 0;
  if (typeof a === "number" && typeof b === "number") return a * b;
  if (Array.isArray(a) && Array.isArray(b)) return a.reduce((s: number, x, i) => s + dot(x, b[i]), 0);
  if (a instanceof Tensor && b instanceof Tensor) {
    if (a.size !== b.size) throw new Error(`dot: sizes ${a.size} and ${b.size}`);
    const x = a.dataSync();
    const y = b.dataSync();
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return s;
  }
  if (typeof a === "number" && b instanceof Tensor && b.size === 1) return a * b.dataSync()[0]!;
  if (a instanceof Tensor && typeof b === "number" && a.size === 1) return a.dataSync()[0]! * b;
  throw new Error(`dot: ${typeof a} with ${typeof b}`);
}

/** Σ|aᵢbᵢ|: the size of a dot product's terms, for tolerances. */
function absDot(a: unknown, b: unknown): number {
  if (a == null || b == null) return 0;
  if (typeof a === "number" && typeof b === "number") return Math.abs(a * b);
  if (Array.isArray(a) && Array.isArray(b)) return a.reduce((s: number, x, i) => s + absDot(x, b[i]), 0);
  if (a instanceof Tensor && b instanceof Tensor) {
    const x = a.dataSync();
    const y = b.dataSync();
    let s = 0;
    for (let i = 0; i < x.length; i++) s += Math.abs(x[i]! * y[i]!);
    return s;
  }
  return Math.abs(dot(a, b));
}

/** A tangent list (one per parameter) with `values[i]` at leaf i, null elsewhere. */
function tangentList(arity: number, args: readonly unknown[], leaves: readonly Leaf[], values: readonly Value[]): unknown[] {
  const t: unknown[] = new Array(arity).fill(null);
  leaves.forEach((l, i) => {
    if (l.item === undefined) t[l.arg] = values[i];
    else {
      if (!Array.isArray(t[l.arg])) t[l.arg] = new Array((args[l.arg] as unknown[]).length).fill(null);
      (t[l.arg] as unknown[])[l.item] = values[i];
    }
  });
  return t;
}

function leafEntry(list: readonly unknown[], l: Leaf): unknown {
  const c = list[l.arg];
  return l.item === undefined ? c : (c as unknown[] | null)?.[l.item];
}

function withElement(args: readonly unknown[], l: Leaf, i: number, delta: number): { args: unknown[]; step: number } {
  const out = [...args];
  let value: Value;
  let step: number;
  if (typeof l.value === "number") {
    value = l.value + delta;
    step = value - l.value;
  } else {
    const v = l.value.dataSync();
    const before = v[i]!;
    v[i] = before + delta;
    value = tensor(v, l.value.shape, l.value.dtype);
    step = (value.dataSync()[i]! - before);
  }
  if (l.item === undefined) out[l.arg] = value;
  else {
    const list = [...(out[l.arg] as unknown[])];
    list[l.item] = value;
    out[l.arg] = list;
  }
  return { args: out, step };
}

function close(a: number, b: number, tol: number, scale: number): boolean {
  return Math.abs(a - b) <= tol * (1 + Math.abs(a) + Math.abs(b) + scale);
}

/** The elements of numbers, tensors and lists of them, in order (null: nothing). */
function flat(v: unknown): number[] {
  if (v == null) return [];
  if (typeof v === "number") return [v];
  if (v instanceof Tensor) return [...v.dataSync()];
  if (Array.isArray(v)) return v.flatMap(flat);
  throw new Error(`flat: ${typeof v}`);
}

/** ‖actual − expected‖ ≤ tol·(1 + ‖expected‖), elementwise (a null or empty side is zeros). */
function expectClose(actual: unknown, expected: unknown, tol: number, what: string): void {
  const a = flat(actual);
  const e = flat(expected);
  const len = Math.max(a.length, e.length);
  let diff = 0;
  let size = 0;
  for (let i = 0; i < len; i++) {
    diff += ((a[i] ?? 0) - (e[i] ?? 0)) ** 2;
    size += (e[i] ?? 0) ** 2;
  }
  if (a.length && e.length && a.length !== e.length) throw new Error(`${what}: ${a.length} elements, expected ${e.length}`);
  if (!(Math.sqrt(diff) <= tol * (1 + Math.sqrt(size)))) throw new Error(`${what}: differs by ${Math.sqrt(diff)} (norm ${Math.sqrt(size)})`);
}

/** Checks the second derivatives of `op` at `args` (see the header); throws with what failed. */
export function checkSecondOrder(op: AnyFunction, name: string, args: readonly unknown[], options: SecondOrderOptions = {}): { probes: number } {
  const eps = options.eps ?? 1e-5;
  const tol = options.tol ?? 1e-5;
  const seed = options.seed ?? 1;
  const maxElements = options.maxElements ?? 24;
  const idTol = options.identityTol ?? 1e-10;
  const d = getDerivatives(op);
  if (!d?.jvp || !d.vjp) throw new Error(`${name}: no first-order record`);
  const F = d.jvp;
  const D2 = getDerivatives(F);
  if (!D2?.jvp || !D2.vjp) throw new Error(`${name}: its JVP has no derivatives (no rule in runtime/rules/jvp.ts)`);
  const n = d.arity;
  const x = [...args];
  while (x.length < n) x.push(undefined);
  const leaves = leavesOf(x, d.wrt);
  if (!leaves.length) throw new Error(`${name}: no differentiated inputs`);
  const u = tangentList(n, x, leaves, leaves.map((l, i) => randomLikeOf(l.value, seed * 101 + i)));
  const first = F(...x, ...u) as { value: Value; tangent: Value | null };
  const y = first.value;
  const g = randomLikeOf(y, seed * 7 + 3);
  const h = randomLikeOf(y, seed * 11 + 5);

  // (d) the fused JVP equals the rule (as registered, with concrete tangents).
  const rule = ruleOf(name)!;
  const composed = rule(...x, ...u.map((t, i) => (x[i] === undefined ? (t ?? 0) : concreteTangent(x[i], t)))) as { value: Value; tangent: Value };
  expectClose(composed.value, y, idTol, `${name}: the rule's value against the op's`);
  expectClose(composed.tangent, first.tangent ?? concreteTangent(y, null), idTol, `${name}: the rule's tangent against the fused JVP`);

  // (a) reverse over forward, against finite differences of Ψ.
  const r = D2.vjp(...x, ...u) as { value: { value: Value; tangent: Value }; pullback: (ct: unknown) => unknown[] };
  const ct = r.pullback({ value: g, tangent: h });
  if (!Array.isArray(ct) || ct.length !== 2 * n) throw new Error(`${name}: the JVP's pullback gave ${Array.isArray(ct) ? ct.length : typeof ct} entries, expected ${2 * n}`);
  const gradX = ct.slice(0, n);
  const psi = (xs: unknown[]): number => {
    const f = F(...xs, ...u) as { value: Value; tangent: Value | null };
    return dot(g, f.value) + dot(h, f.tangent);
  };
  const rand = prng(seed * 13 + 7);
  let probes = 0;
  for (const l of leaves) {
    const size = typeof l.value === "number" ? 1 : l.value.size;
    const idx = Array.from({ length: size }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const entry = leafEntry(gradX, l);
    const at = (k: number) => (entry == null ? 0 : typeof entry === "number" ? entry : (entry as Tensor).dataSync()[k]!);
    for (const k of idx.slice(0, maxElements)) {
      const p = withElement(x, l, k, eps);
      const m = withElement(x, l, k, -eps);
      const fd = (psi(p.args) - psi(m.args)) / (p.step - m.step);
      const an = at(k);
      if (!close(fd, an, tol, 0))
        throw new Error(`${name}: reverse over forward ≠ finite differences at argument ${l.arg}${l.item === undefined ? "" : `[${l.item}]`} element ${k}: ${an}, finite differences ${fd}`);
      probes++;
    }
  }

  // (b) the pullback's second half is the op's own pullback of h.
  const back = d.vjp(...args).pullback(h) as unknown[];
  for (const l of leaves) expectClose(leafEntry(ct.slice(n), l) ?? 0, leafEntry(back, l) ?? 0, idTol, `${name}: the rule's transpose against the op's VJP (argument ${l.arg})`);

  // (c) forward over forward = reverse over forward.
  const v = tangentList(n, x, leaves, leaves.map((l, i) => randomLikeOf(l.value, seed * 211 + i)));
  const w = tangentList(n, x, leaves, leaves.map((l, i) => randomLikeOf(l.value, seed * 307 + i)));
  const ff = D2.jvp(...x, ...u, ...v, ...w) as { value: { value: Value; tangent: Value }; tangent: { value: Value | null; tangent: Value | null } };
  const jv = F(...x, ...v) as { tangent: Value | null };
  expectClose(ff.tangent.value ?? 0, jv.tangent ?? 0, idTol, `${name}: the JVP of the JVP, its value part against J·v`);
  const lhs = dot(g, ff.tangent.value) + dot(h, ff.tangent.tangent);
  let rhs = 0;
  let scale = absDot(g, ff.tangent.value) + absDot(h, ff.tangent.tangent);
  for (const l of leaves) {
    rhs += dot(leafEntry(gradX, l), leafEntry(v, l)) + dot(leafEntry(ct.slice(n), l), leafEntry(w, l));
    scale += absDot(leafEntry(gradX, l), leafEntry(v, l)) + absDot(leafEntry(ct.slice(n), l), leafEntry(w, l));
  }
  if (!close(lhs, rhs, idTol, scale)) throw new Error(`${name}: forward over forward gives ${lhs}, reverse over forward ${rhs}`);
  return { probes };
}
