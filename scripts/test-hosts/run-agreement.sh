#!/usr/bin/env bash
# Runs the collector agreement scenario (scenarios/collector.sh) on one kind of Docker host and leaves what it
# recorded in OUT/agree/ for Tests/StatsSourceTests/HostAgreementTests.swift to judge.
#
#   scripts/test-hosts/run-agreement.sh --host v1|cgroupfs|systemd --out DIR [--short] [--binary PATH]
#                                       [--modes "process-cgroup process-api container-auto container-api"] [--cpus N]
#
#   --host v1        this machine's own dockerd (cgroup v1, cgroupfs driver); containers named dl-agree-<random>-…
#   --host cgroupfs  the cgroup-v2 test host with dockerd's cgroupfs driver (v2host.sh run)
#   --host systemd   the cgroup-v2 test host with the systemd driver
#   --short          fewer workloads (no idle, OOM or short-lived containers)
#   --cpus N         the guest's vCPUs (default 1). The full form takes 2: its four debug-build collectors (one
#                    asking the Engine API for every container's stats every 2 s) starve one emulated vCPU, and on
#                    2026-12-02 the two collector containers did not log "following containers" within 300 s each
#                    (alone, without the process collectors, they took 175 s).
#   --binary PATH    the docker-librato to run (default: .build/debug/docker-librato). A debug build is
#                    dynamically linked to the Swift runtime: it is copied stripped, with every library `ldd` names and
#                    the dynamic loader, into OUT/payload (2 s, 88 MB; a --static-swift-stdlib release build costs a
#                    6-minute build instead), and run through that loader in the guest and in a busybox container.
# Exit status: the scenario's (0, or the number of setup failures), or v2host.sh's own (124 timeout, 125 the
# guest did not boot).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
host="" out="" short=0 cpus=1 binary="$ROOT/.build/debug/docker-librato"
modes="process-cgroup process-api container-auto container-api"
while [ $# -gt 0 ]; do
    case "$1" in
    --host) host=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --short) short=1; shift ;;
    --binary) binary=${2:?}; shift 2 ;;
    --modes) modes=${2:?}; shift 2 ;;
    --cpus) cpus=${2:?}; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run-agreement: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$host" in v1 | cgroupfs | systemd) ;; *) echo "run-agreement: --host v1|cgroupfs|systemd" >&2; exit 2 ;; esac
[ -n "$out" ] || { echo "run-agreement: --out DIR" >&2; exit 2; }
[ -x "$binary" ] || { echo "run-agreement: no $binary (swift build first)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The payload: the binary (stripped) and everything it loads, run through its own ld-linux.
payload="$out/payload"
rm -rf "$payload"
mkdir -p "$payload/lib"
strip -o "$payload/docker-librato" "$binary"
for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do cp -L "$lib" "$payload/lib/"; done
[ -x "$payload/lib/ld-linux-x86-64.so.2" ] || { echo "run-agreement: ldd named no ld-linux-x86-64.so.2" >&2; exit 2; }

prefix="dl-agree-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
if [ "$host" = v1 ]; then
    payload_seen=$payload
else
    payload_seen=/mnt/share/payload
fi
cat >"$out/agree.conf" <<EOF
AGREE_MODES="$modes"
AGREE_PAYLOAD=$payload_seen
AGREE_PREFIX=$prefix
AGREE_SHORT=$short
EOF

start=$SECONDS
rc=0
if [ "$host" = v1 ]; then
    AGREE_LOCAL=1 AGREE_SHARE="$out" bash "$HERE/scenarios/collector.sh" >"$out/scenario.stdout" 2>"$out/scenario.stderr" || rc=$?
    echo "$rc" >"$out/scenario.exit"
else
    # 1.5 GiB: up to four debug-build collectors beside dockerd and the workloads. 1800 s: on a host loaded by other
    # work (load average 12-31) the full scenario took 945 s in the cgroupfs guest, 713 s in the systemd guest.
    "$HERE/v2host.sh" run --driver "$host" --share "$out" --scenario "$HERE/scenarios/collector.sh" --memory 1536 --cpus "$cpus" --timeout 1800 || rc=$?
fi
echo "run-agreement: $host done in $((SECONDS - start)) s (exit $rc); results in $out/agree" >&2
exit "$rc"
