#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (with Swift installed) to run docker-librato: installs libnanomsg, a Docker
# engine when none is there (and starts it), and builds the release binary .build/release/docker-librato.
# Then: .build/release/docker-librato standalone   (prints the Librato requests it would send: a dry run)
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

pkgs=()
[ -f /usr/include/nanomsg/nn.h ] || pkgs+=(libnanomsg-dev)
command -v pkg-config >/dev/null 2>&1 || pkgs+=(pkg-config)
command -v dockerd >/dev/null 2>&1 || command -v docker >/dev/null 2>&1 || pkgs+=(docker.io)
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

. scripts/docker-daemon.sh
ensure_dockerd

echo "setup: building docker-librato (release; a first build takes several minutes)"
swift build -c release --product docker-librato
echo "setup: done. Try: .build/release/docker-librato standalone   (or --help)"
