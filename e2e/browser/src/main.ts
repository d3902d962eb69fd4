// Browser app (e2e/test/browser.test.ts loads it into headless Chromium): the gradient of the
// marked loss on the CPU, then on WebGPU (must match, float32, relative 1e-4), then a few Adam
// steps on WebGPU with the losses read back by `await t.data()`. Results go to
// `window.__cotangentResult` and, as JSON, into <pre id="result" data-status="done|error">.

import { getBackend, gradient, setBackend, Tensor, tensor, valueWithGradient } from "@cotangent/runtime";
import { Adam, Sequential } from "@cotangent/nn";
import { clippedEnergy, dataTensors, loss, makeModel } from "./model.js";

const N = 64;
const STEPS = 8;

/** Every tensor of a gradient tree, by path ("layers.0.weight"). */
function leaves(tree: unknown, path = "", out = new Map<string, Tensor>()): Map<string, Tensor> {
  if (tree instanceof Tensor) out.set(path, tree);
  else if (Array.isArray(tree)) tree.forEach((t, i) => leaves(t, `${path}${path ? "." : ""}${i}`, out));
  else if (tree !== null && typeof tree === "object")
    for (const [k, v] of Object.entries(tree)) leaves(v, `${path}${path ? "." : ""}${k}`, out);
  return out;
}

interface GradientComparison {
  path: string;
  shape: number[];
  backend: string;
  /** max |gpu − cpu| / max |cpu| over the tensor */
  relError: number;
  maxAbsCpu: number;
}

interface Result {
  status: "done";
  secureContext: boolean;
  userAgent: string;
  adapter: string;
  backend: string;
  parameterBackends: string[];
  losses: number[];
  cpuLoss: number;
  gradients: GradientComparison[];
  maxRelError: number;
  /** map(softClip) in a loss: the gradient on WebGPU against the CPU's. */
  kernel: { backend: string; relError: number };
  ms: number;
}

async function adapterDescription(): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
  if (!gpu) return "(no navigator.gpu)";
  const adapter = await gpu.requestAdapter();
  if (!adapter) return "(no adapter)";
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" / ") || "(no adapter info)";
}

async function run(): Promise<Result> {
  const t0 = performance.now();

  // CPU reference: the gradient at the initial weights.
  const cpu = dataTensors(N);
  const cpuModel = makeModel();
  const cpuValue = valueWithGradient(loss)(cpuModel, cpu.x, cpu.labels);
  const cpuGrads = leaves(cpuValue.gradient);

  // A kernel function (map(softClip)) in a loss, on the CPU first.
  const kx = dataTensors(N).x;
  const kScale = tensor(new Float32Array([0.5, 2]), [2]);
  const cpuKernelGrad = await (gradient(clippedEnergy)(kx, kScale) as Tensor[])[0]!.data();

  // WebGPU: the same model and data (seeded), created after switching the backend.
  await setBackend("webgpu");
  const backend = getBackend();
  const { x, labels } = dataTensors(N);
  let model: Sequential = makeModel();

  const gpuGrads = leaves(gradient(loss)(model, x, labels));
  const gradients: GradientComparison[] = [];
  if (gpuGrads.size !== cpuGrads.size || gpuGrads.size === 0)
    throw new Error(`gradient trees differ: cpu ${[...cpuGrads.keys()]}, webgpu ${[...gpuGrads.keys()]}`);
  for (const [path, c] of cpuGrads) {
    const g = gpuGrads.get(path);
    if (!g) throw new Error(`no WebGPU gradient at ${path}`);
    const cv = await c.data();
    const gv = await g.data();
    let maxAbs = 0;
    let maxDiff = 0;
    for (let i = 0; i < cv.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(cv[i]!));
      maxDiff = Math.max(maxDiff, Math.abs(cv[i]! - gv[i]!));
    }
    gradients.push({ path, shape: [...g.shape], backend: g.backendName, relError: maxAbs > 0 ? maxDiff / maxAbs : maxDiff, maxAbsCpu: maxAbs });
  }

  const [gpuKernelGrad] = gradient(clippedEnergy)(dataTensors(N).x, tensor(new Float32Array([0.5, 2]), [2])) as Tensor[];
  const gk = await gpuKernelGrad!.data();
  let kMax = 0;
  let kDiff = 0;
  for (let i = 0; i < gk.length; i++) {
    kMax = Math.max(kMax, Math.abs(cpuKernelGrad[i]!));
    kDiff = Math.max(kDiff, Math.abs(cpuKernelGrad[i]! - gk[i]!));
  }
  const kernel = { backend: gpuKernelGrad!.backendName, relError: kMax > 0 ? kDiff / kMax : kDiff };

  // Training: Adam steps on WebGPU; each step's loss read back asynchronously.
  const optimizer = new Adam({ learningRate: 0.05 });
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const r = valueWithGradient(loss)(model, x, labels);
    losses.push((await r.value.data())[0]!);
    model = optimizer.update(model, r.gradient);
  }
  losses.push((await loss(model, x, labels).data())[0]!);

  return {
    status: "done",
    secureContext: window.isSecureContext,
    userAgent: navigator.userAgent,
    adapter: await adapterDescription(),
    backend,
    parameterBackends: [...leaves(model).values()].map((t) => t.backendName),
    losses,
    cpuLoss: (await cpuValue.value.data())[0]!,
    gradients,
    maxRelError: Math.max(...gradients.map((g) => g.relError)),
    kernel,
    ms: Math.round(performance.now() - t0),
  };
}

function publish(result: { status: string; [key: string]: unknown } | Result): void {
  (window as unknown as { __cotangentResult: unknown }).__cotangentResult = result;
  const pre = document.getElementById("result")!;
  pre.textContent = JSON.stringify(result, null, 2);
  pre.dataset.status = result.status;
}

run().then(publish, (e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  publish({ status: "error", message: err.message, stack: err.stack ?? "" });
});
