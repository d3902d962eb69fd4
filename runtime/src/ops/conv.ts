// 2-D convolution and pooling on NHWC images, with their derivative rules.
//
// conv2d is bilinear in (x, filter): its JVP is conv2d(dx, f) + conv2d(x, df), its VJP the
// transposed convolution of g with the filter (for x) and the correlation of x with g (for the
// filter). avgPool2d is linear. maxPool2d routes derivatives through the argmax of each window
// (the first maximal element on ties), the same index in both modes.

import type { ConvGeometry, PoolGeometry } from "../backends/backend.js";
import { backendOf, moveTo } from "../backends/index.js";
import { lazyCotangents } from "../ad/derivatives.js";
import { CotangentError } from "../errors.js";
import { promote, type DType } from "../tensor/dtype.js";
import { fmtShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { tAdd } from "./elementwise.js";
import { defineOp } from "./op.js";
import { castTo, requireTensor, tangentOf } from "./util.js";

export type Padding = "same" | "valid";

export interface Conv2DOptions {
  /** Step between windows: one number for both axes or [rows, columns]. Default 1. */
  stride?: number | readonly [number, number];
  /**
   * "valid" (default): only windows inside the input. "same": zeros around the input so that the
   * output has ceil(size / stride) rows and columns (TensorFlow's split: the smaller half before).
   */
  padding?: Padding;
}

export interface Pool2DOptions {
  /** Window size: one number for both axes or [rows, columns]. */
  size: number | readonly [number, number];
  /** Step between windows: one number or [rows, columns]. Default: the window size. */
  stride?: number | readonly [number, number];
  /**
   * "valid" (default) or "same" (output ceil(size / stride); positions outside the input are
   * ignored: the max and the mean are over the real elements of each window only).
   */
  padding?: Padding;
}

const CONV_OPTIONS = ["stride", "padding"];
const POOL_OPTIONS = ["size", "stride", "padding"];

function err(message: string): CotangentError {
  return new CotangentError("CT3005", message);
}

function checkOptions(options: unknown, allowed: readonly string[], op: string): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options))
    throw err(`${op}: options must be an object { ${allowed.join(", ")} }, got ${Array.isArray(options) ? "an array" : typeof options}.`);
  for (const key of Object.keys(options))
    if (!allowed.includes(key)) throw err(`${op}: unknown option '${key}' (${op} takes ${allowed.join(", ")}).`);
  return options as Record<string, unknown>;
}

function pairOf(v: unknown, what: string, op: string, fallback?: [number, number]): [number, number] {
  if (v === undefined && fallback) return fallback;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 1;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw err(`${op}: ${what} must be a positive integer or a pair [rows, columns] of positive integers, got ${v === undefined ? "nothing" : JSON.stringify(v)}.`);
}

function paddingOf(v: unknown, op: string): Padding {
  if (v === undefined) return "valid";
  if (v === "same" || v === "valid") return v;
  throw err(`${op}: padding must be "same" or "valid", got ${JSON.stringify(v)}.`);
}

function checkImage(x: Tensor, op: string, what: string): void {
  if (x.dtype === "int32")
    throw err(`${op}: ${what} has dtype int32; ${op} works on float32 and float64 tensors (cast it first: cast(x, "float32")).`);
  if (x.rank !== 4)
    throw err(`${op}: ${what} must have rank 4, got rank ${x.rank} ${fmtShape(x.shape)}.${what === "the input" ? " Images are NHWC: [batch, height, width, channels] (use expandDims for a single image)." : " Filters are HWIO: [height, width, inChannels, outChannels]."}`);
}

/** Output size and padding before, along one axis. */
function axis(size: number, window: number, stride: number, padding: Padding): { out: number; before: number } | null {
  if (padding === "same") {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + window - size, 0);
    return { out, before: Math.floor(total / 2) };
  }
  if (window > size) return null;
  return { out: Math.floor((size - window) / stride) + 1, before: 0 };
}

// ---- conv2d ------------------------------------------------------------------------------------

interface ConvSetup {
  geom: ConvGeometry;
  dtype: DType;
  outShape: number[];
}

function convSetup(x: Tensor, filter: Tensor, options: Conv2DOptions | undefined): ConvSetup {
  const op = "conv2d";
  requireTensor(x, op, "the input");
  requireTensor(filter, op, "the filter");
  checkImage(x, op, "the input");
  checkImage(filter, op, "the filter");
  const o = checkOptions(options, CONV_OPTIONS, op);
  const [sh, sw] = pairOf(o.stride, "stride", op, [1, 1]);
  const padding = paddingOf(o.padding, op);
  const [batch, inH, inW, inC] = x.shape as [number, number, number, number];
  const [fh, fw, fc, outC] = filter.shape as [number, number, number, number];
  const shapes = `${fmtShape(x.shape)} * ${fmtShape(filter.shape)}`;
  if (fc !== inC) throw err(`${op}: input has ${inC} channel${inC === 1 ? "" : "s"} but the filter expects ${fc}: ${shapes}.`);
  if (fh === 0 || fw === 0) throw err(`${op}: the filter has an empty window (${fh}×${fw}): ${shapes}.`);
  const ay = axis(inH, fh, sh, padding);
  const ax = axis(inW, fw, sw, padding);
  if (!ay || !ax)
    throw err(`${op}: the filter window (${fh}×${fw}) is larger than the input (${inH}×${inW}) with padding "valid": ${shapes}; use padding "same" or a smaller filter.`);
  const geom: ConvGeometry = { batch, inH, inW, inC, fh, fw, outC, outH: ay.out, outW: ax.out, sh, sw, padTop: ay.before, padLeft: ax.before };
  return { geom, dtype: promote(x.dtype, filter.dtype), outShape: [batch, ay.out, ax.out, outC] };
}

/** conv2d of x and filter for a checked setup; `keep` also returns the im2col matrix (or null). */
function convForward(x: Tensor, filter: Tensor, s: ConvSetup): { y: Tensor } {
  const be = backendOf(x, filter);
  return { y: be.conv2d(moveTo(x, be), moveTo(filter, be), s.geom, s.dtype) };
}

function conv2dValue(x: Tensor, filter: Tensor, options?: Conv2DOptions): Tensor {
  return convForward(x, filter, convSetup(x, filter, options)).y;
}

/**
 * 2-D convolution (cross-correlation, as in TensorFlow and PyTorch) of NHWC images x
 * [batch, height, width, inChannels] with an HWIO filter [fh, fw, inChannels, outChannels]; the
 * result is [batch, outHeight, outWidth, outChannels]. float32 runs im2col + the WebAssembly SIMD
 * matmul kernel. Differentiable in both x and the filter.
 *
 * @example
 * conv2d(images, kernel, { padding: "same" });          // [64,28,28,1] * [3,3,1,16] → [64,28,28,16]
 * conv2d(h, kernel2, { stride: 2, padding: "same" });   // halves height and width
 */
export const conv2d = defineOp((x: Tensor, filter: Tensor, options?: Conv2DOptions): Tensor => conv2dValue(x, filter, options), {
  name: "conv2d",
  family: "conv",
  arity: 3,
  wrt: [0, 1],
  jvp(x: Tensor, filter: Tensor, options: Conv2DOptions | undefined, dx: unknown, dFilter: unknown) {
    const s = convSetup(x, filter, options);
    const value = convForward(x, filter, s).y;
    const a = tangentOf(x, dx, "conv2d", "the input");
    const b = tangentOf(filter, dFilter, "conv2d", "the filter");
    // Bilinear: d(x ⋆ f) = dx ⋆ f + x ⋆ df.
    const t = tAdd(a && convForward(a, filter, s).y, b && convForward(x, b, s).y);
    return { value, tangent: t && castTo(t, value.dtype) };
  },
  vjp(x: Tensor, filter: Tensor, options: Conv2DOptions | undefined) {
    const s = convSetup(x, filter, options);
    const { y: value } = convForward(x, filter, s);
    return {
      value,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null, null];
        const be = value.backend;
        const gy = moveTo(g, be);
        // Each gradient is computed only if read (a constant input or filter needs none).
        return lazyCotangents([
          () => castTo(be.conv2dBackwardInput(gy, moveTo(filter, be), s.geom, s.dtype), x.dtype),
          () => castTo(be.conv2dBackwardFilter(moveTo(x, be), gy, s.geom, s.dtype), filter.dtype),
          null,
        ]);
      },
    };
  },
});

// ---- pooling -----------------------------------------------------------------------------------

function poolSetup(x: Tensor, options: Pool2DOptions | undefined, op: string): { geom: PoolGeometry; outShape: number[] } {
  requireTensor(x, op, "the input");
  checkImage(x, op, "the input");
  if (options === undefined || options === null) throw err(`${op}: options { size, stride?, padding? } are required (the window size at least).`);
  const o = checkOptions(options, POOL_OPTIONS, op);
  const [kh, kw] = pairOf(o.size, "size", op);
  const [sh, sw] = pairOf(o.stride, "stride", op, [kh, kw]);
  const padding = paddingOf(o.padding, op);
  const [batch, inH, inW, channels] = x.shape as [number, number, number, number];
  const ay = axis(inH, kh, sh, padding);
  const ax = axis(inW, kw, sw, padding);
  if (!ay || !ax)
    throw err(`${op}: the window (${kh}×${kw}) is larger than the input (${inH}×${inW}) with padding "valid": ${fmtShape(x.shape)}; use padding "same" or a smaller window.`);
  const geom: PoolGeometry = { batch, inH, inW, channels, kh, kw, outH: ay.out, outW: ax.out, sh, sw, padTop: ay.before, padLeft: ax.before };
  return { geom, outShape: [batch, ay.out, ax.out, channels] };
}

function maxPoolForward(x: Tensor, options: Pool2DOptions | undefined): { y: Tensor; argmax: Tensor } {
  const { geom } = poolSetup(x, options, "maxPool2d");
  return x.backend.maxPool2d(x, geom);
}

/**
 * Max pooling of NHWC images x over size×size windows (stride defaults to the window size). With
 * padding "same" the windows at the border see only real elements. The derivative goes to the
 * first maximal element of each window.
 *
 * @example
 * maxPool2d(h, { size: 2 }); // [64,28,28,16] → [64,14,14,16]
 */
export const maxPool2d = defineOp((x: Tensor, options: Pool2DOptions): Tensor => maxPoolForward(x, options).y, {
  name: "maxPool2d",
  family: "conv",
  arity: 2,
  wrt: [0],
  jvp(x: Tensor, options: Pool2DOptions | undefined, dx: unknown) {
    const { y, argmax } = maxPoolForward(x, options);
    const d = tangentOf(x, dx, "maxPool2d", "the input");
    if (d === null) return { value: y, tangent: null };
    return { value: y, tangent: castTo(y.backend.gatherAt(moveTo(d, y.backend), argmax), y.dtype) };
  },
  vjp(x: Tensor, options: Pool2DOptions | undefined) {
    const { y, argmax } = maxPoolForward(x, options);
    return {
      value: y,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null];
        return [castTo(x.backend.scatterAddAt(moveTo(g, x.backend), argmax, x.shape), x.dtype), null];
      },
    };
  },
});

/**
 * Where each output of `maxPool2d(x, options)` comes from: the flat index into x (int32, the
 * output's shape; the first maximum of a window on ties). No derivative (an index is an integer).
 * With `gather(reshape(x, [-1]), maxPool2dIndices(x, options))` it gives max pooling's tangent as
 * composed ops (runtime/rules/jvp.ts), so max pooling can be differentiated twice.
 *
 * @example
 * maxPool2dIndices(tensor([[[[1], [3]], [[2], [0]]]]), { size: 2 }); // [[[[1]]]]: x's element 1
 */
export const maxPool2dIndices = defineOp((x: Tensor, options: Pool2DOptions): Tensor => maxPoolForward(x, options).argmax, {
  name: "maxPool2dIndices",
  family: "conv",
  why: "an index is an integer, which has no derivative",
});

function avgPoolValue(x: Tensor, options: Pool2DOptions | undefined): Tensor {
  const { geom } = poolSetup(x, options, "avgPool2d");
  return x.backend.avgPool2d(x, geom);
}

/**
 * Average pooling of NHWC images x over size×size windows (stride defaults to the window size).
 * With padding "same" each border window averages its real elements only (as TensorFlow does).
 *
 * @example
 * avgPool2d(h, { size: 2 });                      // [64,28,28,16] → [64,14,14,16]
 * avgPool2d(h, { size: 3, stride: 1, padding: "same" });
 */
export const avgPool2d = defineOp((x: Tensor, options: Pool2DOptions): Tensor => avgPoolValue(x, options), {
  name: "avgPool2d",
  family: "conv",
  arity: 2,
  wrt: [0],
  jvp(x: Tensor, options: Pool2DOptions | undefined, dx: unknown) {
    const value = avgPoolValue(x, options);
    const d = tangentOf(x, dx, "avgPool2d", "the input");
    return { value, tangent: d && avgPoolValue(castTo(d, value.dtype), options) };
  },
  vjp(x: Tensor, options: Pool2DOptions | undefined) {
    const { geom } = poolSetup(x, options, "avgPool2d");
    const value = avgPoolValue(x, options);
    return {
      value,
      pullback: (g: Tensor | null) => {
        if (g === null) return [null, null];
        return [castTo(x.backend.avgPool2dBackward(moveTo(g, x.backend), geom), x.dtype), null];
      },
    };
  },
});
