/// <reference types="@webgpu/types" />
// Optimizer kernels on WebGPU: Adam steps, m and v updated in place: one parameter per dispatch
// (adam), or as many as the device's storage bindings allow (adamMany: five bindings each).

import type { AdamStep } from "../backend.js";
import type { Tensor } from "../../tensor/tensor.js";
import { CotangentError } from "../../errors.js";
import { gpu } from "./context.js";
import { checkInputs, dispatch, grid, gpuTensor, linearIndex, uniforms } from "./program.js";

const WG = 256;

export function adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, s: AdamStep): Tensor {
  checkInputs("adam", param, grad, m, v);
  if (param.dtype !== "float32" || m.dtype !== "float32" || v.dtype !== "float32")
    throw new CotangentError("CT3009", `webgpu adam: parameters and moments must be float32 on WebGPU (got ${param.dtype}).`);
  const out = gpuTensor(param.shape, "float32");
  const n = param.size;
  if (n === 0) return out;
  const gt = grad.dtype === "int32" ? "i32" : "f32";
  const code = /* wgsl */ `
@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<${gt}>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
struct U { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, c1: f32, c2: f32, }
@group(0) @binding(5) var<uniform> u: U;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = ${linearIndex(WG)};
  if (i >= u.n) { return; }
  let gi = f32(g[i]);
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  out[i] = p[i] - (u.lr * (mi / u.c1)) / (sqrt(vi / u.c2) + u.eps);
}
`;
  const data = uniforms([{ u32: n }, { f32: s.lr }, { f32: s.beta1 }, { f32: s.beta2 }, { f32: s.eps }, { f32: s.c1 }, { f32: s.c2 }]);
  dispatch({ key: `adam|${gt}`, code }, [param, grad, m, v, out], data, grid(Math.ceil(n / WG)), "adam");
  return out;
}

/** The Adam update of one element (WGSL), parameter k's bindings p{k}, g{k}, m{k}, v{k}, o{k}, element j. */
const adamElement = (k: number) =>
  `let gi = f32(g${k}[j]);
    let mi = u.beta1 * m${k}[j] + (1.0 - u.beta1) * gi;
    let vi = u.beta2 * v${k}[j] + (1.0 - u.beta2) * gi * gi;
    m${k}[j] = mi;
    v${k}[j] = vi;
    o${k}[j] = p${k}[j] - (u.lr * (mi / u.c1)) / (sqrt(vi / u.c2) + u.eps);`;

/**
 * Adam steps for several parameters with the same hyperparameters: the parameters in groups that
 * fit the device's storage bindings, one dispatch per group over all their elements (each
 * invocation finds its parameter by the running element counts). The same arithmetic as adam.
 */
export function adamMany(items: readonly { param: Tensor; grad: Tensor; m: Tensor; v: Tensor }[], s: AdamStep): Tensor[] {
  for (const it of items) {
    checkInputs("adam", it.param, it.grad, it.m, it.v);
    if (it.param.dtype !== "float32" || it.m.dtype !== "float32" || it.v.dtype !== "float32")
      throw new CotangentError("CT3009", `webgpu adam: parameters and moments must be float32 on WebGPU (got ${it.param.dtype}).`);
  }
  const perGroup = Math.max(1, Math.floor(gpu("adam").limits.maxStorageBuffersPerShaderStage / 5));
  const outs = items.map((it) => gpuTensor(it.param.shape, "float32"));
  const live = items.map((_, i) => i).filter((i) => items[i]!.param.size > 0);
  for (let g0 = 0; g0 < live.length; g0 += perGroup) {
    const group = live.slice(g0, g0 + perGroup);
    let total = 0;
    const ends = group.map((i) => (total += items[i]!.param.size));
    let bindings = "";
    group.forEach((i, k) => {
      const gt = items[i]!.grad.dtype === "int32" ? "i32" : "f32";
      const b = k * 5;
      bindings += `@group(0) @binding(${b}) var<storage, read> p${k}: array<f32>;
@group(0) @binding(${b + 1}) var<storage, read> g${k}: array<${gt}>;
@group(0) @binding(${b + 2}) var<storage, read_write> m${k}: array<f32>;
@group(0) @binding(${b + 3}) var<storage, read_write> v${k}: array<f32>;
@group(0) @binding(${b + 4}) var<storage, read_write> o${k}: array<f32>;
`;
    });
    const branches = group
      .map((_, k) => `${k ? " else " : "  "}if (i < u.e${k}) {\n    let j = i${k ? ` - u.e${k - 1}` : ""};\n    ${adamElement(k)}\n  }`)
      .join("");
    const code = `${bindings}struct U { lr: f32, beta1: f32, beta2: f32, eps: f32, c1: f32, c2: f32, ${group.map((_, k) => `e${k}: u32,`).join(" ")} }
@group(0) @binding(${group.length * 5}) var<uniform> u: U;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = ${linearIndex(WG)};
${branches}
}
`;
    const data = uniforms([{ f32: s.lr }, { f32: s.beta1 }, { f32: s.beta2 }, { f32: s.eps }, { f32: s.c1 }, { f32: s.c2 }, ...ends.map((e) => ({ u32: e }))]);
    const key = `adamMany|${group.map((i) => (items[i]!.grad.dtype === "int32" ? "i" : "f")).join("")}`;
    const tensors = group.flatMap((i) => [items[i]!.param, items[i]!.grad, items[i]!.m, items[i]!.v, outs[i]!]);
    dispatch({ key, code }, tensors, data, grid(Math.ceil(total / WG)), "adam");
  }
  return outs;
}
