#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (with Swift installed) to run docker-librato: installs libnanomsg, a Docker
# engine when none is there (and starts it), and builds the release binary .build/release/docker-librato.
# Then: .build/release/docker-librato standalone   (prints the Librato requests it would send: a dry run)
#
# "A Docker engine is there" means a socket that answers at /var/run/docker.sock, or a `dockerd` to start. A
# `docker` client alone (installed for remote use) is not an engine: then docker.io is installed and started.
# SETUP_PLAN_ONLY=1 prints what would be done and changes nothing (used by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

. scripts/docker-daemon.sh

pkgs=()
[ -f /usr/include/nanomsg/nn.h ] || pkgs+=(libnanomsg-dev)
command -v pkg-config >/dev/null 2>&1 || pkgs+=(pkg-config)
if docker_answers; then
  echo "setup: using the Docker engine that answers at $SOCK"
elif docker_answers_root; then
  echo "setup: a Docker engine answers at $SOCK, but only to root: $(id -un) will be added to the docker group"
elif dockerd_path >/dev/null; then
  echo "setup: dockerd is installed ($(dockerd_path)) but nothing answers at $SOCK: it will be started"
elif command -v dpkg-query >/dev/null 2>&1 && [ "$(dpkg-query -W -f='${Status}' docker-ce-cli 2>/dev/null)" = "install ok installed" ]; then
  # Docker's own client conflicts with Debian's docker.io: the engine to add is Docker's docker-ce.
  if apt-cache show docker-ce >/dev/null 2>&1; then
    echo "setup: found Docker's docker-ce-cli but no Docker engine (no dockerd, nothing answers at $SOCK): installing docker-ce from Docker's repository (docker.io would conflict with docker-ce-cli)"
    pkgs+=(docker-ce)
  else
    echo "setup: found Docker's docker-ce-cli but no Docker engine, and no docker-ce package in the apt sources: add Docker's apt repository (https://docs.docker.com/engine/install/debian/) or remove docker-ce-cli, then run scripts/setup.sh again" >&2
    exit 1
  fi
else
  if command -v docker >/dev/null 2>&1; then
    echo "setup: found the docker client ($(command -v docker)) but no Docker engine (no dockerd, nothing answers at $SOCK): installing docker.io"
  else
    echo "setup: no Docker engine: installing docker.io"
  fi
  pkgs+=(docker.io)
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${pkgs[*]}"
  if [ -n "${SETUP_PLAN_ONLY:-}" ]; then echo "setup: plan only, nothing changed"; exit 0; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
if [ -n "${SETUP_PLAN_ONLY:-}" ]; then echo "setup: plan only, nothing changed"; exit 0; fi

# The engine's own client, installed with it, if the one on PATH was something else.
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
ensure_dockerd
echo "setup: Docker engine $($DOCKER_AS "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.Version}}' 2>/dev/null) answers at $SOCK"

echo "setup: building docker-librato (release; a first build takes several minutes)"
swift build -c release --product docker-librato
if [ -n "$DOCKER_AS" ]; then
  echo "setup: done. docker-librato reads $SOCK: log in again (or run newgrp docker) first, then:"
  echo "         .build/release/docker-librato standalone   (or now: sudo .build/release/docker-librato standalone)"
else
  echo "setup: done. Try: .build/release/docker-librato standalone   (or --help)"
fi
