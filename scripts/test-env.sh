#!/usr/bin/env bash
# Sets up everything the test suite needs, the same way on a developer's machine and in CI:
#   - Debian packages: libnanomsg-dev, nanomsg-utils, docker.io, busybox-static, podman (+ docker-compose, debootstrap
#     for the deployment tests; qemu-system-x86, cpio, e2fsprogs, debootstrap for the cgroup-v2 test host,
#     scripts/test-hosts/v2host.sh);
#   - a running dockerd on /var/run/docker.sock (started here when none answers; flags that work in
#     unprivileged VMs without a bridge or iptables);
#   - the local test image `local/busybox:latest`, made from busybox-static (nothing can be pulled);
#   - the unprivileged user dl-test-nonroot (the non-root tests run the collector as it).
# Idempotent: run it as often as you like. Needs root (or sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_pkgs=()
command -v nanocat >/dev/null 2>&1 || need_pkgs+=(nanomsg-utils)
[ -f /usr/include/nanomsg/nn.h ] || need_pkgs+=(libnanomsg-dev)
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
command -v docker-compose >/dev/null 2>&1 || need_pkgs+=(docker-compose)
command -v pkg-config >/dev/null 2>&1 || need_pkgs+=(pkg-config)
# The cgroup-v2 test host (scripts/test-hosts/): QEMU without its recommends (no GUI, firmware or ~400 MB of
# extras: the guest boots a kernel directly), cpio for its initramfs, mkfs.ext4 for its disks, debootstrap for the
# systemd guest's root (also used by deploy/test-image.sh).
v2host_pkgs=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || v2host_pkgs+=(qemu-system-x86)
command -v cpio >/dev/null 2>&1 || v2host_pkgs+=(cpio)
command -v mkfs.ext4 >/dev/null 2>&1 || [ -x /sbin/mkfs.ext4 ] || v2host_pkgs+=(e2fsprogs)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || v2host_pkgs+=(debootstrap)
# Podman for its Docker-compatible API (Tests/EngineAccessTests/PodmanTests), without its recommends (buildah,
# slirp4netns, fuse-overlayfs: rootless and image-building extras); conmon, runc and containers-common come with it.
# The tests run their own `podman system service` with its own storage and socket.
podman_pkgs=()
command -v podman >/dev/null 2>&1 || podman_pkgs+=(podman)
if [ ${#need_pkgs[@]} -gt 0 ] || [ ${#v2host_pkgs[@]} -gt 0 ] || [ ${#podman_pkgs[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test-env: installing ${need_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
if [ ${#v2host_pkgs[@]} -gt 0 ]; then
  echo "test-env: installing ${v2host_pkgs[*]} (cgroup-v2 test host)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${v2host_pkgs[@]}" >/dev/null
fi
if [ ${#podman_pkgs[@]} -gt 0 ]; then
  echo "test-env: installing ${podman_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${podman_pkgs[@]}" >/dev/null
fi

# An unprivileged user for the non-root tests (Tests/EngineAccessTests): no home, no login shell, not in the
# docker group.
if ! id dl-test-nonroot >/dev/null 2>&1; then
  $SUDO useradd --system --no-create-home --shell /usr/sbin/nologin dl-test-nonroot
fi

. "$(dirname "$0")/docker-daemon.sh"
ensure_dockerd

if ! "$DOCKER" image inspect local/busybox:latest >/dev/null 2>&1; then
  echo "test-env: importing local/busybox:latest from busybox-static"
  dir=$(mktemp -d)
  mkdir -p "$dir/bin" "$dir/tmp" "$dir/etc"
  cp /bin/busybox "$dir/bin/busybox"
  for app in $("$dir/bin/busybox" --list); do
    [ "$app" = busybox ] || ln -sf busybox "$dir/bin/$app"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/etc/passwd"
  echo 'root:x:0:' > "$dir/etc/group"
  tar -C "$dir" -c . | "$DOCKER" import -c 'CMD ["/bin/sh"]' - local/busybox:latest >/dev/null
  rm -rf "$dir"
fi

echo "test-env: ready (dockerd $("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null), image local/busybox:latest)"
