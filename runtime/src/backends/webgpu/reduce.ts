// WebGPU reductions: reduce (sum, max, min over any set of axes) and argReduce.
//
// Every reduction is brought to lines: x viewed as [outer, R, inner] with the R axis reduced.
// Reduced axes that are not neighbours are first moved together to the end by a transpose. Then:
// - inner = 1 and long lines: one workgroup per line (256 invocations stride over it and combine
//   in workgroup memory as a tree);
// - otherwise one invocation per output element walks its line (reads are coalesced across the
//   inner axis).
// When there are few outputs and long lines, the lines are cut into chunks reduced in parallel
// into partial results [outer, chunks, inner], which are reduced again the same way.
// max/min start from the line's first element (so no ±∞ constants are needed) and let NaN win;
// sums accumulate in float32 (int32 when input and result are int32).

import type { DType } from "../../tensor/dtype.js";
import { sizeOf, type Shape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { Reduction } from "../backend.js";
import { COMMON, convert, ELEMENT_MAIN, fillGpu, gpuDType, grid, linesOf, storageDecl, transpose, uniformData, uniformDecl, wgslType, type GpuDType, type UField } from "./movement.js";
import { dispatch, gpuTensor } from "./program.js";

/** WGSL: NaN test by the bits (comparisons with NaN may be optimized away; int32 has none). */
function nanTest(T: string, v: string): string {
  return T === "f32" ? `isNan(${v})` : "false";
}

/** WGSL: the combine of `kind`, NaN winning in max/min. */
function combineCode(kind: Reduction, AT: string): string {
  if (kind === "sum") return `fn comb(a: ${AT}, b: ${AT}) -> ${AT} { return a + b; }\n`;
  return `fn comb(a: ${AT}, b: ${AT}) -> ${AT} {
  if (${nanTest(AT, "a")}) { return a; }
  if (${nanTest(AT, "b")}) { return b; }
  return select(a, b, b ${kind === "max" ? ">" : "<"} a);
}
`;
}

/** The accumulator type: sums in f32 unless everything is int32; max/min in x's own type. */
function accType(kind: Reduction, x: Tensor, out: GpuDType): "f32" | "i32" {
  if (kind === "sum") return x.dtype === "int32" && out === "int32" ? "i32" : "f32";
  return wgslType(x.dtype);
}

const LINE_WG = 256;

/**
 * @internal Reduces x, seen as [outer, R, inner], over R into a `dtype` tensor of `outShape`
 * (outer·inner elements).
 */
export function reduceLines(kind: Reduction, x: Tensor, outer: number, R: number, inner: number, outShape: Shape, dtype: GpuDType, opName: string): Tensor {
  const nOut = outer * inner;
  if (nOut === 0) return gpuTensor(outShape, dtype);
  if (R === 0 || x.size === 0) return fillGpu(outShape, dtype, kind === "sum" || dtype === "int32" ? 0 : kind === "max" ? -Infinity : Infinity, opName);
  const AT = accType(kind, x, dtype);
  const TX = wgslType(x.dtype);
  const read = (e: string): string => convert(e, TX, AT);
  const init = (e: string): string => (kind === "sum" ? `${AT}(0)` : read(e));
  const T = wgslType(dtype);

  if (inner === 1 && R >= LINE_WG) {
    // One workgroup per line (per chunk of a line when there are few, long lines).
    let chunks = 1;
    if (outer < 512 && R > 16384) chunks = Math.min(Math.ceil(R / 4096), Math.ceil(1024 / outer));
    const chunkLen = Math.ceil(R / chunks);
    chunks = Math.ceil(R / chunkLen);
    const partialDtype: GpuDType = chunks > 1 ? (AT === "i32" ? "int32" : "float32") : dtype;
    const PT = wgslType(partialDtype);
    const out = gpuTensor(chunks > 1 ? [outer * chunks] : outShape, partialDtype);
    const fields: UField[] = [
      ["lines", "u32", outer * chunks],
      ["R", "u32", R],
      ["chunkLen", "u32", chunkLen],
      ["chunks", "u32", chunks],
    ];
    const code = `${COMMON}${storageDecl(0, "x", TX)}${storageDecl(1, "out", PT, true)}${uniformDecl(fields, 2)}${combineCode(kind, AT)}
var<workgroup> part: array<${AT}, ${LINE_WG}>;
@compute @workgroup_size(${LINE_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= u.lines) { return; }
  let base = (w / u.chunks) * u.R;
  let start = (w % u.chunks) * u.chunkLen;
  let end = min(u.R, start + u.chunkLen);
  var acc = ${init("x[base + start]")};
  for (var r = start + lid.x; r < end; r += ${LINE_WG}u) { acc = comb(acc, ${read("x[base + r]")}); }
  part[lid.x] = acc;
  for (var s = ${LINE_WG / 2}u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid.x < s) { part[lid.x] = comb(part[lid.x], part[lid.x + s]); }
  }
  if (lid.x == 0u) { out[w] = ${convert("part[0]", AT, PT)}; }
}`;
    const groups = outer * chunks;
    const gy = Math.ceil(groups / 65535);
    dispatch({ key: `reduceRows:${kind}:${TX}:${AT}:${PT}`, code }, [x, out], uniformData(fields), [Math.ceil(groups / gy), gy], opName);
    if (chunks === 1) return out;
    const result = reduceLines(kind, out, outer, chunks, 1, outShape, dtype, opName);
    out.dispose();
    return result;
  }

  // One invocation per (output, chunk): walks rows start … end of its line.
  let chunks = 1;
  if (nOut < 16384 && R > 128) chunks = Math.min(Math.ceil(R / 32), Math.ceil(16384 / nOut));
  const chunkLen = Math.ceil(R / chunks);
  chunks = Math.ceil(R / chunkLen);
  const partialDtype: GpuDType = chunks > 1 ? (AT === "i32" ? "int32" : "float32") : dtype;
  const PT = chunks > 1 ? AT : T;
  const n = nOut * chunks;
  const out = gpuTensor(chunks > 1 ? [outer, chunks, inner] : outShape, partialDtype);
  const fields: UField[] = [
    ["n", "u32", n],
    ["R", "u32", R],
    ["inner", "u32", inner],
    ["chunkLen", "u32", chunkLen],
    ["chunks", "u32", chunks],
  ];
  const code = `${COMMON}${storageDecl(0, "x", TX)}${storageDecl(1, "out", PT, true)}${uniformDecl(fields, 2)}${combineCode(kind, AT)}
${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  let ii = i % u.inner;
  let t = i / u.inner;
  let start = (t % u.chunks) * u.chunkLen;
  let end = min(u.R, start + u.chunkLen);
  let base = (t / u.chunks) * u.R * u.inner + ii;
  var acc = ${init("x[base + start * u.inner]")};
  for (var r = start; r < end; r++) { acc = comb(acc, ${read("x[base + r * u.inner]")}); }
  out[i] = ${convert("acc", AT, PT)};
}`;
  dispatch({ key: `reduceCols:${kind}:${TX}:${AT}:${PT}`, code }, [x, out], uniformData(fields), grid(n), opName);
  if (chunks === 1) return out;
  const result = reduceLines(kind, out, outer, chunks, inner, outShape, dtype, opName);
  out.dispose();
  return result;
}

/** @internal Σ over the middle axis of x seen as [outer, R, inner]: a `dtype` tensor of `outShape`. */
export function sumLines(x: Tensor, outer: number, R: number, inner: number, outShape: Shape, dtype: GpuDType): Tensor {
  return reduceLines("sum", x, outer, R, inner, outShape, dtype, "sum");
}

/**
 * Reduces over `axes` (sorted, unique); the result keeps reduced axes as size 1. Sums accumulate
 * in float32 per partial sum; max/min of an empty set are −∞/+∞; NaN wins in max/min.
 */
export function reduce(kind: Reduction, x: Tensor, axes: readonly number[], dtype: DType): Tensor {
  const gdt = gpuDType(dtype);
  const outShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  // The axes that matter (size ≠ 1), in runs of reduced and kept ones.
  const runs: { reduced: boolean; size: number }[] = [];
  for (let d = 0; d < x.shape.length; d++) {
    const size = x.shape[d]!;
    if (size === 1) continue;
    const reduced = axes.includes(d);
    const last = runs[runs.length - 1];
    if (last && last.reduced === reduced) last.size *= size;
    else runs.push({ reduced, size });
  }
  const reducedRuns = runs.filter((r) => r.reduced).length;
  if (reducedRuns <= 1) {
    const at = runs.findIndex((r) => r.reduced);
    const before = at < 0 ? runs : runs.slice(0, at);
    const after = at < 0 ? [] : runs.slice(at + 1);
    const R = at < 0 ? 1 : runs[at]!.size;
    return reduceLines(kind, x, sizeOf(before.map((r) => r.size)), R, sizeOf(after.map((r) => r.size)), outShape, gdt, kind);
  }
  // Reduced axes apart: move them to the end, then reduce contiguous lines.
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const xt = transpose(x, [...kept, ...axes]);
  const result = reduceLines(kind, xt, sizeOf(kept.map((i) => x.shape[i]!)), sizeOf(axes.map((i) => x.shape[i]!)), 1, outShape, gdt, kind);
  xt.dispose();
  return result;
}

/** int32 index along `axis` of the largest (isMax) or smallest element of each line; first on ties, NaN first of all. */
export function argReduce(x: Tensor, axis: number, isMax: boolean): Tensor {
  const outShape = x.shape.filter((_, i) => i !== axis);
  const [outer, len, inner] = linesOf(x.shape, axis);
  const nOut = outer * inner;
  if (nOut === 0) return gpuTensor(outShape, "int32");
  if (len === 0) return fillGpu(outShape, "int32", 0, "argReduce");
  const TX = wgslType(x.dtype);
  // better(a, b): whether (vb, ib) beats (va, ia): NaN first, then the larger (smaller), then the lower index.
  const common = `fn better(va: ${TX}, ia: u32, vb: ${TX}, ib: u32) -> bool {
  let na = ${nanTest(TX, "va")};
  let nb = ${nanTest(TX, "vb")};
  if (na || nb) {
    if (na && nb) { return ib < ia; }
    return nb;
  }
  if (vb ${isMax ? ">" : "<"} va) { return true; }
  return vb == va && ib < ia;
}
`;
  const key = `${isMax ? "max" : "min"}:${TX}`;
  const out = gpuTensor(outShape, "int32");
  if (inner === 1 && len >= LINE_WG) {
    const fields: UField[] = [
      ["lines", "u32", outer],
      ["len", "u32", len],
    ];
    // Invocations without elements hold (x[line start], 0xffffffff): element 0 beats it.
    const code = `${COMMON}${storageDecl(0, "x", TX)}${storageDecl(1, "out", "i32", true)}${uniformDecl(fields, 2)}${common}
var<workgroup> vals: array<${TX}, ${LINE_WG}>;
var<workgroup> idxs: array<u32, ${LINE_WG}>;
@compute @workgroup_size(${LINE_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= u.lines) { return; }
  let base = w * u.len;
  var bv = x[base];
  var bi = 0xffffffffu;
  for (var r = lid.x; r < u.len; r += ${LINE_WG}u) {
    let v = x[base + r];
    if (better(bv, bi, v, r)) { bv = v; bi = r; }
  }
  vals[lid.x] = bv;
  idxs[lid.x] = bi;
  for (var s = ${LINE_WG / 2}u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid.x < s && better(vals[lid.x], idxs[lid.x], vals[lid.x + s], idxs[lid.x + s])) {
      vals[lid.x] = vals[lid.x + s];
      idxs[lid.x] = idxs[lid.x + s];
    }
  }
  if (lid.x == 0u) { out[w] = i32(idxs[0]); }
}`;
    const gy = Math.ceil(outer / 65535);
    dispatch({ key: `argReduceRows:${key}`, code }, [x, out], uniformData(fields), [Math.ceil(outer / gy), gy], "argReduce");
    return out;
  }
  const fields: UField[] = [
    ["n", "u32", nOut],
    ["len", "u32", len],
    ["inner", "u32", inner],
  ];
  const code = `${COMMON}${storageDecl(0, "x", TX)}${storageDecl(1, "out", "i32", true)}${uniformDecl(fields, 2)}${common}
${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  let base = (i / u.inner) * u.len * u.inner + i % u.inner;
  var bv = x[base];
  var bi = 0u;
  for (var r = 1u; r < u.len; r++) {
    let v = x[base + r * u.inner];
    if (better(bv, bi, v, r)) { bv = v; bi = r; }
  }
  out[i] = i32(bi);
}`;
  dispatch({ key: `argReduceCols:${key}`, code }, [x, out], uniformData(fields), grid(nOut), "argReduce");
  return out;
}
