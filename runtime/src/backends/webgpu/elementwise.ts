/// <reference types="@webgpu/types" />
// Elementwise kernels on WebGPU: unary ops and their slopes, binary ops with NumPy broadcasting and
// their partials, select, cast and fill. The scalar functions are WGSL snippets with the same
// semantics as the CPU's table (../cpu/ops-table.ts): NaN wins in maximum/minimum, relu(NaN) = NaN,
// pow's ∂/∂b is 0 at a = 0, ties in maximum/minimum send the cotangent to a (as Math.max/min's
// number rule), JavaScript's pow.
//
// One generated kernel per (op, dtypes, operand layouts, rank): each invocation computes one output
// element. Broadcast operands are addressed through per-dimension strides (0 along broadcast axes)
// in the uniform block, after merging dimensions that are contiguous in every operand, so a bias
// add [b, n] + [n] runs at rank 2 and same-shape operands are indexed directly.

import type { BinaryOp, UnaryOp } from "../backend.js";
import { CotangentError } from "../../errors.js";
import type { DType } from "../../tensor/dtype.js";
import type { Shape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { checkInputs, copyTensor, dispatch, grid, gpuTensor, linearIndex, smallConstant, uniforms, WGSL_COMMON, zerosTensor } from "./program.js";

const WG = 256;

type GpuDType = "float32" | "int32";

function gpuDType(d: DType, op: string): GpuDType {
  if (d === "float32" || d === "int32") return d;
  throw new CotangentError("CT3009", `webgpu ${op}: float64 tensors stay on the CPU; cast to float32.`);
}

const wgslType = (d: GpuDType): string => (d === "int32" ? "i32" : "f32");

// ---- broadcast layouts ---------------------------------------------------------------------------

/** How one operand is addressed: at the output index, at 0, or through strides. */
type Access = "same" | "scalar" | "strided";

interface Layout {
  /** Output dimensions after dropping size-1 axes and merging contiguous runs. */
  dims: number[];
  /** Per operand: its stride along each of `dims` (0 where broadcast). */
  strides: number[][];
  access: Access[];
}

/** The coalesced broadcast layout of operands (shapes broadcastable to `out`). */
export function broadcastLayout(out: Shape, shapes: readonly Shape[]): Layout {
  const r = out.length;
  const full = shapes.map((s) => {
    const st = new Array<number>(r).fill(0);
    let acc = 1;
    for (let i = r - 1, j = s.length - 1; i >= 0; i--, j--) {
      const d = j >= 0 ? s[j]! : 1;
      st[i] = d === 1 ? 0 : acc;
      acc *= d;
    }
    return st;
  });
  const dims: number[] = [];
  const strides: number[][] = shapes.map(() => []);
  for (let i = 0; i < r; i++) {
    const d = out[i]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && full.every((st, k) => strides[k]![last] === st[i]! * d)) {
      dims[last] = dims[last]! * d;
      full.forEach((st, k) => (strides[k]![last] = st[i]!));
    } else {
      dims.push(d);
      full.forEach((st, k) => strides[k]!.push(st[i]!));
    }
  }
  const access = strides.map((st): Access => {
    if (st.every((v) => v === 0)) return "scalar";
    let acc = 1;
    for (let i = dims.length - 1; i >= 0; i--) {
      if (st[i] !== acc) return "strided";
      acc *= dims[i]!;
    }
    return "same";
  });
  return { dims, strides, access };
}

// ---- the generic map kernel ----------------------------------------------------------------------

interface Field {
  name: string;
  type: "u32" | "i32" | "f32";
  value: number;
}

/** @internal An input of {@link runPointwise}. */
export interface Input {
  /** The local name the body uses. */
  name: string;
  t: Tensor;
  /** "f32": read and convert to f32; "i32": to i32; "raw": as stored. */
  as: "f32" | "i32" | "raw";
}

function readExpr(i: Input, index: string): string {
  const raw = `in_${i.name}[${index}]`;
  const stored = i.t.dtype === "int32" ? "i32" : "f32";
  if (i.as === "raw" || i.as === stored) return raw;
  return i.as === "f32" ? `f32(${raw})` : `toI32(${raw})`;
}

/**
 * Runs one elementwise kernel: `out[i] = <result>` where `result` is a WGSL expression over the
 * inputs' local names (read at their broadcast positions) and the uniform fields `u.<name>`.
 * `result` has type `resultType`; it is converted to out's dtype.
 */
function runMap(
  opName: string,
  keyBase: string,
  inputs: readonly Input[],
  out: Tensor,
  result: string,
  resultType: "f32" | "i32",
  params: readonly Field[] = [],
  helpers = "",
): Tensor {
  runPointwise(opName, keyBase, inputs, [{ t: out, value: result, type: resultType }], "", params, helpers);
  return out;
}

/** One output of {@link runPointwise}: `t[i] = value` (of WGSL type `type`, converted to t's dtype). */
export interface ElementwiseOutput {
  t: Tensor;
  value: string;
  type: "f32" | "i32";
}

/**
 * @internal The elementwise kernel behind every op here, and the fused chains (./fused.ts): each
 * invocation reads the inputs at its output position's broadcast positions (local names =
 * `Input.name`), runs `prelude` (WGSL statements), and stores each output's value. All outputs
 * have the shape of the first.
 */
export function runPointwise(
  opName: string,
  keyBase: string,
  inputs: readonly Input[],
  outs: readonly ElementwiseOutput[],
  prelude: string,
  params: readonly Field[] = [],
  helpers = "",
): void {
  const shape = outs[0]!.t.shape;
  const n = outs[0]!.t.size;
  if (n === 0) return;
  const layout = broadcastLayout(
    shape,
    inputs.map((x) => x.t.shape),
  );
  const rank = layout.dims.length;
  const fields: Field[] = [{ name: "n", type: "u32", value: n }];
  const strided = inputs.filter((_, k) => layout.access[k] === "strided");
  let indexing = "";
  if (strided.length > 0) {
    layout.dims.forEach((d, j) => fields.push({ name: `d${j}`, type: "u32", value: d }));
    inputs.forEach((x, k) => {
      if (layout.access[k] === "strided") layout.strides[k]!.forEach((s, j) => fields.push({ name: `s_${x.name}${j}`, type: "u32", value: s }));
    });
    indexing += "  var r = i;\n";
    for (const x of strided) indexing += `  var i_${x.name} = 0u;\n`;
    for (let j = rank - 1; j >= 0; j--) {
      indexing += j > 0 ? `  let c${j} = r % u.d${j}; r = r / u.d${j};\n` : `  let c0 = r;\n`;
      for (const x of strided) indexing += `  i_${x.name} += c${j} * u.s_${x.name}${j};\n`;
    }
  }
  fields.push(...params);
  const outType = (o: ElementwiseOutput): "f32" | "i32" => (o.t.dtype === "int32" ? "i32" : "f32");
  const store = (o: ElementwiseOutput, v: string): string => (o.type === outType(o) ? v : outType(o) === "f32" ? `f32(${v})` : `toI32(${v})`);
  const bindings = inputs
    .map((x, k) => `@group(0) @binding(${k}) var<storage, read> in_${x.name}: array<${x.t.dtype === "int32" ? "i32" : "f32"}>;`)
    .join("\n");
  const outBindings = outs.map((o, k) => `@group(0) @binding(${inputs.length + k}) var<storage, read_write> ${k === 0 ? "out" : `out${k}`}: array<${outType(o)}>;`).join("\n");
  const reads = inputs
    .map((x, k) => `  let ${x.name} = ${readExpr(x, layout.access[k] === "same" ? "i" : layout.access[k] === "scalar" ? "0u" : `i_${x.name}`)};`)
    .join("\n");
  const stores = outs.map((o, k) => `  let v${k}: ${o.type} = ${o.value};\n  ${k === 0 ? "out" : `out${k}`}[i] = ${store(o, `v${k}`)};`).join("\n");
  const main = `${reads}\n${prelude}\n${stores}`;
  const code = `${usedHelpers(WGSL_COMMON + helpers, main)}
${bindings}
${outBindings}
struct U { ${fields.map((f) => `${f.name}: ${f.type},`).join(" ")} }
@group(0) @binding(${inputs.length + outs.length}) var<uniform> u: U;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
${indexing}${main}
}
`;
  const outKey = outs.length === 1 ? outs[0]!.t.dtype : outs.map((o) => o.t.dtype).join("+");
  const key = `ew:${keyBase}|${inputs.map((x, k) => `${x.name}:${x.t.dtype}:${x.as}:${layout.access[k]}`).join(",")}|r${strided.length > 0 ? rank : 0}|${outKey}|${params.map((p) => p.name).join(",")}`;
  const data = uniforms(fields.map((f) => ({ [f.type]: f.value })));
  dispatch({ key, code }, [...inputs.map((x) => x.t), ...outs.map((o) => o.t)], data, grid(Math.ceil(n / WG)), opName);
}

/**
 * The functions of `library` (WGSL `fn` declarations, each with the comment lines above it) that
 * `code` calls, directly or through each other: lavapipe compiles every function it is given, so
 * kernels carry only what they use.
 */
export function usedHelpers(library: string, code: string): string {
  const fns = new Map<string, string>();
  let pending = "";
  for (const chunk of library.split(/\n(?=fn |\/\/)/)) {
    const m = /^fn (\w+)/.exec(chunk.trimStart());
    if (m) {
      fns.set(m[1]!, pending + chunk.trim());
      pending = "";
    } else pending += chunk.trim() + "\n";
  }
  const used = new Set<string>();
  const visit = (text: string): void => {
    for (const [, name] of text.matchAll(/\b(\w+)\s*\(/g)) {
      if (!fns.has(name!) || used.has(name!)) continue;
      used.add(name!);
      visit(fns.get(name!)!);
    }
  };
  visit(code);
  return [...fns].filter(([name]) => used.has(name)).map(([, text]) => text).join("\n");
}

// ---- scalar functions ----------------------------------------------------------------------------

/** WGSL helpers the snippets call (compiled into every elementwise kernel that needs any of them). */
export const MATH = /* wgsl */ `
fn logf(x: f32) -> f32 {
  if (x < 0.0) { return nanF32(); }
  if (x == 0.0) { return -infF32(); }
  return log(x);
}
fn log1pf(x: f32) -> f32 {
  if (x < -1.0) { return nanF32(); }
  if (x == -1.0) { return -infF32(); }
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  if (isInf(u)) { return u; }
  return log(u) * (x / (u - 1.0));
}
fn tanhf(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 0.125) {
    let s = a * a;
    r = a * (1.0 + s * (-0.33333333 + s * (0.13333333 + s * (-0.053968254 + s * 0.021869489))));
  } else {
    let t = exp(-2.0 * a);
    r = (1.0 - t) / (1.0 + t);
  }
  return select(r, -r, x < 0.0);
}
fn sigmoidf(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn geluInner(x: f32) -> f32 { return 0.7978845608028654 * (x + 0.044715 * x * x * x); }
fn gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + tanhf(geluInner(x))); }
fn geluSlope(x: f32) -> f32 {
  let t = tanhf(geluInner(x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x * x);
}
fn reluf(x: f32) -> f32 { if (isNan(x)) { return x; } return select(0.0, x, x > 0.0); }
fn softplusf(x: f32) -> f32 { if (x > 0.0) { return x + log1pf(exp(-x)); } return log1pf(exp(x)); }
// Math.pow: x^0 = 1 (even for NaN), NaN otherwise propagates, |x| = 1 to ±∞ is NaN, negative bases need integer exponents.
fn powf(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isNan(a) || isNan(b)) { return nanF32(); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  let aa = abs(a);
  if (isInf(b)) {
    if (aa == 1.0) { return nanF32(); }
    if ((aa > 1.0) == (b > 0.0)) { return infF32(); }
    return 0.0;
  }
  let bInt = floor(b) == b;
  let negative = a < 0.0 || (a == 0.0 && bitcast<u32>(a) == 0x80000000u);
  if (a < 0.0 && !bInt) { return nanF32(); }
  var r: f32;
  if (aa == 0.0) { r = select(infF32(), 0.0, b > 0.0); }
  else if (isInf(aa)) { r = select(0.0, infF32(), b > 0.0); }
  else if (bInt && abs(b) <= 64.0) {
    // Small integer exponents by squaring: exact where the powers are (integers below 2^24).
    var e = u32(abs(b));
    var base = aa;
    r = 1.0;
    loop {
      if ((e & 1u) != 0u) { r = r * base; }
      e = e >> 1u;
      if (e == 0u) { break; }
      base = base * base;
    }
    if (b < 0.0) { r = 1.0 / r; }
  }
  else { r = exp2(b * log2(aa)); }
  let odd = bInt && abs(b) < 16777216.0 && fract(b * 0.5) != 0.0;
  if (odd && negative) { return -r; }
  return r;
}
fn maxf(a: f32, b: f32) -> f32 { if (a >= b) { return a; } if (isNan(b)) { return b; } if (isNan(a)) { return a; } return b; }
fn minf(a: f32, b: f32) -> f32 { if (a <= b) { return a; } if (isNan(b)) { return b; } if (isNan(a)) { return a; } return b; }
`;

/** y = f(x) (x: f32; parameters u.p0, u.p1). */
export const UNARY_F: Record<UnaryOp, string> = {
  neg: "-x",
  square: "x * x",
  sqrt: "select(sqrt(x), nanF32(), x < 0.0)",
  exp: "exp(x)",
  log: "logf(x)",
  log1p: "log1pf(x)",
  abs: "abs(x)",
  sin: "sin(x)",
  cos: "cos(x)",
  tanh: "tanhf(x)",
  sigmoid: "sigmoidf(x)",
  relu: "reluf(x)",
  softplus: "softplusf(x)",
  gelu: "gelu(x)",
  leakyRelu: "select(u.p0 * x, x, x > 0.0)",
  clip: "select(select(x, u.p1, x > u.p1), u.p0, x < u.p0)",
};

/** dy/dx from x and y (f32). */
export const UNARY_DF: Record<UnaryOp, string> = {
  neg: "-1.0",
  square: "2.0 * x",
  sqrt: "0.5 / y",
  exp: "y",
  log: "1.0 / x",
  log1p: "1.0 / (1.0 + x)",
  abs: "select(select(x * 0.0, -1.0, x < 0.0), 1.0, x > 0.0)",
  sin: "cos(x)",
  cos: "-sin(x)",
  tanh: "1.0 - y * y",
  sigmoid: "y * (1.0 - y)",
  relu: "select(0.0, 1.0, x > 0.0)",
  softplus: "sigmoidf(x)",
  gelu: "geluSlope(x)",
  leakyRelu: "select(u.p0, 1.0, x > 0.0)",
  clip: "select(0.0, 1.0, x >= u.p0 && x <= u.p1)",
};

export interface BinaryRule {
  /** a op b over f32. */
  f: string;
  /** a op b over i32 when both inputs and the result are int32 (exact, wrapping as Int32Array stores do). */
  i?: string;
  /** ∂/∂a and ∂/∂b from a, b, y (f32). */
  da?: string;
  db?: string;
  /** Comparisons: the condition (over the operands' common type). */
  cmp?: string;
}

export const BINARY: Record<BinaryOp, BinaryRule> = {
  add: { f: "a + b", i: "a + b", da: "1.0", db: "1.0" },
  sub: { f: "a - b", i: "a - b", da: "1.0", db: "-1.0" },
  mul: { f: "a * b", i: "a * b", da: "b", db: "a" },
  div: { f: "a / b", da: "1.0 / b", db: "-y / b" },
  pow: { f: "powf(a, b)", da: "select(b * powf(a, b - 1.0), 0.0, b == 0.0)", db: "select(logf(a) * y, 0.0, a == 0.0)" },
  maximum: { f: "maxf(a, b)", i: "max(a, b)", da: "select(0.0, 1.0, a >= b)", db: "select(1.0, 0.0, a >= b)" },
  minimum: { f: "minf(a, b)", i: "min(a, b)", da: "select(0.0, 1.0, a <= b)", db: "select(1.0, 0.0, a <= b)" },
  equal: { f: "", cmp: "a == b" },
  notEqual: { f: "", cmp: "!(a == b)" },
  greater: { f: "", cmp: "a > b" },
  greaterEqual: { f: "", cmp: "a >= b" },
  less: { f: "", cmp: "a < b" },
  lessEqual: { f: "", cmp: "a <= b" },
};

// ---- kernels -------------------------------------------------------------------------------------

const params2 = (p: readonly number[]): Field[] => [
  { name: "p0", type: "f32", value: p[0] ?? 0 },
  { name: "p1", type: "f32", value: p[1] ?? 0 },
];

export function unary(op: UnaryOp, x: Tensor, params: readonly number[], dtype: DType): Tensor {
  const name = `unary ${op}`;
  checkInputs(name, x);
  const out = gpuTensor(x.shape, gpuDType(dtype, name));
  if (op === "clip" && x.dtype === "int32" && dtype === "int32") {
    // Exact for all int32 x: compared as f32, the bound stored as an Int32Array would store it.
    return runMap(
      name,
      "clip-int",
      [{ name: "x", t: x, as: "raw" }],
      out,
      "select(select(x, toI32(u.p1), f32(x) > u.p1), toI32(u.p0), f32(x) < u.p0)",
      "i32",
      params2(params),
    );
  }
  return runMap(name, `u.${op}`, [{ name: "x", t: x, as: "f32" }], out, UNARY_F[op], "f32", params2(params), MATH);
}

export function unaryBackward(op: UnaryOp, g: Tensor, x: Tensor, y: Tensor, params: readonly number[]): Tensor {
  const name = `unaryBackward ${op}`;
  checkInputs(name, g, x, y);
  const out = gpuTensor(y.shape, gpuDType(y.dtype, name));
  return runMap(
    name,
    `ub.${op}`,
    [
      { name: "g", t: g, as: "f32" },
      { name: "x", t: x, as: "f32" },
      { name: "y", t: y, as: "f32" },
    ],
    out,
    `g * (${UNARY_DF[op]})`,
    "f32",
    params2(params),
    MATH,
  );
}

export function binary(op: BinaryOp, a: Tensor, b: Tensor, outShape: Shape, dtype: DType): Tensor {
  const name = `binary ${op}`;
  checkInputs(name, a, b);
  const out = gpuTensor(outShape, gpuDType(dtype, name));
  const rule = BINARY[op];
  const ints = a.dtype === "int32" && b.dtype === "int32";
  if (rule.cmp) {
    const as = ints ? "raw" : "f32";
    return runMap(name, `b.${op}`, [
      { name: "a", t: a, as },
      { name: "b", t: b, as },
    ], out, `select(0, 1, ${rule.cmp})`, "i32");
  }
  if (ints && dtype === "int32" && rule.i) {
    return runMap(name, `bi.${op}`, [
      { name: "a", t: a, as: "raw" },
      { name: "b", t: b, as: "raw" },
    ], out, rule.i, "i32");
  }
  return runMap(
    name,
    `b.${op}`,
    [
      { name: "a", t: a, as: "f32" },
      { name: "b", t: b, as: "f32" },
    ],
    out,
    rule.f,
    "f32",
    [],
    MATH,
  );
}

export function binaryBackward(op: BinaryOp, operand: 0 | 1, g: Tensor, a: Tensor, b: Tensor, y: Tensor): Tensor {
  const name = `binaryBackward ${op}`;
  checkInputs(name, g, a, b, y);
  const rule = BINARY[op];
  const partial = operand === 0 ? rule.da : rule.db;
  if (partial === undefined) throw new CotangentError("CT3009", `webgpu ${name}: comparisons have no derivative.`);
  gpuDType(g.dtype, name);
  if (partial === "1.0") return copyTensor(g, name);
  const out = gpuTensor(g.shape, g.dtype as GpuDType);
  if (op === "sub") return runMap(name, "bb.neg", [{ name: "g", t: g, as: "f32" }], out, "-g", "f32");
  if (op === "mul") {
    const other = operand === 0 ? b : a;
    return runMap(name, "bb.mul", [
      { name: "g", t: g, as: "f32" },
      { name: "o", t: other, as: "f32" },
    ], out, "g * o", "f32");
  }
  return runMap(
    name,
    `bb.${op}.${operand}`,
    [
      { name: "g", t: g, as: "f32" },
      { name: "a", t: a, as: "f32" },
      { name: "b", t: b, as: "f32" },
      { name: "y", t: y, as: "f32" },
    ],
    out,
    `g * (${partial})`,
    "f32",
    [],
    MATH,
  );
}

export function select(cond: Tensor, a: Tensor, b: Tensor, outShape: Shape, dtype: DType): Tensor {
  const name = "select";
  checkInputs(name, cond, a, b);
  const out = gpuTensor(outShape, gpuDType(dtype, name));
  const as = dtype === "int32" ? "i32" : "f32";
  // As the CPU's `cond ? a : b`: 0 and NaN are false.
  const test = cond.dtype === "int32" ? "c != 0" : "c != 0.0 && !isNan(c)";
  return runMap(
    name,
    "select",
    [
      { name: "c", t: cond, as: "raw" },
      { name: "a", t: a, as },
      { name: "b", t: b, as },
    ],
    out,
    `select(b, a, ${test})`,
    as,
  );
}

export function cast(x: Tensor, dtype: DType): Tensor {
  checkInputs("cast", x);
  if (x.dtype === dtype) return x;
  const name = `cast to ${dtype}`;
  checkInputs(name, x);
  const out = gpuTensor(x.shape, gpuDType(dtype, name));
  return runMap(name, "cast", [{ name: "x", t: x, as: dtype === "int32" ? "i32" : "f32" }], out, "x", dtype === "int32" ? "i32" : "f32");
}

export function fill(shape: Shape, dtype: DType, value: number): Tensor {
  const d = gpuDType(dtype, "fill");
  if (value === 0) return zerosTensor(shape, d, "fill");
  const out = gpuTensor(shape, d);
  // The element's bits: as a Float32Array or Int32Array would store `value`.
  const bits = new Uint32Array((d === "int32" ? Int32Array : Float32Array).of(value).buffer)[0]!;
  const small = smallConstant(shape, d, bits);
  if (small) return small;
  return runMap("fill", "fill", [], out, `bitcast<${wgslType(d)}>(u.bits)`, d === "int32" ? "i32" : "f32", [{ name: "bits", type: "u32", value: bits }]);
}
