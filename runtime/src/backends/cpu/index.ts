// The CPU backend: JavaScript loops over typed arrays, and WebAssembly SIMD for float32 matmul
// (so for convolutions too) and the Adam step. Always available; the reference the WebGPU
// backend is tested against.

import type { AdamStep, Backend, BinaryOp, ConvGeometry, PoolGeometry, Reduction, ScalarKernel, UnaryOp } from "../backend.js";
import { getDerivatives } from "../../ad/derivatives.js";
import { CotangentError } from "../../errors.js";
import { allocate, type DType, type TensorData } from "../../tensor/dtype.js";
import { sameShape, sizeOf, type Shape } from "../../tensor/shape.js";
import { Tensor, type CpuStorage } from "../../tensor/tensor.js";
import * as conv from "./conv.js";
import { arithBinary, mapBinary, scaleBySlope, select, type Arith } from "./elementwise.js";
import { matmul as matmulKernel } from "./matmul.js";
import { copyBox, gather as gatherKernel, scatterAdd as scatterAddKernel, transpose as transposeKernel } from "./movement.js";
import { BINARY, UNARY } from "./ops-table.js";
import { argReduce, reduce as reduceKernel } from "./reduce.js";
import { adamUpdateF32, wasmKernelsAvailable } from "./wasm/index.js";

function make(shape: Shape, dtype: DType): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape, dtype);
}

function valuesOf(t: Tensor): TensorData {
  return (t.storage as CpuStorage).values;
}

/** x's values as `dtype` (the same array when it already is). */
function valuesAs(t: Tensor, dtype: DType): TensorData {
  const v = valuesOf(t);
  if (t.dtype === dtype) return v;
  const out = allocate(dtype, v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]!;
  return out;
}

const ARITH: Partial<Record<BinaryOp, Arith>> = { add: "add", sub: "sub", mul: "mul", div: "div" };

/** a and b read at every position of `shape` (their broadcast). */
function broadcastValues(t: Tensor, shape: Shape): TensorData {
  if (sameShape(t.shape, shape)) return valuesOf(t);
  const out = allocate(t.dtype === "int32" ? "float64" : t.dtype, sizeOf(shape));
  mapBinary(valuesOf(t), t.shape, ZERO, [], out, shape, (v) => v);
  return out;
}
const ZERO = new Float64Array(1);

/** `partials(inputs at i, out)` without a spread per element for 1–3 inputs. */
function partialsAt(partials: NonNullable<ScalarKernel["partials"]>, vs: readonly TensorData[], p: Float64Array): (i: number) => void {
  if (vs.length === 1) {
    const [a] = vs as [TensorData];
    return (i) => partials(a[i], p);
  }
  if (vs.length === 2) {
    const [a, b] = vs as [TensorData, TensorData];
    return (i) => partials(a[i], b[i], p);
  }
  if (vs.length === 3) {
    const [a, b, c] = vs as [TensorData, TensorData, TensorData];
    return (i) => partials(a[i], b[i], c[i], p);
  }
  const args: unknown[] = new Array(vs.length + 1);
  args[vs.length] = p;
  return (i) => {
    for (let j = 0; j < vs.length; j++) args[j] = vs[j]![i];
    partials(...args);
  };
}

/** The JVP the build generated for a kernel function (its partials on the CPU). */
function kernelJvp(kernel: ScalarKernel): (...a: number[]) => { value: number; tangent: number } {
  const jvp = getDerivatives(kernel.fn)?.jvp;
  if (!jvp) throw new CotangentError("CT3001", `map(${kernel.name}): '${kernel.name}' has no generated derivatives; mark it /** @differentiable @kernel */.`);
  return jvp as (...a: number[]) => { value: number; tangent: number };
}

export const cpuBackend: Backend = {
  name: "cpu",
  caps: { syncRead: true, float64: true, priority: 0 },

  fromValues: (values, shape, dtype) => new Tensor(values, shape, dtype),
  read: async (x) => valuesOf(x).slice(),
  readSync: (x) => valuesOf(x).slice(),
  dispose: () => {},
  fill(shape, dtype, value) {
    const t = make(shape, dtype);
    if (value !== 0) valuesOf(t).fill(value);
    return t;
  },
  reshape: (x, shape) => new Tensor(valuesOf(x), shape, x.dtype),

  // Kernel functions run as JavaScript, element by element (their own code, and their JVP).
  mapForward(kernel, inputs, shape, dtype) {
    const out = make(shape, dtype);
    const ov = valuesOf(out);
    const vs = inputs.map((t) => broadcastValues(t, shape));
    const f = kernel.fn;
    const n = ov.length;
    // Direct calls for the common arities (a spread per element costs more than the kernel).
    if (vs.length === 1) {
      const [a] = vs as [TensorData];
      for (let i = 0; i < n; i++) ov[i] = f(a[i]!);
    } else if (vs.length === 2) {
      const [a, b] = vs as [TensorData, TensorData];
      for (let i = 0; i < n; i++) ov[i] = f(a[i]!, b[i]!);
    } else if (vs.length === 3) {
      const [a, b, c] = vs as [TensorData, TensorData, TensorData];
      for (let i = 0; i < n; i++) ov[i] = f(a[i]!, b[i]!, c[i]!);
    } else {
      const args = new Array<number>(vs.length);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < vs.length; j++) args[j] = vs[j]![i]!;
        ov[i] = f(...args);
      }
    }
    return out;
  },
  mapTangent(kernel, inputs, tangents, shape, dtype) {
    const out = make(shape, dtype);
    const ov = valuesOf(out);
    const vs = inputs.map((t) => broadcastValues(t, shape));
    const ts = tangents.map((t) => broadcastValues(t, shape));
    const k = vs.length;
    const partials = kernel.partials;
    if (partials) {
      // The build's partials: the value and every ∂f/∂xⱼ of one element in one call.
      const p = new Float64Array(k + 1);
      const at = partialsAt(partials, vs, p);
      for (let i = 0; i < ov.length; i++) {
        at(i);
        let t = 0;
        for (let j = 0; j < k; j++) t += p[j + 1]! * ts[j]![i]!;
        ov[i] = t;
      }
      return out;
    }
    const jvp = kernelJvp(kernel);
    const args = new Array<number>(2 * k);
    for (let i = 0; i < ov.length; i++) {
      for (let j = 0; j < k; j++) {
        args[j] = vs[j]![i]!;
        args[k + j] = ts[j]![i]!;
      }
      ov[i] = jvp(...args).tangent;
    }
    return out;
  },
  mapBackward(kernel, inputs, g, dtype) {
    const k = inputs.length;
    const outs = inputs.map(() => make(g.shape, dtype));
    const ovs = outs.map(valuesOf);
    const vs = inputs.map((t) => broadcastValues(t, g.shape));
    const gv = valuesOf(g);
    const partials = kernel.partials;
    if (partials) {
      const p = new Float64Array(k + 1);
      const at = partialsAt(partials, vs, p);
      for (let i = 0; i < gv.length; i++) {
        at(i);
        const gi = gv[i]!;
        for (let j = 0; j < k; j++) ovs[j]![i] = gi * p[j + 1]!;
      }
      return outs;
    }
    // Without them (a kernel registered by hand): one JVP per input with a unit tangent.
    const jvp = kernelJvp(kernel);
    const args = new Array<number>(2 * k);
    for (let i = 0; i < gv.length; i++) {
      for (let j = 0; j < k; j++) {
        args[j] = vs[j]![i]!;
        args[k + j] = 0;
      }
      for (let j = 0; j < k; j++) {
        args[k + j] = 1;
        ovs[j]![i] = gv[i]! * jvp(...args).tangent;
        args[k + j] = 0;
      }
    }
    return outs;
  },

  unary(op: UnaryOp, x, params, dtype) {
    const out = make(x.shape, dtype);
    const xv = valuesOf(x);
    const ov = valuesOf(out);
    if (op === "relu") {
      // The commonest activation: a loop without a call per element.
      for (let i = 0; i < ov.length; i++) {
        const v = xv[i]!;
        ov[i] = v > 0 ? v : v === v ? 0 : v;
      }
      return out;
    }
    const f = UNARY[op].f;
    for (let i = 0; i < ov.length; i++) ov[i] = f(xv[i]!, params);
    return out;
  },
  unaryBackward(op, g, x, y, params) {
    const out = make(y.shape, y.dtype);
    const df = UNARY[op].df;
    scaleBySlope(valuesOf(g), valuesOf(x), valuesOf(y), valuesOf(out), (a, b) => df(a, b, params));
    return out;
  },
  binary(op, a, b, outShape, dtype) {
    const out = make(outShape, dtype);
    const arith = ARITH[op];
    const [av, bv, ov] = [valuesOf(a), valuesOf(b), valuesOf(out)];
    if (arith === undefined || !arithBinary(av, a.shape, bv, b.shape, ov, outShape, arith)) mapBinary(av, a.shape, bv, b.shape, ov, outShape, BINARY[op].f);
    return out;
  },
  binaryBackward(op, operand, g, a, b, y) {
    const shape = g.shape;
    // ∂/∂ = 1: the cotangent itself (tensors are immutable, so it can be shared).
    if (op === "add" || (op === "sub" && operand === 0)) return g;
    const out = make(shape, g.dtype);
    const ov = valuesOf(out);
    const gv = valuesOf(g);
    if (op === "sub") {
      for (let i = 0; i < ov.length; i++) ov[i] = -gv[i]!;
      return out;
    }
    if (op === "mul") {
      const other = operand === 0 ? b : a;
      if (!arithBinary(gv, shape, valuesOf(other), other.shape, ov, shape, "mul")) mapBinary(gv, shape, valuesOf(other), other.shape, ov, shape, (u, v) => u * v);
      return out;
    }
    const partial = operand === 0 ? BINARY[op].da! : BINARY[op].db!;
    const av = broadcastValues(a, shape);
    const bv = broadcastValues(b, shape);
    const yv = valuesOf(y);
    for (let i = 0; i < ov.length; i++) ov[i] = gv[i]! * partial(av[i]!, bv[i]!, yv[i]!);
    return out;
  },
  select(cond, a, b, outShape, dtype) {
    const out = make(outShape, dtype);
    select(valuesOf(cond), cond.shape, valuesOf(a), a.shape, valuesOf(b), b.shape, valuesOf(out), outShape);
    return out;
  },
  cast: (x, dtype) => (x.dtype === dtype ? x : new Tensor(valuesAs(x, dtype), x.shape, dtype)),

  reduce(kind: Reduction, x, axes, dtype) {
    const out = make(
      x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
      dtype,
    );
    const lead = axes.length > 0 && axes.every((a, i) => a === i) ? sizeOf(x.shape.slice(0, axes.length)) : 0;
    if (kind === "sum" && lead > 0 && x.size > 0) {
      // Summing leading axes (a bias's cotangent): add whole rows, in float64.
      const n = x.size / lead;
      const acc = new Float64Array(n);
      const xv = valuesOf(x);
      for (let o = 0; o < xv.length; o += n) for (let j = 0; j < n; j++) acc[j] += xv[o + j]!;
      valuesOf(out).set(acc);
      return out;
    }
    reduceKernel(valuesOf(x), x.shape, axes, valuesOf(out), kind);
    return out;
  },
  argReduce(x, axis, isMax) {
    const out = make(
      x.shape.filter((_, i) => i !== axis),
      "int32",
    );
    argReduce(valuesOf(x), x.shape, axis, valuesOf(out) as Int32Array, isMax);
    return out;
  },

  matmul(a, b, transposeA, transposeB, batchShape, dtype) {
    const [ar, ac] = a.shape.slice(-2) as [number, number];
    const [br, bc] = b.shape.slice(-2) as [number, number];
    const m = transposeA ? ac : ar;
    const k = transposeA ? ar : ac;
    const n = transposeB ? br : bc;
    const batch = sizeOf(batchShape);
    // Each operand is one matrix (reused for every batch entry) or one per entry.
    const batched = (t: Tensor, rows: number, cols: number): { v: TensorData; stride: number } => {
      const own = t.shape.slice(0, -2);
      if (sizeOf(own) === 1) return { v: valuesAs(t, dtype), stride: 0 };
      if (sameShape(own, batchShape)) return { v: valuesAs(t, dtype), stride: rows * cols };
      const full = [...batchShape, rows, cols];
      const out = allocate(dtype, sizeOf(full));
      mapBinary(valuesOf(t), t.shape, ZERO, [], out, full, (v) => v);
      return { v: out, stride: rows * cols };
    };
    const A = batched(a, ar, ac);
    const B = batched(b, br, bc);
    const out = make([...batchShape, m, n], dtype);
    matmulKernel(A.v, B.v, valuesOf(out), batch, m, k, n, transposeA, transposeB, A.stride, B.stride);
    return out;
  },

  transpose(x, perm) {
    const out = make(
      perm.map((p) => x.shape[p]!),
      x.dtype,
    );
    transposeKernel(valuesOf(x), x.shape, perm, valuesOf(out));
    return out;
  },
  broadcastTo(x, shape) {
    if (sameShape(x.shape, shape)) return x;
    const out = make(shape, x.dtype);
    mapBinary(valuesOf(x), x.shape, ZERO, [], valuesOf(out), shape, (v) => v);
    return out;
  },
  slice(x, begin, size) {
    const out = make(size, x.dtype);
    copyBox(valuesOf(x), x.shape, begin, valuesOf(out), size, size.map(() => 0), size);
    return out;
  },
  pad(x, before, shape, value) {
    const out = make(shape, x.dtype);
    if (value !== 0) valuesOf(out).fill(value);
    copyBox(valuesOf(x), x.shape, x.shape.map(() => 0), valuesOf(out), shape, before, x.shape);
    return out;
  },
  concat(xs, axis, dtype) {
    const shape = [...xs[0]!.shape];
    shape[axis] = xs.reduce((s, t) => s + t.shape[axis]!, 0);
    const out = make(shape, dtype);
    let at = 0;
    for (const t of xs) {
      copyBox(valuesAs(t, dtype), t.shape, t.shape.map(() => 0), valuesOf(out), shape, shape.map((_, j) => (j === axis ? at : 0)), t.shape);
      at += t.shape[axis]!;
    }
    return out;
  },
  gather(x, indices, axis) {
    const out = make([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
    gatherKernel(valuesOf(x), x.shape, axis, valuesOf(indices) as Int32Array, valuesOf(out));
    return out;
  },
  scatterAdd(g, indices, axis, shape) {
    const out = make(shape, g.dtype);
    scatterAddKernel(valuesOf(g), shape, axis, valuesOf(indices) as Int32Array, valuesOf(out));
    return out;
  },
  oneHot(indices, depth, dtype) {
    const out = make([...indices.shape, depth], dtype);
    const iv = valuesOf(indices);
    const ov = valuesOf(out);
    for (let i = 0; i < iv.length; i++) ov[i * depth + iv[i]!] = 1;
    return out;
  },

  logSoftmax(x, axis) {
    const dtype: DType = x.dtype === "int32" ? "float32" : x.dtype;
    const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
    const m = new Float64Array(sizeOf(kept));
    reduceKernel(valuesOf(x), x.shape, [axis], m, "max");
    for (let i = 0; i < m.length; i++) if (!Number.isFinite(m[i]!)) m[i] = 0;
    const e = new Float64Array(x.size);
    mapBinary(valuesOf(x), x.shape, m, kept, e, x.shape, (v, s) => Math.exp(v - s));
    const s = new Float64Array(m.length);
    reduceKernel(e, x.shape, [axis], s, "sum");
    for (let i = 0; i < s.length; i++) s[i] = Math.log(s[i]!);
    // (x − max) − log Σ: subtracting the two parts separately keeps large logits exact.
    const shifted = new Float64Array(x.size);
    mapBinary(valuesOf(x), x.shape, m, kept, shifted, x.shape, (v, mx) => v - mx);
    const out = make(x.shape, dtype);
    mapBinary(shifted, x.shape, s, kept, valuesOf(out), x.shape, (v, l) => v - l);
    return out;
  },

  conv2d(x, filter, g: ConvGeometry, dtype) {
    const out = make([g.batch, g.outH, g.outW, g.outC], dtype);
    conv.conv2dForward(valuesAs(x, dtype), valuesAs(filter, dtype), valuesOf(out), g);
    return out;
  },
  conv2dBackwardInput(gy, filter, g, dtype) {
    const out = make([g.batch, g.inH, g.inW, g.inC], dtype);
    conv.conv2dBackwardInput(valuesAs(gy, dtype), valuesAs(filter, dtype), valuesOf(out), g);
    return out;
  },
  conv2dBackwardFilter(x, gy, g, dtype) {
    const out = make([g.fh, g.fw, g.inC, g.outC], dtype);
    conv.conv2dBackwardFilter(valuesAs(x, dtype), valuesAs(gy, dtype), valuesOf(out), g);
    return out;
  },
  maxPool2d(x, g: PoolGeometry) {
    const y = make([g.batch, g.outH, g.outW, g.channels], x.dtype);
    const argmax = make(y.shape, "int32");
    conv.maxPool2d(valuesOf(x), g, valuesOf(y), valuesOf(argmax) as Int32Array);
    return { y, argmax };
  },
  scatterAddAt(gy, argmax, shape) {
    const out = make(shape, gy.dtype);
    conv.scatterAddAt(valuesOf(gy), valuesOf(argmax) as Int32Array, valuesOf(out));
    return out;
  },
  gatherAt(x, at) {
    const out = make(at.shape, x.dtype);
    conv.gatherAt(valuesOf(x), valuesOf(at) as Int32Array, valuesOf(out));
    return out;
  },
  avgPool2d(x, g) {
    const out = make([g.batch, g.outH, g.outW, g.channels], x.dtype);
    conv.avgPool2d(valuesOf(x), g, valuesOf(out));
    return out;
  },
  avgPool2dBackward(gy, g) {
    const out = make([g.batch, g.inH, g.inW, g.channels], gy.dtype);
    conv.avgPool2dBackward(valuesOf(gy), g, valuesOf(out));
    return out;
  },

  adam(param, grad, m, v, s: AdamStep) {
    const out = valuesOf(param).slice();
    const gv = valuesAs(grad, param.dtype);
    const mv = valuesOf(m);
    const vv = valuesOf(v);
    if (out instanceof Float32Array && gv instanceof Float32Array && mv instanceof Float32Array && vv instanceof Float32Array && wasmKernelsAvailable()) {
      adamUpdateF32(out, gv, mv, vv, s.lr, s.beta1, s.beta2, s.eps, s.c1, s.c2);
    } else {
      for (let i = 0; i < out.length; i++) {
        const gi = gv[i]!;
        mv[i] = s.beta1 * mv[i]! + (1 - s.beta1) * gi;
        vv[i] = s.beta2 * vv[i]! + (1 - s.beta2) * gi * gi;
        out[i] = out[i]! - (s.lr * (mv[i]! / s.c1)) / (Math.sqrt(vv[i]! / s.c2) + s.eps);
      }
    }
    return new Tensor(out, param.shape, param.dtype);
  },
};
