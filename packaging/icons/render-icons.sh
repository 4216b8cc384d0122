#!/usr/bin/env bash
# Renders the hicolor PNG sizes of the application icon from its SVG.
# The PNGs are committed, so building the package needs no SVG renderer;
# run this again (Debian: apt-get install librsvg2-bin) after editing the SVG.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
svg="$here/org.h3dpart.Studio.svg"
for size in 16 22 24 32 48 64 128 256 512; do
  mkdir -p "$here/hicolor/${size}x${size}"
  rsvg-convert --width "$size" --height "$size" --format png \
    --output "$here/hicolor/${size}x${size}/org.h3dpart.Studio.png" "$svg"
done
echo "render-icons.sh: wrote $(ls "$here"/hicolor | wc -l) sizes under $here/hicolor"
