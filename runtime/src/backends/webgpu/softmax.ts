// WebGPU logSoftmax along one axis, stable: with m the line's maximum (0 when it is not finite, as
// on the CPU), y = (x − m) − log Σ exp(x − m). Lines (x as [outer, len, inner]) that are
// contiguous and long get one workgroup each (max and sum as tree reductions in workgroup
// memory); otherwise one invocation walks each line three times.

import type { Tensor } from "../../tensor/tensor.js";
import { COMMON, ELEMENT_MAIN, grid, linesOf, storageDecl, uniformData, uniformDecl, wgslType, type UField } from "./movement.js";
import { dispatch, gpuTensor } from "./program.js";

const WG = 256;

/** WGSL helpers: NaN and finiteness by the bits (comparisons with NaN may be optimized away), NaN-winning max. */
const HELPERS = `${COMMON}fn isFinite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }
fn maxNan(a: f32, b: f32) -> f32 {
  if (isNan(a)) { return a; }
  if (isNan(b)) { return b; }
  return select(a, b, b > a);
}
`;

/** log(softmax(x)) along `axis`; float32 result (int32 input converted). */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  const out = gpuTensor(x.shape, "float32");
  if (x.size === 0) return out;
  const [outer, len, inner] = linesOf(x.shape, axis);
  const TX = wgslType(x.dtype);
  const read = (e: string): string => (TX === "f32" ? e : `f32(${e})`);
  if (inner === 1 && len >= 64) {
    const fields: UField[] = [
      ["lines", "u32", outer],
      ["len", "u32", len],
    ];
    const code = `${storageDecl(0, "x", TX)}${storageDecl(1, "out", "f32", true)}${uniformDecl(fields, 2)}${HELPERS}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= u.lines) { return; }
  let base = w * u.len;
  var m = ${read("x[base]")};
  for (var r = lid.x; r < u.len; r += ${WG}u) { m = maxNan(m, ${read("x[base + r]")}); }
  part[lid.x] = m;
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid.x < s) { part[lid.x] = maxNan(part[lid.x], part[lid.x + s]); }
  }
  workgroupBarrier();
  m = part[0];
  if (!isFinite(m)) { m = 0.0; }
  workgroupBarrier();
  var e = 0.0;
  for (var r = lid.x; r < u.len; r += ${WG}u) { e += exp(${read("x[base + r]")} - m); }
  part[lid.x] = e;
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
  }
  workgroupBarrier();
  let l = log(part[0]);
  for (var r = lid.x; r < u.len; r += ${WG}u) { out[base + r] = (${read("x[base + r]")} - m) - l; }
}`;
    const gy = Math.ceil(outer / 65535);
    dispatch({ key: `logSoftmaxRows:${TX}`, code }, [x, out], uniformData(fields), [Math.ceil(outer / gy), gy], "logSoftmax");
    return out;
  }
  const n = outer * inner;
  const fields: UField[] = [
    ["n", "u32", n],
    ["len", "u32", len],
    ["inner", "u32", inner],
  ];
  const code = `${storageDecl(0, "x", TX)}${storageDecl(1, "out", "f32", true)}${uniformDecl(fields, 2)}${HELPERS}
${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  let base = (i / u.inner) * u.len * u.inner + i % u.inner;
  var m = ${read("x[base]")};
  for (var r = 1u; r < u.len; r++) { m = maxNan(m, ${read("x[base + r * u.inner]")}); }
  if (!isFinite(m)) { m = 0.0; }
  var e = 0.0;
  for (var r = 0u; r < u.len; r++) { e += exp(${read("x[base + r * u.inner]")} - m); }
  let l = log(e);
  for (var r = 0u; r < u.len; r++) {
    let j = base + r * u.inner;
    out[j] = (${read("x[j]")} - m) - l;
  }
}`;
  dispatch({ key: `logSoftmaxCols:${TX}`, code }, [x, out], uniformData(fields), grid(n), "logSoftmax");
  return out;
}

// ---- mean cross-entropy from log-probabilities (ops/nn.ts crossEntropy) ---------------------------
// Both kernels compute what the op's unfused kernels do, in fewer passes: the loss is Σ onehot·logp
// over the whole [b, c] matrix (so a −∞ or NaN anywhere in a row gives NaN, as 0·−∞ does there)
// times the float32 scale −1/b, in one workgroup (a tree reduction; sums in another order than
// the reduce kernel's); the cotangent is (exp(logp) − onehot) · (g · 1/b).

/** Rows short enough (and matrices small enough) for one workgroup to compute logSoftmax and the loss together. */
const FUSED_CLASSES = 64;
const FUSED_ELEMENTS = 1 << 20;
const LOSS_ELEMENTS = 1 << 24;

/**
 * The mean cross-entropy −(1/b) Σᵢ Σ_c onehot(labels)ᵢ_c · logpᵢ_c as a scalar, and logp =
 * logSoftmax(logits) along the last axis. Rows shorter than 64 (where logSoftmax walks each row in
 * one invocation) in one dispatch, with logSoftmax's arithmetic; otherwise logSoftmax, then the loss; null past 16M elements.
 */
export function crossEntropyLoss(logits: Tensor, labels: Tensor): { loss: Tensor; logp: Tensor } | null {
  const [b, c] = logits.shape as [number, number];
  // One workgroup sums the matrix: past 16M elements the unfused reduction (many workgroups) is faster.
  if (b * c > LOSS_ELEMENTS) return null;
  const together = c < FUSED_CLASSES && b * c <= FUSED_ELEMENTS && b * c > 0;
  const logp = together ? gpuTensor(logits.shape, "float32") : logSoftmax(logits, 1);
  const out = gpuTensor([], "float32");
  const TX = wgslType(logits.dtype);
  const read = (e: string): string => (TX === "f32" ? e : `f32(${e})`);
  const fields: UField[] = [
    ["n", "u32", b * c],
    ["rows", "u32", b],
    ["classes", "u32", c],
    ["scale", "f32", b ? -1 / b : NaN],
  ];
  // Each invocation's share of Σ onehot · logp: over rows it normalizes itself (as logSoftmax's
  // per-line kernel does), or over a stride of the given logp.
  const partialSum = together
    ? `  for (var row = t; row < u.rows; row += ${WG}u) {
    let base = row * u.classes;
    var m = ${read("x[base]")};
    for (var r = 1u; r < u.classes; r++) { m = maxNan(m, ${read("x[base + r]")}); }
    if (!isFinite(m)) { m = 0.0; }
    var e = 0.0;
    for (var r = 0u; r < u.classes; r++) { e += exp(${read("x[base + r]")} - m); }
    let l = log(e);
    for (var r = 0u; r < u.classes; r++) {
      let v = (${read("x[base + r]")} - m) - l;
      lp[base + r] = v;
      s += select(0.0, 1.0, labels[row] == i32(r)) * v;
    }
  }`
    : `  for (var i = t; i < u.n; i += ${WG}u) {
    s += select(0.0, 1.0, labels[i / u.classes] == i32(i % u.classes)) * lp[i];
  }`;
  const inputs = together ? `${storageDecl(0, "x", TX)}${storageDecl(1, "labels", "i32")}${storageDecl(2, "lp", "f32", true)}${storageDecl(3, "out", "f32", true)}` : `${storageDecl(0, "lp", "f32")}${storageDecl(1, "labels", "i32")}${storageDecl(2, "out", "f32", true)}`;
  const code = `${inputs}${uniformDecl(fields, together ? 4 : 3)}${HELPERS}
var<workgroup> partial: array<f32, ${WG}>;
@compute @workgroup_size(${WG}) fn main(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
${partialSum}
  partial[t] = s;
  for (var w = ${WG / 2}u; w > 0u; w = w / 2u) {
    workgroupBarrier();
    if (t < w) { partial[t] = partial[t] + partial[t + w]; }
  }
  if (t == 0u) { out[0] = partial[0] * u.scale; }
}`;
  const tensors = together ? [logits, labels, logp, out] : [logp, labels, out];
  dispatch({ key: together ? `crossEntropyWithLogSoftmax:${TX}` : "crossEntropyLoss", code }, tensors, uniformData(fields), [1], "crossEntropy");
  return { loss: out, logp };
}

/** (exp(logp) − onehot(labels)) · (g · 1/b) for the scalar cotangent g, one dispatch. */
export function crossEntropyBackward(logp: Tensor, labels: Tensor, g: Tensor): Tensor {
  const [b, c] = logp.shape as [number, number];
  const out = gpuTensor(logp.shape, "float32");
  const n = b * c;
  if (n === 0) return out;
  const fields: UField[] = [
    ["n", "u32", n],
    ["classes", "u32", c],
    ["invB", "f32", 1 / b],
  ];
  const code = `${storageDecl(0, "lp", "f32")}${storageDecl(1, "labels", "i32")}${storageDecl(2, "g", "f32")}${storageDecl(3, "out", "f32", true)}${uniformDecl(fields, 4)}
${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  let hot = select(0.0, 1.0, labels[i / u.classes] == i32(i % u.classes));
  out[i] = (exp(lp[i]) - hot) * (g[0] * u.invB);
}`;
  dispatch({ key: "crossEntropyBackward", code }, [logp, labels, g, out], uniformData(fields), grid(n), "crossEntropy");
  return out;
}
