/// <reference types="@webgpu/types" />
// The WebGPU backend: the `Backend` object assembled from the kernel files, and its initializer.
// Importing this module registers the initializer only; Dawn (Node) or navigator.gpu (browsers)
// is touched when `setBackend("webgpu")` or `ready()` calls `init()`.

import type { Backend } from "../backend.js";
import { CotangentError } from "../../errors.js";
import { registerBackendInitializer } from "../index.js";
import { unregisterBackend } from "../registry.js";
import { acquire, currentContext, onDeviceLost } from "./context.js";
import { binary, binaryBackward, cast, fill, select, unary, unaryBackward } from "./elementwise.js";
import { adam } from "./optim.js";
import { dispose, fromValues, read, readSync, reshapeTensor } from "./storage.js";

export { tidy, webgpuMemory } from "./storage.js";

function notYet(method: string): () => never {
  return () => {
    throw new CotangentError("CT3009", `webgpu: ${method} is not implemented yet.`);
  };
}

export const webgpuBackend: Backend = {
  name: "webgpu",

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

  reduce: notYet("reduce"),
  argReduce: notYet("argReduce"),
  matmul: notYet("matmul"),
  transpose: notYet("transpose"),
  broadcastTo: notYet("broadcastTo"),
  slice: notYet("slice"),
  pad: notYet("pad"),
  concat: notYet("concat"),
  gather: notYet("gather"),
  scatterAdd: notYet("scatterAdd"),
  oneHot: notYet("oneHot"),
  logSoftmax: notYet("logSoftmax"),
  conv2d: notYet("conv2d"),
  conv2dBackwardInput: notYet("conv2dBackwardInput"),
  conv2dBackwardFilter: notYet("conv2dBackwardFilter"),
  maxPool2d: notYet("maxPool2d"),
  scatterAddAt: notYet("scatterAddAt"),
  gatherAt: notYet("gatherAt"),
  avgPool2d: notYet("avgPool2d"),
  avgPool2dBackward: notYet("avgPool2dBackward"),

  adam,
};

// A lost device: new tensors go to the CPU (context.ts warns once); setBackend("webgpu") runs
// init() again, which starts a new device.
onDeviceLost(() => unregisterBackend("webgpu"));

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
