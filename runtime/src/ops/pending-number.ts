// A number's cotangent that is still on a GPU. A plain number argument of a tensor op (x.mul(s))
// gets the sum of the op's cotangent as its own; on a backend that cannot read synchronously
// (WebGPU) that sum stays a one-element tensor there, and is read once, at the end, by the async
// operators (gradientAsync, valueWithGradientAsync: ../api/operators.ts). Generated code adds and
// scales it like a number (through the tangent helpers, ../ad/tangent.ts: it is a tangent space
// that stands for a number); reading it as a number (arithmetic, a sync operator's result) throws
// CT3009 with the fix, never a wrong value.

import { CotangentError } from "../errors.js";
import { TANGENT_SPACE, type TangentSpace, Tensor } from "../tensor/tensor.js";
import { reshapeTo, scalar } from "./util.js";

const BRAND = Symbol.for("@cotangent/runtime.PendingNumber");

/** How to get the number, for the CT3009 messages. */
const HOW =
  "use the async operators (await gradientAsync(f)(...), await valueWithGradientAsync(f)(...)), which read it once at the end, " +
  "or pass the number as a tensor (tensor(x)), or withoutDerivative(x) if it is a constant";

export class PendingNumber {
  /** The value: a one-element tensor (shape []) on the backend that computed it. */
  readonly tensor: Tensor;
  constructor(tensor: Tensor) {
    this.tensor = tensor;
  }
  /** Reads the number (one read-back). */
  async read(): Promise<number> {
    return (await this.tensor.data())[0]!;
  }
  /** Arithmetic on it (`b += g`, `g * 2`) would need the number now: CT3009. */
  [Symbol.toPrimitive](): never {
    throw new CotangentError(
      "CT3009",
      `the derivative with respect to a plain number argument is a number that a ${this.tensor.backend.name} tensor computed, which cannot be read synchronously; ${HOW}.`,
    );
  }
}
Object.defineProperty(PendingNumber.prototype, BRAND, { value: true });

/** True for a {@link PendingNumber} (of any loaded copy of the runtime). */
export function isPendingNumber(v: unknown): v is PendingNumber {
  return typeof v === "object" && v !== null && (v as { [BRAND]?: unknown })[BRAND] === true;
}

/** The sum of a's and b's values (numbers or pending), as a pending number on a's backend. */
function plus(a: PendingNumber, b: unknown): PendingNumber {
  if (b === null || b === undefined) return a;
  const t = a.tensor;
  const other = isPendingNumber(b) ? b.tensor : typeof b === "number" ? scalar(t.backend, b, t.dtype) : undefined;
  if (!other) throw new CotangentError("CT3008", `addTangent: a number's cotangent cannot be added to ${typeof b}.`);
  return new PendingNumber(t.backend.binary("add", t, other, [], t.dtype));
}

const pendingSpace: TangentSpace = {
  numberLike: true,
  zero: () => 0,
  add: (a, b) => plus(a as PendingNumber, b),
  scale: (v, s) => {
    const t = (v as PendingNumber).tensor;
    return new PendingNumber(t.backend.binary("mul", t, scalar(t.backend, s, t.dtype), [], t.dtype));
  },
  check(_primal, tangent, what) {
    if (tangent !== null && tangent !== undefined && typeof tangent !== "number" && !isPendingNumber(tangent))
      throw new CotangentError("CT3008", `${what}: a number's tangent is a number, got ${typeof tangent}.`);
  },
};
Object.defineProperty(PendingNumber.prototype, TANGENT_SPACE, { value: pendingSpace, enumerable: false });

/** `g` summed to a number: on the host, the number; elsewhere, a {@link PendingNumber}. */
export function sumToNumber(g: Tensor, onHost: boolean): number | PendingNumber {
  if (onHost) {
    let s = 0;
    const v = g.values;
    for (let i = 0; i < v.length; i++) s += v[i]!;
    return s;
  }
  const be = g.backend;
  const all = g.shape.map((_, i) => i);
  const total = all.length ? be.reduce("sum", g, all, g.dtype) : g;
  return new PendingNumber(total.rank !== 0 ? reshapeTo(total, []) : total);
}

/**
 * Throws CT3009 when `v` (an operator's result: a number, or a list or record of results) holds a
 * pending number: a synchronous operator cannot return it.
 */
export function requireNoPending(v: unknown, op: string): void {
  if (isPendingNumber(v)) v[Symbol.toPrimitive]();
  if (Array.isArray(v)) for (const x of v) requireNoPending(x, op);
  else if (typeof v === "object" && v !== null && !(v instanceof Tensor) && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) requireNoPending(x, op);
}

/** `v` with every pending number read (one read-back each, all started at once). */
export async function resolvePending<T>(v: T): Promise<T> {
  if (isPendingNumber(v)) return (await v.read()) as T;
  if (Array.isArray(v)) return (await Promise.all(v.map(resolvePending))) as T;
  if (typeof v === "object" && v !== null && !(v instanceof Tensor) && Object.getPrototypeOf(v) === Object.prototype) {
    const entries = await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await resolvePending(x)] as const));
    return Object.fromEntries(entries) as T;
  }
  return v;
}
