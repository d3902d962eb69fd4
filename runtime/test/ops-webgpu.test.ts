// The backend conformance suite (./backend-conformance.ts) on WebGPU: Dawn on Mesa's lavapipe here
// and in CI. Fails, never skips, without an adapter (see webgpu-preflight.test.ts). Shader
// compilation dominates the time: the cases reuse the table's few shapes, so most kernels are
// compiled once per op.

import { setBackend } from "../src/backends/index";
import { shutdown } from "../src/backends/webgpu/context";
import { init, webgpuBackend } from "../src/backends/webgpu/index";
import { describeBackend } from "./backend-conformance";

describeBackend({
  name: "webgpu",
  async start() {
    const r = await init();
    if ("backend" in r && r.backend === null)
      throw new Error(`No WebGPU adapter (${r.reason}). Run scripts/setup-webgpu.sh, then rerun; see webgpu-preflight.test.ts.`);
    await setBackend("webgpu"); // registers the backend (tensors find theirs by name)
    return webgpuBackend;
  },
  stop: shutdown,
});
