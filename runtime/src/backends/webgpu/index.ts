/// <reference types="@webgpu/types" />
// The WebGPU backend: the `Backend` object assembled from the kernel files, and its initializer.
// Importing this module registers the initializer only; Dawn (Node) or navigator.gpu (browsers)
// is touched when `setBackend("webgpu")` or `ready()` calls `init()`.

import type { Backend } from "../backend.js";
import { registerBackendInitializer } from "../index.js";
import { unregisterBackend } from "../registry.js";
import { acquire, currentContext, onDeviceLost } from "./context.js";
import { binary, binaryBackward, cast, fill, select, unary, unaryBackward } from "./elementwise.js";
import { adam, adamMany } from "./optim.js";
import { argReduce, reduce } from "./reduce.js";
import { matmul, matmulColumnSums } from "./matmul.js";
import { broadcastTo, concat, gather, gatherAt, oneHot, pad, scatterAdd, scatterAddAt, slice, transpose } from "./movement.js";
import { avgPool2d, avgPool2dBackward, conv2d, conv2dBackwardFilter, conv2dBackwardInput, maxPool2d } from "./conv.js";
import { crossEntropyBackward, crossEntropyLoss, logSoftmax } from "./softmax.js";
import { mapBackward, mapForward, mapTangent } from "./map.js";
import { fusedBackward, fusedForward, matmulChainBackward, matmulFused } from "./fused.js";
import { dispose, fromValues, read, readSync, reshapeTensor } from "./storage.js";

export { keep, tidy, webgpuMemory } from "./storage.js";

export const webgpuBackend: Backend = {
  name: "webgpu",
  caps: { syncRead: false, float64: false, priority: 10 },

  fromValues,
  read,
  readSync,
  dispose,
  fill,
  reshape: reshapeTensor,

  unary,
  unaryBackward,
  binary,
  binaryBackward,
  select,
  cast,
  mapForward,
  mapTangent,
  mapBackward,
  fusedForward,
  fusedBackward,
  matmulFused,
  matmulChainBackward,
  matmulColumnSums,

  reduce,
  argReduce,
  matmul,
  transpose,
  broadcastTo,
  slice,
  pad,
  concat,
  gather,
  scatterAdd,
  oneHot,
  logSoftmax,
  crossEntropyLoss,
  crossEntropyBackward,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardFilter,
  maxPool2d,
  scatterAddAt,
  gatherAt,
  avgPool2d,
  avgPool2dBackward,

  adam,
  adamMany,
};

// A lost device: new tensors go to the CPU (context.ts warns once); setBackend("webgpu") runs
// init() again, which starts a new device.
onDeviceLost(() => unregisterBackend("webgpu", "the WebGPU device was lost"));

/** Starts the device; resolves to the backend, or to why WebGPU cannot be used here. */
export async function init(): Promise<Backend | { backend: null; reason: string }> {
  const c = await acquire();
  if (typeof c === "string") return { backend: null, reason: c };
  return webgpuBackend;
}

/** @internal A description of the adapter in use ("Dawn (the webgpu package): mesa / ..."), or null when none. */
export function webgpuAdapter(): string | null {
  return currentContext()?.description ?? null;
}

registerBackendInitializer("webgpu", init);
