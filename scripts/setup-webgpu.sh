#!/bin/sh
# Makes real WebGPU available to Node on a machine without a GPU (Debian/Ubuntu), for the
# WebGPU backend's tests: Dawn (the `webgpu` npm package, installed by npm) on Mesa's software
# Vulkan driver, lavapipe.
#
# Debian bookworm's own lavapipe (Mesa 22.3) is rejected by Dawn, so on bookworm this fetches the
# bookworm-backports build (Mesa 25) into <repo>/.lavapipe/ WITHOUT touching /etc/apt or installing
# it system-wide, and writes <repo>/.lavapipe/lvp_icd.json, the Vulkan driver manifest to point
# VK_ICD_FILENAMES at. On newer releases the system's own lavapipe is used through the same file.
#
# Usage: scripts/setup-webgpu.sh            (progress on stderr; the `export VK_ICD_FILENAMES=…` line on stdout)
#        eval "$(scripts/setup-webgpu.sh)"     (--env: no progress messages)
# Idempotent: when everything is in place it only checks and prints (well under a second).
# Needs root (or sudo) only the first time, for `apt-get install libvulkan1 mesa-vulkan-drivers`.
set -eu

ENV_ONLY=0
[ "${1:-}" = "--env" ] && ENV_ONLY=1
say() { [ "$ENV_ONLY" = 1 ] || echo "setup-webgpu: $*" >&2; }
# stdout carries only the final `export …` line (fd 3); everything else goes to stderr.
exec 3>&1 1>&2

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
D="$ROOT/.lavapipe"
ICD="$D/lvp_icd.json"
ARCH=$(uname -m)
LIBDIR="usr/lib/$ARCH-linux-gnu"

if [ "$(uname -s)" != Linux ]; then
  say "not Linux: nothing to do (macOS and Windows use their own GPU drivers through Dawn)."
  exit 0
fi

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# The ICD manifest is valid when it names an existing library (paths are absolute: regenerate after a move).
icd_ok() {
  [ -f "$ICD" ] || return 1
  lib=$(sed -n 's/.*"library_path":"\([^"]*\)".*/\1/p' "$ICD")
  [ -n "$lib" ] && [ -f "$lib" ]
}

if icd_ok && have_pkg libvulkan1 && have_pkg mesa-vulkan-drivers; then
  say "already set up ($ICD)."
  echo "export VK_ICD_FILENAMES=$ICD" >&3
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "setup-webgpu: needs root (or sudo) to apt-get install libvulkan1 mesa-vulkan-drivers." >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-webgpu: no apt-get; install a Vulkan loader and Mesa >= 23 lavapipe by hand and set VK_ICD_FILENAMES." >&2
  exit 1
fi

# 1. The Vulkan loader, and Mesa's drivers for their dependencies (libLLVM, ...).
if ! have_pkg libvulkan1 || ! have_pkg mesa-vulkan-drivers; then
  say "installing libvulkan1 mesa-vulkan-drivers ..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libvulkan1 mesa-vulkan-drivers >/dev/null
fi

mkdir -p "$D"
CODENAME=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null || true)
if [ "$CODENAME" = bookworm ]; then
  # 2. Mesa 25 lavapipe from bookworm-backports, unpacked into .lavapipe/root (a private apt state:
  #    the system's sources and package lists are not changed).
  say "fetching Mesa lavapipe from bookworm-backports into $D ..."
  mkdir -p "$D/lists/partial" "$D/cache/archives/partial"
  echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main' >"$D/sources.list"
  O="-o Dir::Etc::SourceList=$D/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$D/lists -o Dir::Cache=$D/cache"
  [ "$(id -u)" = 0 ] && O="$O -o APT::Sandbox::User=root" # the _apt user cannot write into the repo
  # shellcheck disable=SC2086
  apt-get $O update -qq
  rm -f "$D"/mesa-vulkan-drivers_*.deb
  # shellcheck disable=SC2086
  (cd "$D" && apt-get $O download -qq mesa-vulkan-drivers/bookworm-backports)
  rm -rf "$D/root"
  dpkg-deb -x "$D"/mesa-vulkan-drivers_*.deb "$D/root"
  rm -rf "$D/lists" "$D/cache" "$D"/mesa-vulkan-drivers_*.deb
  LIB="$D/root/$LIBDIR/libvulkan_lvp.so"
else
  # Newer releases ship a lavapipe Dawn accepts.
  LIB="/$LIBDIR/libvulkan_lvp.so"
fi
if [ ! -f "$LIB" ]; then
  echo "setup-webgpu: $LIB is missing; the lavapipe install failed." >&2
  exit 1
fi
printf '{"file_format_version":"1.0.0","ICD":{"api_version":"1.4.305","library_path":"%s"}}\n' "$LIB" >"$ICD"
say "done: $ICD"
echo "export VK_ICD_FILENAMES=$ICD" >&3
