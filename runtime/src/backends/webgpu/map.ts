/// <reference types="@webgpu/types" />
// Kernel functions (map(f), ../../ops/map.ts) on WebGPU: the WGSL the build compiled from a
// `/** @differentiable @kernel */` function (transformer/src/kernel.ts: `fn kernel(…) -> f32`,
// `fn partials(…) -> array<f32, n + 1>`) wrapped in one elementwise dispatch per call: the value,
// the tangent Σⱼ tⱼ·∂f/∂xⱼ, or every input's cotangent g·∂f/∂xⱼ at once (one output per input).
// Inputs arrive in float32, in shapes that broadcast to the result's (read through strides).

import type { ScalarKernel } from "../backend.js";
import { CotangentError } from "../../errors.js";
import type { DType } from "../../tensor/dtype.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { Shape } from "../../tensor/shape.js";
import { broadcastLayout } from "./elementwise.js";
import { checkInputs, dispatch, gpuTensor, grid, linearIndex, uniforms } from "./program.js";

const WG = 256;

function float32(dtype: DType, kernel: ScalarKernel): void {
  if (dtype !== "float32") throw new CotangentError("CT3009", `webgpu map(${kernel.name}): kernels run in float32 on WebGPU (float64 tensors stay on the CPU).`);
}

/**
 * One dispatch over the n positions of the outputs: `reads` (of shapes that broadcast to the
 * outputs', read through strides: a bias [n] against [b, n] costs no copy) bound first, then
 * `outputs` (read_write), then the uniform block. The body sees input k as `x{k}` at the position.
 */
function run(kernel: ScalarKernel, mode: string, reads: readonly Tensor[], outputs: readonly Tensor[], body: string): void {
  const n = outputs[0]!.size;
  if (n === 0) return;
  const layout = broadcastLayout(outputs[0]!.shape, reads.map((t) => t.shape));
  const fields: { name: string; value: number }[] = [{ name: "n", value: n }];
  const strided = reads.map((_, k) => k).filter((k) => layout.access[k] === "strided");
  let indexing = "";
  if (strided.length) {
    layout.dims.forEach((d, j) => fields.push({ name: `d${j}`, value: d }));
    for (const k of strided) layout.strides[k]!.forEach((st, j) => fields.push({ name: `s${k}_${j}`, value: st }));
    indexing += "  var r = i;\n";
    for (const k of strided) indexing += `  var i${k} = 0u;\n`;
    for (let j = layout.dims.length - 1; j >= 0; j--) {
      indexing += j > 0 ? `  let c${j} = r % u.d${j}; r = r / u.d${j};\n` : "  let c0 = r;\n";
      for (const k of strided) indexing += `  i${k} += c${j} * u.s${k}_${j};\n`;
    }
  }
  const at = (k: number) => (layout.access[k] === "same" ? "i" : layout.access[k] === "scalar" ? "0u" : `i${k}`);
  const loads = reads.map((_, k) => `  let x${k} = in${k}[${at(k)}];`).join("\n");
  const bindings = [
    ...reads.map((_, k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<f32>;`),
    ...outputs.map((_, k) => `@group(0) @binding(${reads.length + k}) var<storage, read_write> out${k}: array<f32>;`),
  ].join("\n");
  const code = `${kernel.wgsl}
${bindings}
struct U { ${fields.map((f) => `${f.name}: u32,`).join(" ")} }
@group(0) @binding(${reads.length + outputs.length}) var<uniform> u: U;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
${indexing}${loads}
${body}
}
`;
  // The key names the kernel's code itself (two functions of one name never share a pipeline) and the read layout.
  const key = `map:${mode}:${kernel.name}:${hash(kernel.wgsl)}|${layout.access.join(",")}|r${strided.length ? layout.dims.length : 0}`;
  dispatch({ key, code }, [...reads, ...outputs], uniforms(fields.map((f) => ({ u32: f.value }))), grid(Math.ceil(n / WG)), `map(${kernel.name})`);
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16) + s.length.toString(16);
}

const args = (k: number) => Array.from({ length: k }, (_, j) => `x${j}`).join(", ");

export function mapForward(kernel: ScalarKernel, inputs: readonly Tensor[], shape: Shape, dtype: DType): Tensor {
  float32(dtype, kernel);
  checkInputs(`map(${kernel.name})`, ...inputs);
  const out = gpuTensor(shape, "float32");
  run(kernel, "forward", inputs, [out], `  out0[i] = kernel(${args(inputs.length)});`);
  return out;
}

export function mapTangent(kernel: ScalarKernel, inputs: readonly Tensor[], tangents: readonly Tensor[], shape: Shape, dtype: DType): Tensor {
  float32(dtype, kernel);
  checkInputs(`map(${kernel.name})`, ...inputs, ...tangents);
  const k = inputs.length;
  const out = gpuTensor(shape, "float32");
  const sum = Array.from({ length: k }, (_, j) => `p[${j + 1}] * x${k + j}`).join(" + ");
  run(kernel, "tangent", [...inputs, ...tangents], [out], `  let p = partials(${args(k)});\n  out0[i] = ${sum || "0.0"};`);
  return out;
}

export function mapBackward(kernel: ScalarKernel, inputs: readonly Tensor[], g: Tensor, dtype: DType): Tensor[] {
  float32(dtype, kernel);
  checkInputs(`map(${kernel.name})`, ...inputs, g);
  const k = inputs.length;
  const outs = inputs.map(() => gpuTensor(g.shape, "float32"));
  const writes = Array.from({ length: k }, (_, j) => `  out${j}[i] = x${k} * p[${j + 1}];`).join("\n");
  run(kernel, "backward", [...inputs, g], outs, `  let p = partials(${args(k)});\n${writes}`);
  return outs;
}
