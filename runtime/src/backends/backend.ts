// The backend interface: every kernel an op or a derivative rule runs, for one kind of device.
// Ops (../ops) check arguments, compute shapes and write the derivative rules once, in terms of
// these kernels; the CPU backend (./cpu) and the WebGPU backend (./webgpu) implement them. Inputs
// are already checked (shapes broadcastable, axes normalized, indices in range where the op can
// know them), so kernels do no validation beyond what their device needs.
//
// Conventions shared by all kernels:
// - Tensors are row-major; every kernel returns a new tensor on its backend and never writes
//   into its inputs (except where a method says "in place").
// - `dtype` arguments name the result's dtype; inputs may have other dtypes (kernels convert as
//   they read: int32 → float, float64 ↔ float32).
// - A kernel's inputs all live on this backend (ops move them first, see ../backends/index.ts).

import type { DType, TensorData } from "../tensor/dtype.js";
import type { Shape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

/** The backends the runtime ships; another backend registers under a name of its own. */
export type BackendName = "cpu" | "webgpu" | (string & {});

/**
 * What a backend can do. The rest of the runtime asks these, never a backend's name, so a new
 * backend (WebGL, a worker pool) fits in by describing itself; runtime/test/backend-conformance.ts
 * checks that a backend does what its capabilities say.
 */
export interface BackendCaps {
  /**
   * Its tensors keep their values in host memory (`storage.values`): `dataSync()`, `item()` and a
   * branch on a value work, and its tensors can move to another backend synchronously.
   */
  readonly syncRead: boolean;
  /** Computes in float64. On a backend without it, float64 tensors stay on the CPU (a float64 scalar joins as float32). */
  readonly float64: boolean;
  /** An op whose tensor operands live on several backends runs on the one with the highest priority. */
  readonly priority: number;
}

/**
 * A `/** @differentiable @kernel *\/` scalar function as the build compiled it: the JavaScript
 * function (with its generated derivatives) and its WGSL (`fn kernel(…) -> f32`, and
 * `fn partials(…) -> array<f32, n + 1>`: the value, then ∂/∂ each parameter).
 */
export interface ScalarKernel {
  name: string;
  fn: (...xs: number[]) => number;
  params: readonly string[];
  wgsl: string;
  /** The partials in JavaScript: `partials(x0, …, out)` writes the value, then ∂f/∂xⱼ, into `out` (the CPU's). */
  partials?: (...argsThenOut: unknown[]) => void;
}

/**
 * A chain of elementwise ops fused into one kernel (../ops/fused.ts): node j applies `op` to its
 * operands, each a ref: below `inputs` one of the chain's inputs, else node ref − inputs (an earlier
 * one). The last node is the result. Only ops without options (no leakyRelu, clip).
 */
export interface ElementwiseChain {
  inputs: number;
  nodes: readonly { op: UnaryOp | BinaryOp; args: readonly number[] }[];
}

/** Unary elementwise ops; `params` of unary/unaryBackward: leakyRelu [alpha], clip [min, max], others []. */
export type UnaryOp =
  | "neg"
  | "square"
  | "sqrt"
  | "exp"
  | "log"
  | "log1p"
  | "abs"
  | "sin"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "softplus"
  | "gelu"
  | "leakyRelu"
  | "clip";

/** Binary elementwise ops with NumPy broadcasting. Comparisons give 0/1. */
export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "equal"
  | "notEqual"
  | "greater"
  | "greaterEqual"
  | "less"
  | "lessEqual";

export type Reduction = "sum" | "max" | "min";

/** Sizes of one convolution: input [batch, inH, inW, inC], filter [fh, fw, inC, outC], output [batch, outH, outW, outC]. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  fh: number;
  fw: number;
  outC: number;
  outH: number;
  outW: number;
  sh: number;
  sw: number;
  /** Rows and columns of zeros before the input (the rest of the padding is after it). */
  padTop: number;
  padLeft: number;
}

/** Sizes of one pooling: input [batch, inH, inW, channels], window kh×kw, output [batch, outH, outW, channels]. */
export interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  kh: number;
  kw: number;
  outH: number;
  outW: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
}

/** Adam's hyperparameters for one step; c1 = 1 − β1^t, c2 = 1 − β2^t. */
export interface AdamStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  c1: number;
  c2: number;
}

export interface Backend {
  readonly name: BackendName;
  readonly caps: BackendCaps;

  // ---- memory ---------------------------------------------------------------------------------
  /** A tensor on this backend holding a copy of `values` (or `values` itself on the CPU, which then owns it). */
  fromValues(values: TensorData, shape: Shape, dtype: DType): Tensor;
  /** The elements of `x`, row-major, as a new typed array of x's dtype. */
  read(x: Tensor): Promise<TensorData>;
  /** The same, synchronously; a backend that cannot (WebGPU) throws an error naming `data()`. */
  readSync(x: Tensor): TensorData;
  /** Frees x's memory now (idempotent). Using x afterwards is an error. */
  dispose(x: Tensor): void;
  /** A tensor of `shape` with every element `value`. */
  fill(shape: Shape, dtype: DType, value: number): Tensor;
  /** The same data viewed with another shape of the same size (no copy where the backend can share). */
  reshape(x: Tensor, shape: Shape): Tensor;

  // ---- elementwise ----------------------------------------------------------------------------
  /** f(x) per element (float result: int32 input gives float32; clip keeps x's dtype). */
  unary(op: UnaryOp, x: Tensor, params: readonly number[], dtype: DType): Tensor;
  /**
   * Optional fast path: g · f′(x) per element in one pass, where y = f(x) (some slopes are cheaper
   * from y). g, x, y have one shape. Without it the ops use their composed rules
   * (runtime/rules/jvp.ts), built from the other kernels; runtime/test/rules.test.ts holds the two equal.
   */
  unaryBackward?(op: UnaryOp, g: Tensor, x: Tensor, y: Tensor, params: readonly number[]): Tensor;
  /** a (op) b, broadcast to `outShape`. */
  binary(op: BinaryOp, a: Tensor, b: Tensor, outShape: Shape, dtype: DType): Tensor;
  /**
   * Optional fast path: g · ∂(a op b)/∂a (operand 0) or ∂/∂b (operand 1), all at the broadcast shape
   * of g (y = a op b), in one pass. For the arithmetic ops and pow, maximum, minimum (ties go to
   * a); not comparisons. Without it the ops use their composed rules (see unaryBackward).
   */
  binaryBackward?(op: BinaryOp, operand: 0 | 1, g: Tensor, a: Tensor, b: Tensor, y: Tensor): Tensor;
  // ---- marked scalar kernels (map(f), ../ops/map.ts): float inputs that broadcast to `shape` -----
  /** f applied at each position of `shape` (inputs broadcast): one loop on the CPU, one dispatch on a GPU. */
  mapForward?(kernel: ScalarKernel, inputs: readonly Tensor[], shape: Shape, dtype: DType): Tensor;
  /** Σⱼ tⱼ · ∂f/∂xⱼ at each position (the JVP; tangents broadcast too), in one pass. */
  mapTangent?(kernel: ScalarKernel, inputs: readonly Tensor[], tangents: readonly Tensor[], shape: Shape, dtype: DType): Tensor;
  /** g · ∂f/∂xⱼ at each position of g's shape, for every input j (the VJP), in one pass; the caller sums back over broadcast axes. */
  mapBackward?(kernel: ScalarKernel, inputs: readonly Tensor[], g: Tensor, dtype: DType): Tensor[];
  // ---- fused chains (../ops/fused.ts): float32 inputs that broadcast to `shape`, float32 results -----
  /** The chain at each position of `shape`, in one pass, with the ops' own scalar semantics. */
  fusedForward?(chain: ElementwiseChain, inputs: readonly Tensor[], shape: Shape): Tensor;
  /** g · ∂chain/∂input j at each position of g's shape, for every input, in one pass; the caller sums back over broadcast axes. */
  fusedBackward?(chain: ElementwiseChain, inputs: readonly Tensor[], g: Tensor): Tensor[];
  /**
   * The chain over (a·b, ...others) with the product computed by a matmul of 2-D a, b: one kernel
   * (the chain as its epilogue). `keepProduct` also stores a·b (for the backward). null when this
   * product cannot take an epilogue (the caller runs the matmul and the chain apart).
   */
  matmulFused?(a: Tensor, b: Tensor, chain: ElementwiseChain, others: readonly Tensor[], shape: Shape, keepProduct: boolean): { value: Tensor; product: Tensor | null } | null;
  /** op(a) · b (2-D) and b's column sums Σ_k b[k, :] in one pass (a weight's and its bias's cotangents); null when it cannot. */
  matmulColumnSums?(a: Tensor, b: Tensor, transposeA: boolean): { product: Tensor; sums: Tensor } | null;
  /**
   * The cotangent of a chain's input 0 when the cotangent of its output is g · wᵀ (2-D), with the
   * chain's backward as the GEMM's epilogue (inputs as for fusedBackward): a layer's backward
   * mask applied inside the GEMM that brings the next layer's cotangent. null when it cannot.
   */
  matmulChainBackward?(g: Tensor, w: Tensor, chain: ElementwiseChain, inputs: readonly Tensor[]): Tensor | null;

  /** cond ≠ 0 ? a : b, all broadcast to `outShape`. */
  select(cond: Tensor, a: Tensor, b: Tensor, outShape: Shape, dtype: DType): Tensor;
  /** x converted to `dtype` (float → int32 truncates toward zero). */
  cast(x: Tensor, dtype: DType): Tensor;

  // ---- reductions -----------------------------------------------------------------------------
  /**
   * Reduces over `axes` (sorted, unique); the result keeps reduced axes as size 1 (callers reshape).
   * Sums accumulate in at least float32 per partial sum on the GPU and float64 on the CPU; max/min
   * of an empty set are −∞/+∞; NaN wins in max/min.
   */
  reduce(kind: Reduction, x: Tensor, axes: readonly number[], dtype: DType): Tensor;
  /** int32 index along `axis` of the largest (isMax) or smallest element of each line; first on ties. Result without `axis`. */
  argReduce(x: Tensor, axis: number, isMax: boolean): Tensor;

  // ---- matmul ---------------------------------------------------------------------------------
  /**
   * op(a) @ op(b) over broadcast batch dimensions (`batchShape`); op transposes the last two axes
   * when its flag is set. a is [..., m, k] (or [..., k, m] when transposed), b [..., k, n].
   */
  matmul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, batchShape: Shape, dtype: DType): Tensor;

  // ---- data movement --------------------------------------------------------------------------
  /** Axes permuted: axis i of the result is axis perm[i] of x. */
  transpose(x: Tensor, perm: readonly number[]): Tensor;
  /** x repeated along size-1 (or missing leading) axes to `shape`. */
  broadcastTo(x: Tensor, shape: Shape): Tensor;
  /** The box `begin … begin + size` of x. */
  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
  /** x placed at `before` inside a tensor of `shape` filled with `value`. */
  pad(x: Tensor, before: readonly number[], shape: Shape, value: number): Tensor;
  /** Tensors (all of `dtype`'s kind after conversion) joined along `axis`. */
  concat(xs: readonly Tensor[], axis: number, dtype: DType): Tensor;
  /** Slices of x along `axis` picked by int32 `indices` (in range): shape x.shape[:axis] + indices.shape + x.shape[axis+1:]. */
  gather(x: Tensor, indices: Tensor, axis: number): Tensor;
  /** The transpose of gather: zeros of `shape` with each slice of g added at its index (repeats add up). */
  scatterAdd(g: Tensor, indices: Tensor, axis: number, shape: Shape): Tensor;
  /** [...indices.shape, depth] with 1 at each (in-range) index. */
  oneHot(indices: Tensor, depth: number, dtype: DType): Tensor;

  // ---- models ---------------------------------------------------------------------------------
  /** log(softmax(x)) along `axis`, shifted by the maximum (stable); float result. */
  logSoftmax(x: Tensor, axis: number): Tensor;
  /**
   * Optional: the mean cross-entropy −(1/b) Σ onehot(labels) · logp of float32 logits [b, c] and
   * int32 labels [b] (the sum over the whole matrix, as the unfused ops compute it), and logp =
   * logSoftmax(logits, 1), in as few passes as the backend can. Without it crossEntropy runs
   * logSoftmax, oneHot, mul, sum and a scale, as it does where this returns null.
   */
  crossEntropyLoss?(logits: Tensor, labels: Tensor): { loss: Tensor; logp: Tensor } | null;
  /** Optional: (exp(logp) − onehot(labels)) · (g · 1/b) for a scalar float32 cotangent g, in one pass. */
  crossEntropyBackward?(logp: Tensor, labels: Tensor, g: Tensor): Tensor;

  // ---- convolution and pooling (NHWC input, HWIO filter) -----------------------------------------
  conv2d(x: Tensor, filter: Tensor, g: ConvGeometry, dtype: DType): Tensor;
  /** ∂/∂x of ⟨gy, conv2d(x, filter)⟩: shape [batch, inH, inW, inC]. */
  conv2dBackwardInput(gy: Tensor, filter: Tensor, g: ConvGeometry, dtype: DType): Tensor;
  /** ∂/∂filter of ⟨gy, conv2d(x, filter)⟩: shape [fh, fw, inC, outC]. */
  conv2dBackwardFilter(x: Tensor, gy: Tensor, g: ConvGeometry, dtype: DType): Tensor;
  /** Max pooling; `argmax` (int32, the output's shape) is the flat input index each output came from (first on ties). */
  maxPool2d(x: Tensor, g: PoolGeometry): { y: Tensor; argmax: Tensor };
  /** Zeros of `shape` with gy[i] added at argmax[i] (the max-pool cotangent; also its tangent by gathering). */
  scatterAddAt(gy: Tensor, argmax: Tensor, shape: Shape): Tensor;
  /** Values of x at the flat indices `at` (shape of `at`). */
  gatherAt(x: Tensor, at: Tensor): Tensor;
  /** Average over the real (non-padding) elements of each window. */
  avgPool2d(x: Tensor, g: PoolGeometry): Tensor;
  avgPool2dBackward(gy: Tensor, g: PoolGeometry): Tensor;

  // ---- optimizers -----------------------------------------------------------------------------
  /**
   * One Adam step: m, v updated in place (tensors this backend made with `fill`, owned by the
   * optimizer); returns the new parameter.
   */
  adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: AdamStep): Tensor;
  /** Optional: adam for several parameters at once (fewer dispatches); results in order. */
  adamMany?(items: readonly { param: Tensor; grad: Tensor; m: Tensor; v: Tensor }[], step: AdamStep): Tensor[];
}
