#!/usr/bin/env bash
# The full form of the host agreement test, and the table it produces: builds, runs
# Tests/StatsSourceTests/HostAgreementTests with AGREEMENT_FORM=full (every host kind — this machine's cgroup-v1
# dockerd, the cgroup-v2 test host with the cgroupfs and with the systemd driver — and every run mode: the collector
# as a process and as a container, from the cgroup files and from the Engine API), and replaces the generated part
# of docs/metrics.md (between the `agreement:begin` and `agreement:end` markers) with the table: metric × host kind ×
# stats source × run mode, measured value, truth and tolerance.
#
#   scripts/test-hosts/agreement.sh [--hosts v1,cgroupfs,systemd] [--out DIR [--reuse]] [--no-write] [--skip-build]
#
#   --hosts       a subset of host kinds (the table then holds only those)
#   --out DIR     keep every host's recorded files there (default: a temporary directory, removed at the end)
#   --reuse       judge the results a previous run left in --out DIR again (after a change to the test's rules),
#                 without booting the guests; the table then says so and keeps that run's times
#   --no-write    print the table, leave docs/metrics.md alone
#   --skip-build  use the existing debug build (`swift build --build-tests` otherwise)
#
# Needs what `swift test` needs (scripts/test-env.sh: dockerd, QEMU, the test host's cache — built on first use)
# and root. One guest at a time (the machines have 2 cores). Exit status: the test's (0 when every cell is within
# its tolerance); the table is written in either case and says which.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
hosts=v1,cgroupfs,systemd out="" write=1 build=1 reuse=0
while [ $# -gt 0 ]; do
    case "$1" in
    --hosts) hosts=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --no-write) write=0; shift ;;
    --reuse) reuse=1; shift ;;
    --skip-build) build=0; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "agreement: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
doc="$ROOT/docs/metrics.md"
if [ "$write" = 1 ] && ! grep -q '^<!-- agreement:begin' "$doc"; then
    echo "agreement: no <!-- agreement:begin --> marker in $doc" >&2
    exit 2
fi
keep=1
if [ -z "$out" ]; then
    out=$(mktemp -d "${TMPDIR:-/tmp}/dl-agreement.XXXXXX")
    keep=0
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck disable=SC2317 # called by the trap
cleanup() { [ "$keep" = 1 ] || rm -rf "$out"; }
trap cleanup EXIT

cd "$ROOT"
start=$SECONDS
[ "$build" = 0 ] || swift build --build-tests
built=$SECONDS
rc=0
if [ "$reuse" = 1 ]; then
    [ -n "$out" ] && [ -s "$out/swift-test.log" ] || { echo "agreement: --reuse needs --out DIR of a previous run" >&2; exit 2; }
    [ -s "$out/swift-test.run.log" ] || cp "$out/swift-test.log" "$out/swift-test.run.log"
fi
AGREEMENT_FORM=full AGREEMENT_HOSTS="$hosts" AGREEMENT_OUT="$out/results" AGREEMENT_TABLE="$out/table.md" AGREEMENT_REUSE="$reuse" \
    swift test --skip-build --filter 'HostAgreementTests' 2>&1 | tee "$out/swift-test.log" || rc=$?  # pipefail: swift's
took=$((SECONDS - built))
echo "agreement: the test took $((took / 60)) min $((took % 60)) s (build $((built - start)) s), exit $rc" >&2
run_log="$out/swift-test.log"
if [ "$reuse" = 1 ]; then
    run_log="$out/swift-test.run.log"
    took=$(cat "$out/took" 2>/dev/null || echo 0)
else
    echo "$took" >"$out/took"
fi
[ -s "$out/table.md" ] || { echo "agreement: the test wrote no table" >&2; exit "$((rc == 0 ? 1 : rc))"; }

# How long each host took and how its run ended, as the test printed it ("host agreement: systemd took 412.3
# seconds (exit 0)"; 124: timed out, 125: the guest did not come up — that host then has no table).
per_host=$(sed -n 's/.*host agreement: \([a-z0-9]*\) took \([0-9.]*\) seconds (exit \([0-9]*\)).*/\1 \2 \3/p' "$run_log" |
    awk '{ printf "%s%s %.0f s%s", (NR > 1 ? ", " : ""), $1, $2, ($3 == 0 ? "" : $3 == 124 ? " (timed out: no table)" : " (exit " $3 ": no table)") }')
[ "$reuse" = 0 ] || verdict_prefix="results judged again with \`--reuse\` on $(date -u +%Y-%m-%d) after a change to the test's rules: "
failing=$(grep -o '✗' "$out/table.md" | wc -l || true)  # grep finds none: exit 1 under pipefail
if [ "$rc" = 0 ]; then
    verdict="every cell within its tolerance"
else
    verdict="**the test failed** (exit $rc; $failing cells marked ✗; see its log)"
fi
section="$out/section.md"
{
    echo "<!-- agreement:begin — written by scripts/test-hosts/agreement.sh; edits here are replaced -->"
    echo
    echo "Produced by \`scripts/test-hosts/agreement.sh\` on $(date -u +%Y-%m-%d) from commit" \
        "\`$(git -C "$ROOT" rev-parse --short HEAD)\`$(git -C "$ROOT" diff --quiet HEAD -- Sources Tests scripts || echo ' (with uncommitted changes)'):" \
        "hosts $hosts, $((took / 60)) min $((took % 60)) s ($per_host); ${verdict_prefix:-}$verdict."
    echo
    cat "$out/table.md"
    echo "<!-- agreement:end -->"
} >"$section"
if [ "$write" = 1 ]; then
    awk -v section="$section" '
        /^<!-- agreement:begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
        /^<!-- agreement:end/ { skip = 0; next }
        !skip { print }' "$doc" >"$out/metrics.md"
    cp "$out/metrics.md" "$doc"
    echo "agreement: wrote the table into docs/metrics.md" >&2
else
    cat "$section"
fi
exit "$rc"
