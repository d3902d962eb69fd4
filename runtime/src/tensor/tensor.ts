// The Tensor type: an immutable n-dimensional array with a shape and a dtype. Ops are functions in
// ../ops (also installed as methods by ../ops/methods.ts); this file holds only the data and the
// ways to read it back.

import { CotangentError } from "../errors.js";
import { type DType, type TensorData } from "./dtype.js";
import { fmtShape, sizeOf, type Shape } from "./shape.js";

/** Nested arrays of numbers, as `arraySync()` returns them. */
export type NestedArray = number | NestedArray[];

/**
 * How run-time tangent arithmetic (`zerosLike`, `accumulate`, … in ../ad/tangent.ts) treats a
 * value whose prototype has this key: as one leaf with its own tangent type, not field by field.
 * A symbol shared by every loaded copy of the runtime.
 */
export const TANGENT_SPACE = Symbol.for("@cotangent/runtime.tangentSpace");

/** What a value with {@link TANGENT_SPACE} provides. */
export interface TangentSpace {
  /** A concrete zero tangent of `primal` (tangent arithmetic uses the symbolic zero `null` instead where it can). */
  zero(primal: unknown): unknown;
  add(a: unknown, b: unknown): unknown;
  scale(v: unknown, s: number): unknown;
  /** The cotangent 1 of a one-element value (what `gradient` seeds with), or undefined when it has more elements. */
  one?(primal: unknown): unknown;
  /** Throws CT3008 (with `what` in the message) unless `tangent` fits `primal`. */
  check(primal: unknown, tangent: unknown, what: string): void;
}

let nextId = 1;

/**
 * An immutable n-dimensional array. `shape` lists the dimensions (row-major), `dtype` the element
 * type. Create tensors with `tensor`, `zeros`, `ones`, `randomNormal`, …; read them back with
 * `await t.data()` (any backend) or `t.dataSync()`, `t.arraySync()`, `t.item()` (CPU).
 *
 * A Tensor is Differentiable and is its own tangent type; `null` stands for a zero tangent of any
 * shape inside generated code.
 *
 * @example
 * const t = tensor([[1, 2], [3, 4]]);
 * t.shape; // [2, 2]
 * t.add(1).arraySync(); // [[2, 3], [4, 5]]
 */
export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly size: number;
  /** A number unique to this tensor in this process (for debugging and caches). */
  readonly id: number;
  /**
   * The elements, row-major, on the CPU. Owned by the tensor: never write into it.
   * @internal
   */
  readonly values: TensorData;

  /** @internal Use `tensor(...)` and the other creation functions. */
  constructor(values: TensorData, shape: Shape, dtype: DType) {
    const size = sizeOf(shape);
    if (values.length !== size)
      throw new CotangentError("CT3005", `Tensor: ${values.length} values do not fill shape ${fmtShape(shape)} (${size} elements).`);
    this.values = values;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = size;
    this.id = nextId++;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A copy of the elements, row-major. Works on every backend. */
  async data(): Promise<TensorData> {
    return this.values.slice();
  }

  /** A copy of the elements, row-major. Synchronous: CPU tensors only. */
  dataSync(): TensorData {
    return this.values.slice();
  }

  /** The elements as nested arrays (a number for a scalar). Synchronous: CPU tensors only. */
  arraySync(): NestedArray {
    const v = this.values;
    const shape = this.shape;
    if (shape.length === 0) return v[0]!;
    let pos = 0;
    const build = (dim: number): NestedArray[] => {
      const out: NestedArray[] = new Array(shape[dim]!);
      for (let i = 0; i < shape[dim]!; i++) out[i] = dim === shape.length - 1 ? v[pos++]! : build(dim + 1);
      return out;
    };
    return build(0);
  }

  /** The only element of a one-element tensor, as a number. Synchronous: CPU tensors only. */
  item(): number {
    if (this.size !== 1)
      throw new CotangentError("CT3005", `item: the tensor has shape ${fmtShape(this.shape)} (${this.size} elements); item() needs exactly one.`);
    return this.values[0]!;
  }

  toString(): string {
    const preview = Array.from(this.values.subarray(0, 8), (x) => +x.toPrecision(6)).join(", ");
    return `Tensor(${this.dtype} ${fmtShape(this.shape)}: ${preview}${this.size > 8 ? ", …" : ""})`;
  }
}

/** True for a Tensor (of any loaded copy of the runtime). */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
