#!/bin/bash
# Prepares `npm run bench:gpu` (e2e/bench/gpu.mjs) for a GPU machine that has no Node and no network
# (see ../shared/gpu-device/README.md): builds a single-file bundle of the benchmark here and packs it,
# with Node, the Vulkan loader and Dawn (the `webgpu` package), into .gpu/ (ignored by git).
#
#   e2e/bench/gpu-device.sh            build the bundle, pack .gpu/ (needs `npm run build` done first)
#   e2e/bench/gpu-device.sh --check    the same, then run the packed bundle here with --quick on
#                                      lavapipe (scripts/setup-webgpu.sh), as a smoke test
#
# The bundle (webpack, target node; gpu.webpack.config.cjs, entry gpu-bundle.mjs) holds the runtime,
# @cotangent/nn, the marked loss (gpu-loss.ts) already compiled by @cotangent/babel-plugin, and
# tfjs-core (gradients registered) + tfjs-backend-webgpu 4.22: nothing is compiled on that machine.
# Only Dawn's native addon is required at run time, from .gpu/node_modules (NODE_PATH, set by enter.sh).
#
# Then, on the GPU machine, from the project root (carry ".gpu"; everything that travels < 64 MiB):
#
#   source .gpu/enter.sh && node .gpu/bench-gpu.cjs
#
# (options as for gpu.mjs: --quick, --only=matmul,mlp, --skip=tfjs, --sizes=..., --batches=...).
# On an H100 the full run should take about a minute after the machine starts.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
PACK=${GPU_PACK:-$root/../shared/gpu-device/pack.sh}

for d in runtime/dist/esm nn/dist/esm babel-plugin/dist; do
  [ -d "$d" ] || { echo "gpu-device: $d is missing; run npm run build first." >&2; exit 1; }
done
[ -x "$PACK" ] || [ -f "$PACK" ] || { echo "gpu-device: $PACK not found (set GPU_PACK to ../shared/gpu-device/pack.sh)." >&2; exit 1; }

echo "gpu-device: bundling e2e/bench/gpu.mjs (webpack) ..."
npx webpack --config e2e/bench/gpu.webpack.config.cjs
bundle=e2e/out/gpu-bench/bench-gpu.cjs
[ -f "$bundle" ] || { echo "gpu-device: webpack wrote no $bundle" >&2; exit 1; }

echo "gpu-device: packing .gpu/ ($PACK) ..."
bash "$PACK"
cp "$bundle" .gpu/bench-gpu.cjs
echo "gpu-device: bundle $(du -h .gpu/bench-gpu.cjs | cut -f1), .gpu/ in all $(du -sh .gpu | cut -f1) (limit 64 MiB)"
total=$(du -sk .gpu | cut -f1)
if [ "$total" -gt $((64 * 1024)) ]; then
  echo "gpu-device: .gpu/ is over 64 MiB" >&2
  exit 1
fi
echo "gpu-device: on the GPU machine, from the project root (carry .gpu):"
echo "    source .gpu/enter.sh && node .gpu/bench-gpu.cjs"

if [ "${1:-}" = "--check" ]; then
  if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -x scripts/setup-webgpu.sh ]; then eval "$(scripts/setup-webgpu.sh --env)"; fi
  echo "gpu-device: smoke run of the packed bundle here (--quick; VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset}) ..."
  # From a scratch folder, with only .gpu/node_modules to find modules in: as on the GPU machine.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cp .gpu/bench-gpu.cjs "$scratch/"
  (cd "$scratch" && XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} NODE_PATH="$root/.gpu/node_modules" node bench-gpu.cjs --quick)
fi
