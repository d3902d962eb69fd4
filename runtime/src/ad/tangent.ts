// Tangent and cotangent values of plain JavaScript data, and the arithmetic generated code does on
// them. A tangent mirrors its primal: a number for a number, an array for an array, a plain object
// (same keys) for an object; `null` (or `undefined`) is the symbolic zero of any shape, so zero
// tangents cost nothing. Non-numeric leaves (strings, booleans, functions) have tangent `null`.
// Float32Array/Float64Array (any numeric typed array) tangents are typed arrays of the same kind.

import { CotangentError, describeValue } from "../errors.js";
import { TANGENT_SPACE, type Tensor, type TangentSpace } from "../tensor/tensor.js";
import type { PendingNumber } from "../ops/pending-number.js";

/**
 * A tangent (forward mode) or cotangent (reverse mode) value. `null`/`undefined` is the zero of
 * any shape.
 *
 * @example
 * const t: Tangent = { pos: [1, 0], mass: null };
 */
export type Tangent =
  | number
  | null
  | undefined
  | readonly Tangent[]
  | { readonly [key: string]: Tangent }
  | NumericArray
  | Tensor
  /** A number's cotangent still on a GPU (see ../ops/pending-number.ts). */
  | PendingNumber;

/** Typed arrays that hold numbers (not BigInt64Array). */
export type NumericArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array
  | Uint8ClampedArray;

type Mutable = Record<string, unknown>;

function isNumericArray(v: unknown): v is NumericArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

/**
 * The tangent arithmetic of a value that brings its own (a Tensor: one leaf, immutable, its own
 * tangent type), or undefined for plain data.
 */
function spaceOf(v: unknown): TangentSpace | undefined {
  return typeof v === "object" && v !== null ? ((v as { [TANGENT_SPACE]?: TangentSpace })[TANGENT_SPACE] ?? undefined) : undefined;
}

/** The tangent space of `b` when it stands for a number (a number's pending cotangent), else the CT3008 mismatch. */
function numberLikeSpace(b: unknown, op: string, a: number): TangentSpace {
  const space = spaceOf(b);
  if (space?.numberLike) return space;
  return mismatch(op, a, b);
}

/** Objects whose tangent is fieldwise: everything that is not an array, a typed array, a tensor or a function. */
function isRecord(v: unknown): v is Mutable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && spaceOf(v) === undefined;
}

function mismatch(op: string, a: unknown, b: unknown): never {
  throw new CotangentError(
    "CT3008",
    `${op}: cannot combine tangents of different shapes (${describeValue(a)} and ${describeValue(b)}). ` +
      "A tangent must have the shape of its primal value: check the derivative that produced it.",
  );
}

/**
 * Throws CT3008 unless `tangent` has the shape of `primal` (a number for a number, an array of
 * the same length for an array, fields of the object for an object; `null`/`undefined` is zero
 * of any shape). `what` names it in the message (e.g. "the tangent of argument 1").
 *
 * @example
 * checkTangentShape([1, 2], [0.5, 0.5], "the tangent of xs"); // fine
 * checkTangentShape([1, 2], [0.5], "the tangent of xs"); // CT3008: … has 1 element, expected 2
 */
export function checkTangentShape(primal: unknown, tangent: unknown, what: string, path = ""): void {
  if (tangent === null || tangent === undefined) return;
  const fail = (why: string): never => {
    throw new CotangentError("CT3008", `${what}${path ? ` at ${path}` : ""}: ${why}. A tangent has the shape of its value: a number for a number, an array of the same length for an array, the same fields for an object (null is zero).`);
  };
  if (typeof primal === "number") {
    if (typeof tangent !== "number") fail(`expected a number, got ${describeValue(tangent)}`);
    return;
  }
  const space = spaceOf(primal);
  if (space) {
    space.check(primal, tangent, `${what}${path ? ` at ${path}` : ""}`);
    return;
  }
  if (Array.isArray(primal) || isNumericArray(primal)) {
    const p = primal as ArrayLike<unknown>;
    if (!Array.isArray(tangent) && !isNumericArray(tangent)) fail(`expected an array of ${p.length}, got ${describeValue(tangent)}`);
    const t = tangent as ArrayLike<unknown>;
    if (t.length !== p.length) fail(`has ${t.length} element${t.length === 1 ? "" : "s"}, expected ${p.length}`);
    for (let i = 0; i < p.length; i++) checkTangentShape(p[i], t[i], what, `${path}[${i}]`);
    return;
  }
  if (isRecord(primal)) {
    if (!isRecord(tangent)) fail(`expected an object with the fields of the value, got ${describeValue(tangent)}`);
    for (const key of Object.keys(tangent as object)) {
      if (!(key in (primal as object))) fail(`has a field '${key}' that the value does not have`);
      checkTangentShape((primal as Mutable)[key], (tangent as Mutable)[key], what, `${path}.${key}`);
    }
  }
}

/**
 * The zero tangent of `v`, with `v`'s shape: 0 for a number, an array of zeros for an array, a
 * fieldwise object for an object, and `null` for values without a tangent (null, undefined,
 * booleans, strings, functions, bigints, symbols).
 *
 * @example
 * zerosLike({ x: 3, v: [1, 2], label: "a" }); // { x: 0, v: [0, 0], label: null }
 */
export function zerosLike(v: unknown): Tangent {
  if (typeof v === "number") return 0;
  // A tensor's zero stays symbolic: no zero tensor is allocated just to be added to.
  if (spaceOf(v)) return null;
  if (Array.isArray(v)) return v.map(zerosLike);
  if (isNumericArray(v)) return new (v.constructor as new (n: number) => NumericArray)(v.length);
  if (isRecord(v)) {
    const trap = accessorTrap(v);
    const out: Mutable = trap ? (Object.create(trap) as Mutable) : {};
    for (const key of Object.keys(v)) out[key] = zerosLike(v[key]);
    return out as Tangent;
  }
  return null;
}

/** Per class prototype: the prototype of its instances' zero tangents (null when the class has no accessors). */
const accessorTraps = new WeakMap<object, object | null>();

/**
 * For an instance of a class with getters or setters: a prototype whose accessors of those names
 * throw CT3010. Derivative code reads `db.p` / `bb.p` on the tangent exactly where the function
 * read `b.p`; when p is a getter the build did not inline (a class it could not see), that read
 * would add a tangent for a field that does not exist and miss the getter's own derivative.
 */
function accessorTrap(v: object): object | null {
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto === null || proto === Object.prototype) return null;
  let trap = accessorTraps.get(proto);
  if (trap !== undefined) return trap;
  const owners = new Map<string, string>();
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if ((d.get || d.set) && !owners.has(key)) owners.set(key, (p as { constructor?: { name?: string } }).constructor?.name || "its class");
    }
  }
  trap = null;
  if (owners.size) {
    const t: object = {};
    for (const [key, cls] of owners) {
      const fail = (): never => {
        throw new CotangentError(
          "CT3010",
          `'${key}' is a getter or setter of class ${cls}, used on a value that is differentiated, so its derivative is not known. ` +
            "The build inlines a getter whose body is one `return` when its class is declared in the same module and the object is known to be of it (a parameter or `this` declared as the class, an element of an array of it). " +
            "Move the class into the module, or compute the value from the fields in the differentiable function.",
        );
      };
      Object.defineProperty(t, key, { get: fail, set: fail, enumerable: false });
    }
    trap = t;
  }
  accessorTraps.set(proto, trap);
  return trap;
}

/**
 * `t` as a tangent of `primal` with every symbolic zero made concrete: `null` becomes 0 for a
 * number, zeros for a tensor, and is filled in field by field and element by element. What the
 * operators (gradient, pullback, …) hand to users.
 *
 * @example
 * concreteTangent({ w: tensor([1, 2]), b: 3 }, null); // { w: zeros [2], b: 0 }
 */
export function concreteTangent(primal: unknown, t: unknown): Tangent {
  if (t === null || t === undefined) {
    if (typeof primal === "number") return 0;
    const space = spaceOf(primal);
    if (space) return space.zero(primal) as Tangent;
    if (Array.isArray(primal)) return primal.map((p) => concreteTangent(p, null));
    if (isNumericArray(primal)) return zerosLike(primal);
    if (isRecord(primal)) {
      const out: Mutable = {};
      for (const key of Object.keys(primal)) out[key] = concreteTangent(primal[key], null);
      return out as Tangent;
    }
    return null;
  }
  if (Array.isArray(primal) && Array.isArray(t)) return primal.map((p, i) => concreteTangent(p, t[i]));
  if (isRecord(primal) && isRecord(t)) {
    const out: Mutable = {};
    for (const key of Object.keys(primal)) out[key] = concreteTangent(primal[key], t[key]);
    for (const key of Object.keys(t)) if (!(key in out)) out[key] = t[key];
    return out as Tangent;
  }
  return t as Tangent;
}

/**
 * `a + b` for tangents, without mutating either. `null`/`undefined` are zero; arrays add
 * elementwise (a missing entry is zero, the result has the longer length); objects add fieldwise
 * over the union of keys. When one side is zero the other is returned as is, so the result may
 * share structure with the arguments: do not mutate it (use {@link accumulate} for in-place sums).
 *
 * @example
 * addTangent([1, 2], [10, 20, 30]); // [11, 22, 30]
 * addTangent({ a: 1 }, null);        // { a: 1 } (the same object)
 */
export function addTangent(a: unknown, b: unknown): Tangent {
  if (a === null || a === undefined) return (b ?? null) as Tangent;
  if (b === null || b === undefined) return a as Tangent;
  if (typeof a === "number") {
    if (typeof b !== "number") return numberLikeSpace(b, "addTangent", a).add(b, a) as Tangent;
    return a + b;
  }
  const space = spaceOf(a);
  if (space) return space.add(a, b) as Tangent;
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) mismatch("addTangent", a, b);
    const n = Math.max(a.length, b.length);
    const out = new Array<Tangent>(n);
    for (let i = 0; i < n; i++) out[i] = addTangent(a[i], b[i]);
    return out;
  }
  if (isNumericArray(a)) {
    if (!isNumericArray(b) || b.length !== a.length) mismatch("addTangent", a, b);
    const out = a.slice();
    for (let i = 0; i < out.length; i++) out[i] += b[i]!;
    return out;
  }
  if (isRecord(a)) {
    if (!isRecord(b)) mismatch("addTangent", a, b);
    const out: Mutable = {};
    for (const key of Object.keys(a)) out[key] = addTangent(a[key], b[key]);
    for (const key of Object.keys(b)) if (!(key in out)) out[key] = addTangent(undefined, b[key]);
    return out as Tangent;
  }
  return mismatch("addTangent", a, b);
}

/** A copy of a tangent that shares no arrays or objects with it. */
export function copyTangent(v: unknown): Tangent {
  if (v === undefined) return null;
  if (spaceOf(v)) return v as Tangent; // immutable
  if (Array.isArray(v)) return v.map(copyTangent);
  if (isNumericArray(v)) return v.slice();
  if (isRecord(v)) {
    const out: Mutable = {};
    for (const key of Object.keys(v)) out[key] = copyTangent(v[key]);
    return out as Tangent;
  }
  return v as Tangent;
}

/**
 * Accumulates `b` into `acc` and returns the sum. `acc` belongs to the caller: when it is an
 * array, typed array or object it is updated in place and returned. When `acc` is zero
 * (`null`/`undefined`) the result is a deep copy of `b`, so later in-place accumulation never
 * writes into `b`. `b` is never mutated.
 *
 * @example
 * let bx = null;
 * bx = accumulate(bx, [1, 2]); // a fresh [1, 2]
 * bx = accumulate(bx, [3, 4]); // the same array, now [4, 6]
 */
export function accumulate(acc: unknown, b: unknown): Tangent {
  if (acc === null || acc === undefined) return copyTangent(b);
  if (b === null || b === undefined) return acc as Tangent;
  if (typeof acc === "number") {
    if (typeof b !== "number") return numberLikeSpace(b, "accumulate", acc).add(b, acc) as Tangent;
    return acc + b;
  }
  const space = spaceOf(acc);
  if (space) return space.add(acc, b) as Tangent; // immutable: a new value
  if (Array.isArray(acc)) {
    if (!Array.isArray(b)) mismatch("accumulate", acc, b);
    for (let i = 0; i < b.length; i++) acc[i] = accumulate(acc[i], b[i]);
    return acc as Tangent;
  }
  if (isNumericArray(acc)) {
    if (!isNumericArray(b) || b.length !== acc.length) mismatch("accumulate", acc, b);
    for (let i = 0; i < acc.length; i++) acc[i] += b[i]!;
    return acc;
  }
  if (isRecord(acc)) {
    if (!isRecord(b)) mismatch("accumulate", acc, b);
    for (const key of Object.keys(b)) {
      // A zero for a field the value lacks (an optional field another element has, when an
      // adjoint was reset to the zero of a different element) would add a key the input does not have.
      if (!(key in acc) && isZeroTangent(b[key])) continue;
      acc[key] = accumulate(acc[key], b[key]);
    }
    return acc as Tangent;
  }
  return mismatch("accumulate", acc, b);
}

/** A number 0, or an array or record of them: a cotangent that adds nothing. */
function isZeroTangent(t: unknown): boolean {
  if (t === 0 || t === null || t === undefined) return true;
  if (Array.isArray(t) || isNumericArray(t)) {
    for (let i = 0; i < (t as ArrayLike<unknown>).length; i++) if (!isZeroTangent((t as ArrayLike<unknown>)[i])) return false;
    return true;
  }
  if (isRecord(t)) return Object.keys(t).every((k) => isZeroTangent(t[k]));
  return false;
}

/**
 * The sum of the elements of an array of numbers (`null` counts as zero): the cotangent that
 * `new Array(n).fill(x)` sends back to `x`. Called by generated code.
 *
 * @example
 * sumElements([1, 2, null, 4]); // 7
 */
export function sumElements(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "number") return v;
  const items = v as ArrayLike<unknown>;
  let total = 0;
  for (let i = 0; i < items.length; i++) total += sumElements(items[i]);
  return total;
}

/**
 * `v * s` for a tangent: every number in `v` multiplied by the number `s`; zero stays `null`.
 * Returns a fresh value.
 *
 * @example
 * scaleTangent({ a: [1, 2], b: null }, 3); // { a: [3, 6], b: null }
 */
export function scaleTangent(v: unknown, s: number): Tangent {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v * s;
  const space = spaceOf(v);
  if (space) return space.scale(v, s) as Tangent;
  if (Array.isArray(v)) return v.map((x) => scaleTangent(x, s));
  if (isNumericArray(v)) return v.map((x) => x * s) as NumericArray;
  if (isRecord(v)) {
    const out: Mutable = {};
    for (const key of Object.keys(v)) out[key] = scaleTangent(v[key], s);
    return out as Tangent;
  }
  throw new CotangentError("CT3008", `scaleTangent: ${describeValue(v)} is not a tangent.`);
}

/**
 * Marks a value as a constant of differentiation: the build gives it a zero derivative (the
 * value flows through, its tangent/cotangent is dropped). At run time it returns `x` unchanged.
 *
 * @example
 * const f = differentiable((x: number) => x * withoutDerivative(x));
 * derivative(f)(3); // 3: the second factor is a constant, so f'(x) = x, not 2x
 */
export function withoutDerivative<T>(x: T): T {
  return x;
}

/**
 * The keys `for (const k in o)` visits, in its order (own and inherited enumerable string keys).
 * Generated code loops over them when it lowers a `for…in` in a differentiable function; keys are
 * strings, so they carry no derivative.
 *
 * @example
 * forInKeys({ a: 1, b: 2 }); // ["a", "b"]
 */
export function forInKeys(o: object): string[] {
  const keys: string[] = [];
  for (const k in o) keys.push(k);
  return keys;
}
