/// <reference types="@webgpu/types" />
// Kernel functions (map(f), ../../ops/map.ts) on WebGPU: the WGSL the build compiled from a
// `/** @differentiable @kernel */` function (transformer/src/kernel.ts: `fn kernel(…) -> f32`,
// `fn partials(…) -> array<f32, n + 1>`) wrapped in one elementwise dispatch per call: the value,
// the tangent Σⱼ tⱼ·∂f/∂xⱼ, or every input's cotangent g·∂f/∂xⱼ at once (one output per input).
// Inputs arrive with one shape and float32.

import type { ScalarKernel } from "../backend.js";
import { CotangentError } from "../../errors.js";
import type { DType } from "../../tensor/dtype.js";
import type { Tensor } from "../../tensor/tensor.js";
import { checkInputs, dispatch, gpuTensor, grid, linearIndex, uniforms } from "./program.js";

const WG = 256;

function float32(dtype: DType, kernel: ScalarKernel): void {
  if (dtype !== "float32") throw new CotangentError("CT3009", `webgpu map(${kernel.name}): kernels run in float32 on WebGPU (float64 tensors stay on the CPU).`);
}

/** One dispatch over n positions: `reads` bound first, then `outputs` (read_write), then the uniform n. */
function run(kernel: ScalarKernel, mode: string, reads: readonly Tensor[], outputs: readonly Tensor[], body: string): void {
  const n = outputs[0]!.size;
  if (n === 0) return;
  const bindings = [
    ...reads.map((_, k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<f32>;`),
    ...outputs.map((_, k) => `@group(0) @binding(${reads.length + k}) var<storage, read_write> out${k}: array<f32>;`),
  ].join("\n");
  const code = `${kernel.wgsl}
${bindings}
struct U { n: u32, }
@group(0) @binding(${reads.length + outputs.length}) var<uniform> u: U;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
${body}
}
`;
  // The key names the kernel's code itself: two functions of one name never share a pipeline.
  const key = `map:${mode}:${kernel.name}:${hash(kernel.wgsl)}`;
  dispatch({ key, code }, [...reads, ...outputs], uniforms([{ u32: n }]), grid(Math.ceil(n / WG)), `map(${kernel.name})`);
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16) + s.length.toString(16);
}

const args = (k: number) => Array.from({ length: k }, (_, j) => `in${j}[i]`).join(", ");

export function mapForward(kernel: ScalarKernel, inputs: readonly Tensor[], dtype: DType): Tensor {
  float32(dtype, kernel);
  checkInputs(`map(${kernel.name})`, ...inputs);
  const out = gpuTensor(inputs[0]!.shape, "float32");
  run(kernel, "forward", inputs, [out], `  out0[i] = kernel(${args(inputs.length)});`);
  return out;
}

export function mapTangent(kernel: ScalarKernel, inputs: readonly Tensor[], tangents: readonly Tensor[], dtype: DType): Tensor {
  float32(dtype, kernel);
  checkInputs(`map(${kernel.name})`, ...inputs, ...tangents);
  const k = inputs.length;
  const out = gpuTensor(inputs[0]!.shape, "float32");
  const sum = Array.from({ length: k }, (_, j) => `p[${j + 1}] * in${k + j}[i]`).join(" + ");
  run(kernel, "tangent", [...inputs, ...tangents], [out], `  let p = partials(${args(k)});\n  out0[i] = ${sum || "0.0"};`);
  return out;
}

export function mapBackward(kernel: ScalarKernel, inputs: readonly Tensor[], g: Tensor, dtype: DType): Tensor[] {
  float32(dtype, kernel);
  checkInputs(`map(${kernel.name})`, ...inputs, g);
  const k = inputs.length;
  const outs = inputs.map((x) => gpuTensor(x.shape, "float32"));
  const writes = Array.from({ length: k }, (_, j) => `  out${j}[i] = in${k}[i] * p[${j + 1}];`).join("\n");
  run(kernel, "backward", [...inputs, g], outs, `  let p = partials(${args(k)});\n${writes}`);
  return outs;
}
