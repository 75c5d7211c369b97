#!/usr/bin/env bash
# Installs the Debian 12 packages chordchat needs to build, test and plot, and nothing else.
# Idempotent: packages already present are left alone, and apt-get runs only when something
# is missing. Non-interactive; run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git
  # libraries (see CMakeLists.txt)
  libuv1-dev libcereal-dev libssl-dev libbenchmark-dev libgtest-dev libcli11-dev libyaml-cpp-dev
  # chordnode's line editor on a terminal (BSD licence; GNU readline would be GPL-3)
  libedit-dev
  # the libFuzzer build (clang) of tests/fuzz
  clang libclang-rt-14-dev
  # network namespaces for the LAN test of net_real
  iproute2
  # chordsim's plots (tools/chordsim_plot.py, tools/chordsim_sweep.py)
  python3 python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
