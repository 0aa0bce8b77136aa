#!/usr/bin/env bash
# Installs what nas needs from Debian's packages (only what is missing) and builds it into build/.
#   bash setup.sh            # as root, or with sudo available
# Environment: NAS_BUILD_DIR (default build), NAS_JOBS (default: number of cores).
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  build-essential cmake ccache pkg-config
  libtorch-dev libeigen3-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  libbz2-dev libxxhash-dev libsqlite3-dev libssl-dev protobuf-compiler libprotobuf-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev gnuplot-nox zlib1g-dev dataset-fashion-mnist
  slurm-wlm munge python3
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir="${NAS_BUILD_DIR:-build}"
jobs="${NAS_JOBS:-$(nproc)}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$jobs"
echo "setup: built $build_dir/bin/nas" >&2
