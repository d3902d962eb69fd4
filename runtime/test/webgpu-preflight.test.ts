// Preflight for the WebGPU tests: a real adapter must be there (Dawn on Mesa's lavapipe in CI).
// Fails, never skips, when there is none: the WebGPU backend would otherwise go untested.

import { afterAll, expect, test } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";

// jest's globalSetup (scripts/jest-global-setup.cjs) points VK_ICD_FILENAMES at .lavapipe/ when
// scripts/setup-webgpu.sh has installed it there; .ci/run exports it too.
const icd = path.resolve(__dirname, "../../.lavapipe/lvp_icd.json");

import { init, webgpuAdapter } from "../src/backends/webgpu/index";
import { shutdown } from "../src/backends/webgpu/context";
import { fromValues, read } from "../src/backends/webgpu/storage";
import { binary } from "../src/backends/webgpu/elementwise";

afterAll(() => shutdown());

test("a WebGPU adapter is available and runs a kernel", async () => {
  const r = await init();
  if ("backend" in r && r.backend === null) {
    throw new Error(
      [
        `No WebGPU adapter: ${r.reason}.`,
        `The WebGPU backend's tests need real WebGPU. Fix: run scripts/setup-webgpu.sh (installs libvulkan1 and`,
        `Mesa's lavapipe 25 into .lavapipe/; needs root or sudo the first time), then rerun the tests.`,
        `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? "(unset)"}; ${fs.existsSync(icd) ? `${icd} exists` : `${icd} is missing`}.`,
      ].join("\n"),
    );
  }
  console.log(`WebGPU adapter: ${webgpuAdapter()}`);
  const a = fromValues(Float32Array.from([1, 2, 3, 4]), [4], "float32");
  const b = fromValues(Float32Array.from([10, 20, 30, 40]), [4], "float32");
  expect(Array.from(await read(binary("add", a, b, [4], "float32")))).toEqual([11, 22, 33, 44]);
});
