/// <reference types="@webgpu/types" />
// The dispatch helper every WebGPU kernel file uses: a kernel is a WGSL compute shader (`Program`)
// run over tensors bound in order, plus an optional uniform block.
//
// Binding convention (layout "auto", @group(0)):
//   binding i (i < tensors.length)  tensors[i]: `var<storage, read>` for inputs, `var<storage, read_write>`
//                                   for the last one, the output (adam also writes m and v in place)
//   binding tensors.length          the uniform block, when `uniforms` is given
// Every declared binding must be used by the shader (layout "auto" drops unused ones, and the bind
// group would then not match). A tensor's binding covers exactly its elements, so `arrayLength(&x)`
// is its element count (1 for an empty tensor: bindings cannot be empty).
//
// Pipelines are compiled once per `key`. Compile errors arrive asynchronously in WebGPU: the first
// dispatches of each key run inside validation error scopes, and what they catch is thrown as
// CotangentError CT3009 (naming the op and quoting the WGSL message) at the next dispatch or read,
// which `await t.data()` always reaches. Dispatches are recorded and submitted in batches
// (context.ts); nothing here awaits.

import { CotangentError } from "../../errors.js";
import { sizeOf as sizeOfShape, type Shape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { commandEncoder, flush, gpu, recorded, rememberError, setOpInFlight, trackScope, type GpuContext } from "./context.js";
import { newTensor, storageOf } from "./storage.js";

export interface Program {
  /** Unique cache key: the same key must always mean the same code. */
  key: string;
  /** WGSL with `@compute fn main`. */
  code: string;
}

/** Allocates an output tensor (uninitialized, pooled buffer). float32 or int32. */
export function gpuTensor(shape: readonly number[], dtype: "float32" | "int32"): Tensor {
  return newTensor(shape as Shape, dtype, "gpuTensor");
}

/** The GPUBuffer holding t's elements (it may be larger than t: use t.size, not the buffer's size). */
export function bufferOf(t: Tensor, opName = "kernel"): GPUBuffer {
  return storageOf(t, opName).buffer;
}

/**
 * Checks that every tensor is a live WebGPU tensor on the current device (CT3009 otherwise). Kernels
 * call it before allocating their output, so a bad input does not strand a fresh buffer.
 */
export function checkInputs(opName: string, ...tensors: Tensor[]): void {
  for (const t of tensors) storageOf(t, opName);
}

interface CachedPipeline {
  pipeline: GPUComputePipeline;
  /** Dispatches left to run inside an error scope. */
  checksLeft: number;
  /** Set when compiling or binding failed. */
  error: CotangentError | null;
}

const pipelines = new Map<string, CachedPipeline>();
let pipelinesGeneration = -1;

function pipelineFor(c: GpuContext, program: Program, opName: string): CachedPipeline {
  if (pipelinesGeneration !== c.generation) {
    pipelines.clear();
    uniformCache.clear();
    pipelinesGeneration = c.generation;
  }
  const hit = pipelines.get(program.key);
  if (hit) {
    if (hit.error) throw hit.error;
    return hit;
  }
  const device = c.device;
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code: program.code, label: program.key });
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: program.key });
  const entry: CachedPipeline = { pipeline, checksLeft: 2, error: null };
  pipelines.set(program.key, entry);
  trackScope(
    device.popErrorScope().then(async (err) => {
      if (!err) return;
      let detail = err.message.trim();
      try {
        const info = await module.getCompilationInfo();
        const lines = info.messages.filter((m) => m.type === "error").map((m) => `line ${m.lineNum}:${m.linePos}: ${m.message}`);
        if (lines.length > 0) detail = lines.join("; ");
      } catch {
        // keep the validation message
      }
      entry.error = new CotangentError("CT3009", `webgpu ${opName}: the kernel "${program.key}" failed to compile: ${detail}`);
      rememberError(entry.error);
    }),
  );
  return entry;
}

// Uniform blocks are immutable GPU buffers cached by content: the same shapes give the same block,
// so a training loop creates none in steady state, and a cached block is never rewritten while
// recorded commands still read it.
const uniformCache = new Map<string, GPUBuffer>();
const UNIFORM_CACHE_SIZE = 1024;

function uniformBuffer(c: GpuContext, data: ArrayBuffer): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const words = new Uint32Array(size / 4);
  words.set(new Uint32Array(data, 0, data.byteLength >> 2));
  const key = words.join(",");
  const hit = uniformCache.get(key);
  if (hit) {
    uniformCache.delete(key);
    uniformCache.set(key, hit);
    return hit;
  }
  const buffer = c.device.createBuffer({ size, usage: 0x0040 /* UNIFORM */, mappedAtCreation: true });
  new Uint32Array(buffer.getMappedRange()).set(words);
  buffer.unmap();
  uniformCache.set(key, buffer);
  if (uniformCache.size > UNIFORM_CACHE_SIZE) {
    const [oldKey, old] = uniformCache.entries().next().value as [string, GPUBuffer];
    uniformCache.delete(oldKey);
    flush(); // recorded commands may still bind it; destroy() waits for submitted work
    old.destroy();
  }
  return buffer;
}

/** How many compute dispatches this process recorded (tests and the benchmark count work with it). @internal */
export const dispatchCounter = { dispatches: 0 };

/**
 * Runs `program` with bindings in @group(0): binding i = tensors[i] (storage; the LAST one is the output,
 * read_write; the others read-only), then, when `uniforms` is given, one uniform buffer at binding tensors.length.
 * workgroups: [x, y?, z?] (split x over y automatically when it exceeds maxComputeWorkgroupsPerDimension is NOT done: callers pass valid counts).
 */
export function dispatch(
  program: Program,
  tensors: readonly Tensor[],
  uniforms: ArrayBuffer | null,
  workgroups: readonly [number, number?, number?],
  opName: string,
): void {
  const c = gpu(opName);
  setOpInFlight(opName);
  const entry = pipelineFor(c, program, opName);
  const entries: GPUBindGroupEntry[] = tensors.map((t, i) => {
    const s = storageOf(t, opName);
    return { binding: i, resource: { buffer: s.buffer, offset: 0, size: Math.max(s.byteSize, 4) } };
  });
  if (uniforms) entries.push({ binding: tensors.length, resource: { buffer: uniformBuffer(c, uniforms) } });
  const check = entry.checksLeft > 0;
  if (check) {
    entry.checksLeft--;
    c.device.pushErrorScope("validation");
  }
  const bindGroup = c.device.createBindGroup({ layout: entry.pipeline.getBindGroupLayout(0), entries, label: program.key });
  if (check) {
    trackScope(
      c.device.popErrorScope().then((err) => {
        if (!err || entry.error) return;
        entry.error = new CotangentError("CT3009", `webgpu ${opName}: binding ${tensors.length} tensor(s)${uniforms ? " and a uniform block" : ""} to "${program.key}" failed: ${err.message.trim()}`);
        rememberError(entry.error);
      }),
    );
  }
  const [x, y = 1, z = 1] = workgroups;
  if (x === 0 || y === 0 || z === 0) return;
  dispatchCounter.dispatches++;
  const pass = commandEncoder(c).beginComputePass();
  pass.setPipeline(entry.pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y, z);
  pass.end();
  recorded();
}

/** A uniform block from numbers: u32 / i32 / f32 fields packed in order with 16-byte size rounding. */
export function uniforms(fields: readonly { u32?: number; i32?: number; f32?: number }[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(buf);
  fields.forEach((f, i) => {
    if (f.u32 !== undefined) view.setUint32(i * 4, f.u32, true);
    else if (f.i32 !== undefined) view.setInt32(i * 4, f.i32, true);
    else if (f.f32 !== undefined) view.setFloat32(i * 4, f.f32, true);
    else throw new CotangentError("CT3009", `webgpu uniforms: field ${i} has no u32, i32 or f32 value.`);
  });
  return buf;
}

// ---- helpers for kernel files (additions to the agreed API) -------------------------------------

/** The device's maxComputeWorkgroupsPerDimension (65535 on most devices). */
export function maxWorkgroupsPerDimension(): number {
  return gpu("dispatch").limits.maxComputeWorkgroupsPerDimension;
}

/**
 * Workgroup counts for `count` workgroups of a 1-D kernel: [x, y] with x ≤ the per-dimension limit.
 * Use with {@link LINEAR_INDEX} (which needs the workgroup size) to get the flat invocation index.
 */
export function grid(count: number): [number, number] {
  const max = maxWorkgroupsPerDimension();
  if (count <= max) return [count, 1];
  const y = Math.ceil(count / max);
  return [Math.ceil(count / y), y];
}

/** WGSL expression for the flat invocation index of a 1-D kernel dispatched with {@link grid}; needs
 * `@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u` parameters. */
export function linearIndex(workgroupSize: number): string {
  return `(gid.x + gid.y * nw.x * ${workgroupSize}u)`;
}

/** WGSL helpers shared by kernels: NaN tests that survive fast-math, a NaN constant, and the float → int32 conversion of typed arrays. */
export const WGSL_COMMON = /* wgsl */ `
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// (Through a var: a constant NaN or ∞ is a WGSL compile error.)
fn nanF32() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn infF32() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
// As storing into an Int32Array: truncate toward zero, wrap modulo 2^32, NaN and ±∞ give 0.
fn toI32(x: f32) -> i32 {
  let bits = bitcast<u32>(x) & 0x7fffffffu;
  if (bits >= 0x7f800000u) { return 0; }
  if (abs(x) < 2147483648.0) { return i32(trunc(x)); }
  let r = x - 4294967296.0 * floor(x / 4294967296.0);
  return bitcast<i32>(u32(r));
}
`;

/** A new tensor holding a copy of x (a GPU-side copy recorded with the pending commands). */
export function copyTensor(x: Tensor, opName = "copy"): Tensor {
  const c = gpu(opName);
  const src = storageOf(x, opName);
  const out = newTensor(x.shape, x.dtype, opName);
  if (src.byteSize > 0) {
    setOpInFlight(opName);
    commandEncoder(c).copyBufferToBuffer(src.buffer, 0, storageOf(out, opName).buffer, 0, src.byteSize);
    recorded();
  }
  return out;
}

// Small constants (a loss's unit cotangent, a scale) are copied from immutable source buffers made
// once per value, instead of written by a fill kernel: a copy command, recorded in order with the
// dispatches, with no pipeline and no bind group.
const CONSTANT_ELEMENTS = 16;
const constantSources = new Map<string, GPUBuffer>();
let constantsGeneration = -1;

/** A new tensor of `shape` whose elements have the 32-bit pattern `bits`, when it has at most 16 elements; else null. */
export function smallConstant(shape: Shape, dtype: "float32" | "int32", bits: number, opName = "fill"): Tensor | null {
  const n = sizeOfShape(shape);
  if (n === 0 || n > CONSTANT_ELEMENTS) return null;
  const c = gpu(opName);
  if (constantsGeneration !== c.generation) {
    constantSources.clear();
    constantsGeneration = c.generation;
  }
  const key = `${bits}`;
  let src = constantSources.get(key);
  if (!src) {
    src = c.device.createBuffer({ size: CONSTANT_ELEMENTS * 4, usage: 0x0004 /* COPY_SRC */, mappedAtCreation: true, label: `constant ${bits}` });
    new Uint32Array(src.getMappedRange()).fill(bits);
    src.unmap();
    if (constantSources.size >= 64) {
      const [oldKey, old] = constantSources.entries().next().value as [string, GPUBuffer];
      constantSources.delete(oldKey);
      flush(); // recorded copies may still read it; destroy() waits for submitted work
      old.destroy();
    }
    constantSources.set(key, src);
  }
  const out = newTensor(shape, dtype, opName);
  setOpInFlight(opName);
  commandEncoder(c).copyBufferToBuffer(src, 0, storageOf(out, opName).buffer, 0, n * 4);
  recorded();
  return out;
}

/** A new tensor of zeros (cleared on the GPU). */
export function zerosTensor(shape: Shape, dtype: "float32" | "int32", opName = "zeros"): Tensor {
  const c = gpu(opName);
  const out = newTensor(shape, dtype, opName);
  const s = storageOf(out, opName);
  if (s.byteSize > 0) {
    setOpInFlight(opName);
    commandEncoder(c).clearBuffer(s.buffer, 0, s.byteSize);
    recorded();
  }
  return out;
}
