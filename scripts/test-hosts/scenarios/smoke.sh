#!/bin/bash
# shellcheck disable=SC2016 # awk programs in single quotes
# Smoke scenario for the cgroup-v2 test host (runs IN the guest as root; see ../v2host.sh). Checks that the guest is
# the host the collector scenarios need and records what the collector will read, into $V2HOST_SHARE/smoke/:
#   - docker info: cgroup version 2, the expected driver;
#   - a `yes` container (--cpus 0.5 --memory 64m) and a dd writer (32 MiB, fsync): their cgroup path matches the
#     driver (/sys/fs/cgroup/docker/<id> vs /sys/fs/cgroup/system.slice/docker-<id>.scope); cpu.stat, memory.stat,
#     io.stat, pids.current, memory.events, the Engine API's stats and `docker stats --no-stream`;
#   - networking: a user-defined bridge network (container to container traffic, its /proc/<pid>/net/dev counters),
#     name resolution on it, and a veth pair made by hand into a --network none container;
#   - the collector's way of running: --cgroupns private with -v /sys/fs/cgroup:/sys/fs/cgroup:ro
#     -v /proc:/host/proc:ro -v /var/run/docker.sock:/var/run/docker.sock;
#   - host-built binaries from the share (probe/, made by ../smoke.sh): a dynamically linked one (libnanomsg, zlib,
#     libstdc++) and a Swift one (--static-stdlib), in the guest and, as an imported image, in a container.
# Every check prints PASS/FAIL/SKIP (also into smoke/checks.txt); the exit code is the number of failures.
set -u
DOCKER=${DOCKER:-/usr/bin/docker}
SHARE=${V2HOST_SHARE:-/mnt/share}
DRIVER=${V2HOST_DRIVER:?}
OUT="$SHARE/smoke"
PROBE="$SHARE/probe"
rm -rf "$OUT"
mkdir -p "$OUT"
fails=0
result() { echo "$1 $2" | tee -a "$OUT/checks.txt"; [ "$1" != FAIL ] || fails=$((fails + 1)); }
check() {
    local what=$1
    shift
    if "$@" >>"$OUT/check-output.txt" 2>&1; then result PASS "$what"; else result FAIL "$what"; fi
}
d() { "$DOCKER" "$@"; }
run() { d run --pull never "$@"; }
api() { curl -sS --unix-socket /var/run/docker.sock "http://docker/v1.41$1"; }
t0=$(date +%s)
elapsed() { echo "[$(($(date +%s) - t0)) s] $*"; }

# --- the engine
d info >"$OUT/docker-info.txt" 2>&1
d version >"$OUT/docker-version.txt" 2>&1
version=$(d info --format '{{.CgroupVersion}}')
driver=$(d info --format '{{.CgroupDriver}}')
check "docker info: Cgroup Version 2 (got $version)" test "$version" = 2
check "docker info: Cgroup Driver $DRIVER (got $driver)" test "$driver" = "$DRIVER"
check "/sys/fs/cgroup is cgroup2" sh -c 'grep -q "^cgroup2 /sys/fs/cgroup cgroup2" /proc/mounts'
cat /sys/fs/cgroup/cgroup.controllers >"$OUT/root-cgroup.controllers"
for p in $(pidof dockerd containerd); do echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline") $(cat "/proc/$p/cgroup")"; done >"$OUT/daemon-cgroups.txt"
cat /sys/fs/cgroup/cgroup.subtree_control >"$OUT/root-cgroup.subtree_control"

# Every docker CLI call starts a Go binary under emulation: one inspect per container, remembered.
declare -A ID PID
learn() { read -r "ID[$1]" "PID[$1]" < <(d inspect -f '{{.Id}} {{.State.Pid}}' "$1"); }
cgroup_dir() { # the container's cgroup as its main process sees it in the guest
    echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/${PID[$1]}/cgroup")"
}
expected_dir() {
    if [ "$DRIVER" = systemd ]; then echo "/sys/fs/cgroup/system.slice/docker-${ID[$1]}.scope"; else echo "/sys/fs/cgroup/docker/${ID[$1]}"; fi
}
record() { # name: the container's cgroup files, API stats and inspect output into $OUT/<name>/
    local name=$1 dir
    dir=$(cgroup_dir "$name")
    mkdir -p "$OUT/$name"
    echo "$dir" >"$OUT/$name/cgroup-path"
    for f in cgroup.controllers cpu.max cpu.stat cpu.weight memory.current memory.max memory.peak memory.stat \
        memory.events memory.swap.current io.stat io.max pids.current pids.max; do
        [ -e "$dir/$f" ] && cat "$dir/$f" >"$OUT/$name/$f" 2>&1
    done
    api "/containers/$name/stats?stream=false" >"$OUT/$name/api-stats.json" 2>&1
    api "/containers/$name/json" >"$OUT/$name/inspect.json" 2>&1
}

# --- CPU/memory limited `yes` and an fsync'ing writer
elapsed "starting yes and writer"
run -d --name yes --network none --cpus 0.5 --memory 64m local/busybox:latest sh -c 'yes >/dev/null' >/dev/null
run -d --name writer --network none local/busybox:latest \
    sh -c 'dd if=/dev/zero of=/tmp/f bs=1M count=32 conv=fsync 2>/tmp/dd.log; exec sleep 3600' >/dev/null
sleep 6
for c in yes writer; do
    learn "$c"
    check "$c: cgroup path is $(expected_dir "$c" | sed 's/[0-9a-f]\{64\}/<id>/')" \
        test "$(cgroup_dir "$c")" = "$(expected_dir "$c")" -a -d "$(expected_dir "$c")"
    record "$c"
done
check "yes: cpu.max is 50000 100000" grep -qx '50000 100000' "$OUT/yes/cpu.max"
check "yes: memory.max is 64 MiB" grep -qx 67108864 "$OUT/yes/memory.max"
check "yes: throttled (cpu.stat nr_throttled > 0)" awk '$1 == "nr_throttled" { exit !($2 > 0) }' "$OUT/yes/cpu.stat"
check "yes: cpu.stat usage_usec > 1 s" awk '$1 == "usage_usec" { exit !($2 > 1000000) }' "$OUT/yes/cpu.stat"
check "writer: io.stat wbytes >= 32 MiB" awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^wbytes=/) { split($i, a, "="); w += a[2] } } END { exit !(w >= 33554432) }' "$OUT/writer/io.stat"
check "writer: memory.stat has v2 fields (anon, file, inactive_file)" sh -c "grep -q '^anon ' '$OUT/writer/memory.stat' && grep -q '^file ' '$OUT/writer/memory.stat' && grep -q '^inactive_file ' '$OUT/writer/memory.stat'"
check "pids.current and memory.events readable" test -s "$OUT/yes/pids.current" -a -s "$OUT/yes/memory.events"
check "API stats: cpu_stats.throttling_data filled" grep -q '"throttled_periods":[1-9]' "$OUT/yes/api-stats.json"
d stats --no-stream >"$OUT/docker-stats.txt" 2>&1
check "docker stats --no-stream lists yes and writer" sh -c "grep -q ' yes ' '$OUT/docker-stats.txt' && grep -q ' writer ' '$OUT/docker-stats.txt'"
# yes takes half of the guest's CPU: everything after runs twice as fast without it.
d rm -f yes >/dev/null
elapsed "cgroup checks done"

# --- networking: a user-defined bridge network (dockerd runs with bridge none, iptables false)
if d network create --driver bridge v2net >"$OUT/network-create.txt" 2>&1; then
    result PASS "docker network create v2net (bridge)"
    run -d --name srv --network v2net local/busybox:latest \
        sh -c 'mkdir -p /www && dd if=/dev/zero of=/www/blob bs=1k count=1024 2>/dev/null && exec httpd -f -p 8080 -h /www' >/dev/null
    ip=$(d inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' srv)
    echo "srv ip: $ip" >"$OUT/network.txt"
    check "v2net: container to container by IP (1 MiB over HTTP)" \
        run --rm --network v2net local/busybox:latest wget -q -O /dev/null "http://$ip:8080/blob"
    # busybox-static's wget cannot resolve names (static glibc, no NSS modules in the image); its nslookup can.
    check "v2net: embedded DNS resolves the other container's name" \
        run --rm --network v2net local/busybox:latest sh -c "nslookup srv 2>&1 | grep -q 'Address: $ip'"
    learn srv
    cat "/proc/${PID[srv]}/net/dev" >"$OUT/srv-net-dev.txt"
    check "v2net: srv's /proc/<pid>/net/dev eth0 transmitted >= 1 MiB" \
        awk -F'[: ]+' '$2 == "eth0" { exit !($11 >= 1048576) }' "$OUT/srv-net-dev.txt"
    record srv
    check "v2net: API stats list eth0" grep -q '"networks":{"eth0"' "$OUT/srv/api-stats.json"
    ip link >>"$OUT/network.txt" 2>&1
else
    result FAIL "docker network create v2net (bridge)"
fi
elapsed "bridge network done"

# --- networking: a veth pair made by hand into a --network none container
run -d --name vethbox --network none local/busybox:latest sleep 3600 >/dev/null
vpid=$(d inspect -f '{{.State.Pid}}' vethbox)
if {
    ip link add v2h0 type veth peer name v2c0 &&
        ip link set v2c0 netns "$vpid" &&
        ip addr add 10.99.0.1/24 dev v2h0 && ip link set v2h0 up &&
        nsenter -t "$vpid" -n ip addr add 10.99.0.2/24 dev v2c0 &&
        nsenter -t "$vpid" -n ip link set v2c0 up &&
        d exec vethbox ping -c 3 -W 2 10.99.0.1
} >"$OUT/veth.txt" 2>&1; then
    result PASS "veth pair into a --network none container (ping)"
else
    result FAIL "veth pair into a --network none container (ping)"
fi
cat "/proc/$vpid/net/dev" >>"$OUT/veth.txt"
elapsed "veth done"

# --- the collector's way of running: private cgroup namespace, host cgroup tree, host /proc, the socket
writer_rel=$(cgroup_dir writer | sed 's|^/sys/fs/cgroup||')
srv_pid=${PID[srv]:-1}
collector_like() { # image, command...
    local image=$1
    shift
    run --rm --name collector-like --cgroupns private -v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /proc:/host/proc:ro \
        -v /var/run/docker.sock:/var/run/docker.sock "$image" "$@"
}
collector_like local/busybox:latest sh -c "
    echo '--- /proc/self/cgroup'; cat /proc/self/cgroup
    echo '--- own container in mountinfo'; grep -E ' /etc/(hostname|hosts|resolv.conf) ' /proc/self/mountinfo
    echo '--- hostname'; hostname
    echo '--- writer cpu.stat, io.stat'; cat /sys/fs/cgroup$writer_rel/cpu.stat /sys/fs/cgroup$writer_rel/io.stat
    echo '--- srv net/dev'; cat /host/proc/$srv_pid/net/dev
    echo '--- socket'; ls -l /var/run/docker.sock
    echo '--- /sys/fs/cgroup mount'; grep ' /sys/fs/cgroup ' /proc/self/mountinfo
" >"$OUT/cgroupns-private.txt" 2>&1
check "--cgroupns private: container runs with the collector's mounts" test -s "$OUT/cgroupns-private.txt"
check "--cgroupns private: /proc/self/cgroup is 0::/" grep -qx '0::/' "$OUT/cgroupns-private.txt"
check "--cgroupns private: reads another container's cpu.stat through the host tree" grep -q '^usage_usec' "$OUT/cgroupns-private.txt"
check "--cgroupns private: reads /host/proc/<pid>/net/dev" grep -q 'eth0:' "$OUT/cgroupns-private.txt"
check "--cgroupns private: own id in mountinfo (containers/<id>/hostname)" grep -q '/containers/[0-9a-f]\{64\}/hostname' "$OUT/cgroupns-private.txt"
run --rm --cgroupns host local/busybox:latest cat /proc/self/cgroup >"$OUT/cgroupns-host.txt" 2>&1
elapsed "cgroupns done"

# --- host-built binaries from the share
if [ -x "$PROBE/sockget" ]; then
    (cd "$PROBE" && ldd ./sockget) >"$OUT/probe-ldd.txt" 2>&1
    check "host-built dynamic binary runs in the guest (sockget /_ping)" "$PROBE/sockget" /var/run/docker.sock /_ping
    "$PROBE/sockget" /var/run/docker.sock /v1.41/info >"$OUT/probe-info.json" 2>>"$OUT/probe-stderr.txt"
else
    result SKIP "host-built dynamic binary (no $PROBE/sockget: run ../smoke.sh)"
fi
if [ -x "$PROBE/hello-swift" ]; then
    (cd "$PROBE" && ldd ./hello-swift) >"$OUT/swift-ldd.txt" 2>&1
    check "host-built Swift binary (--static-stdlib) runs in the guest" "$PROBE/hello-swift"
else
    result SKIP "host-built Swift binary (no $PROBE/hello-swift)"
fi
if [ -s "$PROBE/probe-image.tar" ]; then
    d import - local/probe:latest <"$PROBE/probe-image.tar" >/dev/null
    collector_like local/probe:latest sh -c "/probe/sockget /var/run/docker.sock /v1.41/containers/writer/stats?stream=false && ls /probe" \
        >"$OUT/probe-in-container.json" 2>"$OUT/probe-in-container.stderr"
    check "host-built binary in a collector-like container reads stats over the socket" grep -q '"cpu_stats"' "$OUT/probe-in-container.json"
else
    result SKIP "host-built binary in a container (no $PROBE/probe-image.tar)"
fi
elapsed "binaries done"

d ps -a >"$OUT/docker-ps.txt" 2>&1
echo "$(grep -c ^PASS "$OUT/checks.txt") passed, $fails failed, $(grep -c ^SKIP "$OUT/checks.txt") skipped ($DRIVER, $(($(date +%s) - t0)) s)" |
    tee "$OUT/summary.txt"
exit "$fails"
