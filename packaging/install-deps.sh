#!/usr/bin/env bash
# Installs every build and run dependency of h3dpart from Debian 12's packages.
# Idempotent: apt-get skips what is already there.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (apt-get needs it)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config git ca-certificates \
  qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev qt6-charts-dev qt6-qpa-plugins \
  libgl-dev libglx-dev libegl-dev libgl1-mesa-dri libglx-mesa0 \
  libvtk9-dev \
  libtorch-dev python3-torch python3-numpy \
  libassimp-dev nlohmann-json3-dev libssl-dev zlib1g-dev libopenmesh-dev libeigen3-dev \
  python3-scipy python3-skimage python3-matplotlib \
  xvfb xauth x11-utils imagemagick clang-format f3d \
  dpkg-dev file fakeroot appstream desktop-file-utils \
  >/dev/null
echo "install-deps.sh: dependencies installed"
