#!/bin/sh
# What `npm test` needs beyond node_modules, installed on first use so that a fresh machine needs
# only `npm install` and `npm test`: real WebGPU without a GPU (scripts/setup-webgpu.sh: Mesa's
# lavapipe for Dawn) and headless Chromium for the browser test (Debian's `chromium`).
# Idempotent and quick when everything is there. It never fails `npm test` itself: without root,
# apt or network it says what is missing, and the tests that need it fail with the same advice.
set -u
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)

if [ "$(uname -s)" = Linux ]; then
  "$ROOT/scripts/setup-webgpu.sh" --env >/dev/null ||
    echo "setup-test-env: WebGPU setup failed (run scripts/setup-webgpu.sh to see why); the WebGPU tests will fail." >&2

  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "setup-test-env: installing Debian's chromium for e2e/test/browser.test.ts (~480 MB, once)..." >&2
    if ! command -v apt-get >/dev/null 2>&1 ||
      ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq >&2 ||
      ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >&2; then
      echo "setup-test-env: could not install chromium (apt-get install -y --no-install-recommends chromium); the browser test will fail." >&2
    fi
  fi
fi
exit 0
