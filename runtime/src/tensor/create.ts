// Creating tensors: from values, constant fills, ranges and identity matrices.

import { CotangentError } from "../errors.js";
import { allocate, checkDType, dtypeOfArray, type DType, type TensorData } from "./dtype.js";
import { checkShape, fmtShape, sizeOf, type Shape } from "./shape.js";
import { currentBackend } from "../backends/registry.js";
import { Tensor, type NestedArray } from "./tensor.js";

/**
 * A new tensor owning `data`, on the current backend; float64 stays on the CPU when the current
 * backend does not compute in float64 (`caps.float64`).
 * @internal
 */
export function place(data: TensorData, shape: readonly number[], dtype: DType): Tensor {
  const b = currentBackend();
  if (dtype === "float64" && !b.caps.float64) return new Tensor(data, shape, dtype);
  return b.fromValues(data, shape, dtype);
}

/** What `tensor(...)` accepts as values. */
export type TensorValues = number | NestedArray | readonly NestedArray[] | TensorData | ArrayLike<number>;

/** A tensor, or a plain number (a scalar of the other operand's dtype). */
export type TensorLike = Tensor | number;

function fromNested(values: unknown, op: string): { flat: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: number[] = [];
  const walk = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== "number" && typeof v !== "boolean")
        throw new CotangentError("CT3005", `${op}: expected a number at ${path || "the top"}, got ${Array.isArray(v) ? "an array (the nesting is ragged)" : typeof v}.`);
      flat.push(Number(v));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim])
      throw new CotangentError(
        "CT3005",
        `${op}: ragged nested array: ${path || "the top level"} has ${Array.isArray(v) ? v.length : "no"} elements where ${shape[dim]} were expected (shape ${fmtShape(shape)} from the first elements).`,
      );
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, `${path}[${i}]`);
  };
  walk(values, 0, "");
  return { flat, shape };
}

/** Converts numbers into storage of `dtype` (int32 truncates, as Int32Array does). */
function store(dtype: DType, values: ArrayLike<number>): TensorData {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}

/**
 * A tensor from nested arrays, a typed array or a number, with an optional shape (which must
 * hold as many elements) and dtype (default: float32, or the typed array's own dtype).
 *
 * @example
 * tensor([[1, 2], [3, 4]]);              // float32 [2,2]
 * tensor([1, 2, 3, 4], [2, 2], "float64");
 * tensor(new Int32Array([0, 2, 1]));     // int32 [3]
 * tensor(5);                             // float32 scalar (shape [])
 */
export function tensor(values: TensorValues, shape?: readonly number[], dtype?: DType): Tensor {
  const op = "tensor";
  if (dtype !== undefined) checkDType(dtype, op);
  let flat: ArrayLike<number>;
  let inferred: number[];
  const own = dtypeOfArray(values);
  if (typeof values === "number") {
    flat = [values];
    inferred = [];
  } else if (ArrayBuffer.isView(values)) {
    flat = values as unknown as ArrayLike<number>;
    inferred = [flat.length];
  } else if (Array.isArray(values)) {
    const r = fromNested(values, op);
    flat = r.flat;
    inferred = r.shape;
  } else {
    throw new CotangentError("CT3005", `${op}: expected nested arrays of numbers, a typed array or a number, got ${values === null ? "null" : typeof values}.`);
  }
  const finalShape = shape === undefined ? inferred : checkShape(shape, op);
  if (sizeOf(finalShape) !== flat.length)
    throw new CotangentError("CT3005", `${op}: ${flat.length} values cannot have shape ${fmtShape(finalShape)} (${sizeOf(finalShape)} elements).`);
  const d = dtype ?? own ?? "float32";
  // A typed array of the right dtype is copied once (the tensor owns its storage).
  const data = own === d ? (values as TensorData).slice() : store(d, flat);
  return place(data, finalShape, d);
}

/** A scalar or a tensor as a Tensor; numbers become scalars of `dtype`. */
export function toTensor(x: TensorLike, dtype: DType, op: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") return new Tensor(store(dtype, [x]), [], dtype);
  throw new CotangentError("CT3005", `${op}: expected a Tensor or a number, got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with tensor(...))" : typeof x}.`);
}

/** A tensor of `shape` with every element `value`. */
export function full(shape: readonly number[], value: number, dtype: DType = "float32"): Tensor {
  checkShape(shape, "full");
  checkDType(dtype, "full");
  const b = currentBackend();
  if (dtype !== "float64" || b.caps.float64) return b.fill(shape, dtype, value);
  const data = allocate(dtype, sizeOf(shape));
  data.fill(value);
  return new Tensor(data, shape, dtype);
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return full(shape, 0, dtype);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return full(shape, 1, dtype);
}

/** The n×n identity matrix (or n×m with ones on the main diagonal). */
export function eye(n: number, m: number = n, dtype: DType = "float32"): Tensor {
  checkShape([n, m], "eye");
  const data = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return place(data, [n, m], dtype);
}

/**
 * `start, start + step, …` up to but not including `stop` (one argument: `0 … stop-1`).
 *
 * @example
 * arange(4).arraySync();        // [0, 1, 2, 3]
 * arange(1, 2, 0.25).arraySync(); // [1, 1.25, 1.5, 1.75]
 */
export function arange(start: number, stop?: number, step = 1, dtype: DType = "float32"): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new CotangentError("CT3005", `arange: step must be a finite non-zero number, got ${step}.`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return place(data, [n], dtype);
}

/** `count` evenly spaced numbers from `start` to `stop`, both included. */
export function linspace(start: number, stop: number, count: number, dtype: DType = "float32"): Tensor {
  checkShape([count], "linspace");
  const data = allocate(dtype, count);
  const step = count > 1 ? (stop - start) / (count - 1) : 0;
  for (let i = 0; i < count; i++) data[i] = i === count - 1 && count > 1 ? stop : start + i * step;
  return place(data, [count], dtype);
}
