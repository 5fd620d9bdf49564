#!/usr/bin/env bash
# A real cgroup-v2 Docker host, booted under QEMU (software emulation) on a cgroup-v1 machine, to run a scenario in.
#
#   v2host.sh prepare [--driver cgroupfs|systemd|all]
#       fetch/build the cached kernel, initramfs and root image (the run does this too when they are missing)
#   v2host.sh run --driver cgroupfs|systemd --share DIR --scenario SCRIPT
#                 [--timeout S] [--ready-timeout S] [--memory MiB] [--cpus N] [--console] [--load-image IMAGE]...
#       boot the guest, mount DIR at /mnt/share, run SCRIPT as root in the guest once dockerd answers (with
#       local/busybox:latest imported, and each --load-image saved from the host's dockerd and loaded) and exit
#       with its exit code. Into DIR: scenario.stdout, scenario.stderr,
#       scenario.exit, guest-console.log, guest-dockerd.log, guest-dmesg.log.
#       Exit codes besides the scenario's: 124 timeout, 125 the guest or the harness failed, 130/143 interrupted.
#   v2host.sh clean      remove the cache ($V2HOST_CACHE)
#
# See README.md next to this script. Run as root (building the systemd guest needs debootstrap and chroot).
# Nothing is mounted or changed on the host; everything built goes to the cache, everything a run starts is removed.
set -euo pipefail

V2HOST_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/v2host-lib.sh
. "$V2HOST_HERE/lib/v2host-lib.sh"
# shellcheck source=lib/v2host-systemd.sh
. "$V2HOST_HERE/lib/v2host-systemd.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit "${1:-0}"; }

# One guest (or one build) at a time on this machine: a lock in the cache directory.
v2_lock() {
    mkdir -p "$V2HOST_CACHE"
    exec 9>"$V2HOST_CACHE/.lock"
    if ! flock -n 9; then
        v2log "another v2host run or prepare holds $V2HOST_CACHE/.lock; waiting"
        flock 9
    fi
}

cmd_prepare() {
    local driver=all start=$SECONDS
    while [ $# -gt 0 ]; do
        case "$1" in
        --driver) driver=${2:?}; shift 2 ;;
        -h | --help) usage ;;
        *) v2die "prepare: unknown argument $1" ;;
        esac
    done
    v2_host_tools_check
    v2_lock
    case "$driver" in
    cgroupfs) v2_ensure_cgroupfs ;;
    systemd) v2_ensure_systemd ;;
    all) v2_ensure_cgroupfs; v2_ensure_systemd ;;
    *) v2die "prepare: --driver cgroupfs|systemd|all" ;;
    esac
    v2log "prepared ($driver) in $((SECONDS - start)) s; cache: $V2HOST_CACHE ($(du -sh "$V2HOST_CACHE" | cut -f1))"
}

# Run state, for the exit trap.
QEMU_PID=""
TAIL_PID=""
RUN_TMP=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
        kill -TERM "$QEMU_PID" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$QEMU_PID" 2>/dev/null || true
        wait "$QEMU_PID" 2>/dev/null || true
    fi
    if [ -n "$TAIL_PID" ]; then kill "$TAIL_PID" 2>/dev/null || true; wait "$TAIL_PID" 2>/dev/null || true; fi
    v2_cleanup_work
    exit "$rc"
}
trap cleanup EXIT
trap 'v2log "interrupted"; exit 130' INT
trap 'v2log "terminated"; exit 143' TERM HUP

# Prints the last lines of the serial console ($1), without terminal control sequences; $2: the share holding all of it.
console_tail() {
    local n=40
    echo "----- last $n lines of the guest's serial console (all of it: $2/guest-console.log) -----" >&2
    tail -n "$n" "$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\r//g' >&2
    echo "-----" >&2
}

cmd_run() {
    local driver="" share="" scenario="" timeout=600 ready_timeout=180 mem=1024 cpus=1 console=0
    local -a images=()
    while [ $# -gt 0 ]; do
        case "$1" in
        --driver) driver=${2:?}; shift 2 ;;
        --share) share=${2:?}; shift 2 ;;
        --scenario) scenario=${2:?}; shift 2 ;;
        --timeout) timeout=${2:?}; shift 2 ;;
        --ready-timeout) ready_timeout=${2:?}; shift 2 ;;
        --memory) mem=${2:?}; shift 2 ;;
        --cpus) cpus=${2:?}; shift 2 ;;
        --console) console=1; shift ;;
        --load-image) images+=("${2:?}"); shift 2 ;;
        -h | --help) usage ;;
        *) v2die "run: unknown argument $1 (see --help)" ;;
        esac
    done
    case "$driver" in cgroupfs | systemd) ;; *) v2die "run: --driver cgroupfs|systemd" ;; esac
    if [ -z "$share" ] || [ ! -d "$share" ]; then v2die "run: --share DIR must be an existing directory"; fi
    if [ -z "$scenario" ] || [ ! -f "$scenario" ]; then v2die "run: --scenario SCRIPT must be a file"; fi
    [[ "$timeout" =~ ^[0-9]+$ && "$ready_timeout" =~ ^[0-9]+$ && "$mem" =~ ^[0-9]+$ && "$cpus" =~ ^[0-9]+$ ]] ||
        v2die "run: --timeout, --ready-timeout, --memory and --cpus take whole numbers"
    if [ "$driver" = cgroupfs ] && [ "$mem" -lt 1024 ]; then
        # 768 MiB: "Initramfs unpacking failed: write error", then a panic.
        v2die "run: the cgroupfs guest needs --memory 1024 or more (its ~245 MB initramfs is held twice while unpacking)"
    fi
    [ "$mem" -ge 384 ] || v2die "run: --memory below 384 MiB is too little for dockerd"
    share=$(cd "$share" && pwd)
    case "$share${TMPDIR:-}" in *,*) v2die "run: no commas in --share or TMPDIR, please (QEMU's -virtfs syntax)" ;; esac
    v2_host_tools_check
    v2_lock

    if [ "$driver" = cgroupfs ]; then v2_ensure_cgroupfs; else v2_ensure_systemd; fi

    RUN_TMP=$(v2_tmpdir run)
    local ctl="$RUN_TMP/ctl" data="$RUN_TMP/data.ext4" con="$RUN_TMP/console.log"
    mkdir -p "$ctl"
    install -m 0755 "$scenario" "$ctl/scenario"
    cp "$BUSYBOX_TAR" "$ctl/busybox-image.tar"
    printf 'V2HOST_DRIVER=%s\nV2HOST_READY_TIMEOUT=%s\n' "$driver" "$ready_timeout" >"$ctl/config"
    if [ ${#images[@]} -gt 0 ]; then
        # Images from the host's dockerd (e.g. the collector's, built by deploy/test-image.sh), loaded in the guest.
        local docker=/usr/bin/docker i=0 img
        [ -x "$docker" ] || docker=docker
        mkdir -p "$ctl/images"
        for img in "${images[@]}"; do
            i=$((i + 1))
            "$docker" save -o "$ctl/images/$i.tar" "$img" || v2die "docker save $img failed (on the host)"
        done
        v2log "saved ${#images[@]} image(s) for the guest: ${images[*]} ($(du -sh "$ctl/images" | cut -f1))"
    fi
    # /var/lib/docker: a fresh sparse ext4 disk per run (overlay2 needs a real filesystem under it).
    truncate -s 8G "$data"
    mkfs.ext4 -q -F -m 0 -L v2host-docker -E lazy_itable_init=1,lazy_journal_init=1 "$data"
    rm -f "$share"/scenario.stdout "$share"/scenario.stderr "$share"/scenario.exit "$share"/guest-console.log \
        "$share"/guest-dockerd.log "$share"/guest-dmesg.log "$share"/guest-journal-warnings.log
    : >"$con"

    local append="console=ttyS0 quiet loglevel=3 mitigations=off panic=-1 cgroup_no_v1=all ${V2HOST_APPEND:-}"
    # shellcheck disable=SC2054 # commas belong to QEMU's option syntax
    local -a qemu=(qemu-system-x86_64 -name "v2host-$driver" -nodefaults -no-user-config
        -accel tcg,thread=multi,tb-size=256 -cpu max -machine q35 -smp "$cpus" -m "$mem"
        -display none -monitor none -nic none -no-reboot -serial "file:$con"
        -kernel "$VMLINUX")
    if [ "$driver" = cgroupfs ]; then
        qemu+=(-initrd "$INITRAMFS" -append "$append"
            -drive "file=$data,if=virtio,format=raw,cache=unsafe,discard=unmap")
    else
        # The cached root image is never written: snapshot=on keeps the guest's writes in a temporary overlay
        # (created in TMPDIR = this run's directory, removed with it).
        qemu+=(-initrd "$PREINIT" -append "$append $V2HOST_SYSTEMD_CMDLINE"
            -drive "file=$ROOTFS,if=virtio,format=raw,snapshot=on,cache=unsafe"
            -drive "file=$data,if=virtio,format=raw,cache=unsafe,discard=unmap")
    fi
    qemu+=(-virtfs "local,path=$ctl,mount_tag=v2ctl,security_model=none,id=v2ctl"
        -virtfs "local,path=$share,mount_tag=share,security_model=none,id=share")

    v2log "booting the $driver guest ($cpus vCPU, $mem MiB, kernel $KVER); timeout ${timeout} s"
    local t0=$SECONDS t0ns
    t0ns=$(date +%s%N)
    # Should this script be killed outright (no trap runs), QEMU gets SIGTERM as its parent dies (setpriv), and it
    # does not keep the lock (fd 9) either.
    local -a orphan_guard=()
    if setpriv --help 2>&1 | grep -q -- --pdeathsig; then orphan_guard=(setpriv --pdeathsig TERM --); fi
    TMPDIR="$RUN_TMP" "${orphan_guard[@]}" "${qemu[@]}" </dev/null >"$RUN_TMP/qemu.out" 2>&1 9>&- &
    QEMU_PID=$!
    if [ "$console" -eq 1 ]; then
        tail -n +1 -f "$con" >&2 9>&- &
        TAIL_PID=$!
    fi

    local ready_at="" done_at="" timed_out=0 qemu_rc=0
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        if [ -z "$ready_at" ] && grep -q '^V2HOST-READY' "$con" 2>/dev/null; then
            ready_at=$((($(date +%s%N) - t0ns) / 1000000))
            v2log "dockerd ready after $(printf '%d.%01d' $((ready_at / 1000)) $((ready_at % 1000 / 100))) s; running $(basename "$scenario")"
        fi
        if [ -z "$done_at" ] && grep -q '^V2HOST-DONE' "$con" 2>/dev/null; then
            done_at=$((($(date +%s%N) - t0ns) / 1000000))
        fi
        if [ $((SECONDS - t0)) -ge "$timeout" ]; then timed_out=1; break; fi
        sleep 0.25
    done
    if [ "$timed_out" -eq 1 ]; then
        kill -TERM "$QEMU_PID" 2>/dev/null || true
    fi
    wait "$QEMU_PID" || qemu_rc=$?
    QEMU_PID=""
    local total_ms=$((($(date +%s%N) - t0ns) / 1000000))
    [ -n "$TAIL_PID" ] && { sleep 0.3; kill "$TAIL_PID" 2>/dev/null || true; wait "$TAIL_PID" 2>/dev/null || true; TAIL_PID=""; }
    sed 's/\r//g' "$con" >"$share/guest-console.log" 2>/dev/null || true

    secs() { printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
    if [ "$timed_out" -eq 1 ]; then
        v2log "FAIL: timeout: the guest ran for ${timeout} s ($([ -n "$ready_at" ] && echo "dockerd was ready after $(secs "$ready_at") s, the scenario did not finish" || echo "dockerd never became ready")); QEMU killed"
        console_tail "$con" "$share"
        exit 124
    fi
    if [ -f "$share/scenario.exit" ]; then
        local rc
        rc=$(cat "$share/scenario.exit")
        [[ "$rc" =~ ^[0-9]+$ ]] || v2die "unreadable $share/scenario.exit: '$rc'"
        v2log "$driver: dockerd ready $(secs "${ready_at:-0}") s, scenario $(secs $((${done_at:-$total_ms} - ${ready_at:-0}))) s, total $(secs "$total_ms") s; scenario exit $rc"
        exit "$rc"
    fi
    if grep -q '^V2HOST-FAIL' "$con"; then
        v2log "FAIL: the guest reported: $(grep -m1 '^V2HOST-FAIL' "$con" | cut -d' ' -f2-)"
    elif grep -q 'Kernel panic' "$con"; then
        v2log "FAIL: kernel panic in the guest"
    elif [ "$qemu_rc" -gt 128 ]; then
        v2log "FAIL: QEMU died (killed by signal $((qemu_rc - 128))) $(tail -3 "$RUN_TMP/qemu.out")"
    elif [ "$qemu_rc" -ne 0 ]; then
        v2log "FAIL: QEMU exited with $qemu_rc: $(tail -5 "$RUN_TMP/qemu.out")"
    else
        v2log "FAIL: the guest powered off without a scenario result"
    fi
    console_tail "$con" "$share"
    exit 125
}

# The cache holds kernels, debs' contents and root images: never inside the repository unless git ignores it.
v2_cache_outside_repo() {
    local top
    top=$(git -C "$V2HOST_HERE" rev-parse --show-toplevel 2>/dev/null) || return 0
    case "$(realpath -m "$V2HOST_CACHE")/" in
    "$(realpath -m "$top")"/*)
        git -C "$top" check-ignore -q "$V2HOST_CACHE/kernel" ||
            v2die "cache $V2HOST_CACHE is inside the repository and not ignored by git: set V2HOST_CACHE elsewhere" ;;
    esac
}

v2_init_work
case "${1:-}" in
prepare | run) v2_cache_outside_repo ;;
esac
case "${1:-}" in
prepare) shift; cmd_prepare "$@" ;;
run) shift; cmd_run "$@" ;;
clean)
    v2_lock
    v2log "removing $V2HOST_CACHE"
    rm -rf "$V2HOST_CACHE"
    ;;
-h | --help | help) usage ;;
*) usage 2 ;;
esac
