# shellcheck shell=bash
# Sourced by v2host.sh (bash). Builds and caches what a cgroup-v2 guest needs, and boots it.
#
# Everything fetched or built lives in $V2HOST_CACHE (outside the repository); nothing here is committed:
#   kernel/<kver>/vmlinux               the Debian kernel, uncompressed (booted through its PVH entry)
#   kernel/<kver>/modules/lib/modules/<kver>/…   a subset of its modules (no sound, GPU, media, wireless…)
#   busybox-image.tar                   the local/busybox:latest rootfs, made exactly as scripts/test-env.sh makes it
#   cgroupfs/initramfs-<key>.cpio       busybox initramfs with the host's docker.io/containerd/runc (+ shared libs)
#   systemd/base-<key>.tar              debootstrap'd bookworm with systemd, dbus, docker.io (minutes to make)
#   systemd/rootfs-<key>.ext4           that root customised for the harness, as a sparse ext4 image
#   systemd/preinit-<key>.cpio          tiny busybox initramfs: load virtio/ext4 modules, mount vda, switch_root
# Keys hash the inputs (kernel version, host package versions, the guest/ files, this file), so an edit rebuilds what
# it affects and older builds of the same kind are removed.

V2HOST_HERE=${V2HOST_HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
V2HOST_GUEST="$V2HOST_HERE/guest"
V2HOST_CACHE=${V2HOST_CACHE:-${DOCKER_LIBRATO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docker-librato}/v2host}

# Scratch directories of this process (builds, runs) live under one directory, removed on exit (v2_cleanup_work).
# v2_init_work must run in the main shell first (v2_tmpdir is called in command substitutions).
V2HOST_WORK=""
# Scratch directories left by a v2host.sh that was killed outright (SIGKILL: no trap) are removed by the next one.
v2_init_work() {
    [ -z "$V2HOST_WORK" ] || return 0
    local d pid
    for d in "${TMPDIR:-/tmp}"/v2host.??????; do
        [ -f "$d/owner.pid" ] || continue
        pid=$(cat "$d/owner.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            v2log "removing $d, left by a v2host.sh (pid $pid) that is gone"
            rm -rf "$d"
        fi
    done
    V2HOST_WORK=$(mktemp -d "${TMPDIR:-/tmp}/v2host.XXXXXX")
    echo $$ >"$V2HOST_WORK/owner.pid"
}
v2_tmpdir() { [ -n "$V2HOST_WORK" ] || exit 99; mktemp -d "$V2HOST_WORK/$1.XXXXXX"; }
v2_cleanup_work() { [ -z "$V2HOST_WORK" ] || rm -rf "$V2HOST_WORK"; V2HOST_WORK=""; }

v2log() { printf '%s v2host: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
v2die() { printf '%s v2host: FAIL: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 125; }

# Short content hash of its arguments (strings) and of the files named by --file.
v2hash() {
    local a
    {
        for a in "$@"; do
            case "$a" in --file=*) cat "${a#--file=}" ;; *) printf '%s\n' "$a" ;; esac
        done
    } | sha256sum | cut -c1-12
}

# Keeps only $keep among files matching $glob (older builds of the same artefact).
v2prune() {
    local keep=$1 glob=$2 f
    for f in $glob; do
        [ -e "$f" ] && [ "$f" != "$keep" ] && { v2log "removing stale $(basename "$f")"; rm -rf "$f"; }
    done
    return 0
}

# The Debian mirror apt uses on this machine (deb822 or one-line sources), for debootstrap. Same as
# deploy/testing/lib.sh's debian_mirror.
v2_debian_mirror() {
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
    [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '{print $2}' | grep -i debian | grep -v security | head -1)
    echo "${uri:-http://deb.debian.org/debian}"
}

v2_host_tools_check() {
    local missing=() t
    for t in qemu-system-x86_64 cpio mkfs.ext4 dpkg-deb apt-get xz busybox flock sha256sum; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ -x /bin/busybox ] || missing+=(/bin/busybox)
    [ ${#missing[@]} -eq 0 ] || v2die "missing on the host: ${missing[*]} (run scripts/test-env.sh)"
}

# ---------------------------------------------------------------------------------------------------------------
# Kernel

# The Debian kernel version: V2HOST_KERNEL, else the one linux-image-amd64 names, else the newest cached one.
v2_kernel_version() {
    if [ -n "${V2HOST_KERNEL:-}" ]; then echo "$V2HOST_KERNEL"; return; fi
    local v
    v=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\(.*-amd64\)$/\1/p' |
        grep -v -e unsigned -e '^$' | head -1)
    if [ -z "$v" ]; then
        v=$(ls -1 "$V2HOST_CACHE/kernel" 2>/dev/null | sort -V | tail -1)
    fi
    [ -n "$v" ] || v2die "cannot tell which kernel to use: run apt-get update, or set V2HOST_KERNEL (e.g. 6.1.0-57-amd64)"
    echo "$v"
}

# The kernel image subset of modules kept: enough for virtio, filesystems, networking (bridge, veth, netfilter).
V2HOST_MODULE_DIRS="arch block crypto fs lib mm net virt drivers/block drivers/virtio drivers/char drivers/md
drivers/net/veth.ko drivers/net/dummy.ko drivers/net/macvlan.ko drivers/net/ipvlan drivers/net/vxlan
drivers/net/tun.ko drivers/net/virtio_net.ko drivers/net/net_failover.ko drivers/net/bonding"

# Fetches linux-image-<kver> with apt-get download (not installed), keeps the uncompressed kernel and a module subset.
v2_ensure_kernel() {
    KVER=$(v2_kernel_version)
    KDIR="$V2HOST_CACHE/kernel/$KVER"
    VMLINUX="$KDIR/vmlinux"
    KMODS="$KDIR/modules/lib/modules/$KVER"
    [ -f "$KDIR/.done" ] && return 0
    v2log "fetching linux-image-$KVER (apt-get download; not installed on this host)"
    local t
    t=$(v2_tmpdir kernel)
    # apt's sandbox user cannot write to a root-owned mktemp dir; it falls back with a warning: let it.
    if ! (cd "$t" && apt-get download -q "linux-image-$KVER" >"$t/apt.log" 2>&1); then
        tail -5 "$t/apt.log" >&2
        rm -rf "$t"
        # Offline, or apt names a kernel the mirror no longer has: a kernel already cached will do (unless pinned).
        local cached
        cached=$(find "$V2HOST_CACHE/kernel" -mindepth 2 -maxdepth 2 -name .done 2>/dev/null | sort -V | tail -1)
        if [ -z "$cached" ] || [ -n "${V2HOST_KERNEL:-}" ]; then
            v2die "apt-get download linux-image-$KVER failed (apt-get update?)"
        fi
        KVER=$(basename "$(dirname "$cached")")
        v2log "apt-get download failed: using the cached kernel $KVER instead"
        KDIR="$V2HOST_CACHE/kernel/$KVER"
        VMLINUX="$KDIR/vmlinux"
        KMODS="$KDIR/modules/lib/modules/$KVER"
        return 0
    fi
    dpkg-deb -x "$t"/linux-image-*.deb "$t/x"
    rm -f "$t"/linux-image-*.deb
    # vmlinuz is a bzImage whose payload is xz: find the xz stream and decompress it once (TCG decompresses slowly).
    local vmlinuz="$t/x/boot/vmlinuz-$KVER" off
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1)
    [ -n "$off" ] || { rm -rf "$t"; v2die "no xz payload in $vmlinuz"; }
    tail -c +"$((off + 1))" "$vmlinuz" | xz -dc 2>/dev/null >"$t/vmlinux" || true # trailing data after the stream
    head -c 4 "$t/vmlinux" | grep -q 'ELF' || { rm -rf "$t"; v2die "decompressed kernel is not an ELF"; }
    rm -rf "$KDIR"
    mkdir -p "$KDIR/modules/lib/modules/$KVER/kernel"
    local src="$t/x/lib/modules/$KVER" d
    cp -a "$src"/modules.builtin "$src"/modules.builtin.modinfo "$src"/modules.order "$KDIR/modules/lib/modules/$KVER/"
    for d in $V2HOST_MODULE_DIRS; do
        [ -e "$src/kernel/$d" ] || continue
        mkdir -p "$KDIR/modules/lib/modules/$KVER/kernel/$(dirname "$d")"
        cp -a "$src/kernel/$d" "$KDIR/modules/lib/modules/$KVER/kernel/$d"
    done
    cp "$t/x/boot/config-$KVER" "$KDIR/config"
    mv "$t/vmlinux" "$VMLINUX"
    rm -rf "$t"
    touch "$KDIR/.done"
    v2prune "$KDIR" "$V2HOST_CACHE/kernel/*"
    v2log "kernel $KVER: $(du -sh "$VMLINUX" | cut -f1) vmlinux, $(du -sh "$KDIR/modules" | cut -f1) modules"
}

# Prints the .ko paths (relative to $KMODS) that the named modules need, dependencies first. No depmod on the host:
# each module's .modinfo holds a `depends=` string.
v2_module_closure() {
    declare -A path seen
    local f n
    while IFS= read -r f; do
        n=$(basename "$f" .ko)
        path[${n//-/_}]=$f
    done < <(cd "$KMODS" && find kernel -name '*.ko')
    _v2_visit() {
        local m=${1//-/_} d deps
        [ -n "${seen[$m]:-}" ] && return 0
        seen[$m]=1
        if [ -z "${path[$m]:-}" ]; then
            grep -q "/$m.ko$" "$KMODS/modules.builtin" 2>/dev/null ||
                grep -q "/${m//_/-}.ko$" "$KMODS/modules.builtin" 2>/dev/null ||
                v2die "module $m not found (neither a module nor built in)"
            return 0
        fi
        deps=$(tr '\0' '\n' <"$KMODS/${path[$m]}" | sed -n 's/^depends=//p' | head -1 | tr ',' ' ')
        for d in $deps; do _v2_visit "$d"; done
        echo "${path[$m]}"
    }
    for n in "$@"; do _v2_visit "$n"; done
}

# ---------------------------------------------------------------------------------------------------------------
# local/busybox:latest, the way scripts/test-env.sh makes it on the host (a tarball for `docker import` in the guest).

v2_ensure_busybox_image() {
    BUSYBOX_TAR="$V2HOST_CACHE/busybox-image.tar"
    local key
    key=$(v2hash "$(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null)" --file=/bin/busybox)
    [ -s "$BUSYBOX_TAR" ] && [ "$(cat "$BUSYBOX_TAR.key" 2>/dev/null)" = "$key" ] && return 0
    local dir app
    dir=$(v2_tmpdir busybox)
    mkdir -p "$dir/bin" "$dir/tmp" "$dir/etc"
    cp /bin/busybox "$dir/bin/busybox"
    for app in $("$dir/bin/busybox" --list); do
        [ "$app" = busybox ] || ln -sf busybox "$dir/bin/$app"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
    echo 'root:x:0:' >"$dir/etc/group"
    mkdir -p "$V2HOST_CACHE"
    tar -C "$dir" -c . >"$BUSYBOX_TAR.tmp" && mv "$BUSYBOX_TAR.tmp" "$BUSYBOX_TAR"
    echo "$key" >"$BUSYBOX_TAR.key"
    rm -rf "$dir"
}

# ---------------------------------------------------------------------------------------------------------------
# Shared by both initramfs kinds

# Copies executables and the shared libraries ldd names for them into root $1 (same paths as on the host).
v2_copy_with_libs() {
    local root=$1 b l
    shift
    for b in "$@"; do
        [ -e "$b" ] || continue
        mkdir -p "$root$(dirname "$b")"
        rm -f "$root$b" # may be a busybox applet link: cp would write through it onto busybox
        cp -L "$b" "$root$b"
        for l in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*'); do
            [ -e "$root$l" ] && continue
            mkdir -p "$root$(dirname "$l")"
            cp -L "$l" "$root$l"
        done
    done
}

# A busybox base laid out like the host (merged /usr: /bin, /sbin, /lib, /lib64 are links into /usr, so the paths ldd
# prints resolve), with busybox's applets and the given modules (+ dependencies) listed in load order.
v2_busybox_root() {
    local root=$1 app m
    shift
    mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,mnt,root,var/lib}
    ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
    cp /bin/busybox "$root/usr/bin/busybox"
    for app in $(/bin/busybox --list-full); do
        app=${app#usr/}
        [ -e "$root/usr/$app" ] || [ -L "$root/usr/$app" ] || ln -s /usr/bin/busybox "$root/usr/$app"
    done
    # Modules at their usual place with busybox depmod's index: the guest's modprobe (and the kernel's
    # request_module) find them; /lib/modules/load-order lists them dependencies first for insmod at boot.
    local mdir="$root/usr/lib/modules/$KVER"
    mkdir -p "$mdir"
    : >"$root/usr/lib/modules/load-order"
    for m in $(v2_module_closure "$@"); do
        mkdir -p "$mdir/$(dirname "$m")"
        cp "$KMODS/$m" "$mdir/$m"
        echo "$KVER/$m" >>"$root/usr/lib/modules/load-order"
    done
    cp "$KMODS/modules.builtin" "$KMODS/modules.order" "$mdir/"
    /bin/busybox depmod -b "$root" "$KVER" || v2die "busybox depmod failed"
}

# Everything owned by root in the guest, whoever builds it.
v2_cpio() { (cd "$1" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) >"$2.tmp" && mv "$2.tmp" "$2"; }

# Modules the guests load at boot (the cgroupfs initramfs all of them; the systemd preinit only what mounting the
# root needs, systemd's udev/modprobe load the rest from the full module tree).
V2HOST_BOOT_MODULES="virtio_pci virtio_blk ext4 crc32c_generic"
# The cgroupfs guest also loads: the 9p share, overlay2, bridge networks and veth pairs, and what Docker's embedded
# DNS needs (it DNATs 127.0.0.11:53 with iptables in each container's namespace, even with "iptables": false).
V2HOST_MORE_MODULES="9pnet_virtio 9p overlay bridge veth br_netfilter dummy nft_compat nft_chain_nat xt_nat
xt_tcpudp nf_conntrack_netlink ip_tables"

# ---------------------------------------------------------------------------------------------------------------
# cgroupfs driver: everything in one busybox initramfs with the host's docker.io binaries

V2HOST_DOCKER_BINS="/usr/sbin/dockerd /usr/bin/docker /usr/bin/containerd /usr/bin/containerd-shim-runc-v2
/usr/sbin/runc /usr/bin/docker-init /usr/bin/tini-static /usr/sbin/docker-proxy /usr/bin/ctr"
# For scenarios: bash, curl (Engine API over the socket), iproute2's ip and util-linux's nsenter (busybox's cannot
# make veth pairs), and the libraries a --static-swift-stdlib collector needs. Missing ones are skipped.
V2HOST_EXTRA_BINS="/bin/bash /usr/bin/curl /usr/sbin/ip /usr/bin/nsenter"
V2HOST_EXTRA_LIBS="/usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libgcc_s.so.1
/lib/x86_64-linux-gnu/libz.so.1 /usr/lib/x86_64-linux-gnu/libnanomsg.so.5 /lib/x86_64-linux-gnu/libm.so.6"

v2_ensure_cgroupfs() {
    v2_ensure_kernel
    v2_ensure_busybox_image
    local pkgs key
    pkgs=$(dpkg-query -W -f '${Package} ${Version}\n' docker.io containerd runc tini busybox-static bash curl \
        libnanomsg5 libstdc++6 iptables iproute2 util-linux 2>/dev/null)
    key=$(v2hash "$KVER" "$pkgs" "$V2HOST_DOCKER_BINS $V2HOST_EXTRA_BINS $V2HOST_EXTRA_LIBS" \
        --file="$V2HOST_GUEST/init-cgroupfs" --file="$V2HOST_GUEST/v2host-run" --file="${BASH_SOURCE[0]}")
    INITRAMFS="$V2HOST_CACHE/cgroupfs/initramfs-$key.cpio"
    [ -s "$INITRAMFS" ] && return 0
    local start=$SECONDS root l
    v2log "building the cgroupfs initramfs (host docker.io binaries)"
    mkdir -p "$V2HOST_CACHE/cgroupfs"
    root=$(v2_tmpdir initramfs)
    # shellcheck disable=SC2086
    v2_busybox_root "$root" $V2HOST_BOOT_MODULES $V2HOST_MORE_MODULES
    # shellcheck disable=SC2086
    v2_copy_with_libs "$root" $V2HOST_DOCKER_BINS $V2HOST_EXTRA_BINS
    for l in $V2HOST_EXTRA_LIBS; do
        [ -e "$l" ] && { mkdir -p "$root$(dirname "$l")"; cp -L "$l" "$root$l"; }
    done
    # iptables (nft backend, as on the host) for the embedded DNS of user-defined networks.
    if [ -x /usr/sbin/xtables-nft-multi ]; then
        v2_copy_with_libs "$root" /usr/sbin/xtables-nft-multi
        for l in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
            rm -f "$root/usr/sbin/$l"
            ln -s xtables-nft-multi "$root/usr/sbin/$l"
        done
        cp -a /usr/lib/x86_64-linux-gnu/xtables "$root/usr/lib/x86_64-linux-gnu/"
    fi
    install -m 0755 "$V2HOST_GUEST/init-cgroupfs" "$root/init"
    install -D -m 0755 "$V2HOST_GUEST/v2host-run" "$root/usr/local/sbin/v2host-run"
    mkdir -p "$root/etc/docker"
    cat >"$root/etc/docker/daemon.json" <<'EOF'
{
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "storage-driver": "overlay2",
  "iptables": false,
  "bridge": "none"
}
EOF
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\ndocker:x:999:\n' >"$root/etc/group"
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
    : >"$root/etc/resolv.conf"
    echo v2host-cgroupfs >"$root/etc/hostname"
    cp -L /etc/os-release "$root/usr/lib/os-release" # docker info's Operating System: the binaries' Debian
    v2_cpio "$root" "$INITRAMFS"
    rm -rf "$root"
    v2prune "$INITRAMFS" "$V2HOST_CACHE/cgroupfs/initramfs-*.cpio"
    v2log "cgroupfs initramfs: $(du -h "$INITRAMFS" | cut -f1) in $((SECONDS - start)) s"
}
