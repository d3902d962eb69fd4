// The Tensor type: an immutable n-dimensional array with a shape and a dtype. Ops are functions in
// ../ops (also installed as methods by ../ops/methods.ts); this file holds only the data and the
// ways to read it back.

import type { Backend, BackendName } from "../backends/backend.js";
import { backendNamed } from "../backends/registry.js";
import { CotangentError } from "../errors.js";
import { dtypeOfArray, type DType, type TensorData } from "./dtype.js";
import { fmtShape, sizeOf, type Shape } from "./shape.js";

/** Where a tensor's elements live: the backend's own record (CPU: the typed array). */
export interface Storage {
  readonly backend: BackendName;
}

/** The storage of a tensor whose values are in host memory (the CPU's; any backend with `caps.syncRead`). */
export interface CpuStorage extends Storage {
  readonly values: TensorData;
}

/** Whether the values are in host memory, readable synchronously. */
export function isHostStorage(s: Storage): s is CpuStorage {
  return (s as { values?: unknown }).values !== undefined;
}

function isStorage(x: TensorData | Storage): x is Storage {
  return !ArrayBuffer.isView(x);
}

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
  /** The value stands for a number (a number's cotangent still on a GPU): a plain number adds to it. */
  numberLike?: boolean;
}

let nextId = 1;

/** Marks tensors of every loaded copy of the runtime (its ESM and CommonJS builds in one process). */
const TENSOR_BRAND = Symbol.for("@cotangent/runtime.Tensor");

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
  /** @internal Where the elements live (see ../backends). */
  readonly storage: Storage;
  private disposed = false;

  /** @internal Use `tensor(...)` and the other creation functions. A typed array becomes CPU storage the tensor owns. */
  constructor(data: TensorData | Storage, shape: Shape, dtype: DType) {
    const size = sizeOf(shape);
    if (!isStorage(data)) {
      if (data.length !== size)
        throw new CotangentError("CT3005", `Tensor: ${data.length} values do not fill shape ${fmtShape(shape)} (${size} elements).`);
      if (dtypeOfArray(data) !== dtype) throw new CotangentError("CT3005", `Tensor: a ${data.constructor.name} cannot hold ${dtype} elements.`);
      this.storage = { backend: "cpu", values: data } as CpuStorage;
    } else {
      this.storage = data;
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = size;
    this.id = nextId++;
  }

  /** The name of the backend that holds this tensor ("cpu", "webgpu", …). */
  get backendName(): BackendName {
    return this.storage.backend;
  }

  /** @internal The backend object that runs kernels on this tensor. */
  get backend(): Backend {
    return backendNamed(this.storage.backend);
  }

  /**
   * The elements, row-major, on the CPU. Owned by the tensor: never write into it.
   * @internal Kernels of the CPU backend read this; other backends' tensors have none.
   */
  get values(): TensorData {
    this.checkLive("reading it");
    if (!isHostStorage(this.storage))
      throw new CotangentError(
        "CT3009",
        `this ${fmtShape(this.shape)} tensor lives on ${this.storage.backend}, so its values cannot be read synchronously; use await t.data().`,
      );
    return (this.storage as CpuStorage).values;
  }

  /**
   * Frees the tensor's memory now instead of when it is garbage-collected (on WebGPU, its buffer
   * goes back to the pool). Using it afterwards is an error. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!isHostStorage(this.storage)) this.backend.dispose(this);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal */
  checkLive(doing: string): void {
    if (this.disposed) throw new CotangentError("CT3009", `this ${fmtShape(this.shape)} tensor was disposed before ${doing}.`);
  }

  /** `x instanceof Tensor` holds for tensors of any loaded copy of the runtime, not only this one. */
  static [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === "object" && x !== null && (x as { [TENSOR_BRAND]?: boolean })[TENSOR_BRAND] === true;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A copy of the elements, row-major. Works on every backend. */
  async data(): Promise<TensorData> {
    this.checkLive("data()");
    return this.backend.read(this);
  }

  /** A copy of the elements, row-major. Synchronous: CPU tensors only (WebGPU: use `await t.data()`). */
  dataSync(): TensorData {
    this.checkLive("dataSync()");
    return this.backend.readSync(this);
  }

  /** The elements as nested arrays (a number for a scalar). Works on every backend. */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** The elements as nested arrays (a number for a scalar). Synchronous: CPU tensors only (WebGPU: `await t.array()`). */
  arraySync(): NestedArray {
    if (!isHostStorage(this.storage)) throw syncReadError(this, "arraySync()", "await t.array()");
    return nest(this.values, this.shape);
  }

  /** The only element of a one-element tensor, as a number. Synchronous: CPU tensors only (WebGPU: `(await t.data())[0]`). */
  item(): number {
    if (this.size !== 1)
      throw new CotangentError("CT3005", `item: the tensor has shape ${fmtShape(this.shape)} (${this.size} elements); item() needs exactly one.`);
    if (!isHostStorage(this.storage)) throw syncReadError(this, "item()", "(await t.data())[0]");
    return this.values[0]!;
  }

  toString(): string {
    if (!isHostStorage(this.storage) || this.disposed) return `Tensor(${this.dtype} ${fmtShape(this.shape)} on ${this.storage.backend}${this.disposed ? ", disposed" : ""})`;
    const preview = Array.from(this.values.subarray(0, 8), (x) => +x.toPrecision(6)).join(", ");
    return `Tensor(${this.dtype} ${fmtShape(this.shape)}: ${preview}${this.size > 8 ? ", …" : ""})`;
  }
}

function syncReadError(t: Tensor, method: string, instead: string): CotangentError {
  return new CotangentError("CT3009", `${method}: this ${fmtShape(t.shape)} tensor lives on ${t.storage.backend}, which cannot answer synchronously; use ${instead}.`);
}

function nest(v: TensorData, shape: Shape): NestedArray {
  if (shape.length === 0) return v[0]!;
  let pos = 0;
  const build = (dim: number): NestedArray[] => {
    const out: NestedArray[] = new Array(shape[dim]!);
    for (let i = 0; i < shape[dim]!; i++) out[i] = dim === shape.length - 1 ? v[pos++]! : build(dim + 1);
    return out;
  };
  return build(0);
}

Object.defineProperty(Tensor.prototype, TENSOR_BRAND, { value: true });

/** True for a Tensor (of any loaded copy of the runtime). */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
