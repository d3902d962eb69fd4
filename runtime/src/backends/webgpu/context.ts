/// <reference types="@webgpu/types" />
// The WebGPU device: acquiring it (navigator.gpu in browsers; Dawn through the optional `webgpu`
// package in Node, loaded only when there is no navigator.gpu), and what happens when it fails:
// uncaptured errors are remembered and thrown (CT3009, naming the op) at the next use; a lost
// device makes the next use throw an error naming the op that was in flight, and new tensors go to
// the CPU until `setBackend("webgpu")` starts a new device (one console.warn says so).

import { CotangentError } from "../../errors.js";

/** One acquired device and what the kernels need to know about it. */
export interface GpuContext {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  /** Incremented for every new device: tensors remember theirs, so a lost device's tensors are recognized. */
  readonly generation: number;
  /** "navigator.gpu" or "Dawn (the webgpu package)", and the adapter's description. */
  readonly description: string;
}

let ctx: GpuContext | null = null;
let generation = 0;
/** The op being dispatched (or last dispatched): named in asynchronous errors. */
let opInFlight = "(no op yet)";
/** An error found asynchronously (uncaptured error, failed shader compile), thrown at the next use. */
let pendingError: CotangentError | null = null;
/** Set when the device was lost (not destroyed by us): named at the next use. */
let lost: { message: string; op: string } | null = null;
/** The last loss, kept after a new device starts (for errors about the lost device's tensors). */
let lastLost: { message: string; op: string } | null = null;
let warnedLost = false;
let lostListeners: Array<() => void> = [];
/** Error-scope promises not yet settled (read() waits for them so compile errors reach the caller). */
const pendingScopes = new Set<Promise<void>>();

/** The device for running `op`, or a CT3009 error (remembered asynchronous error, lost device, not started). */
export function gpu(op: string): GpuContext {
  if (pendingError) {
    const e = pendingError;
    pendingError = null;
    throw e;
  }
  if (ctx) return ctx;
  if (lost) throw lostError(op);
  throw new CotangentError("CT3009", `webgpu ${op}: the WebGPU device is not started; call await setBackend("webgpu") (or await ready()) first.`);
}

/** The current context without checks (null when none). */
export function currentContext(): GpuContext | null {
  return ctx;
}

export function lostError(op: string): CotangentError {
  const what = lost ?? lastLost;
  const detail = what ? ` (${what.message || "no reason given"}) while running ${what.op}` : "";
  // A tensor of the lost device used after setBackend("webgpu") started a new one: the advice
  // below ("new tensors go to the CPU now") no longer holds, and `lost` (cleared by the new
  // device) no longer says what happened; say that the tensor is from the lost device instead.
  if (ctx)
    return new CotangentError(
      "CT3009",
      `webgpu ${op}: this tensor was on a WebGPU device that was lost${detail}; tensors on it are gone. A new device has been started since: recreate the tensor on it.`,
    );
  return new CotangentError(
    "CT3009",
    `webgpu ${op}: the WebGPU device was lost${detail}; tensors on it are gone. ` +
      `New tensors go to the CPU now; call await setBackend("webgpu") to start a new device and recreate the tensors.`,
  );
}

/** Records the op about to be dispatched (for messages about asynchronous errors). */
export function setOpInFlight(op: string): void {
  opInFlight = op;
}

export function getOpInFlight(): string {
  return opInFlight;
}

/** Whether the remembered error only echoes an earlier one ("… is invalid due to a previous error"). */
let pendingIsEcho = false;

/**
 * Remembers an asynchronous error to throw at the next use. The first one wins, except that an
 * echo of an earlier error (WebGPU's "invalid due to a previous error") gives way to the cause.
 */
export function rememberError(e: CotangentError): void {
  const echo = /invalid due to a previous error/.test(e.message);
  if (pendingError && !(pendingIsEcho && !echo)) return;
  pendingError = e;
  pendingIsEcho = echo;
}

/** Throws the remembered asynchronous error, if any. */
export function throwPendingError(): void {
  if (pendingError) {
    const e = pendingError;
    pendingError = null;
    throw e;
  }
}

/** Tracks an error-scope promise until it settles. */
export function trackScope(p: Promise<void>): void {
  pendingScopes.add(p);
  void p.finally(() => pendingScopes.delete(p));
}

/** Waits for every pending error scope, then throws any remembered error. */
export async function settleScopes(): Promise<void> {
  while (pendingScopes.size > 0) await Promise.all([...pendingScopes]);
  throwPendingError();
}

/** Called (once per loss) when the device is lost unexpectedly. */
export function onDeviceLost(listener: () => void): void {
  lostListeners.push(listener);
}

// ---- acquiring a device ------------------------------------------------------------------------

interface DawnModule {
  create(flags: string[]): GPU;
  globals: object;
}

/** The GPU object Dawn gave us: kept strongly referenced (dawn.node crashes if it is collected while a device lives). */
let dawnGpu: GPU | null = null;

declare const __filename: string | undefined;

/** Node's own `require` (not a bundler's or jest's), when there is one: Node ≥ 20.19 can require() the ES-module `webgpu` package. */
function nodeRequire(): ((id: string) => unknown) | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; cwd?: () => string } }).process;
  const mod = proc?.getBuiltinModule?.("module") as { createRequire?: (from: string) => (id: string) => unknown } | undefined;
  if (!mod?.createRequire) return null;
  const from = typeof __filename === "string" ? __filename : `${proc?.cwd?.() ?? "."}/`;
  return mod.createRequire(from);
}

async function loadDawn(): Promise<GPU | string> {
  if (dawnGpu) return dawnGpu;
  let mod: DawnModule;
  try {
    // Not bundled: browsers have navigator.gpu and never get here.
    mod = (await import(/* webpackIgnore: true */ /* @vite-ignore */ "webgpu")) as unknown as DawnModule;
  } catch (first) {
    // A CommonJS module loader that cannot load ES modules: require() (Node ≥ 20.19 loads ES
    // modules), else Dawn's native addon directly, as webgpu/index.js does (jest before Node 24.9,
    // whose require() cannot load ES modules but loads .node files).
    const req = nodeRequire();
    try {
      if (!req) throw first;
      try {
        mod = req("webgpu") as DawnModule;
      } catch {
        const proc = (globalThis as { process?: { platform?: string; arch?: string } }).process;
        const dir = (req as unknown as { resolve(id: string): string }).resolve("webgpu").replace(/[\\/]index\.js$/, "");
        const target = proc?.platform === "darwin" ? "darwin-universal" : `${proc?.platform}-${proc?.arch}`;
        mod = req(`${dir}/dist/${target}/dawn.node`) as DawnModule;
      }
    } catch (e) {
      return `no navigator.gpu here, and the optional "webgpu" package (Dawn for Node) could not be loaded (${(e as Error).message.split("\n")[0]}); install it with npm install webgpu@0.6.2`;
    }
  }
  Object.assign(globalThis, mod.globals);
  dawnGpu = mod.create([]);
  (globalThis as { __cotangentDawnGpu?: GPU }).__cotangentDawnGpu = dawnGpu;
  return dawnGpu;
}

const NODE_HINT =
  "on Linux without a GPU, run scripts/setup-webgpu.sh (Mesa's lavapipe software Vulkan driver) and set VK_ICD_FILENAMES as it prints; see README, WebGPU";

let acquiring: Promise<GpuContext | string> | null = null;

/**
 * Starts (or returns) the device. Resolves to the context, or to the reason there is none
 * (no WebGPU in this environment, no adapter, the device request failed).
 */
export function acquire(): Promise<GpuContext | string> {
  if (ctx) return Promise.resolve(ctx);
  acquiring ??= start().finally(() => {
    acquiring = null;
  });
  return acquiring;
}

async function start(): Promise<GpuContext | string> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  let gpuObject: GPU;
  let source: string;
  if (nav?.gpu) {
    gpuObject = nav.gpu;
    source = "navigator.gpu";
  } else {
    const g = await loadDawn();
    if (typeof g === "string") return g;
    gpuObject = g;
    source = "Dawn (the webgpu package)";
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpuObject.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return `requestAdapter failed: ${(e as Error).message}`;
  }
  if (!adapter) return `no WebGPU adapter from ${source}${source === "navigator.gpu" ? "" : ` (${NODE_HINT})`}`;
  const L = adapter.limits;
  const requiredLimits: Record<string, number> = {};
  for (const k of [
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxComputeWorkgroupStorageSize",
    "maxComputeInvocationsPerWorkgroup",
    "maxComputeWorkgroupSizeX",
    "maxComputeWorkgroupSizeY",
    "maxComputeWorkgroupSizeZ",
    "maxStorageBuffersPerShaderStage",
  ] as const) {
    const v = L[k];
    if (typeof v === "number") requiredLimits[k] = v;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, label: "cotangent" });
  } catch (e) {
    return `requestDevice failed: ${(e as Error).message}`;
  }
  const info = adapter.info as GPUAdapterInfo | undefined;
  const description = `${source}: ${[info?.vendor, info?.architecture, info?.description || info?.device].filter(Boolean).join(" / ") || "unknown adapter"}`;
  const c: GpuContext = { adapter, device, limits: device.limits, generation: ++generation, description };
  device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
    if (ctx !== c) return;
    rememberError(new CotangentError("CT3009", `webgpu: ${ev.error.message.trim()} (while running ${opInFlight})`));
  };
  void device.lost.then((infoLost) => {
    if (ctx !== c) return; // replaced or shut down on purpose
    ctx = null;
    pendingEncoder = null;
    pendingError = null;
    lost = lastLost = { message: infoLost.message, op: opInFlight };
    if (!warnedLost) {
      warnedLost = true;
      // (console through globalThis: the runtime's types need no DOM or Node library)
      (globalThis as { console?: { warn(message: string): void } }).console?.warn(
        `Cotangent: the WebGPU device was lost (${infoLost.message || infoLost.reason}) while running ${opInFlight}; ` +
          `new tensors go to the CPU now. Call await setBackend("webgpu") to start a new device.`,
      );
    }
    for (const l of lostListeners) l();
  });
  ctx = c;
  lost = null;
  return c;
}

// ---- command submission --------------------------------------------------------------------------
// Dispatches are recorded into one pending command encoder and submitted together: at the end of
// the current synchronous burst (a microtask), every MAX_BATCH dispatches, and before anything that
// must see their results or must not be overtaken by them (queue.writeBuffer, reads, destroying buffers).

const MAX_BATCH = 64;
let pendingEncoder: GPUCommandEncoder | null = null;
let pendingCount = 0;
let flushQueued = false;
/** Numbers the batches: incremented at every submission. */
let batch = 0;

/** The number of the batch being recorded, or -1 when nothing is pending (freed buffers are then safe to overwrite with queue.writeBuffer). */
export function pendingBatch(): number {
  return pendingEncoder ? batch : -1;
}

/** The pending command encoder (created on demand); `flush()` submits it. */
export function commandEncoder(c: GpuContext): GPUCommandEncoder {
  if (!pendingEncoder) {
    pendingEncoder = c.device.createCommandEncoder();
    if (!flushQueued) {
      flushQueued = true;
      void Promise.resolve().then(() => {
        flushQueued = false;
        flush();
      });
    }
  }
  return pendingEncoder;
}

/** Counts one recorded command; submits the batch when it is full. */
export function recorded(): void {
  if (++pendingCount >= MAX_BATCH) flush();
}

/** Submits the pending commands (no-op when there are none). */
export function flush(): void {
  const enc = pendingEncoder;
  pendingEncoder = null;
  pendingCount = 0;
  batch++;
  if (enc && ctx) ctx.device.queue.submit([enc.finish()]);
}

/**
 * @internal Destroys the device on purpose (tests, shutdown): no loss warning; the next acquire()
 * starts a new one. Also lets go of Dawn's GPU object, so a Node process can exit.
 */
export function shutdown(): void {
  const c = ctx;
  flush();
  ctx = null;
  pendingError = null;
  pendingEncoder = null;
  c?.device.destroy();
  dawnGpu = null;
  delete (globalThis as { __cotangentDawnGpu?: GPU }).__cotangentDawnGpu;
}

/** @internal For tests: makes the device lost as if the driver had dropped it. */
export function simulateDeviceLoss(): void {
  const c = ctx;
  if (!c) return;
  // Destroying gives reason "destroyed"; the lost handler above treats it like any loss since ctx is still c.
  c.device.destroy();
}
