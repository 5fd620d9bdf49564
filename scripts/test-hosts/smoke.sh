#!/usr/bin/env bash
# Runs the smoke scenario (scenarios/smoke.sh) on the cgroup-v2 test host, for one driver or both, one guest at a
# time. Builds the probes it runs in the guest into each share first: probe/sockget (C++, linked dynamically against
# libnanomsg, zlib and libstdc++ like the collector), probe/hello-swift (swiftc -static-stdlib, when swiftc is there)
# and probe/probe-image.tar (busybox + sockget + the shared libraries ldd names: an image the guest imports).
#
#   scripts/test-hosts/smoke.sh [--driver cgroupfs|systemd|all] [--out DIR] [other v2host.sh run options]
#
# Results: DIR/<driver>/smoke/ (checks.txt, summary.txt, the recorded cgroup files…), DIR/<driver>/scenario.*,
# guest-*.log. DIR defaults to ${TMPDIR:-/tmp}/v2host-smoke. Exit 0 when every driver passed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
driver=all
out="${TMPDIR:-/tmp}/v2host-smoke"
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
    --driver) driver=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) pass+=("$1"); shift ;;
    esac
done
case "$driver" in all) drivers=(cgroupfs systemd) ;; cgroupfs | systemd) drivers=("$driver") ;; *) echo "--driver cgroupfs|systemd|all" >&2; exit 2 ;; esac

probe=$(mktemp -d "${TMPDIR:-/tmp}/v2host-probe.XXXXXX")
trap 'rm -rf "$probe"' EXIT
CXX=${CXX:-$(command -v g++ || command -v c++ || command -v clang++ || true)}
if [ -n "$CXX" ] && [ -f /usr/include/nanomsg/nn.h ]; then
    "$CXX" -O2 -o "$probe/sockget" "$HERE/probe/sockget.cc" -lnanomsg -lz
    # An image for the guest: busybox (like local/busybox) plus the probe and every library ldd names.
    img="$probe/image"
    mkdir -p "$img/bin" "$img/tmp" "$img/etc" "$img/probe"
    cp /bin/busybox "$img/bin/busybox"
    for app in $(/bin/busybox --list); do [ "$app" = busybox ] || ln -sf busybox "$img/bin/$app"; done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$img/etc/passwd"
    echo 'root:x:0:' >"$img/etc/group"
    cp "$probe/sockget" "$img/probe/"
    for lib in $(ldd "$probe/sockget" | grep -o '/[^ ]*'); do
        mkdir -p "$img$(dirname "$lib")"
        cp -L "$lib" "$img$lib"
    done
    tar -C "$img" -cf "$probe/probe-image.tar" .
    rm -rf "$img"
else
    echo "smoke: no C++ compiler or nanomsg headers: the host-binary checks are skipped" >&2
fi
if command -v swiftc >/dev/null 2>&1; then
    printf 'print("hello from a host-built Swift binary")\n' >"$probe/hello.swift"
    swiftc -O -static-stdlib "$probe/hello.swift" -o "$probe/hello-swift" 2>/dev/null ||
        echo "smoke: swiftc -static-stdlib failed: the Swift check is skipped" >&2
    rm -f "$probe/hello.swift"
fi

rc=0
for d in "${drivers[@]}"; do
    share="$out/$d"
    rm -rf "$share"
    mkdir -p "$share/probe"
    cp -a "$probe/." "$share/probe/"
    echo "=== smoke: $d (results in $share)" >&2
    r=0
    "$HERE/v2host.sh" run --driver "$d" --share "$share" --scenario "$HERE/scenarios/smoke.sh" "${pass[@]}" || r=$?
    if [ -f "$share/smoke/checks.txt" ]; then sed 's/^/  /' "$share/smoke/checks.txt" >&2; fi
    if [ -f "$share/smoke/summary.txt" ]; then echo "  $(cat "$share/smoke/summary.txt")" >&2; fi
    [ "$r" -eq 0 ] || { echo "=== smoke: $d FAILED (exit $r)" >&2; rc=1; }
done
exit "$rc"
