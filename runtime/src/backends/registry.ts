// Which backends exist and which one new tensors go to. Backends register themselves (the CPU one
// when the runtime loads; WebGPU when it is initialized), so the tensor code needs no import of
// any backend.

import { CotangentError } from "../errors.js";
import type { Backend, BackendName } from "./backend.js";

const backends = new Map<BackendName, Backend>();
/** Why a backend that was running is gone (its device was lost), for the errors about it. */
const gone = new Map<BackendName, string>();
let current: BackendName = "cpu";

export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
  gone.delete(backend.name);
}

/** Removes a backend (new tensors go to the CPU); `why` says what happened, for later errors. */
export function unregisterBackend(name: BackendName, why?: string): void {
  backends.delete(name);
  if (why) gone.set(name, why);
  if (current === name) current = "cpu";
}

/** The backend called `name`; an error when it has not been initialized. */
export function backendNamed(name: BackendName): Backend {
  const b = backends.get(name);
  const why = gone.get(name);
  if (!b && why)
    throw new CotangentError(
      "CT3009",
      `the ${name} backend stopped: ${why}; its tensors are gone and new tensors go to the CPU. Call await setBackend("${name}") to start a new device, and recreate the tensors there.`,
    );
  if (!b)
    throw new CotangentError(
      "CT3009",
      `the ${name} backend is not initialized${name === "webgpu" ? ": call await setBackend(\"webgpu\") (or await ready()) first" : ""}.`,
    );
  return b;
}

export function hasBackend(name: BackendName): boolean {
  return backends.has(name);
}

/** The name of the backend new tensors are created on. */
export function currentBackendName(): BackendName {
  return current;
}

/** The backend new tensors are created on. */
export function currentBackend(): Backend {
  return backendNamed(current);
}

/** @internal Makes `name` (already registered) the backend for new tensors. */
export function selectBackend(name: BackendName): void {
  backendNamed(name);
  current = name;
}
