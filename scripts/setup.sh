#!/usr/bin/env bash
# Installs the Debian packages Gal-Friday needs to build and test. Idempotent and
# non-interactive: only packages that are missing are installed, so a second run is quick.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libssl-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libsimdjson-dev nlohmann-json3-dev
  libsqlite3-dev
  libpqxx-dev postgresql-15
  influxdb influxdb-client curl
  libxgboost-dev
  chromium chromium-driver python3
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once before installing.
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
