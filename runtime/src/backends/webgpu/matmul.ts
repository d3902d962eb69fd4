// WebGPU matrix multiplication: one tiled GEMM kernel generator, used by matmul and (with other
// operand loaders) by the convolutions in ./conv.ts.
//
// Tiling. A workgroup of 16×16 invocations computes a BM×BN tile of C = op(A)·op(B), BM = BN =
// 64·Q (Q = 1 or 2): invocation (tx, ty) owns the rows q·64 + 4·ty + i and the columns
// q′·64 + 4·tx + j (q, q′ < Q; i, j < 4), i.e. Q×Q register blocks of 4×4, kept as 4·Q·Q
// vec4 accumulators (Q = 2: an 8×8 block, 64 floats). Splitting the block into 4-wide pieces 64
// apart (instead of 8 adjacent columns) makes the 16 invocations of a row read 16 consecutive
// vec4s of the shared tile, which is free of bank conflicts.
//
// The K axis is walked BK = 16/Q at a time (each tile of A and of B is then 1024 elements: one
// vec4 or four scalars per invocation). Both tiles are staged in workgroup memory as [BK][BM]
// arrays of vec4 along M (or N), padded by one vec4 per row. The next tiles are loaded from
// global memory into registers while the current ones are multiplied (one barrier pair per step).
//
// Loading handles the transposes: an operand whose stored rows run along M (or N) is read as vec4
// rows and stored as they are ("vecMN"); one whose rows run along K is read as vec4 along K and
// written transposed into the tile ("vecK"). When the contiguous length is not a multiple of 4
// (vec4 loads need 16-byte alignment), or for the convolutions' implicit im2col, elements are
// fetched one by one through a WGSL function ("scalar"). Out-of-range rows and columns read as 0,
// so any m, n, k ≥ 0 works; stores are masked.
//
// Batches run on the z axis of the grid (a batch stride of 0 reuses one matrix). When the output
// has few tiles and K is long, K is split over the z axis too ("split-K"): each split writes a
// partial product and a sum over the splits finishes.

import type { DType } from "../../tensor/dtype.js";
import { sizeOf, type Shape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { broadcastTo, COMMON, convert, fillGpu, gpuDType, uniformData, uniformDecl, wgslType, type GpuDType, type UField } from "./movement.js";
import { dispatch, gpuTensor } from "./program.js";
import { sumLines } from "./reduce.js";

/** How the kernel reads one operand, in its op() coordinates (mn, k): op(A)[m][k] or op(B)[k][n]. */
export type GemmLoad =
  /** Stored as [K][MN] rows (MN % 4 = 0), read as vec4 along MN. */
  | { kind: "vecMN" }
  /** Stored as [MN][K] rows (K % 4 = 0), read as vec4 along K. */
  | { kind: "vecK" }
  /**
   * Element by element through `fetch`, the body of `fn fetchX(bt: u32, mn: u32, k: u32) -> TX`
   * (called only for mn, k in range). In it, `X` is the operand's binding, `TX` its element type,
   * `off` its batch offset (bt · batchStride), and the uniforms `u.*` are in scope. `fastK`:
   * consecutive invocations take consecutive k (else consecutive mn), for coalesced reads.
   */
  | { kind: "scalar"; fetch: string; fastK: boolean };

/** @internal One operand of {@link gemm}. */
export interface GemmOperand {
  tensor: Tensor;
  load: GemmLoad;
  /** Elements between consecutive batch matrices (0: one matrix for every batch). */
  batchStride: number;
}

/** @internal A GEMM: out[bt] = op(A[bt]) · op(B[bt]) for bt < batch, out of shape `outShape` (batch·m·n elements). */
export interface GemmSpec {
  /** Distinguishes programs whose fetch code differs (part of the cache key). */
  name: string;
  a: GemmOperand;
  b: GemmOperand;
  m: number;
  n: number;
  k: number;
  batch: number;
  dtype: GpuDType;
  outShape: Shape;
  /** Uniform fields the fetch functions use (u.*). */
  extra?: readonly UField[];
  opName: string;
  /** An elementwise chain applied to each product element before it is stored (batch 1, no split-K). */
  epilogue?: GemmEpilogue;
  /** Also Σ over k of op(B)[k][n] for each column n, from the tiles the first row of workgroups loads anyway (batch 1, no split-K). */
  columnSums?: boolean;
}

/**
 * @internal What {@link gemm} applies to each element z of the product at (row, col) before storing:
 * `code` (WGSL statements) computes `result` from `x0` = z and `x1`, `x2`, … = the `inputs`, each
 * read at row · rowStride + col · colStride (0 along a broadcast axis). `keepProduct` also stores z
 * in a second output.
 */
export interface GemmEpilogue {
  key: string;
  inputs: readonly { tensor: Tensor; rowStride: number; colStride: number }[];
  helpers: string;
  code: string;
  result: string;
  keepProduct: boolean;
}

/** Row-major stored matrices: the vec4 load when the contiguous length allows, else scalar fetches. */
export function standardLoad(storedRowsAlongK: boolean, contiguousLen: number, transposedIndex: string): GemmLoad {
  if (contiguousLen % 4 === 0) return { kind: storedRowsAlongK ? "vecK" : "vecMN" };
  return { kind: "scalar", fetch: `return X[off + ${transposedIndex}];`, fastK: storedRowsAlongK };
}

function loaderCode(X: "A" | "B", load: GemmLoad, mnSize: string, BMN: number, BK: number, S: number, T: string, TX: string): string {
  const conv = (e: string, vec: boolean): string => convert(e, TX, T, vec);
  if (load.kind === "vecMN") {
    return `fn load${X}(tid: u32, mn0: u32, k0: u32) -> vec4<${T}> {
  let k = k0 + tid / ${BMN / 4}u;
  let mn = mn0 + (tid % ${BMN / 4}u) * 4u;
  if (k < kEnd && mn < ${mnSize}) { return ${conv(`${X}[off${X} / 4u + k * (${mnSize} / 4u) + mn / 4u]`, true)}; }
  return vec4<${T}>();
}
fn store${X}(tid: u32, v: vec4<${T}>) {
  ${X}s[(tid / ${BMN / 4}u) * ${S}u + tid % ${BMN / 4}u] = v;
}
`;
  }
  if (load.kind === "vecK") {
    return `fn load${X}(tid: u32, mn0: u32, k0: u32) -> vec4<${T}> {
  let mn = mn0 + tid / ${BK / 4}u;
  let k = k0 + (tid % ${BK / 4}u) * 4u;
  if (k < kEnd && mn < ${mnSize}) { return ${conv(`${X}[off${X} / 4u + mn * (u.K / 4u) + k / 4u]`, true)}; }
  return vec4<${T}>();
}
fn store${X}(tid: u32, v: vec4<${T}>) {
  let mn = tid / ${BK / 4}u;
  let kk = (tid % ${BK / 4}u) * 4u;
  for (var j = 0u; j < 4u; j++) { ${X}s[(kk + j) * ${S}u + mn / 4u][mn % 4u] = v[j]; }
}
`;
  }
  // Scalar: element e = tid + 256·j of the tile, (mn, k) with k or mn fastest.
  const split = load.fastK ? [`e / ${BK}u`, `e % ${BK}u`] : [`e % ${BMN}u`, `e / ${BMN}u`];
  return `fn fetch${X}(bt: u32, mn: u32, k: u32) -> ${TX} {
  let off = off${X};
  ${load.fetch.replaceAll("X[", `${X}[`).replaceAll("TX(", `${TX}(`)}
}
fn load${X}(tid: u32, mn0: u32, k0: u32) -> vec4<${T}> {
  var v = vec4<${T}>();
  for (var j = 0u; j < 4u; j++) {
    let e = tid + j * 256u;
    let mn = mn0 + ${split[0]};
    let k = k0 + ${split[1]};
    if (k < kEnd && mn < ${mnSize}) { v[j] = ${conv(`fetch${X}(bt, mn, k)`, false)}; }
  }
  return v;
}
fn store${X}(tid: u32, v: vec4<${T}>) {
  for (var j = 0u; j < 4u; j++) {
    let e = tid + j * 256u;
    let mn = ${split[0]};
    let k = ${split[1]};
    ${X}s[k * ${S}u + mn / 4u][mn % 4u] = v[j];
  }
}
`;
}

function loadKey(l: GemmLoad): string {
  return l.kind === "scalar" ? `s${l.fastK ? "k" : "m"}` : l.kind;
}

/** The WGSL of one GEMM variant. */
function gemmCode(spec: GemmSpec, Q: number, fields: readonly UField[]): string {
  const T = wgslType(spec.dtype);
  const TA = wgslType(spec.a.tensor.dtype);
  const TB = wgslType(spec.b.tensor.dtype);
  const BM = 64 * Q;
  const BK = 16 / Q;
  const S = BM / 4 + 1; // vec4s per row of a shared tile (one of padding)
  const epi = spec.epilogue;
  const vecOut = spec.n % 4 === 0 && !epi;
  const arr = (t: string, l: GemmLoad): string => (l.kind === "scalar" ? t : `vec4<${t}>`);
  const extraInputs = epi?.inputs.length ?? 0;
  let code = `${COMMON}alias T = ${T};
@group(0) @binding(0) var<storage, read> A: array<${arr(TA, spec.a.load)}>;
@group(0) @binding(1) var<storage, read> B: array<${arr(TB, spec.b.load)}>;
${epi ? epi.inputs.map((_, k) => `@group(0) @binding(${2 + k}) var<storage, read> E${k}: array<f32>;\n`).join("") : ""}@group(0) @binding(${2 + extraInputs}) var<storage, read_write> C: array<${vecOut ? `vec4<${T}>` : T}>;
${epi?.keepProduct ? `@group(0) @binding(${3 + extraInputs}) var<storage, read_write> Z: array<f32>;\n` : ""}${spec.columnSums ? `@group(0) @binding(${3 + extraInputs + (epi?.keepProduct ? 1 : 0)}) var<storage, read_write> CS: array<${T}>;\n` : ""}${uniformDecl(fields, 3 + extraInputs + (epi?.keepProduct ? 1 : 0) + (spec.columnSums ? 1 : 0))}
var<workgroup> As: array<vec4<${T}>, ${BK * S}>;
var<workgroup> Bs: array<vec4<${T}>, ${BK * S}>;
var<private> kEnd: u32;
var<private> bt: u32;
var<private> offA: u32;
var<private> offB: u32;
`;
  code += loaderCode("A", spec.a.load, "u.M", BM, BK, S, T, TA);
  code += loaderCode("B", spec.b.load, "u.N", BM, BK, S, T, TB);

  const acc = (qa: number, i: number, qb: number): string => `c${qa}${i}${qb}`;
  let decl = "";
  let fma = "";
  let store = "";
  for (let q = 0; q < Q; q++) {
    fma += `      let a${q} = As[kk * ${S}u + ${q * 16}u + lid.y];\n      let b${q} = Bs[kk * ${S}u + ${q * 16}u + lid.x];\n`;
    if (spec.columnSums) {
      // Every invocation adds its columns' B values (out-of-range k reads as 0); the first row of workgroups stores them.
      decl += `  var cs${q} = vec4<${T}>();\n`;
      fma += `      cs${q} += b${q};\n`;
      store += `  if (lid.y == 0u && m0 == 0u) { let col = n0 + ${q * 64}u + 4u * lid.x; for (var j = 0u; j < 4u; j++) { if (col + j < u.N) { CS[col + j] = cs${q}[j]; } } }\n`;
    }
  }
  for (let qa = 0; qa < Q; qa++)
    for (let i = 0; i < 4; i++) {
      store += `  { let row = m0 + ${qa * 64 + i}u + 4u * lid.y;\n    if (row < u.M) {\n`;
      for (let qb = 0; qb < Q; qb++) {
        const c = acc(qa, i, qb);
        decl += `  var ${c} = vec4<${T}>();\n`;
        fma += `      ${c} += a${qa}[${i}] * b${qb};\n`;
        const col = `n0 + ${qb * 64}u + 4u * lid.x`;
        if (vecOut) store += `      { let col = ${col}; if (col < u.N) { C[(offC + row * u.N + col) / 4u] = ${c}; } }\n`;
        else if (epi) store += `      { let col = ${col}; for (var j = 0u; j < 4u; j++) { if (col + j < u.N) { epilogue(row, col + j, ${c}[j]); } } }\n`;
        else store += `      { let col = ${col}; for (var j = 0u; j < 4u; j++) { if (col + j < u.N) { C[offC + row * u.N + col + j] = ${c}[j]; } } }\n`;
      }
      store += "    }\n  }\n";
    }

  if (epi) {
    const reads = epi.inputs.map((_, k) => `  let x${k + 1} = E${k}[row * u.er${k} + col * u.ec${k}];\n`).join("");
    code += `${epi.helpers}
fn epilogue(row: u32, col: u32, z: f32) {
  let x0 = z;
${reads}${epi.code}
  C[row * u.N + col] = ${epi.result};
${epi.keepProduct ? "  Z[row * u.N + col] = z;\n" : ""}}
`;
  }
  code += `
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  // z = batch · splits + split: this workgroup's batch entry and its range of K.
  let z = wid.z + u.batch0;
  let b = z / u.splits;
  bt = b;
  let m0 = u.rowBase + wid.y * ${BM}u;
  let n0 = wid.x * ${BM}u;
  let kBegin = (z % u.splits) * u.kChunk;
  let kStop = min(u.K, kBegin + u.kChunk);
  kEnd = kStop;
  offA = b * u.aStride;
  offB = b * u.bStride;
  let offC = z * u.M * u.N;
${decl}  var ra = loadA(tid, m0, kBegin);
  var rb = loadB(tid, n0, kBegin);
  for (var k0 = kBegin; k0 < kStop; k0 += ${BK}u) {
    workgroupBarrier();
    storeA(tid, ra);
    storeB(tid, rb);
    workgroupBarrier();
    if (k0 + ${BK}u < kStop) {
      ra = loadA(tid, m0, k0 + ${BK}u);
      rb = loadB(tid, n0, k0 + ${BK}u);
    }
    for (var kk = 0u; kk < ${BK}u; kk++) {
${fma}    }
  }
${store}}
`;
  return code;
}

/** Output tiles of 128×128 at which the larger tiles (Q = 2) pay: enough to fill a big GPU twice. */
const BIG_TILES = 256;

/**
 * @internal Runs a GEMM (see {@link GemmSpec}). Picks the tile size, splits K when the output has
 * few tiles and K is long, and dispatches in chunks of at most 65535 workgroups per grid axis.
 */
export function gemm(spec: GemmSpec): Tensor {
  const { m, n, k, batch, dtype } = spec;
  if (batch * m * n === 0) return gpuTensor(spec.outShape, dtype);
  if (k === 0 || spec.a.tensor.size === 0 || spec.b.tensor.size === 0) return fillGpu(spec.outShape, dtype, 0, spec.opName);
  return runGemm(spec).out;
}

/** The tile size and the split of K for an m×n×k product (×batch). */
function gemmPlan(m: number, n: number, k: number, batch: number): { Q: number; splits: number; kChunk: number } {
  const tiles = (t: number): number => Math.ceil(m / t) * Math.ceil(n / t) * batch;
  const Q = tiles(128) >= BIG_TILES ? 2 : 1;
  // Split-K: few output tiles and a long K. Each batch entry's K is cut into `splits` chunks (a
  // multiple of 16 long, so vec4 loads stay aligned), products of the chunks summed afterwards.
  let splits = 1;
  let kChunk = k;
  if (tiles(64) < 64 && k >= 2048) {
    splits = Math.min(Math.ceil(k / 512), Math.ceil(256 / tiles(64)));
    kChunk = Math.ceil(Math.ceil(k / splits) / 16) * 16;
    splits = Math.ceil(k / kChunk);
  }
  return { Q, splits, kChunk };
}

/** The GEMM's dispatches (sizes non-zero), and the product kept by an epilogue that asks. */
function runGemm(spec: GemmSpec): { out: Tensor; product: Tensor | null; sums: Tensor | null } {
  const { m, n, k, batch, dtype } = spec;
  const { Q, splits, kChunk } = gemmPlan(m, n, k, batch);
  const BM = 64 * Q;
  const splitK = splits > 1;
  const zCount = batch * splits;
  const out = splitK ? gpuTensor([batch, splits, m, n], dtype) : gpuTensor(spec.outShape, dtype);
  const product = spec.epilogue?.keepProduct ? gpuTensor(spec.outShape, dtype) : null;
  const sums = spec.columnSums ? gpuTensor([n], dtype) : null;
  const base: UField[] = [
    ["M", "u32", m],
    ["N", "u32", n],
    ["K", "u32", k],
    ["aStride", "u32", spec.a.batchStride],
    ["bStride", "u32", spec.b.batchStride],
    ["splits", "u32", splits],
    ["kChunk", "u32", kChunk],
  ];
  const epi = spec.epilogue;
  if ((epi || spec.columnSums) && (splitK || batch !== 1)) throw new Error("gemm: an epilogue or column sums need one matrix and no split-K (their callers check)");
  const epiFields: UField[] = (epi?.inputs ?? []).flatMap((x, k): UField[] => [
    [`er${k}`, "u32", x.rowStride],
    [`ec${k}`, "u32", x.colStride],
  ]);
  const fieldsFor = (batch0: number, rowBase: number): UField[] => [...base, ["batch0", "u32", batch0], ["rowBase", "u32", rowBase], ...(spec.extra ?? []), ...epiFields];
  const code = gemmCode(spec, Q, fieldsFor(0, 0));
  const key = [
    "gemm",
    spec.name,
    Q,
    wgslType(dtype),
    wgslType(spec.a.tensor.dtype),
    loadKey(spec.a.load),
    wgslType(spec.b.tensor.dtype),
    loadKey(spec.b.load),
    n % 4 === 0 ? "vecOut" : "scalarOut",
    (spec.extra ?? []).map((f) => f[0]).join(","),
    ...(epi ? [`epi(${epi.key})${epi.keepProduct ? "+z" : ""}`] : []),
    ...(spec.columnSums ? ["colSums"] : []),
  ].join(":");
  const program = { key, code };
  const rowTiles = Math.ceil(m / BM);
  for (let z0 = 0; z0 < zCount; z0 += 65535)
    for (let y0 = 0; y0 < rowTiles; y0 += 65535) {
      const z = Math.min(65535, zCount - z0);
      const y = Math.min(65535, rowTiles - y0);
      dispatch(program, [spec.a.tensor, spec.b.tensor, ...(epi?.inputs.map((x) => x.tensor) ?? []), out, ...(product ? [product] : []), ...(sums ? [sums] : [])], uniformData(fieldsFor(z0, y0 * BM)), [Math.ceil(n / BM), y, z], spec.opName);
    }
  if (!splitK) return { out, product, sums };
  const sum = sumLines(out, batch, splits, m * n, spec.outShape, dtype);
  out.dispose();
  return { out: sum, product, sums };
}

/**
 * @internal a · b (2-D, float32) with an elementwise chain as the epilogue: one dispatch computing
 * chain(a·b, ...others) (others broadcast to [m, n]), and a·b itself when `keepProduct`. null where
 * the GEMM would split K or a size is 0 (the caller runs the matmul and the chain apart).
 */
export function gemmWithEpilogue(
  a: Tensor,
  b: Tensor,
  e: { others: readonly Tensor[]; shape: Shape; keepProduct: boolean; opName: string; key: string; helpers: string; code: string; result: string; transposeB: boolean },
): { value: Tensor; product: Tensor | null } | null {
  if (a.shape.length !== 2 || b.shape.length !== 2 || e.shape.length !== 2) return null;
  const [m, k] = a.shape as [number, number];
  const n = e.transposeB ? b.shape[0]! : b.shape[1]!;
  if ((e.transposeB ? b.shape[1] : b.shape[0]) !== k) return null;
  if (e.shape[0] !== m || e.shape[1] !== n || m * n * k === 0 || gemmPlan(m, n, k, 1).splits > 1) return null;
  // Each other input's strides over the output's (row, col); 0 along a broadcast axis.
  const inputs = e.others.map((t) => {
    const s = t.shape;
    const rows = s.length >= 2 ? s[s.length - 2]! : 1;
    const cols = s.length >= 1 ? s[s.length - 1]! : 1;
    return { tensor: t, rowStride: rows === 1 ? 0 : cols, colStride: cols === 1 ? 0 : 1 };
  });
  if (e.others.some((t) => t.shape.length > 2 || t.dtype !== "float32")) return null;
  const r = runGemm({
    name: "matmul",
    a: { tensor: a, batchStride: 0, load: standardLoad(true, k, "mn * u.K + k") },
    b: { tensor: b, batchStride: 0, load: e.transposeB ? standardLoad(true, k, "mn * u.K + k") : standardLoad(false, n, "k * u.N + mn") },
    m,
    n,
    k,
    batch: 1,
    dtype: "float32",
    outShape: [m, n],
    opName: e.opName,
    epilogue: { key: `${e.key}${e.transposeB ? ":bT" : ""}`, inputs, helpers: e.helpers, code: e.code, result: e.result, keepProduct: e.keepProduct },
  });
  return { value: r.out, product: r.product };
}

/**
 * @internal op(a) · b for 2-D float32 a, b (op transposes when `transposeA`) and the column sums
 * Σ_k b[k][n], in one dispatch: a weight's and its bias's cotangents (xᵀ·g and Σ_rows g) at once.
 * null where the GEMM would split K or a size is 0.
 */
export function matmulColumnSums(a: Tensor, b: Tensor, transposeA: boolean): { product: Tensor; sums: Tensor } | null {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== "float32" || b.dtype !== "float32") return null;
  const [ar, ac] = a.shape as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = b.shape[1]!;
  if (b.shape[0] !== k || m * n * k === 0 || gemmPlan(m, n, k, 1).splits > 1) return null;
  const r = runGemm({
    name: "matmul",
    a: { tensor: a, batchStride: 0, load: transposeA ? standardLoad(false, m, "k * u.M + mn") : standardLoad(true, k, "mn * u.K + k") },
    b: { tensor: b, batchStride: 0, load: standardLoad(false, n, "k * u.N + mn") },
    m,
    n,
    k,
    batch: 1,
    dtype: "float32",
    outShape: [m, n],
    opName: "matmul",
    columnSums: true,
  });
  return { product: r.out, sums: r.sums! };
}

/**
 * op(a) @ op(b) over broadcast batch dimensions (`batchShape`); op transposes the last two axes
 * when its flag is set. a is [..., m, k] (or [..., k, m] when transposed), b [..., k, n].
 */
export function matmul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batchShape: Shape, dtype: DType): Tensor {
  const gdt = gpuDType(dtype);
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  const batch = sizeOf(batchShape);
  const temps: Tensor[] = [];
  // Each operand is one matrix (reused for every batch entry), one per entry, or broadcast first.
  const batched = (t: Tensor, rows: number, cols: number): { t: Tensor; stride: number } => {
    const own = t.shape.slice(0, -2);
    if (sizeOf(own) === 1) return { t, stride: 0 };
    if (own.length === batchShape.length && own.every((d, i) => d === batchShape[i])) return { t, stride: rows * cols };
    const full = broadcastTo(t, [...batchShape, rows, cols]);
    temps.push(full);
    return { t: full, stride: rows * cols };
  };
  const A = batched(a, ar, ac);
  const B = batched(b, br, bc);
  // In (mn, k) terms: A untransposed is [m][k] rows (contiguous along k), transposed [k][m];
  // B untransposed is [k][n] (contiguous along n), transposed [n][k].
  const out = gemm({
    name: "matmul",
    a: { tensor: A.t, batchStride: A.stride, load: transposeA ? standardLoad(false, m, "k * u.M + mn") : standardLoad(true, k, "mn * u.K + k") },
    b: { tensor: B.t, batchStride: B.stride, load: transposeB ? standardLoad(true, k, "mn * u.K + k") : standardLoad(false, n, "k * u.N + mn") },
    m,
    n,
    k,
    batch,
    dtype: gdt,
    outShape: [...batchShape, m, n],
    opName: "matmul",
  });
  for (const t of temps) t.dispose();
  return out;
}
