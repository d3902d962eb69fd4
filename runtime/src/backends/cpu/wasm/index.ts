// WebAssembly SIMD kernels for the CPU backend: float32 matmul and a fused Adam update.
//
// The kernels (kernels.wat, assembled into kernels.generated.ts by scripts/build-wasm.mjs) work on
// their module's own linear memory: each call copies its operands in, runs, and copies the result
// out (O(n^2) copies around O(n^3) work for matmul). The memory grows to the largest call seen and
// is reused, so repeated calls of one size allocate nothing.
//
// Browser-safe: no Node imports; the module is small, so it is compiled synchronously on first use.

import { KERNELS_WASM_BASE64 } from "./kernels.generated.js";

// The few WebAssembly and base64 globals used here, typed locally: they exist in browsers and in
// Node alike, and the runtime's types must not require the DOM library of the project using it.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const host = globalThis as { WebAssembly?: WasmApi; atob?: (text: string) => string };

/** The exports of kernels.wat. Pointers and strides are in bytes. */
interface KernelExports {
  readonly memory: WasmMemory;
  matmul_workspace_bytes(m: number, k: number, n: number): number;
  matmul_f32(a: number, b: number, c: number, m: number, k: number, n: number,
             aRowStride: number, aColStride: number, bRowStride: number, bColStride: number, work: number): void;
  adam_f32(param: number, grad: number, m: number, v: number, length: number,
           lr: number, beta1: number, beta2: number, eps: number, c1: number, c2: number): void;
}

const WASM_PAGE_BYTES = 65536;
/** A 32-bit WebAssembly memory holds at most 65536 pages. */
const MAX_MEMORY_BYTES = 65536 * WASM_PAGE_BYTES;

/** undefined: not tried yet; null: unavailable (no WebAssembly, no SIMD, or instantiation failed). */
let kernels: KernelExports | null | undefined;
/** Float32 view of the kernels' memory; replaced when the memory grows (growing detaches the buffer). */
let heap: Float32Array | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = host.atob!(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function loadKernels(): KernelExports | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  try {
    const wasm = host.WebAssembly;
    if (typeof wasm !== "object" || typeof host.atob !== "function") return null;
    const bytes = decodeBase64(KERNELS_WASM_BASE64);
    // Engines without SIMD reject the module here rather than throwing later.
    if (!wasm.validate(bytes)) return null;
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    kernels = instance.exports as unknown as KernelExports;
  } catch {
    kernels = null;
  }
  return kernels;
}

/** True when WebAssembly SIMD is available and the kernels loaded. */
export function wasmKernelsAvailable(): boolean {
  return loadKernels() !== null;
}

function requireKernels(): KernelExports {
  const k = loadKernels();
  if (k === null) throw new Error("WebAssembly SIMD kernels are not available in this environment");
  return k;
}

/** Grows the kernels' memory to at least `bytes` and returns a current Float32 view of it. */
function heapOf(k: KernelExports, bytes: number): Float32Array {
  if (bytes > MAX_MEMORY_BYTES) {
    throw new RangeError(`WebAssembly kernels: ${bytes} bytes of operands exceed the 4 GiB memory limit`);
  }
  const current = k.memory.buffer.byteLength;
  if (bytes > current) k.memory.grow(Math.ceil((bytes - current) / WASM_PAGE_BYTES));
  if (heap === undefined || heap.buffer !== k.memory.buffer) heap = new Float32Array(k.memory.buffer);
  return heap;
}

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

function checkLength(name: string, array: Float32Array, needed: number): void {
  if (array.length < needed) throw new RangeError(`${name} has ${array.length} elements, needs at least ${needed}`);
}

/**
 * out[b] = op(A[b]) @ op(B[b]) for b in 0..batch-1, float32, row-major.
 * op(A) is m×k (A stored k×m when transposeA), op(B) is k×n (B stored n×k when transposeB).
 * aBatchStride / bBatchStride: elements between consecutive batch matrices (0 = broadcast the same matrix).
 * out has batch*m*n elements, written (not accumulated).
 */
export function matmulF32(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number,
                          transposeA: boolean, transposeB: boolean, aBatchStride: number, bBatchStride: number): void {
  checkCount("batch", batch);
  checkCount("m", m);
  checkCount("k", k);
  checkCount("n", n);
  checkCount("aBatchStride", aBatchStride);
  checkCount("bBatchStride", bBatchStride);
  const aSize = m * k, bSize = k * n, outSize = batch * m * n;
  if (batch > 0) {
    if (aSize > 0) checkLength("a", a, (batch - 1) * aBatchStride + aSize);
    if (bSize > 0) checkLength("b", b, (batch - 1) * bBatchStride + bSize);
  }
  checkLength("out", out, outSize);
  if (outSize === 0) return;
  if (k === 0) {
    out.fill(0, 0, outSize);
    return;
  }
  const kern = requireKernels();

  // Copy each distinct A and B matrix once, contiguously (a broadcast one only once).
  const aCount = aBatchStride === 0 ? 1 : batch;
  const bCount = bBatchStride === 0 ? 1 : batch;
  // A shared B with a row-major A is one (batch·m) × k product: the A copies are stacked.
  const foldBatch = bCount === 1 && aCount === batch && !transposeA;
  // Both shared: every batch entry is the same product, computed once.
  const calls = foldBatch || (aCount === 1 && bCount === 1) ? 1 : batch;
  const rows = foldBatch ? batch * m : m;

  const work = 0;
  const aPtr = align16(work + kern.matmul_workspace_bytes(rows, k, n));
  const bPtr = align16(aPtr + aCount * aSize * 4);
  const cPtr = align16(bPtr + bCount * bSize * 4);
  const mem = heapOf(kern, cPtr + calls * rows * n * 4);

  for (let i = 0; i < aCount; i++) mem.set(a.subarray(i * aBatchStride, i * aBatchStride + aSize), aPtr / 4 + i * aSize);
  for (let i = 0; i < bCount; i++) mem.set(b.subarray(i * bBatchStride, i * bBatchStride + bSize), bPtr / 4 + i * bSize);

  // Element strides in bytes: op(A)(i, p) at i*aRow + p*aCol, op(B)(p, j) at p*bRow + j*bCol.
  const aRow = transposeA ? 4 : 4 * k, aCol = transposeA ? 4 * m : 4;
  const bRow = transposeB ? 4 : 4 * n, bCol = transposeB ? 4 * k : 4;
  for (let i = 0; i < calls; i++) {
    kern.matmul_f32(
      aPtr + (aCount === 1 ? 0 : i * aSize * 4), bPtr + (bCount === 1 ? 0 : i * bSize * 4), cPtr + i * m * n * 4,
      rows, k, n, aRow, aCol, bRow, bCol, work);
  }
  const computed = mem.subarray(cPtr / 4, cPtr / 4 + calls * rows * n);
  for (let at = 0; at < outSize; at += computed.length) out.set(computed, at);
}

/**
 * In-place Adam step on float32 arrays of equal length: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²;
 * p -= lr * mhat / (sqrt(vhat) + eps), with mhat = m / c1, vhat = v / c2 and the bias corrections
 * c1 = 1 - b1^t, c2 = 1 - b2^t passed in.
 */
export function adamUpdateF32(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array,
                              lr: number, beta1: number, beta2: number, eps: number, c1: number, c2: number): void {
  const length = param.length;
  if (grad.length !== length || m.length !== length || v.length !== length) {
    throw new RangeError(`adamUpdateF32: arrays must have equal lengths (param ${length}, grad ${grad.length}, m ${m.length}, v ${v.length})`);
  }
  if (length === 0) return;
  const kern = requireKernels();
  const bytes = align16(length * 4);
  const paramPtr = 0, gradPtr = bytes, mPtr = 2 * bytes, vPtr = 3 * bytes;
  const mem = heapOf(kern, 4 * bytes);
  mem.set(param, paramPtr / 4);
  mem.set(grad, gradPtr / 4);
  mem.set(m, mPtr / 4);
  mem.set(v, vPtr / 4);
  kern.adam_f32(paramPtr, gradPtr, mPtr, vPtr, length, lr, beta1, beta2, eps, c1, c2);
  param.set(mem.subarray(paramPtr / 4, paramPtr / 4 + length));
  m.set(mem.subarray(mPtr / 4, mPtr / 4 + length));
  v.set(mem.subarray(vPtr / 4, vPtr / 4 + length));
}
