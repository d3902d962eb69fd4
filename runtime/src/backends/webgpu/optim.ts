/// <reference types="@webgpu/types" />
// Optimizer kernels on WebGPU: one Adam step per parameter tensor, m and v updated in place.

import type { AdamStep } from "../backend.js";
import type { Tensor } from "../../tensor/tensor.js";
import { CotangentError } from "../../errors.js";
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
