// CPU kernels for 2-D convolution and pooling on NHWC images.
//
// conv2d is im2col + matmul: each output pixel's receptive field (fh·fw·C values, in the filter's
// HWI order) becomes one row of a [pixels, fh·fw·C] matrix, and the HWIO filter is already the
// [fh·fw·C, O] matrix, so the convolution is one matrix product (float32 on the WebAssembly SIMD
// kernel of ./matmul.ts). The input gradient is the product with the transposed filter followed by
// col2im (the scatter-add back to pixels); the filter gradient is colsᵀ @ g. A 1×1 filter with
// stride 1 and no padding needs no im2col at all: x itself is the matrix. The matrix is built a
// few images at a time so that it stays under COLS_LIMIT elements.

import type { TensorData } from "../../tensor/dtype.js";
import { matmul } from "./matmul.js";

import type { ConvGeometry, PoolGeometry } from "../backend.js";

export type { ConvGeometry, PoolGeometry };

/** The most elements an im2col matrix holds at once (16 MiB of float32); bigger batches go in chunks. */
const COLS_LIMIT = 1 << 22;

function like(a: TensorData, n: number): TensorData {
  return a instanceof Float32Array ? new Float32Array(n) : a instanceof Float64Array ? new Float64Array(n) : new Int32Array(n);
}

/** True when the input already is the im2col matrix (1×1 filter, stride 1, no padding). */
function isPointwise(g: ConvGeometry): boolean {
  return g.fh === 1 && g.fw === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

/** Images per im2col chunk. */
function chunkOf(g: ConvGeometry): number {
  const perImage = g.outH * g.outW * g.fh * g.fw * g.inC;
  return Math.max(1, Math.min(g.batch, Math.floor(COLS_LIMIT / Math.max(1, perImage))));
}

/**
 * Rows of the im2col matrix for images b0 … b1-1: row ((b-b0)·outH + oy)·outW + ox holds
 * x[b, oy·sh - padTop + ky, ox·sw - padLeft + kx, c] at column (ky·fw + kx)·C + c (0 outside x).
 */
export function im2col(x: TensorData, g: ConvGeometry, cols: TensorData, b0: number, b1: number): void {
  const { inH, inW, inC: C, fh, fw, outH, outW, sh, sw, padTop, padLeft } = g;
  const K = fh * fw * C;
  const rowSpan = fw * C;
  let r = 0;
  for (let b = b0; b < b1; b++) {
    const xb = b * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - padTop;
      for (let ox = 0; ox < outW; ox++, r += K) {
        const x0 = ox * sw - padLeft;
        // The columns kx0 … kx1-1 of the window fall inside the input; in NHWC they are contiguous.
        const kx0 = x0 < 0 ? Math.min(-x0, fw) : 0;
        const kx1 = x0 + fw > inW ? inW - x0 : fw;
        const lead = kx0 * C;
        const end = kx1 > kx0 ? kx1 * C : lead;
        for (let ky = 0; ky < fh; ky++) {
          const iy = y0 + ky;
          const base = r + ky * rowSpan;
          if (iy < 0 || iy >= inH) {
            for (let j = 0; j < rowSpan; j++) cols[base + j] = 0;
            continue;
          }
          for (let j = 0; j < lead; j++) cols[base + j] = 0;
          const src = xb + (iy * inW + x0) * C;
          for (let j = lead; j < end; j++) cols[base + j] = x[src + j]!;
          for (let j = end; j < rowSpan; j++) cols[base + j] = 0;
        }
      }
    }
  }
}

/** The transpose of im2col: dx[b, iy, ix, c] += every cols entry that im2col read from there. */
export function col2im(cols: TensorData, g: ConvGeometry, dx: TensorData, b0: number, b1: number): void {
  const { inH, inW, inC: C, fh, fw, outH, outW, sh, sw, padTop, padLeft } = g;
  const K = fh * fw * C;
  const rowSpan = fw * C;
  let r = 0;
  for (let b = b0; b < b1; b++) {
    const xb = b * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - padTop;
      for (let ox = 0; ox < outW; ox++, r += K) {
        const x0 = ox * sw - padLeft;
        const kx0 = x0 < 0 ? -x0 : 0;
        const kx1 = x0 + fw > inW ? inW - x0 : fw;
        if (kx1 <= kx0) continue;
        const lead = kx0 * C;
        const end = kx1 * C;
        for (let ky = 0; ky < fh; ky++) {
          const iy = y0 + ky;
          if (iy < 0 || iy >= inH) continue;
          const base = r + ky * rowSpan;
          const dst = xb + (iy * inW + x0) * C;
          for (let j = lead; j < end; j++) dx[dst + j] += cols[base + j]!;
        }
      }
    }
  }
}

/**
 * out = conv2d(x, w). `out` is written. Returns the im2col matrix when it was built in one piece
 * and `keep` is set (the filter gradient reuses it), else null.
 */
export function conv2dForward(x: TensorData, w: TensorData, out: TensorData, g: ConvGeometry, keep = false): TensorData | null {
  const P = g.outH * g.outW;
  const K = g.fh * g.fw * g.inC;
  const O = g.outC;
  if (out.length === 0) return null;
  if (K === 0) {
    out.fill(0);
    return null;
  }
  if (isPointwise(g)) {
    matmul(x, w, out, 1, g.batch * P, K, O, false, false, 0, 0);
    return null;
  }
  const chunk = chunkOf(g);
  const cols = like(x, chunk * P * K);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const b1 = Math.min(g.batch, b0 + chunk);
    im2col(x, g, cols, b0, b1);
    const rows = (b1 - b0) * P;
    const dst = chunk === g.batch ? out : out.subarray(b0 * P * O, b1 * P * O);
    matmul(cols, w, dst, 1, rows, K, O, false, false, 0, 0);
  }
  return keep && chunk === g.batch ? cols : null;
}

/** dx = the gradient of conv2d with respect to its input for output gradient gy. `dx` must be zero-filled. */
export function conv2dBackwardInput(gy: TensorData, w: TensorData, dx: TensorData, g: ConvGeometry): void {
  const P = g.outH * g.outW;
  const K = g.fh * g.fw * g.inC;
  const O = g.outC;
  if (dx.length === 0 || gy.length === 0 || K === 0) return;
  if (isPointwise(g)) {
    matmul(gy, w, dx, 1, g.batch * P, O, K, false, true, 0, 0);
    return;
  }
  const chunk = chunkOf(g);
  const cols = like(dx, chunk * P * K);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const b1 = Math.min(g.batch, b0 + chunk);
    const rows = (b1 - b0) * P;
    const src = chunk === g.batch ? gy : gy.subarray(b0 * P * O, b1 * P * O);
    matmul(src, w, cols, 1, rows, O, K, false, true, 0, 0);
    col2im(cols, g, dx, b0, b1);
  }
}

/**
 * dw = the gradient of conv2d with respect to its filter for output gradient gy (written).
 * `cols`: x's im2col matrix when the caller has it (from conv2dForward with `keep`).
 */
export function conv2dBackwardFilter(x: TensorData, gy: TensorData, dw: TensorData, g: ConvGeometry, cols: TensorData | null = null): void {
  const P = g.outH * g.outW;
  const K = g.fh * g.fw * g.inC;
  const O = g.outC;
  if (dw.length === 0) return;
  if (gy.length === 0) {
    dw.fill(0);
    return;
  }
  if (isPointwise(g)) {
    matmul(x, gy, dw, 1, K, g.batch * P, O, true, false, 0, 0);
    return;
  }
  if (cols !== null) {
    matmul(cols, gy, dw, 1, K, g.batch * P, O, true, false, 0, 0);
    return;
  }
  const chunk = chunkOf(g);
  const work = like(x, chunk * P * K);
  const part = chunk === g.batch ? dw : like(dw, K * O);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const b1 = Math.min(g.batch, b0 + chunk);
    im2col(x, g, work, b0, b1);
    const rows = (b1 - b0) * P;
    const src = chunk === g.batch ? gy : gy.subarray(b0 * P * O, b1 * P * O);
    if (part === dw) {
      matmul(work, src, dw, 1, K, rows, O, true, false, 0, 0);
    } else {
      // The last chunk may be shorter: only its first `rows` rows of `work` are read.
      matmul(work, src, part, 1, K, rows, O, true, false, 0, 0);
      if (b0 === 0) dw.set(part);
      else for (let i = 0; i < part.length; i++) dw[i] += part[i]!;
    }
  }
}

/**
 * out = the maximum of each window over the real (unpadded) input elements, and argmax = the
 * index into x of the first maximal element (row-major window order). NaN wins over numbers.
 */
export function maxPool2d(x: TensorData, g: PoolGeometry, out: TensorData, argmax: Int32Array): void {
  const { inH, inW, channels: C, kh, kw, outH, outW, sh, sw, padTop, padLeft } = g;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const xb = b * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - padTop;
      const ya = y0 < 0 ? 0 : y0;
      const yb = y0 + kh > inH ? inH : y0 + kh;
      for (let ox = 0; ox < outW; ox++, o += C) {
        const x0 = ox * sw - padLeft;
        const xa = x0 < 0 ? 0 : x0;
        const xe = x0 + kw > inW ? inW : x0 + kw;
        let first = true;
        for (let iy = ya; iy < yb; iy++) {
          for (let ix = xa; ix < xe; ix++) {
            const i = (xb + iy * inW + ix) * C;
            if (first) {
              for (let c = 0; c < C; c++) {
                out[o + c] = x[i + c]!;
                argmax[o + c] = i + c;
              }
              first = false;
              continue;
            }
            for (let c = 0; c < C; c++) {
              const v = x[i + c]!;
              const best = out[o + c]!;
              if (v > best || (v !== v && best === best)) {
                out[o + c] = v;
                argmax[o + c] = i + c;
              }
            }
          }
        }
      }
    }
  }
}

/** out[i] = src[index[i]] (the max-pool tangent). */
export function gatherAt(src: TensorData, index: Int32Array, out: TensorData): void {
  for (let i = 0; i < index.length; i++) out[i] = src[index[i]!]!;
}

/** out[index[i]] += src[i] (the max-pool cotangent); `out` starts zero-filled. */
export function scatterAddAt(src: TensorData, index: Int32Array, out: TensorData): void {
  for (let i = 0; i < index.length; i++) out[index[i]!] += src[i]!;
}

/** Number of real (unpadded) input positions under window (oy, ox). */
function windowCount(g: PoolGeometry, oy: number, ox: number): number {
  const y0 = oy * g.sh - g.padTop;
  const x0 = ox * g.sw - g.padLeft;
  const h = Math.min(g.inH, y0 + g.kh) - Math.max(0, y0);
  const w = Math.min(g.inW, x0 + g.kw) - Math.max(0, x0);
  return h * w;
}

/** out = the mean of each window over the real (unpadded) input elements. */
export function avgPool2d(x: TensorData, g: PoolGeometry, out: TensorData): void {
  const { inH, inW, channels: C, kh, kw, outH, outW, sh, sw, padTop, padLeft } = g;
  const acc = new Float64Array(C);
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const xb = b * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - padTop;
      const ya = y0 < 0 ? 0 : y0;
      const yb = y0 + kh > inH ? inH : y0 + kh;
      for (let ox = 0; ox < outW; ox++, o += C) {
        const x0 = ox * sw - padLeft;
        const xa = x0 < 0 ? 0 : x0;
        const xe = x0 + kw > inW ? inW : x0 + kw;
        acc.fill(0);
        for (let iy = ya; iy < yb; iy++) {
          for (let ix = xa; ix < xe; ix++) {
            const i = (xb + iy * inW + ix) * C;
            for (let c = 0; c < C; c++) acc[c] += x[i + c]!;
          }
        }
        const scale = 1 / windowCount(g, oy, ox);
        for (let c = 0; c < C; c++) out[o + c] = acc[c]! * scale;
      }
    }
  }
}

/** dx += the average-pool cotangent of gy (each window's gradient shared evenly over its real elements). */
export function avgPool2dBackward(gy: TensorData, g: PoolGeometry, dx: TensorData): void {
  const { inH, inW, channels: C, kh, kw, outH, outW, sh, sw, padTop, padLeft } = g;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const xb = b * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - padTop;
      const ya = y0 < 0 ? 0 : y0;
      const yb = y0 + kh > inH ? inH : y0 + kh;
      for (let ox = 0; ox < outW; ox++, o += C) {
        const x0 = ox * sw - padLeft;
        const xa = x0 < 0 ? 0 : x0;
        const xe = x0 + kw > inW ? inW : x0 + kw;
        const scale = 1 / windowCount(g, oy, ox);
        for (let iy = ya; iy < yb; iy++) {
          for (let ix = xa; ix < xe; ix++) {
            const i = (xb + iy * inW + ix) * C;
            for (let c = 0; c < C; c++) dx[i + c] += gy[o + c]! * scale;
          }
        }
      }
    }
  }
}
