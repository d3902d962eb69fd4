// WebGPU kernels that move data: transpose, broadcastTo, slice, pad, concat, gather, scatterAdd,
// oneHot, gatherAt, scatterAddAt. One invocation per output element does the index arithmetic,
// with the shapes and strides in a uniform buffer; the WGSL text is generated for the (merged)
// rank and the element types, so one pipeline serves every shape of that rank.
//
// WGSL has no float atomics, so the adds of scatterAdd are gathers (each output element loops over
// the index list) unless that list is long, and then, like scatterAddAt (whose targets no
// geometry describes), compare-and-swap loops on the bits of the output word (atomic<u32>): the
// order of the adds into one element then varies from run to run (within float32 rounding).
// This module also holds the small helpers the other WebGPU kernel modules share (marked @internal).

import type { DType } from "../../tensor/dtype.js";
import { sizeOf, stridesOf, type Shape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { dispatch, gpuTensor, uniforms, WGSL_COMMON, zerosTensor, type Program } from "./program.js";

// ---- shared helpers (@internal) -------------------------------------------------------------

/** The dtypes a GPU buffer holds. */
export type GpuDType = "float32" | "int32";

/** @internal The GPU dtype of a result (float64 never reaches the GPU backend). */
export function gpuDType(dtype: DType): GpuDType {
  if (dtype === "float64") throw new Error("WebGPU kernels hold float32 and int32 only; float64 stays on the CPU backend.");
  return dtype;
}

/** @internal WGSL element type of a tensor of `dtype`. */
export function wgslType(dtype: DType): "f32" | "i32" {
  return dtype === "int32" ? "i32" : "f32";
}

/**
 * @internal `expr` (of WGSL type `from`, a scalar or with `vec` a vec4) converted to `to`;
 * float → int32 as an Int32Array store does (program.ts's toI32). Needs {@link COMMON}.
 */
export function convert(expr: string, from: string, to: string, vec = false): string {
  if (from === to) return expr;
  if (to === "f32") return vec ? `vec4<f32>(${expr})` : `f32(${expr})`;
  return vec ? `toI32v(${expr})` : `toI32(${expr})`;
}

/** @internal WGSL every kernel here starts with: program.ts's helpers (isNan, toI32, …) and toI32v. */
export const COMMON = `${WGSL_COMMON}fn toI32v(v: vec4<f32>) -> vec4<i32> { return vec4<i32>(toI32(v.x), toI32(v.y), toI32(v.z), toI32(v.w)); }
`;

/** Invocations per workgroup of the one-invocation-per-element kernels. */
export const WG = 256;

/**
 * @internal Workgroups for `n` invocations of WG each, folded into y when x would pass the
 * 65535 limit; the kernel's element index is {@link FLAT_INDEX}.
 */
export function grid(n: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / WG));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/** @internal Entry point of a one-invocation-per-element kernel; its body sees `i` (u32), the element index. */
export const ELEMENT_MAIN = `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;`;

/** @internal A uniform field: name, WGSL scalar type, value. */
export type UField = readonly [name: string, type: "u32" | "i32" | "f32", value: number];

/** @internal The WGSL struct U (all 4-byte scalars, in order) and the binding of `u` at `binding`. */
export function uniformDecl(fields: readonly UField[], binding: number): string {
  return `struct U {\n${fields.map(([n, t]) => `  ${n}: ${t},`).join("\n")}\n}\n@group(0) @binding(${binding}) var<uniform> u: U;\n`;
}

/** @internal The bytes of the fields of {@link uniformDecl}. */
export function uniformData(fields: readonly UField[]): ArrayBuffer {
  return uniforms(fields.map(([, t, v]) => (t === "u32" ? { u32: v } : t === "i32" ? { i32: v } : { f32: v })));
}

/** @internal Storage binding `name` of element type `type` (read-only unless `write`). */
export function storageDecl(binding: number, name: string, type: string, write = false): string {
  return `@group(0) @binding(${binding}) var<storage, ${write ? "read_write" : "read"}> ${name}: array<${type}>;\n`;
}

/** @internal Runs a one-invocation-per-element program over `n` elements (COMMON is prepended to its code). */
export function runElementwise(program: Program, tensors: readonly Tensor[], fields: readonly UField[], n: number, opName: string): void {
  dispatch({ key: program.key, code: COMMON + program.code }, tensors, uniformData(fields), grid(n), opName);
}

/** @internal The bits of `value` as a `dtype` element (a u32 the kernel bitcasts), so NaN and ±∞ pass exactly. */
export function bitsOf(value: number, dtype: GpuDType): number {
  const v = new DataView(new ArrayBuffer(4));
  if (dtype === "int32") v.setInt32(0, value | 0, true);
  else v.setFloat32(0, value, true);
  return v.getUint32(0, true);
}

/** @internal A new `dtype` tensor of `shape` with every element `value`. */
export function fillGpu(shape: Shape, dtype: GpuDType, value: number, opName: string): Tensor {
  if (bitsOf(value, dtype) === 0) return zerosTensor(shape, dtype, opName);
  const out = gpuTensor(shape, dtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const T = wgslType(dtype);
  const fields: UField[] = [
    ["n", "u32", n],
    ["bits", "u32", bitsOf(value, dtype)],
  ];
  const code = `${storageDecl(0, "out", T, true)}${uniformDecl(fields, 1)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  out[i] = bitcast<${T}>(u.bits);
}`;
  runElementwise({ key: `fill:${T}`, code }, [out], fields, n, opName);
  return out;
}

/** @internal Lines of x around `axis`: [outer, len, inner]. */
export function linesOf(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

/** x's elements read as `T` (a conversion when x's own type differs). */
function readAs(x: Tensor, T: string, expr: string): string {
  return convert(expr, wgslType(x.dtype), T);
}

// ---- strided copies: transpose, broadcastTo, slice --------------------------------------------

/**
 * Drops size-1 axes and merges neighbours that a single stride walks, so that e.g. a contiguous
 * slice is one axis. Returns at least one axis.
 */
function simplify(shape: Shape, strides: readonly number[]): { shape: number[]; strides: number[] } {
  const s: number[] = [];
  const st: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = s.length - 1;
    if (last >= 0 && st[last] === strides[d]! * shape[d]!) {
      s[last] *= shape[d]!;
      st[last] = strides[d]!;
    } else {
      s.push(shape[d]!);
      st.push(strides[d]!);
    }
  }
  if (s.length === 0) return { shape: [1], strides: [0] };
  return { shape: s, strides: st };
}

/**
 * out[index] = x[offset + Σ index_d · strides_d] over `shape` (the strides may be 0 or any
 * permutation of x's), converted to `dtype`.
 */
function stridedCopy(x: Tensor, shape: Shape, strides: readonly number[], offset: number, dtype: GpuDType, opName: string): Tensor {
  const out = gpuTensor(shape, dtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const T = wgslType(dtype);
  const sim = simplify(shape, strides);
  const rank = sim.shape.length;
  const fields: UField[] = [
    ["n", "u32", n],
    ["offset", "u32", offset],
  ];
  for (let d = 0; d < rank; d++) fields.push([`d${d}`, "u32", sim.shape[d]!], [`s${d}`, "u32", sim.strides[d]!]);
  let body = "  var r = i;\n  var src = u.offset;\n";
  for (let d = rank - 1; d > 0; d--) body += `  src += (r % u.d${d}) * u.s${d};\n  r = r / u.d${d};\n`;
  body += "  src += r * u.s0;\n";
  const code = `${storageDecl(0, "x", wgslType(x.dtype))}${storageDecl(1, "out", T, true)}${uniformDecl(fields, 2)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
${body}  out[i] = ${readAs(x, T, "x[src]")};
}`;
  runElementwise({ key: `stridedCopy:${rank}:${wgslType(x.dtype)}:${T}`, code }, [x, out], fields, n, opName);
  return out;
}

/** Axes permuted: axis i of the result is axis perm[i] of x. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const xs = stridesOf(x.shape);
  return stridedCopy(
    x,
    perm.map((p) => x.shape[p]!),
    perm.map((p) => xs[p]!),
    0,
    gpuDType(x.dtype),
    "transpose",
  );
}

/** x repeated along size-1 (or missing leading) axes to `shape`. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const xs = stridesOf(x.shape);
  const lead = shape.length - x.shape.length;
  const strides = shape.map((_, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : xs[i - lead]!));
  return stridedCopy(x, shape, strides, 0, gpuDType(x.dtype), "broadcastTo");
}

/** The box `begin … begin + size` of x. */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const xs = stridesOf(x.shape);
  const offset = begin.reduce((s, b, i) => s + b * xs[i]!, 0);
  return stridedCopy(x, size, xs, offset, gpuDType(x.dtype), "slice");
}

// ---- pad, concat ------------------------------------------------------------------------------

/** x placed at `before` inside a tensor of `shape` filled with `value`. */
export function pad(x: Tensor, before: readonly number[], shape: Shape, value: number): Tensor {
  const dtype = gpuDType(x.dtype);
  if (x.size === 0) return fillGpu(shape, dtype, value, "pad");
  const out = gpuTensor(shape, dtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const T = wgslType(dtype);
  const rank = shape.length;
  const xs = stridesOf(x.shape);
  const fields: UField[] = [
    ["n", "u32", n],
    ["bits", "u32", bitsOf(value, dtype)],
  ];
  // Per axis: the output size, where x starts, x's size and stride (axis coordinates as i32 so
  // that positions before the box come out negative).
  for (let d = 0; d < rank; d++) fields.push([`d${d}`, "u32", shape[d]!], [`b${d}`, "i32", before[d]!], [`x${d}`, "i32", x.shape[d]!], [`s${d}`, "u32", xs[d]!]);
  let body = "  var r = i;\n  var src = 0u;\n  var inside = true;\n";
  for (let d = rank - 1; d >= 0; d--) {
    body += `  { let c = i32(r % u.d${d}) - u.b${d}; r = r / u.d${d}; inside = inside && c >= 0 && c < u.x${d}; src += u32(max(c, 0)) * u.s${d}; }\n`;
  }
  const code = `${storageDecl(0, "x", T)}${storageDecl(1, "out", T, true)}${uniformDecl(fields, 2)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
${body}  if (inside) { out[i] = x[src]; } else { out[i] = bitcast<${T}>(u.bits); }
}`;
  runElementwise({ key: `pad:${rank}:${T}`, code }, [x, out], fields, n, "pad");
  return out;
}

/** Tensors (all of `dtype`'s kind after conversion) joined along `axis`. */
export function concat(xs: readonly Tensor[], axis: number, dtype: DType): Tensor {
  const gdt = gpuDType(dtype);
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, t) => s + t.shape[axis]!, 0);
  const out = gpuTensor(shape, gdt);
  const T = wgslType(gdt);
  // Each piece is a box [outer, len_j, inner] of the output [outer, total, inner]: one dispatch
  // per piece writes its elements (the dispatches share the output).
  const [, total, inner] = linesOf(shape, axis);
  let at = 0;
  for (const t of xs) {
    const len = t.shape[axis]!;
    const n = t.size;
    if (n > 0) {
      const fields: UField[] = [
        ["n", "u32", n],
        ["seg", "u32", len * inner],
        ["outSeg", "u32", total * inner],
        ["at", "u32", at * inner],
      ];
      const code = `${storageDecl(0, "x", wgslType(t.dtype))}${storageDecl(1, "out", T, true)}${uniformDecl(fields, 2)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  out[(i / u.seg) * u.outSeg + u.at + i % u.seg] = ${readAs(t, T, "x[i]")};
}`;
      runElementwise({ key: `concatPiece:${wgslType(t.dtype)}:${T}`, code }, [t, out], fields, n, "concat");
    }
    at += len;
  }
  return out;
}

// ---- gather, scatterAdd, oneHot ---------------------------------------------------------------

/** Slices of x along `axis` picked by int32 `indices`: shape x.shape[:axis] + indices.shape + x.shape[axis+1:]. */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  const dtype = gpuDType(x.dtype);
  const out = gpuTensor([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], dtype);
  const n = out.size;
  if (n === 0) return out;
  const T = wgslType(dtype);
  const [, len, inner] = linesOf(x.shape, axis);
  const fields: UField[] = [
    ["n", "u32", n],
    ["inner", "u32", inner],
    ["m", "u32", indices.size],
    ["len", "u32", len],
  ];
  const code = `${storageDecl(0, "x", T)}${storageDecl(1, "idx", "i32")}${storageDecl(2, "out", T, true)}${uniformDecl(fields, 3)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  let r = i % u.inner;
  let t = i / u.inner;
  let j = t % u.m;
  let o = t / u.m;
  out[i] = x[(o * u.len + u32(idx[j])) * u.inner + r];
}`;
  runElementwise({ key: `gather:${T}`, code }, [x, indices, out], fields, n, "gather");
  return out;
}

/**
 * Whether scatterAdd adds with atomics rather than gathering: when every output element would
 * loop over a long index list while few of the indices land on any one row.
 */
function scatterWithAtomics(len: number, m: number): boolean {
  return m > 256 && len >= 64;
}

/** out[target] += v with a compare-and-swap loop on the float's bits (`out` is array<atomic<u32>>), or atomicAdd for i32. */
function atomicAddCode(T: string, target: string, value: string): string {
  if (T === "i32") return `  atomicAdd(&out[${target}], ${value});`;
  return `  let t = ${target};
  let v = ${value};
  var old = atomicLoad(&out[t]);
  loop {
    let r = atomicCompareExchangeWeak(&out[t], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`;
}

/** The transpose of gather: zeros of `shape` with each slice of g added at its index (repeats add up). */
export function scatterAdd(g: Tensor, indices: Tensor, axis: number, shape: Shape): Tensor {
  const dtype = gpuDType(g.dtype);
  const [outer, len, inner] = linesOf(shape, axis);
  const m = indices.size;
  if (sizeOf(shape) === 0) return gpuTensor(shape, dtype);
  if (m === 0 || g.size === 0) return fillGpu(shape, dtype, 0, "scatterAdd");
  const T = wgslType(dtype);
  if (scatterWithAtomics(len, m)) {
    const out = fillGpu(shape, dtype, 0, "scatterAdd");
    const fields: UField[] = [
      ["n", "u32", g.size],
      ["inner", "u32", inner],
      ["m", "u32", m],
      ["len", "u32", len],
    ];
    const code = `${storageDecl(0, "g", T)}${storageDecl(1, "idx", "i32")}${storageDecl(2, "out", T === "i32" ? "atomic<i32>" : "atomic<u32>", true)}${uniformDecl(fields, 3)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  let r = i % u.inner;
  let q = i / u.inner;
  let j = q % u.m;
  let o = q / u.m;
${atomicAddCode(T, "(o * u.len + u32(idx[j])) * u.inner + r", "g[i]")}
}`;
    runElementwise({ key: `scatterAddAtomic:${T}`, code }, [g, indices, out], fields, g.size, "scatterAdd");
    return out;
  }
  // Gather form: output element (o, row, r) sums g[o, j, r] over the j with indices[j] = row.
  const out = gpuTensor(shape, dtype);
  const n = outer * len * inner;
  const fields: UField[] = [
    ["n", "u32", n],
    ["inner", "u32", inner],
    ["m", "u32", m],
    ["len", "u32", len],
  ];
  const code = `${storageDecl(0, "g", T)}${storageDecl(1, "idx", "i32")}${storageDecl(2, "out", T, true)}${uniformDecl(fields, 3)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  let r = i % u.inner;
  let q = i / u.inner;
  let row = i32(q % u.len);
  let base = (q / u.len) * u.m * u.inner + r;
  var acc = ${T}(0);
  for (var j = 0u; j < u.m; j++) {
    if (idx[j] == row) { acc += g[base + j * u.inner]; }
  }
  out[i] = acc;
}`;
  runElementwise({ key: `scatterAddGather:${T}`, code }, [g, indices, out], fields, n, "scatterAdd");
  return out;
}

/** [...indices.shape, depth] with 1 at each (in-range) index. */
export function oneHot(indices: Tensor, depth: number, dtype: DType): Tensor {
  const gdt = gpuDType(dtype);
  const out = gpuTensor([...indices.shape, depth], gdt);
  const n = out.size;
  if (n === 0) return out;
  const T = wgslType(gdt);
  const fields: UField[] = [
    ["n", "u32", n],
    ["depth", "u32", depth],
  ];
  const code = `${storageDecl(0, "idx", "i32")}${storageDecl(1, "out", T, true)}${uniformDecl(fields, 2)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  out[i] = select(${T}(0), ${T}(1), idx[i / u.depth] == i32(i % u.depth));
}`;
  runElementwise({ key: `oneHot:${T}`, code }, [indices, out], fields, n, "oneHot");
  return out;
}

// ---- gatherAt, scatterAddAt (max-pool routing) -------------------------------------------------

/** Values of x at the flat indices `at` (shape of `at`). */
export function gatherAt(x: Tensor, at: Tensor): Tensor {
  const dtype = gpuDType(x.dtype);
  const out = gpuTensor(at.shape, dtype);
  const n = out.size;
  if (n === 0) return out;
  const T = wgslType(dtype);
  const fields: UField[] = [["n", "u32", n]];
  const code = `${storageDecl(0, "x", T)}${storageDecl(1, "at", "i32")}${storageDecl(2, "out", T, true)}${uniformDecl(fields, 3)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  out[i] = x[u32(at[i])];
}`;
  runElementwise({ key: `gatherAt:${T}`, code }, [x, at, out], fields, n, "gatherAt");
  return out;
}

/** Zeros of `shape` with gy[i] added at argmax[i] (the max-pool cotangent). */
export function scatterAddAt(gy: Tensor, argmax: Tensor, shape: Shape): Tensor {
  const dtype = gpuDType(gy.dtype);
  const out = fillGpu(shape, dtype, 0, "scatterAddAt");
  const n = gy.size;
  if (n === 0 || out.size === 0) return out;
  const T = wgslType(dtype);
  const fields: UField[] = [["n", "u32", n]];
  const code = `${storageDecl(0, "gy", T)}${storageDecl(1, "at", "i32")}${storageDecl(2, "out", T === "i32" ? "atomic<i32>" : "atomic<u32>", true)}${uniformDecl(fields, 3)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
${atomicAddCode(T, "u32(at[i])", "gy[i]")}
}`;
  runElementwise({ key: `scatterAddAt:${T}`, code }, [gy, argmax, out], fields, n, "scatterAddAt");
  return out;
}
