#!/usr/bin/env bash
# Command 2: build and run every test (ctest). Installs missing Debian
# dependencies first (as root), and starts Xvfb when there is no display.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
need=(cmake ninja-build qt6-base-dev libqt6opengl6-dev qt6-charts-dev libvtk9-dev libtorch-dev
      python3-torch libassimp-dev nlohmann-json3-dev libssl-dev zlib1g-dev libopenmesh-dev libeigen3-dev
      xvfb xauth python3-scipy python3-skimage)
installed=$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${need[@]}" 2>/dev/null | grep -c '^ii' || true)
if [ "$installed" -ne "${#need[@]}" ]; then
  bash packaging/install-deps.sh
fi
preset=release
[ "${CI:-}" = true ] && preset=ci
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$(nproc)"

xvfb_pid=""
if [ -z "${DISPLAY:-}" ]; then
  for n in $(seq 90 110); do
    [ -e "/tmp/.X$n-lock" ] && continue
    Xvfb ":$n" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb_pid=$!
    export DISPLAY=":$n"
    for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
    break
  done
fi
trap '[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true' EXIT
ctest --preset "$preset" -j2 --timeout 900
