#!/usr/bin/env bash
# Command 1: on a fresh Debian 12 machine, as root: install every dependency
# (Debian packages only), configure, build, and run the main job on the
# bundled sample: the desktop app with the sample open when a display is
# there, else the CLI `run` on it, printing where the result is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
bin=build/release/app
sample=resources/samples/table.glb
export H3DPART_MODELS="$here/build/release/share/h3dpart/models"
if [ -n "${DISPLAY:-}" ] && [ -x "$bin/h3dpart-studio" ] && [ "${H3DPART_NO_GUI:-0}" != 1 ]; then
  echo "setup: opening $sample in h3dpart-studio"
  exec "$bin/h3dpart-studio" "$sample"
fi
mkdir -p out
"$bin/h3dpart" run "$sample" -o out/table-parts.glb --json out/table-report.json
echo "setup: result written to $here/out/table-parts.glb (report: $here/out/table-report.json)"
