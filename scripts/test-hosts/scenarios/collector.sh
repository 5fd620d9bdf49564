#!/bin/bash
# shellcheck disable=SC2016,SC2317 # awk programs in single quotes; functions called through wait_for and the trap
# The collector on a Docker host, against the containers' own cgroup files and `docker stats` (see
# ../run-agreement.sh, which runs it on one host kind — the cgroup-v2 test host's two drivers or this cgroup-v1
# machine —, Tests/StatsSourceTests/HostAgreementTests.swift, which checks and tabulates what it records, and
# ../agreement.sh, which runs that test's full form and writes the table into docs/metrics.md).
#
# Runs as root IN a v2host guest (V2HOST_SHARE set) or, with AGREE_LOCAL=1, on this machine's own dockerd (every
# container and volume it makes is named $AGREE_PREFIX-…, followed by name and removed on exit).
#
# Reads $SHARE/agree.conf (shell variables):
#   AGREE_MODES     collectors to run side by side, each a `docker-librato standalone` with the dry-run sink:
#                   process-cgroup, process-api (plain processes; STATS_SOURCE=cgroup / api) and container-auto,
#                   container-api (containers with the compose file's mounts: /sys/fs/cgroup:ro, /proc:/host/proc:ro
#                   with PROC_ROOT=/host/proc, the socket; Docker's default cgroup namespace — private on v2)
#   AGREE_PAYLOAD   directory with docker-librato and lib/ (its shared libraries and ld-linux), made by
#                   ../run-agreement.sh from the build; mounted read-only into the collector containers
#   AGREE_PREFIX    name prefix of everything made here
#   AGREE_SHORT     1: fewer workloads (no idle, oom, short-lived containers)
#
# Workloads (--network none but net), created before the collectors and working once each collector has
# sampled them (that first sample is the baseline of their counters):
#   cpu          --memory 64m, then --cpus 0.2 and `yes` once every other workload is done (it would starve them on
#                the guest's one emulated CPU): throttled, limited
#   idle         no limits (limit = host RAM)                                   [not in the short form]
#   writer       24 MiB written to a volume with conv=fsync and read back with iflag=direct, 8 MiB fsync'd to the
#                container's own filesystem
#   procs        --pids-limit 64, 20 background sleeps: 21 pids
#   logger       300 stdout lines with an l2met count, 50 stderr lines
#   oom          --memory 16m --memory-swap 16m, a hog the kernel kills           [not in the short form]
#   starter      started while the collectors follow: 8 MiB fsync'd at once     [not in the short form]
#   short        `docker run --rm … true`: gone before it is sampled            [not in the short form]
#   net          on a user-defined bridge network $PREFIX-bridge, started while the collectors follow: 60 pings of
#                1,400 bytes to the bridge's gateway                              [not in the short form]
# Then every workload is paused (counters stop), the collectors sample the frozen state, the truth is recorded and
# the collectors are stopped with SIGTERM (the hub flushes what it holds).
#
# Output in $SHARE/agree/: meta.txt, containers.txt (name id pid), truth/<name>.txt (normalised: key value) and
# truth/<name>/ (the raw cgroup files, for fixtures; block I/O in truth/<name>.txt is counted from baseline/<name>/,
# the block-I/O files copied once every collector has sampled the workload), api/<name>.json (Engine API one-shot stats, frozen),
# docker-stats-busy.json and docker-stats-frozen.json (`docker stats --no-stream`, one JSON object a line),
# cpu-usage.log (wall time, cpu's cumulative CPU ns, once a second), logs-expected.txt, dry-<mode>.txt (the
# requests each collector would have sent), collector-<mode>.log, phases.txt (timings), errors.txt.
# Exit status: the number of setup failures (the numbers are judged by the Swift test).
set -u
SHARE=${V2HOST_SHARE:-${AGREE_SHARE:?AGREE_SHARE or V2HOST_SHARE}}
DOCKER=${DOCKER:-/usr/bin/docker}
# shellcheck source=/dev/null
[ -f "$SHARE/agree.conf" ] && . "$SHARE/agree.conf"
MODES=${AGREE_MODES:-process-cgroup process-api container-auto container-api}
PAYLOAD=${AGREE_PAYLOAD:-$SHARE/payload}
PREFIX=${AGREE_PREFIX:-agree}
SHORT=${AGREE_SHORT:-0}
OUT="$SHARE/agree"
rm -rf "$OUT"
mkdir -p "$OUT/truth" "$OUT/api"
IMAGE=local/busybox:latest
fails=0
t0=$EPOCHREALTIME
phase() { printf '%s %s\n' "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')" "$*" | tee -a "$OUT/phases.txt" >&2; }
fail() { echo "$*" | tee -a "$OUT/errors.txt" >&2; fails=$((fails + 1)); }
d() { "$DOCKER" "$@"; }
run() { d run -d --pull never --network none "$@" >/dev/null || fail "docker run $*"; }
api() { curl -sS --unix-socket /var/run/docker.sock "http://docker/v1.41$1"; }

WORKLOADS=(cpu writer procs logger)
[ "$SHORT" = 1 ] || WORKLOADS+=(idle oom)
n() { echo "$PREFIX-$1"; }

cleanup() {
    local pids
    pids=$(jobs -p)
    # SIGKILL: a shell started by a test runner may have SIGTERM blocked, and its subshells inherit the mask.
    # shellcheck disable=SC2086 # one pid a word
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
    # shellcheck disable=SC2046
    d rm -f $(d ps -aq --filter "name=^$PREFIX-") >/dev/null 2>&1
    d volume rm -f "$PREFIX-vol" >/dev/null 2>&1
    d network rm "$PREFIX-bridge" >/dev/null 2>&1
    wait 2>/dev/null
}
trap cleanup EXIT

# --- the host
{
    echo "cgroup_version $(d info --format '{{.CgroupVersion}}')"
    echo "cgroup_driver $(d info --format '{{.CgroupDriver}}')"
    echo "docker_version $(d version --format '{{.Server.Version}}')"
    echo "api_version $(d version --format '{{.Server.APIVersion}}')"
    echo "kernel $(uname -r)"
    echo "mem_total $(awk '/^MemTotal:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)"
    echo "ncpu $(grep -c '^processor' /proc/cpuinfo)"
    echo "modes $MODES"
    echo "short $SHORT"
    echo "local ${AGREE_LOCAL:-0}"
} >"$OUT/meta.txt"
VERSION=$(awk '$1 == "cgroup_version" { print $2 }' "$OUT/meta.txt")
phase "host: cgroup v$VERSION, $(awk '$1 == "cgroup_driver" { print $2 }' "$OUT/meta.txt") driver"

# --- the cgroup files of a container, as the kernel has them, normalised to `key value` lines
cgdir() { # pid [v1 controller]
    if [ "$VERSION" = 2 ]; then
        echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"
    else
        echo "/sys/fs/cgroup/$2$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup" | head -1)"
    fi
}
kv() { awk -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null; }
# Block I/O totals (rbytes wbytes rios wios, one `key value` a line) from a directory holding the container's
# io.stat (v2) or blkio.io_service*_recursive files (v1).
io_totals() { # dir
    if [ "$VERSION" = 2 ]; then
        awk '{ for (i = 2; i <= NF; i++) { split($i, a, "="); s[a[1]] += a[2] } }
            END { printf "rbytes %d\nwbytes %d\nrios %d\nwios %d\n", s["rbytes"], s["wbytes"], s["rios"], s["wios"] }' "$1/io.stat"
    else
        rw() { awk -v op="$2" 'NF == 3 && tolower($2) == op { s += $3 } END { print s + 0 }' "$1"; }
        echo "rbytes $(rw "$1/blkio.io_service_bytes_recursive" read)"
        echo "wbytes $(rw "$1/blkio.io_service_bytes_recursive" write)"
        echo "rios $(rw "$1/blkio.io_serviced_recursive" read)"
        echo "wios $(rw "$1/blkio.io_serviced_recursive" write)"
    fi
}
# A container's raw block-I/O files, copied now into $OUT/baseline/<name>/ (see io_since_baseline).
io_baseline() { # name pid
    local dir=$OUT/baseline/$1
    mkdir -p "$dir"
    if [ "$VERSION" = 2 ]; then
        cat "$(cgdir "$2")/io.stat" >"$dir/io.stat"
    else
        local blkio bp
        blkio=$(cgdir "$2" blkio)
        bp="$blkio/blkio.throttle."
        [ -e "$blkio/blkio.io_serviced_recursive" ] && bp="$blkio/blkio."
        cat "${bp}io_service_bytes_recursive" >"$dir/blkio.io_service_bytes_recursive"
        cat "${bp}io_serviced_recursive" >"$dir/blkio.io_serviced_recursive"
    fi
}
# The block-I/O totals of $raw less the container's baseline, when it has one: what it did after every collector
# had sampled it. Its start can read a few KiB of the image (a cold page cache) before the collectors' first
# sample, which is their counters' baseline and so rightly not counted.
io_since_baseline() { # name raw
    local base=$OUT/baseline/$1
    if [ -d "$base" ]; then
        awk 'NR == FNR { b[$1] = $2; next } { print $1, $2 - b[$1] }' <(io_totals "$base") <(io_totals "$2")
    else
        io_totals "$2"
    fi
}
truth() { # name pid
    local name=$1 pid=$2 raw="$OUT/truth/$1" f
    mkdir -p "$raw"
    if [ "$VERSION" = 2 ]; then
        local dir
        dir=$(cgdir "$pid")
        echo "$dir" >"$raw/cgroup-path"
        for f in cpu.stat cpu.max memory.current memory.max memory.stat memory.events memory.peak io.stat pids.current pids.max; do
            [ -e "$dir/$f" ] && cat "$dir/$f" >"$raw/$f"
        done
        {
            echo "cpu_usage_ns $(($(kv "$raw/cpu.stat" usage_usec) * 1000))"
            echo "throttled_periods $(kv "$raw/cpu.stat" nr_throttled)"
            echo "throttled_ns $(($(kv "$raw/cpu.stat" throttled_usec) * 1000))"
            echo "mem_usage $(cat "$raw/memory.current")"
            echo "mem_inactive_file $(kv "$raw/memory.stat" inactive_file)"
            echo "mem_limit $(cat "$raw/memory.max")"
            echo "oom_kills $(kv "$raw/memory.events" oom_kill)"
            io_since_baseline "$name" "$raw"
            echo "pids $(cat "$raw/pids.current")"
            echo "pids_max $(cat "$raw/pids.max")"
        } >"$OUT/truth/$name.txt"
    else
        local cpu cpuacct mem blkio pids
        cpu=$(cgdir "$pid" cpu) cpuacct=$(cgdir "$pid" cpuacct) mem=$(cgdir "$pid" memory) blkio=$(cgdir "$pid" blkio) pids=$(cgdir "$pid" pids)
        echo "$mem" >"$raw/cgroup-path"
        cat "$cpu/cpu.stat" >"$raw/cpu.stat"
        cat "$cpuacct/cpuacct.usage" >"$raw/cpuacct.usage"
        for f in memory.usage_in_bytes memory.limit_in_bytes memory.stat memory.oom_control; do cat "$mem/$f" >"$raw/$f"; done
        # As the collector (and containerd): the CFQ/BFQ-era files when the kernel has them, else the throttle policy's.
        local bp="$blkio/blkio.throttle."
        [ -e "$blkio/blkio.io_serviced_recursive" ] && bp="$blkio/blkio."
        cat "${bp}io_service_bytes_recursive" >"$raw/blkio.io_service_bytes_recursive"
        cat "${bp}io_serviced_recursive" >"$raw/blkio.io_serviced_recursive"
        cat "$pids/pids.current" >"$raw/pids.current"
        cat "$pids/pids.max" >"$raw/pids.max"
        {
            echo "cpu_usage_ns $(cat "$raw/cpuacct.usage")"
            echo "throttled_periods $(kv "$raw/cpu.stat" nr_throttled)"
            echo "throttled_ns $(kv "$raw/cpu.stat" throttled_time)"
            echo "mem_usage $(cat "$raw/memory.usage_in_bytes")"
            echo "mem_inactive_file $(kv "$raw/memory.stat" total_inactive_file)"
            echo "mem_limit $(cat "$raw/memory.limit_in_bytes")"
            echo "oom_kills $(kv "$raw/memory.oom_control" oom_kill)"
            io_since_baseline "$name" "$raw"
            echo "pids $(cat "$raw/pids.current")"
            echo "pids_max $(cat "$raw/pids.max")"
        } >"$OUT/truth/$name.txt"
    fi
    # Network: every interface but lo in the container's network namespace (what the collector and the Engine API
    # sum); a --network none container has lo only: 0.
    cat "/proc/$pid/net/dev" >"$raw/net-dev"
    awk 'NR > 2 { sub(/:/, " "); if ($1 != "lo") { rb += $2; rp += $3; tb += $10; tp += $11 } }
        END { printf "net_rx_bytes %d\nnet_rx_packets %d\nnet_tx_bytes %d\nnet_tx_packets %d\n", rb, rp, tb, tp }' \
        "$raw/net-dev" >>"$OUT/truth/$name.txt"
}
cpu_usage_ns() { # cgroup dir
    if [ "$VERSION" = 2 ]; then echo $(($(kv "$1/cpu.stat" usage_usec) * 1000)); else cat "$1/cpuacct.usage"; fi
}
logs_have() { d logs "$(n "$1")" 2>&1 | grep -q "$2"; }
wait_for() { # seconds, description, command...
    local limit=$1 what=$2 start=$SECONDS
    shift 2
    until "$@" >/dev/null 2>&1; do
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            fail "timed out after $limit s waiting for $what"
            return 1
        fi
        sleep 0.5
    done
}

# --- workloads, each waiting for its signal: started before the collectors (a `docker run` costs 4-8 s on the
# guest's emulated CPU when nothing else runs, several times that beside four collectors and the API source's
# requests), working only once every collector has sampled them (their first sample is the baseline of their
# counters: everything after it must be counted).
d volume create "$PREFIX-vol" >/dev/null || fail "docker volume create"
mkdir -p "$OUT/sig"
wait_sig() { echo "until [ -e /sig/$1 ]; do sleep 0.5; done"; }
sig=(-v "$OUT/sig:/sig:ro")
# No CPU quota until it burns (`docker update`, below): its throttling counters stay 0 up to then, whatever its
# start cost on an emulated CPU, so that what the collectors count from their first sample is all of it.
run --name "$(n cpu)" --memory 64m "${sig[@]}" "$IMAGE" sh -c "$(wait_sig burn); exec yes >/dev/null"
run --name "$(n writer)" -v "$PREFIX-vol:/data" "${sig[@]}" "$IMAGE" sh -c "$(wait_sig work)"'
    dd if=/dev/zero of=/data/f bs=1M count=24 conv=fsync 2>/dev/null && dd if=/data/f of=/dev/null bs=1M iflag=direct 2>/dev/null &&
    dd if=/dev/zero of=/tmp/f bs=1M count=8 conv=fsync 2>/dev/null && echo written; exec sleep 3600'
run --name "$(n procs)" --pids-limit 64 "${sig[@]}" "$IMAGE" sh -c "$(wait_sig work)"'
    i=0; while [ $i -lt 20 ]; do sleep 3600 & i=$((i + 1)); done; echo forked; wait'
run --name "$(n logger)" "${sig[@]}" "$IMAGE" sh -c "$(wait_sig work)"'
    i=0; while [ $i -lt 300 ]; do echo "line $i count#agree.lines=1"; i=$((i + 1)); done
    i=0; while [ $i -lt 50 ]; do echo "err $i" >&2; i=$((i + 1)); done; exec sleep 3600'
if [ "$SHORT" != 1 ]; then
    run --name "$(n idle)" "$IMAGE" sleep 3600
    # The hog raises its own oom_score_adj so that the kernel never picks the container's PID 1 instead.
    run --name "$(n oom)" --memory 16m --memory-swap 16m "${sig[@]}" "$IMAGE" sh -c "$(wait_sig work)"'
        (echo 1000 > /proc/self/oom_score_adj; head -c 64m /dev/zero | tail > /dev/null); echo oom; exec sleep 3600'
fi
phase "workloads created: ${WORKLOADS[*]}"
# Lines as the logger printed them, terminator included: what the collector must count.
awk 'BEGIN { for (i = 0; i < 300; i++) b += length("line " i " count#agree.lines=1") + 1
             for (i = 0; i < 50; i++) e += length("err " i) + 1
             printf "stdout_lines 300\nstdout_bytes %d\nstderr_lines 50\nstderr_bytes %d\nl2met_count 300\n", b, e }' \
    >"$OUT/logs-expected.txt"

# --- collectors: each a `docker-librato standalone` (collector + hub over ipc) with the dry-run sink, following
# our containers only.
collector_env=(LIBRATO_PERIOD=10000 STATS_INTERVAL=2 HTTP_LISTEN=off "INCLUDE_NAMES=$PREFIX-*" CLUSTER_NAME=agree LOG_LEVEL=info)
declare -A PROC_PID
for mode in $MODES; do
    rm -f "$OUT/dry-$mode.txt"
    case "$mode" in
    process-*)
        source=${mode#process-}
        env "${collector_env[@]}" STATS_SOURCE="$source" DRY_RUN_OUTPUT="$OUT/dry-$mode.txt" \
            "$PAYLOAD/lib/ld-linux-x86-64.so.2" --library-path "$PAYLOAD/lib" "$PAYLOAD/docker-librato" standalone \
            >"$OUT/collector-$mode.log" 2>&1 </dev/null &
        PROC_PID[$mode]=$!
        ;;
    container-*)
        source=${mode#container-}
        envs=()
        for e in "${collector_env[@]}"; do envs+=(-e "$e"); done
        # The compose file's mounts and environment (docker-compose.yml, service collector), the binary from the
        # payload (busybox image: it has no libraries, so the payload's own ld-linux runs it).
        d run -d --pull never --name "$(n "collector-$mode")" \
            -v /var/run/docker.sock:/var/run/docker.sock:ro -v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /proc:/host/proc:ro \
            -e CGROUP_ROOT=/sys/fs/cgroup -e PROC_ROOT=/host/proc -e STATS_SOURCE="$source" \
            -e DRY_RUN_OUTPUT="/out/dry-$mode.txt" "${envs[@]}" \
            -v "$PAYLOAD:/opt/docker-librato:ro" -v "$OUT:/out" \
            "$IMAGE" /opt/docker-librato/lib/ld-linux-x86-64.so.2 --library-path /opt/docker-librato/lib \
            /opt/docker-librato/docker-librato standalone >/dev/null || fail "collector container $mode"
        ;;
    *) fail "unknown mode $mode" ;;
    esac
done
collector_log() { # mode
    case "$1" in
    process-*) cat "$OUT/collector-$1.log" ;;
    container-*) d logs "$(n "collector-$1")" 2>&1 ;;
    esac
}
following() { collector_log "$1" | grep -q 'following containers'; }
for mode in $MODES; do
    # On a timeout, keep what the collector said and its container's state: the scenario's own copy of its log is
    # taken only when it ends, and a run stopped early has none.
    wait_for 300 "collector $mode to follow containers" following "$mode" ||
        { echo "--- collector $mode: log tail"; collector_log "$mode" | tail -20; d ps -a --filter "name=^$(n "collector-$mode")\$"; } \
            >>"$OUT/errors.txt" 2>&1
done
phase "collectors following: $MODES"

declare -A ID PID
for w in "${WORKLOADS[@]}"; do
    read -r "ID[$w]" "PID[$w]" < <(d inspect -f '{{.Id}} {{.State.Pid}}' "$(n "$w")")
    echo "$w ${ID[$w]} ${PID[$w]}" >>"$OUT/containers.txt"
done
# Three sample intervals: every collector's first round has sampled every workload.
sleep 6
for w in "${WORKLOADS[@]}"; do io_baseline "$w" "${PID[$w]}"; done
touch "$OUT/sig/work"
wait_for 180 "writer's I/O" logs_have writer written
wait_for 60 "procs' children" logs_have procs forked
if [ "$SHORT" != 1 ]; then
    wait_for 120 "the OOM kill" logs_have oom oom
    # Started while the collectors follow the engine: fsync'd I/O at once (counted from the run's start sample
    # however late its first sample comes), and a container that is gone before most collectors sample it.
    run --name "$(n starter)" "$IMAGE" sh -c 'dd if=/dev/zero of=/tmp/f bs=1M count=8 conv=fsync 2>/dev/null; echo written; exec sleep 3600'
    d run --rm --pull never --network none --name "$(n short)" "$IMAGE" true || fail "short-lived run"
    WORKLOADS+=(starter)
    read -r "ID[starter]" "PID[starter]" < <(d inspect -f '{{.Id}} {{.State.Pid}}' "$(n starter)")
    echo "starter ${ID[starter]} ${PID[starter]}" >>"$OUT/containers.txt"
    wait_for 60 "starter's I/O" logs_have starter written
    # Network, started while the collectors follow (counted from zero, like starter): one container on a
    # user-defined bridge network (dockerd runs with bridge none and iptables false; a network of its own works)
    # pings the bridge's gateway — the host's end, so no second container is needed: each one costs minutes beside
    # four collectors on a guest's emulated CPU — 60 times with 1,400-byte payloads, and stays to be paused and sampled.
    d network create --driver bridge "$PREFIX-bridge" >/dev/null || fail "docker network create $PREFIX-bridge"
    gateway=$(d network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$PREFIX-bridge")
    d run -d --pull never --network "$PREFIX-bridge" --name "$(n net)" "$IMAGE" \
        sh -c "ping -q -c 60 -i 0.2 -s 1400 $gateway && echo pinged; exec sleep 3600" >/dev/null || fail "docker run net"
    WORKLOADS+=(net)
    read -r "ID[net]" "PID[net]" < <(d inspect -f '{{.Id}} {{.State.Pid}}' "$(n net)")
    echo "net ${ID[net]} ${PID[net]}" >>"$OUT/containers.txt"
    wait_for 180 "net's pings" logs_have net pinged
fi
phase "writes, forks, OOM kill, starter and network done"

# --- busy: cpu's CPU time once a second (the truth for the CPU % of each period), and docker stats meanwhile
cpu_dir=$(cgdir "${PID[cpu]}" cpuacct)
(while :; do echo "$EPOCHREALTIME $(cpu_usage_ns "$cpu_dir")"; sleep 1; done) >"$OUT/cpu-usage.log" 2>/dev/null &
usage_logger=$!
# 0.2 CPU: always available beside the collectors on the guest's one emulated CPU, so that `yes` runs at a steady
# 20 % (throttled every period) and any window measures the same. Burning for 28 s holds a whole 10 s period of
# samples.
d update --cpus 0.2 "$(n cpu)" >/dev/null || fail "docker update --cpus"
touch "$OUT/sig/burn"
echo "busy_from $EPOCHREALTIME" >>"$OUT/meta.txt"
sleep 12
echo "stats_busy_from $EPOCHREALTIME" >>"$OUT/meta.txt"
d stats --no-stream --format '{{json .}}' >"$OUT/docker-stats-busy.json" 2>&1 || fail "docker stats (busy)"
echo "stats_busy_to $EPOCHREALTIME" >>"$OUT/meta.txt"
sleep 16
phase "busy window done (cpu ran $(($(cpu_usage_ns "$cpu_dir") / 1000000)) ms)"

# --- frozen: pause everything, let every collector sample the frozen state (3 intervals), record the truth
names=()
for w in "${WORKLOADS[@]}"; do names+=("$(n "$w")"); done
d pause "${names[@]}" >/dev/null || fail "docker pause"
echo "paused_at $EPOCHREALTIME" >>"$OUT/meta.txt"
kill -KILL "$usage_logger" 2>/dev/null
sleep 7
for w in "${WORKLOADS[@]}"; do
    truth "$w" "${PID[$w]}"
    api "/containers/${ID[$w]}/stats?stream=false&one-shot=true" >"$OUT/api/$w.json" 2>&1
done
d stats --no-stream --format '{{json .}}' >"$OUT/docker-stats-frozen.json" 2>&1 || fail "docker stats (frozen)"
phase "truth recorded"

# --- stop the collectors (SIGTERM: the collector hands over, the hub flushes every open period)
for mode in $MODES; do
    case "$mode" in
    process-*) kill -TERM "${PROC_PID[$mode]}" ;;
    container-*) d stop -t 60 "$(n "collector-$mode")" >/dev/null || fail "docker stop collector $mode" ;;
    esac
done
for mode in $MODES; do
    case "$mode" in
    process-*) wait "${PROC_PID[$mode]}"; echo "exit $?" >>"$OUT/collector-$mode.log" ;;
    container-*)
        d logs "$(n "collector-$mode")" >"$OUT/collector-$mode.log" 2>&1
        echo "exit $(d inspect -f '{{.State.ExitCode}}' "$(n "collector-$mode")")" >>"$OUT/collector-$mode.log"
        ;;
    esac
done
phase "collectors stopped"
d unpause "${names[@]}" >/dev/null 2>&1
exit "$fails"
