// WebGPU convolution and pooling on NHWC images (HWIO filters).
//
// The three convolution kernels are the tiled GEMM of ./matmul.ts with operand loaders that build
// the im2col matrix on the fly ("implicit GEMM": no scratch matrix in memory):
// - conv2d: out[pixels, O] = cols[pixels, fh·fw·C] · filter[fh·fw·C, O], where cols(p, (ky, kx, c))
//   is the input under window p (0 in the padding);
// - conv2dBackwardInput: the transposed convolution in gather form: dx[(b, iy, ix), c] =
//   Σ over (ky, kx, o) of gy[b, oy, ox, o] · filter[ky, kx, c, o] for the output pixels (oy, ox)
//   whose window puts (ky, kx) on (iy, ix) (iy + padTop − ky divisible by the stride) — every
//   input pixel sums what reaches it, no atomics;
// - conv2dBackwardFilter: dfilter[(ky, kx, c), o] = colsᵀ · gy (K split over workgroups when the
//   filter is small and the images many).
// A 1×1 filter with stride 1 and no padding needs no im2col: x is the matrix (vec4 loads).
// Pooling runs one invocation per output element (or per input element for the average-pool
// cotangent, which sums over the windows that contain it). maxPool2d finds the argmax first and
// gathers y from it.

import type { DType } from "../../tensor/dtype.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { ConvGeometry, PoolGeometry } from "../backend.js";
import { gemm, standardLoad } from "./matmul.js";
import { convert, gatherAt, gpuDType, runElementwise, storageDecl, uniformDecl, wgslType, ELEMENT_MAIN, type UField } from "./movement.js";
import { gpuTensor } from "./program.js";

function isPointwise(g: ConvGeometry): boolean {
  return g.fh === 1 && g.fw === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

/** The uniforms the im2col fetch reads. */
function convFields(g: ConvGeometry): UField[] {
  return [
    ["inH", "u32", g.inH],
    ["inW", "u32", g.inW],
    ["inC", "u32", g.inC],
    ["outH", "u32", g.outH],
    ["outW", "u32", g.outW],
    ["outC", "u32", g.outC],
    ["fwC", "u32", g.fw * g.inC],
    ["fwO", "u32", g.fw * g.outC],
    ["sh", "u32", g.sh],
    ["sw", "u32", g.sw],
    ["padTop", "i32", g.padTop],
    ["padLeft", "i32", g.padLeft],
  ];
}

/** WGSL: the im2col element at pixel `p` (b, oy, ox) and column `q` (ky, kx, c) of input X. */
function im2colFetch(p: string, q: string): string {
  return `let P = u.outH * u.outW;
  let b = ${p} / P;
  let oy = (${p} % P) / u.outW;
  let ox = ${p} % u.outW;
  let ky = ${q} / u.fwC;
  let kx = (${q} % u.fwC) / u.inC;
  let c = ${q} % u.inC;
  let iy = i32(oy * u.sh + ky) - u.padTop;
  let ix = i32(ox * u.sw + kx) - u.padLeft;
  if (iy < 0 || ix < 0 || iy >= i32(u.inH) || ix >= i32(u.inW)) { return TX(0); }
  return X[((b * u.inH + u32(iy)) * u.inW + u32(ix)) * u.inC + c];`;
}

export function conv2d(x: Tensor, filter: Tensor, g: ConvGeometry, dtype: DType): Tensor {
  const pixels = g.batch * g.outH * g.outW;
  const K = g.fh * g.fw * g.inC;
  const pointwise = isPointwise(g);
  return gemm({
    name: pointwise ? "conv2d1x1" : "conv2d",
    // In (mn, k) terms A is cols[pixel][column]; B is the filter [K][O] (contiguous along O).
    a: { tensor: x, batchStride: 0, load: pointwise ? standardLoad(true, K, "mn * u.K + k") : { kind: "scalar", fetch: im2colFetch("mn", "k"), fastK: true } },
    b: { tensor: filter, batchStride: 0, load: standardLoad(false, g.outC, "k * u.N + mn") },
    m: pixels,
    n: g.outC,
    k: K,
    batch: 1,
    dtype: gpuDType(dtype),
    outShape: [g.batch, g.outH, g.outW, g.outC],
    extra: pointwise ? [] : convFields(g),
    opName: "conv2d",
  });
}

/** ∂/∂x of ⟨gy, conv2d(x, filter)⟩: shape [batch, inH, inW, inC]. */
export function conv2dBackwardInput(gy: Tensor, filter: Tensor, g: ConvGeometry, dtype: DType): Tensor {
  const pixels = g.batch * g.inH * g.inW;
  const K = g.fh * g.fw * g.outC;
  const pointwise = isPointwise(g);
  // A(input pixel, (ky, kx, o)) = gy at the output pixel whose window puts (ky, kx) on it, else 0.
  const gather = `let HW = u.inH * u.inW;
  let b = mn / HW;
  let iy = (mn % HW) / u.inW;
  let ix = mn % u.inW;
  let ky = k / u.fwO;
  let kx = (k % u.fwO) / u.outC;
  let o = k % u.outC;
  let ty = i32(iy) + u.padTop - i32(ky);
  let tx = i32(ix) + u.padLeft - i32(kx);
  if (ty < 0 || tx < 0) { return TX(0); }
  let oy = u32(ty) / u.sh;
  let ox = u32(tx) / u.sw;
  if (oy * u.sh != u32(ty) || ox * u.sw != u32(tx) || oy >= u.outH || ox >= u.outW) { return TX(0); }
  return X[((b * u.outH + oy) * u.outW + ox) * u.outC + o];`;
  return gemm({
    name: pointwise ? "conv2dBackwardInput1x1" : "conv2dBackwardInput",
    a: { tensor: gy, batchStride: 0, load: pointwise ? standardLoad(true, K, "mn * u.K + k") : { kind: "scalar", fetch: gather, fastK: true } },
    // B((ky, kx, o), c) = filter[ky, kx, c, o]: the filter transposed per tap.
    b: {
      tensor: filter,
      batchStride: 0,
      load: pointwise ? standardLoad(true, K, "mn * u.K + k") : { kind: "scalar", fetch: "return X[((k / u.outC) * u.inC + mn) * u.outC + k % u.outC];", fastK: true },
    },
    m: pixels,
    n: g.inC,
    k: K,
    batch: 1,
    dtype: gpuDType(dtype),
    outShape: [g.batch, g.inH, g.inW, g.inC],
    extra: pointwise ? [] : convFields(g),
    opName: "conv2dBackwardInput",
  });
}

/** ∂/∂filter of ⟨gy, conv2d(x, filter)⟩: shape [fh, fw, inC, outC]. */
export function conv2dBackwardFilter(x: Tensor, gy: Tensor, g: ConvGeometry, dtype: DType): Tensor {
  const pixels = g.batch * g.outH * g.outW;
  const K = g.fh * g.fw * g.inC;
  const pointwise = isPointwise(g);
  return gemm({
    name: pointwise ? "conv2dBackwardFilter1x1" : "conv2dBackwardFilter",
    // A = colsᵀ: A(column, pixel); B = gy [pixels][O].
    a: { tensor: x, batchStride: 0, load: pointwise ? standardLoad(false, K, "k * u.M + mn") : { kind: "scalar", fetch: im2colFetch("k", "mn"), fastK: false } },
    b: { tensor: gy, batchStride: 0, load: standardLoad(false, g.outC, "k * u.N + mn") },
    m: K,
    n: g.outC,
    k: pixels,
    batch: 1,
    dtype: gpuDType(dtype),
    outShape: [g.fh, g.fw, g.inC, g.outC],
    extra: pointwise ? [] : convFields(g),
    opName: "conv2dBackwardFilter",
  });
}

// ---- pooling -------------------------------------------------------------------------------------

function poolFields(n: number, g: PoolGeometry): UField[] {
  return [
    ["n", "u32", n],
    ["inH", "u32", g.inH],
    ["inW", "u32", g.inW],
    ["C", "u32", g.channels],
    ["kh", "i32", g.kh],
    ["kw", "i32", g.kw],
    ["outH", "u32", g.outH],
    ["outW", "u32", g.outW],
    ["sh", "u32", g.sh],
    ["sw", "u32", g.sw],
    ["padTop", "i32", g.padTop],
    ["padLeft", "i32", g.padLeft],
  ];
}

/** WGSL: output element i as (b, oy, ox, c) and its window's real rows ya … yb−1, columns xa … xe−1. */
const WINDOW = `  let c = i % u.C;
  let t = i / u.C;
  let ox = t % u.outW;
  let oy = (t / u.outW) % u.outH;
  let b = t / (u.outW * u.outH);
  let y0 = i32(oy * u.sh) - u.padTop;
  let x0 = i32(ox * u.sw) - u.padLeft;
  let ya = u32(max(y0, 0));
  let yb = u32(max(min(y0 + u.kh, i32(u.inH)), 0));
  let xa = u32(max(x0, 0));
  let xe = u32(max(min(x0 + u.kw, i32(u.inW)), 0));
`;

/** Max pooling; `argmax` (int32) is the flat input index of each output (first on ties, NaN wins). */
export function maxPool2d(x: Tensor, g: PoolGeometry): { y: Tensor; argmax: Tensor } {
  const shape = [g.batch, g.outH, g.outW, g.channels];
  const argmax = gpuTensor(shape, "int32");
  const n = argmax.size;
  if (n === 0) return { y: gpuTensor(shape, gpuDType(x.dtype)), argmax };
  const TX = wgslType(x.dtype);
  const fields = poolFields(n, g);
  const code = `${storageDecl(0, "x", TX)}${storageDecl(1, "out", "i32", true)}${uniformDecl(fields, 2)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
${WINDOW}  var best = ${TX}(0);
  var at = 0u;
  var first = true;
  for (var iy = ya; iy < yb; iy++) {
    for (var ix = xa; ix < xe; ix++) {
      let j = ((b * u.inH + iy) * u.inW + ix) * u.C + c;
      let v = x[j];
      if (first || v > best${TX === "f32" ? " || (isNan(v) && !isNan(best))" : ""}) {
        best = v;
        at = j;
        first = false;
      }
    }
  }
  out[i] = i32(at);
}`;
  runElementwise({ key: `maxPoolArgmax:${TX}`, code }, [x, argmax], fields, n, "maxPool2d");
  return { y: gatherAt(x, argmax), argmax };
}

/** Average over the real (non-padding) elements of each window. */
export function avgPool2d(x: Tensor, g: PoolGeometry): Tensor {
  const dtype = gpuDType(x.dtype);
  const out = gpuTensor([g.batch, g.outH, g.outW, g.channels], dtype);
  const n = out.size;
  if (n === 0) return out;
  const TX = wgslType(dtype);
  const fields = poolFields(n, g);
  const code = `${storageDecl(0, "x", TX)}${storageDecl(1, "out", TX, true)}${uniformDecl(fields, 2)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
${WINDOW}  var acc = 0.0;
  for (var iy = ya; iy < yb; iy++) {
    for (var ix = xa; ix < xe; ix++) { acc += ${convert("x[((b * u.inH + iy) * u.inW + ix) * u.C + c]", TX, "f32")}; }
  }
  out[i] = ${convert("acc * (1.0 / f32((yb - ya) * (xe - xa)))", "f32", TX)};
}`;
  runElementwise({ key: `avgPool:${TX}`, code }, [x, out], fields, n, "avgPool2d");
  return out;
}

/** The average-pool cotangent: each input element sums gy / (window size) over the windows containing it. */
export function avgPool2dBackward(gy: Tensor, g: PoolGeometry): Tensor {
  const dtype = gpuDType(gy.dtype);
  const out = gpuTensor([g.batch, g.inH, g.inW, g.channels], dtype);
  const n = out.size;
  if (n === 0) return out;
  const T = wgslType(dtype);
  const fields = poolFields(n, g);
  // Input row iy lies in the windows oy with oy·sh − padTop ≤ iy < oy·sh − padTop + kh.
  const code = `${storageDecl(0, "gy", T)}${storageDecl(1, "out", T, true)}${uniformDecl(fields, 2)}${ELEMENT_MAIN}
  if (i >= u.n) { return; }
  let c = i % u.C;
  let t = i / u.C;
  let ix = i32(t % u.inW);
  let iy = i32((t / u.inW) % u.inH);
  let b = t / (u.inW * u.inH);
  let ly = iy + u.padTop - u.kh + 1;
  let lx = ix + u.padLeft - u.kw + 1;
  let oyA = select(0u, (u32(ly) + u.sh - 1u) / u.sh, ly > 0);
  let oxA = select(0u, (u32(lx) + u.sw - 1u) / u.sw, lx > 0);
  let oyB = min(u.outH, u32(iy + u.padTop) / u.sh + 1u);
  let oxB = min(u.outW, u32(ix + u.padLeft) / u.sw + 1u);
  var acc = 0.0;
  for (var oy = oyA; oy < oyB; oy++) {
    let y0 = i32(oy * u.sh) - u.padTop;
    let h = min(y0 + u.kh, i32(u.inH)) - max(y0, 0);
    for (var ox = oxA; ox < oxB; ox++) {
      let x0 = i32(ox * u.sw) - u.padLeft;
      let w = min(x0 + u.kw, i32(u.inW)) - max(x0, 0);
      acc += ${convert("gy[((b * u.outH + oy) * u.outW + ox) * u.C + c]", T, "f32")} * (1.0 / f32(h * w));
    }
  }
  out[i] = ${convert("acc", "f32", T)};
}`;
  runElementwise({ key: `avgPoolBackward:${T}`, code }, [gy, out], fields, n, "avgPool2dBackward");
  return out;
}
