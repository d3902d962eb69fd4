// Numeric checks for derivatives: finite differences in float64, forward vs reverse
// consistency, second derivatives. Values are trees of numbers (nested arrays / plain
// objects), flattened in a fixed order (arrays by index, objects by insertion order).

export type Tree = number | Tree[] | { [key: string]: Tree };

export const DEFAULT_TOL = 1e-6;

// ---------------------------------------------------------------------------------------------
// Trees

export function isTree(v: unknown): v is Tree {
  if (typeof v === "number") return true;
  if (Array.isArray(v)) return v.every(isTree);
  if (v !== null && typeof v === "object") return Object.values(v).every(isTree);
  return false;
}

export function flatten(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (Array.isArray(v)) for (const e of v) flatten(e, out);
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) flatten((v as any)[k], out);
  else throw new TypeError(`flatten: not a number tree: ${describe(v)}`);
  return out;
}

/** Rebuilds a tree of `template`'s shape from `flat` (consumed from `offset`). */
export function unflatten<T>(template: T, flat: readonly number[]): T {
  let i = 0;
  const build = (t: unknown): unknown => {
    if (typeof t === "number") {
      if (i >= flat.length) throw new RangeError("unflatten: too few numbers");
      return flat[i++];
    }
    if (Array.isArray(t)) return t.map(build);
    if (t !== null && typeof t === "object") {
      // Class instances stay instances (their getters and methods are part of the input).
      const o: Record<string, unknown> = Object.create(Object.getPrototypeOf(t));
      for (const k of Object.keys(t)) o[k] = build((t as any)[k]);
      return o;
    }
    throw new TypeError(`unflatten: not a number tree: ${describe(t)}`);
  };
  const r = build(template);
  if (i !== flat.length) throw new RangeError(`unflatten: ${flat.length - i} numbers left over`);
  return r as T;
}

export function deepClone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deepClone) as any;
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = Object.create(Object.getPrototypeOf(v));
    for (const k of Object.keys(v)) o[k] = deepClone((v as any)[k]);
    return o as T;
  }
  return v;
}

/** Same structure (array lengths, object keys) and all leaves numbers. */
export function sameShape(a: unknown, b: unknown): boolean {
  if (typeof a === "number" || typeof b === "number") return typeof a === "number" && typeof b === "number";
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameShape(x, b[i]));
  }
  if (a !== null && typeof a === "object" && b !== null && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameShape((a as any)[k], (b as any)[k]));
  }
  return false;
}

export function dot(a: unknown, b: unknown): number {
  const fa = flatten(a);
  const fb = flatten(b);
  if (fa.length !== fb.length) throw new RangeError(`dot: sizes differ (${fa.length} vs ${fb.length})`);
  let s = 0;
  for (let i = 0; i < fa.length; i++) s += fa[i]! * fb[i]!;
  return s;
}

export function scale(v: Tree, c: number): Tree {
  return unflatten(v, flatten(v).map((x) => x * c));
}

export function describe(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x));
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Random numbers (seeded, reproducible)

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tree shaped like `template` with entries uniform in [-1, 1). */
export function randomLike<T>(template: T, rng: () => number): T {
  return unflatten(template, flatten(template).map(() => 2 * rng() - 1));
}

// ---------------------------------------------------------------------------------------------
// Comparison

export function close(a: number, b: number, tol = DEFAULT_TOL): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

export interface Comparison {
  ok: boolean;
  /** Human-readable reason when !ok. */
  message: string;
  maxError: number;
}

/** Compares two trees leaf by leaf: same shape and |a-b| <= tol * max(1, |a|, |b|). */
export function compareTrees(actual: unknown, expected: unknown, tol = DEFAULT_TOL): Comparison {
  if (!isTree(actual)) return { ok: false, message: `actual is not a number tree: ${describe(actual)}`, maxError: Infinity };
  if (!isTree(expected)) return { ok: false, message: `expected is not a number tree: ${describe(expected)}`, maxError: Infinity };
  if (!sameShape(actual, expected)) {
    return { ok: false, message: `shape differs: actual ${describe(actual)}, expected ${describe(expected)}`, maxError: Infinity };
  }
  const fa = flatten(actual);
  const fe = flatten(expected);
  let maxError = 0;
  const bad: string[] = [];
  for (let i = 0; i < fa.length; i++) {
    const a = fa[i]!;
    const e = fe[i]!;
    const err = Math.abs(a - e) / Math.max(1, Math.abs(a), Math.abs(e));
    maxError = Math.max(maxError, Number.isNaN(err) ? Infinity : err);
    if (!close(a, e, tol)) bad.push(`[${i}] ${a} vs ${e}`);
  }
  return {
    ok: bad.length === 0,
    message: bad.length ? `actual ${describe(actual)}\nexpected ${describe(expected)}\nmismatches (actual vs expected): ${bad.slice(0, 8).join(", ")}` : "",
    maxError,
  };
}

/** Throws an Error with `context` when the comparison fails (for use inside tests). */
export function assertClose(actual: unknown, expected: unknown, context: string, tol = DEFAULT_TOL): void {
  const c = compareTrees(actual, expected, tol);
  if (!c.ok) throw new Error(`${context}\n${c.message}\n(relative tolerance ${tol})`);
}

// ---------------------------------------------------------------------------------------------
// Finite differences

export function fdStep(x: number): number {
  return 1e-6 * Math.max(1, Math.abs(x));
}

/** Central-difference derivative of a scalar function of one number. */
export function finiteDifferenceDerivative(f: (x: number) => number, x: number): number {
  const h = fdStep(x);
  const xp = x + h;
  const xm = x - h;
  return (f(xp) - f(xm)) / (xp - xm);
}

/**
 * Central-difference gradient of a number-valued `f` with respect to the parameters `wrt`
 * (default: all). Follows the `gradient` convention: one differentiated parameter → its
 * gradient (same shape as the argument); several → an array of them.
 * Arguments are deep-cloned before every call, so `f` may mutate them.
 */
export function finiteDifferenceGradient(f: (...args: any[]) => number, args: readonly unknown[], wrt?: readonly number[]): Tree | Tree[] {
  const indices = wrt ?? args.map((_, i) => i);
  const grads = indices.map((p) => {
    const flat = flatten(args[p]);
    const g = flat.map((x, k) => {
      const h = fdStep(x);
      const at = (v: number) => {
        const a = deepClone(args as unknown[]);
        const pf = flat.slice();
        pf[k] = v;
        a[p] = typeof args[p] === "number" ? v : unflatten(args[p], pf);
        const y = f(...a);
        if (typeof y !== "number") throw new TypeError(`finite differences: f returned ${describe(y)}`);
        return y;
      };
      const xp = x + h;
      const xm = x - h;
      return (at(xp) - at(xm)) / (xp - xm);
    });
    return typeof args[p] === "number" ? g[0]! : unflatten(args[p] as Tree, g);
  });
  return indices.length === 1 ? grads[0]! : grads;
}

/** The per-parameter list of a `gradient` result (one param → [g]). */
export function gradientParts(g: unknown, count: number): unknown[] {
  if (count === 1) return [g];
  if (!Array.isArray(g) || g.length !== count) throw new TypeError(`expected an array of ${count} gradients, got ${describe(g)}`);
  return g;
}

// ---------------------------------------------------------------------------------------------
// Forward vs reverse

export interface ForwardReverse {
  /** differential(f)(...args)(...u) */
  forward: number;
  /** Σ ⟨gradient_i, u_i⟩ */
  reverse: number;
  tangents: Tree[];
}

/**
 * For number-valued f: directional derivative from forward mode vs the inner product of the
 * reverse-mode gradient with the same random direction u (one tangent per differentiated param).
 */
export function forwardVsReverse(
  differentialAt: (...args: any[]) => (...tangents: any[]) => unknown,
  gradientAt: (...args: any[]) => unknown,
  args: readonly unknown[],
  wrt: readonly number[],
  rng: () => number,
): ForwardReverse {
  const tangents = wrt.map((p) => randomLike(args[p] as Tree, rng));
  const df = differentialAt(...deepClone(args as unknown[]));
  const forward = df(...deepClone(tangents));
  if (typeof forward !== "number") throw new TypeError(`differential returned a non-number tangent: ${describe(forward)}`);
  const parts = gradientParts(gradientAt(...deepClone(args as unknown[])), wrt.length);
  let reverse = 0;
  parts.forEach((g, i) => (reverse += dot(g, tangents[i])));
  return { forward, reverse, tangents };
}

// ---------------------------------------------------------------------------------------------
// Self-check helpers (used by the harness's own tests)

/** A numerically nasty but smooth scalar function with a known derivative, for testing FD. */
export const referenceFunctions: { name: string; f: (x: number) => number; df: (x: number) => number; x: number }[] = [
  { name: "sin", f: Math.sin, df: Math.cos, x: 0.7 },
  { name: "exp", f: Math.exp, df: Math.exp, x: 3.2 },
  { name: "x^5", f: (x) => x ** 5, df: (x) => 5 * x ** 4, x: -1.7 },
  { name: "log", f: Math.log, df: (x) => 1 / x, x: 0.05 },
  { name: "big", f: (x) => 1e4 * Math.sin(x), df: (x) => 1e4 * Math.cos(x), x: 123.4 },
];
