// jest globalSetup: points Dawn (the WebGPU backend's tests) at the repo-local Mesa lavapipe that
// scripts/setup-webgpu.sh installs into .lavapipe/, unless the environment already names a Vulkan
// driver. It has to happen here, in jest's parent process before the workers start: test files see a
// copy of process.env that native code (the Vulkan loader inside Dawn) never reads.
const fs = require("node:fs");
const path = require("node:path");

module.exports = async function globalSetup() {
  const icd = path.join(__dirname, "..", ".lavapipe", "lvp_icd.json");
  if (!process.env.VK_ICD_FILENAMES && fs.existsSync(icd)) process.env.VK_ICD_FILENAMES = icd;
  // Mesa prints "XDG_RUNTIME_DIR is invalid" without one.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = require("node:os").tmpdir();
};
