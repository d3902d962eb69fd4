// Choosing a backend and moving tensors between backends.
//
// New tensors go to the current backend (`getBackend()`, CPU until `setBackend("webgpu")` or
// `ready()` picks WebGPU). An op runs on the backend of its tensor operands; when they differ, CPU
// operands are copied to the other backend first (a WebGPU tensor cannot come back to the CPU
// synchronously).

import { CotangentError } from "../errors.js";
import { fmtShape } from "../tensor/shape.js";
import { Tensor, isHostStorage } from "../tensor/tensor.js";
import type { Backend, BackendName } from "./backend.js";
import { cpuBackend } from "./cpu/index.js";
import { backendNamed, currentBackend, hasBackend, registerBackend, selectBackend } from "./registry.js";

registerBackend(cpuBackend);

/** The backend an op on these operands runs on: the tensors' backend of the highest priority (`caps.priority`), else the CPU. */
export function backendOf(...xs: unknown[]): Backend {
  let best: Backend = cpuBackend;
  const consider = (y: unknown) => {
    if (y instanceof Tensor && y.storage.backend !== best.name) {
      const b = y.backend;
      if (b.caps.priority > best.caps.priority) best = b;
    }
  };
  for (const x of xs) {
    if (Array.isArray(x)) x.forEach(consider);
    else consider(x);
  }
  return best;
}

/** `x` on backend `b` (x itself when it is there already). CPU → other backends only. */
export function moveTo(x: Tensor, b: Backend): Tensor {
  if (x.storage.backend === b.name) return x;
  if (!isHostStorage(x.storage))
    throw new CotangentError(
      "CT3009",
      `a tensor on ${x.storage.backend} cannot be used with a ${b.name} tensor synchronously; read it with await t.data() and make a new tensor, or keep both on one backend.`,
    );
  if (!b.caps.float64 && x.dtype === "float64") {
    // A float64 scalar (a number's tangent, a number operand) joins as float32; larger float64 tensors stay on the CPU.
    if (x.size === 1) return b.fromValues(Float32Array.from(x.values), x.shape, "float32");
    throw new CotangentError("CT3009", `float64 tensors stay on the CPU (${b.name} computes in float32): cast(x, "float32") to use this ${fmtShape(x.shape)} tensor with ${b.name} tensors.`);
  }
  return b.fromValues(x.values.slice(), x.shape, x.dtype);
}

/** The name of the backend new tensors are created on. */
export function getBackend(): BackendName {
  return currentBackend().name;
}

export type BackendInitializer = () => Promise<Backend | { backend: null; reason: string }>;

const initializers = new Map<BackendName, BackendInitializer>();

/** @internal Lets a backend module say how to start it (the WebGPU module registers itself here). */
export function registerBackendInitializer(name: BackendName, init: BackendInitializer): void {
  initializers.set(name, init);
}

/**
 * Makes `name` the backend for new tensors, starting it first if needed. Rejects (CT3009) when it
 * cannot start, with the reason (no adapter, no WebGPU in this environment).
 *
 * @example
 * await setBackend("webgpu");
 */
export async function setBackend(name: BackendName): Promise<void> {
  if (!hasBackend(name)) {
    const init = initializers.get(name);
    if (!init) throw new CotangentError("CT3009", `setBackend: unknown backend "${name}" (known: cpu, webgpu).`);
    const r = await init();
    if ("backend" in r && r.backend === null) throw new CotangentError("CT3009", `setBackend("${name}"): ${r.reason}.`);
    registerBackend(r as Backend);
  }
  selectBackend(name);
}

/** The one notice saying which backend was picked (console.info; typed locally: no DOM library needed). */
function notice(message: string): void {
  (globalThis as { console?: { info(message: string): void } }).console?.info(message);
}

let selection: Promise<BackendName> | undefined;
let chose: BackendName | undefined;

/**
 * Picks the backend at first use: WebGPU when an adapter can be had, else the CPU, with one
 * notice (console.info) saying which and why. Later calls return the same choice.
 *
 * @example
 * await ready(); // "webgpu" in a browser with WebGPU, "cpu" in plain Node
 */
export function ready(): Promise<BackendName> {
  // A WebGPU choice whose device was lost since is stale: choose again.
  if (selection && chose === "webgpu" && !hasBackend("webgpu")) selection = undefined;
  selection ??= (async () => {
    const init = initializers.get("webgpu");
    if (init) {
      try {
        const r = await init();
        if (!("backend" in r && r.backend === null)) {
          registerBackend(r as Backend);
          selectBackend("webgpu");
          notice("Cotangent: using the webgpu backend.");
          return (chose = "webgpu");
        }
        notice(`Cotangent: using the cpu backend (${r.reason}).`);
        return "cpu";
      } catch (e) {
        notice(`Cotangent: using the cpu backend (WebGPU failed to start: ${(e as Error).message}).`);
        return "cpu";
      }
    }
    notice("Cotangent: using the cpu backend (no WebGPU support loaded).");
    return "cpu";
  })();
  return selection;
}

export { backendNamed, currentBackend };
