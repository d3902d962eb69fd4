/// <reference types="@webgpu/types" />
// WebGPU tensor memory: one GPUBuffer per tensor (float32 or int32 elements, 4 bytes each), taken
// from a pool of freed buffers keyed by size class, so steady-state training creates no buffers.
// A buffer goes back to the pool when its tensor is disposed (t.dispose(), tidy) or garbage-collected
// (FinalizationRegistry). Reshaped tensors share their source's buffer: the buffer is
// reference-counted and freed once, when the last tensor viewing it lets go.

import { CotangentError } from "../../errors.js";
import type { DType, TensorData } from "../../tensor/dtype.js";
import { fmtShape, sizeOf, type Shape } from "../../tensor/shape.js";
import { Tensor, type Storage } from "../../tensor/tensor.js";
import { commandEncoder as commandEncoderFor, currentContext, flush, gpu, lostError, pendingBatch, settleScopes, type GpuContext } from "./context.js";

/** A GPU buffer and the number of tensors using it. */
interface Block {
  readonly buffer: GPUBuffer;
  /** The buffer's size in bytes (its size class). */
  readonly capacity: number;
  /** The device generation the buffer belongs to. */
  readonly generation: number;
  refs: number;
  /** The batch (context.ts) that was being recorded when the buffer was last freed: its commands may still read it. */
  freedInBatch: number;
}

/** A WebGPU tensor's storage. Several storages can view one buffer (reshape). */
export interface WebGpuStorage extends Storage {
  readonly backend: "webgpu";
  readonly buffer: GPUBuffer;
  /** Bytes of the tensor's elements (4 × size); the buffer may be larger. */
  readonly byteSize: number;
  /** @internal */
  readonly block: Block;
  /** @internal Set when this storage has let go of its block. */
  released: boolean;
}

export type GpuDType = "float32" | "int32";

const STORAGE_USAGE = 0x0080 /* STORAGE */ | 0x0004 /* COPY_SRC */ | 0x0008; /* COPY_DST */
const STAGING_USAGE = 0x0001 /* MAP_READ */ | 0x0008; /* COPY_DST */
/** Freed buffers kept for reuse at most (bytes); beyond this they are destroyed. */
const POOL_LIMIT_BYTES = 512 * 1024 * 1024;

/** The size class of a request: powers of two up to 4 KiB, then steps of 1/8 of a power of two (≤ 12.5% waste). */
export function sizeClass(bytes: number): number {
  const n = Math.max(bytes, 16);
  if (n <= 4096) return 2 ** Math.ceil(Math.log2(n));
  const step = 2 ** (Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

const pool = new Map<number, Array<{ buffer: GPUBuffer; freedInBatch: number }>>();
const stagingPool = new Map<number, GPUBuffer[]>();
let poolGeneration = 0;
let liveBuffers = 0;
let liveBytes = 0;
let pooledBuffers = 0;
let pooledBytes = 0;
let createdBuffers = 0;

/** Forgets pooled buffers of an older device. */
function checkGeneration(c: GpuContext): void {
  if (poolGeneration === c.generation) return;
  pool.clear();
  stagingPool.clear();
  pooledBuffers = 0;
  pooledBytes = 0;
  liveBuffers = 0;
  liveBytes = 0;
  poolGeneration = c.generation;
}

function takeBlock(c: GpuContext, bytes: number, op: string): Block {
  checkGeneration(c);
  const capacity = sizeClass(bytes);
  const free = pool.get(capacity)?.pop();
  let buffer: GPUBuffer;
  let freedInBatch = -1;
  if (free) {
    ({ buffer, freedInBatch } = free);
    pooledBuffers--;
    pooledBytes -= capacity;
  } else {
    if (capacity > c.limits.maxBufferSize || capacity > c.limits.maxStorageBufferBindingSize)
      throw new CotangentError(
        "CT3009",
        `webgpu ${op}: a tensor of ${bytes} bytes exceeds this device's limit (maxStorageBufferBindingSize ${c.limits.maxStorageBufferBindingSize}, maxBufferSize ${c.limits.maxBufferSize}).`,
      );
    buffer = c.device.createBuffer({ size: capacity, usage: STORAGE_USAGE });
    createdBuffers++;
  }
  liveBuffers++;
  liveBytes += capacity;
  return { buffer, capacity, generation: c.generation, refs: 1, freedInBatch };
}

function releaseBlock(b: Block): void {
  if (--b.refs > 0) return;
  const c = currentContext();
  if (!c || b.generation !== c.generation) return; // its device is gone
  liveBuffers--;
  liveBytes -= b.capacity;
  if (pooledBytes + b.capacity > POOL_LIMIT_BYTES) {
    flush(); // pending commands may still use it; destroy() waits for submitted work
    b.buffer.destroy();
    return;
  }
  let list = pool.get(b.capacity);
  if (!list) pool.set(b.capacity, (list = []));
  list.push({ buffer: b.buffer, freedInBatch: pendingBatch() });
  pooledBuffers++;
  pooledBytes += b.capacity;
}

/** Lets go of one storage's reference to its buffer (idempotent). */
export function release(s: WebGpuStorage): void {
  if (s.released) return;
  s.released = true;
  collected.unregister(s);
  releaseBlock(s.block);
}

const collected = new FinalizationRegistry<WebGpuStorage>((s) => release(s));

// ---- tidy ----------------------------------------------------------------------------------------

const scopes: Tensor[][] = [];

function track(t: Tensor): Tensor {
  scopes[scopes.length - 1]?.push(t);
  collected.register(t, t.storage as WebGpuStorage, t.storage);
  return t;
}

/** Every tensor inside `v` (arrays, plain objects, Maps and Sets, nested). */
function collectTensors(v: unknown, into: Set<Tensor>, seen: Set<unknown>): void {
  if (v === null || typeof v !== "object" || seen.has(v)) return;
  seen.add(v);
  if (v instanceof Tensor) {
    into.add(v);
    return;
  }
  if (ArrayBuffer.isView(v)) return;
  if (Array.isArray(v) || v instanceof Set) {
    for (const x of v) collectTensors(x, into, seen);
  } else if (v instanceof Map) {
    for (const [k, x] of v) {
      collectTensors(k, into, seen);
      collectTensors(x, into, seen);
    }
  } else {
    for (const k of Object.keys(v)) collectTensors((v as Record<string, unknown>)[k], into, seen);
  }
}

function disposeTensor(t: Tensor): void {
  try {
    t.dispose();
  } catch {
    // The backend is gone (device lost): free what is ours directly.
  }
  if (t.storage.backend === "webgpu") release(t.storage as WebGpuStorage);
}

/**
 * Runs `fn` and then disposes every WebGPU tensor created while it ran, except the ones it returns
 * (a tensor, or tensors anywhere inside returned arrays and objects). Returned tensors belong to
 * the enclosing tidy, if any. `fn` must be synchronous. On the CPU backend it just runs `fn`.
 *
 * @example
 * const loss = tidy(() => model.loss(x, y)); // the intermediate tensors' GPU memory is freed here
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) disposeTensor(t);
    throw e;
  }
  scopes.pop();
  if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
    for (const t of scope) disposeTensor(t);
    throw new CotangentError("CT3009", "tidy(fn): fn returned a Promise; tidy needs a synchronous function (await outside it, or dispose tensors yourself).");
  }
  const keep = new Set<Tensor>();
  collectTensors(result, keep, new Set());
  const outer = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) continue;
    if (keep.has(t)) outer?.push(t);
    else disposeTensor(t);
  }
  return result;
}

/** Tensors that no tidy scope disposes (see keep). */
const kept = new WeakSet<Tensor>();

/**
 * Exempts `t` from every tidy scope, present and enclosing: it lives until `t.dispose()` or
 * garbage collection. For state that outlives the scope it is made in (optimizer moments, caches).
 * Returns `t`.
 *
 * @example
 * this.m = keep(zeros(shape)); // inside optimizer.update, which may run inside tidy
 */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  return t;
}

/** Buffer counts for tests and leak hunting. `liveBuffers`: held by tensors; `pooledBuffers`: freed, kept for reuse. */
export function webgpuMemory(): { liveBuffers: number; pooledBuffers: number; bytes: number; pooledBytes: number; createdBuffers: number } {
  return { liveBuffers, pooledBuffers, bytes: liveBytes, pooledBytes, createdBuffers };
}

// ---- tensors -------------------------------------------------------------------------------------

function checkDType(dtype: DType, op: string): asserts dtype is GpuDType {
  if (dtype !== "float32" && dtype !== "int32")
    throw new CotangentError("CT3009", `webgpu ${op}: float64 tensors stay on the CPU; cast to float32 (x.cast("float32")) before moving to WebGPU.`);
}

/** A new WebGPU tensor with uninitialized (pooled) memory. */
export function newTensor(shape: Shape, dtype: DType, op = "allocate"): Tensor {
  checkDType(dtype, op);
  const c = gpu(op);
  const byteSize = sizeOf(shape) * 4;
  const block = takeBlock(c, byteSize, op);
  const storage: WebGpuStorage = { backend: "webgpu", buffer: block.buffer, byteSize, block, released: false };
  return track(new Tensor(storage, shape, dtype));
}

/** The same buffer viewed with another shape. */
export function reshapeTensor(x: Tensor, shape: Shape): Tensor {
  const s = storageOf(x, "reshape");
  s.block.refs++; // counted as one live buffer however many views share it
  const storage: WebGpuStorage = { backend: "webgpu", buffer: s.buffer, byteSize: s.byteSize, block: s.block, released: false };
  return track(new Tensor(storage, shape, x.dtype));
}

/** x's WebGPU storage, checked: live, on WebGPU, on the current device. */
export function storageOf(x: Tensor, op: string): WebGpuStorage {
  x.checkLive(`webgpu ${op}`);
  if (x.storage.backend !== "webgpu")
    throw new CotangentError("CT3009", `webgpu ${op}: got a tensor on ${x.storage.backend}; ops move CPU tensors to WebGPU first (backends/index.ts moveTo).`);
  const s = x.storage as WebGpuStorage;
  const c = gpu(op);
  if (s.block.generation !== c.generation) throw lostError(op);
  if (s.released) throw new CotangentError("CT3009", `webgpu ${op}: this ${fmtShape(x.shape)} tensor's memory was freed (disposed).`);
  return s;
}

export function fromValues(values: TensorData, shape: Shape, dtype: DType): Tensor {
  checkDType(dtype, "fromValues");
  const t = newTensor(shape, dtype, "fromValues");
  const n = sizeOf(shape);
  if (n === 0) return t;
  let data: Float32Array | Int32Array;
  if (dtype === "float32") data = values instanceof Float32Array ? values : Float32Array.from(values);
  else data = values instanceof Int32Array ? values : Int32Array.from(values);
  const c = gpu("fromValues");
  const s = t.storage as WebGpuStorage;
  // queue.writeBuffer happens before commands not yet submitted: if some of them may still read
  // this pooled buffer's old contents (it was freed while they were being recorded), submit them first.
  if (s.block.freedInBatch !== -1 && s.block.freedInBatch === pendingBatch()) flush();
  c.device.queue.writeBuffer(s.buffer, 0, data.buffer, data.byteOffset, n * 4);
  return t;
}

function takeStaging(c: GpuContext, bytes: number): GPUBuffer {
  checkGeneration(c);
  const capacity = sizeClass(bytes);
  return stagingPool.get(capacity)?.pop() ?? c.device.createBuffer({ size: capacity, usage: STAGING_USAGE });
}

function returnStaging(c: GpuContext, b: GPUBuffer): void {
  if (currentContext() !== c) return;
  let list = stagingPool.get(b.size);
  if (!list) stagingPool.set(b.size, (list = []));
  if (list.length < 4) list.push(b);
  else b.destroy();
}

/** The elements of x, copied back through a mappable staging buffer. */
export async function read(x: Tensor): Promise<TensorData> {
  const s = storageOf(x, "read");
  const out = x.dtype === "int32" ? new Int32Array(x.size) : new Float32Array(x.size);
  const c = gpu("read");
  if (x.size === 0) {
    await settleScopes();
    return out;
  }
  const staging = takeStaging(c, s.byteSize);
  const enc = commandEncoderFor(c);
  enc.copyBufferToBuffer(s.buffer, 0, staging, 0, s.byteSize);
  flush();
  try {
    await staging.mapAsync(0x0001 /* GPUMapMode.READ */, 0, s.byteSize);
  } catch (e) {
    if (currentContext() !== c) throw lostError("read");
    throw new CotangentError("CT3009", `webgpu read: mapping the result failed: ${(e as Error).message}`);
  }
  const mapped = staging.getMappedRange(0, s.byteSize);
  if (x.dtype === "int32") (out as Int32Array).set(new Int32Array(mapped));
  else (out as Float32Array).set(new Float32Array(mapped));
  staging.unmap();
  returnStaging(c, staging);
  await settleScopes();
  return out;
}

export function readSync(x: Tensor): TensorData {
  throw new CotangentError(
    "CT3009",
    `dataSync(): this ${fmtShape(x.shape)} tensor lives on webgpu, which cannot be read synchronously; use await t.data() (or await t.array()).`,
  );
}

export function dispose(x: Tensor): void {
  if (x.storage.backend === "webgpu") release(x.storage as WebGpuStorage);
}
