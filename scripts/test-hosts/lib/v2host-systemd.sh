# shellcheck shell=bash
# Sourced by v2host.sh after v2host-lib.sh (bash): the systemd-driver guest.
#
# systemd as PID 1 on a debootstrap'd Debian bookworm root (packages from the Debian mirror apt uses), with Debian's
# docker.io, containerd and runc (the same versions the host has), dockerd configured with the systemd cgroup driver.
# The root is a cached sparse ext4 image booted read-only-for-the-cache (QEMU snapshot=on); a tiny busybox initramfs
# loads virtio/ext4 and switch_roots into it. No chroot mounts on the host: units are enabled with systemctl --root.

# Packages on top of debootstrap's minbase. udev: device units (the data disk's fstab line); apparmor: Debian's docker
# loads its docker-default profile as on real hosts; libnanomsg5: a host-built collector runs as is; curl: the
# Engine API from scenarios.
V2HOST_SYSTEMD_PACKAGES="systemd,systemd-sysv,udev,dbus,kmod,docker.io,apparmor,iproute2,procps,curl,libnanomsg5,ca-certificates"
# shellcheck disable=SC2034 # used by v2host.sh
V2HOST_SYSTEMD_CMDLINE="systemd.show_status=auto"
# Units that cost boot time (everything runs on emulated CPUs) and do nothing for a test host. apparmor.service loads
# the system's profiles (7–8 s here); dockerd still loads and applies its docker-default profile itself. The
# modprobe@ units only preload modules the kernel loads on demand anyway.
V2HOST_SYSTEMD_MASK="getty@tty1.service serial-getty@ttyS0.service console-getty.service getty.target
apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer
systemd-timesyncd.service systemd-networkd-wait-online.service systemd-logind.service apparmor.service
modprobe@drm.service modprobe@efi_pstore.service modprobe@fuse.service modprobe@loop.service modprobe@dm_mod.service"

# debootstrap bookworm minbase + the packages: minutes; kept as a tarball keyed by the package list and the mirror.
v2_ensure_systemd_base() {
    local mirror key
    mirror=$(v2_debian_mirror)
    key=$(v2hash bookworm minbase "$V2HOST_SYSTEMD_PACKAGES" "$mirror")
    SYSTEMD_BASE="$V2HOST_CACHE/systemd/base-$key.tar"
    [ -s "$SYSTEMD_BASE" ] && return 0
    command -v debootstrap >/dev/null || v2die "debootstrap is not installed (run scripts/test-env.sh)"
    [ "$(id -u)" -eq 0 ] || v2die "building the systemd guest's root needs root (debootstrap, chroot): use sudo"
    local start=$SECONDS root
    root=$(v2_tmpdir debootstrap)
    v2log "debootstrap --variant=minbase bookworm from $mirror with docker.io, systemd (a few minutes, cached)"
    if ! debootstrap --variant=minbase --include="$V2HOST_SYSTEMD_PACKAGES" bookworm "$root/root" "$mirror" \
        >"$root/debootstrap.log" 2>&1; then
        tail -30 "$root/debootstrap.log" >&2
        v2die "debootstrap failed (full log: kept only until exit)"
    fi
    rm -rf "$root/root/var/cache/apt/archives/"*.deb "$root/root/var/lib/apt/lists/"*
    mkdir -p "$V2HOST_CACHE/systemd"
    tar --numeric-owner --xattrs --xattrs-include='*' -C "$root/root" -cf "$SYSTEMD_BASE.tmp" .
    mv "$SYSTEMD_BASE.tmp" "$SYSTEMD_BASE"
    rm -rf "$root"
    v2prune "$SYSTEMD_BASE" "$V2HOST_CACHE/systemd/base-*.tar"
    v2log "bookworm base: $(du -h "$SYSTEMD_BASE" | cut -f1) in $((SECONDS - start)) s"
}

v2_ensure_systemd() {
    v2_ensure_kernel
    v2_ensure_busybox_image
    v2_ensure_systemd_base
    local key
    key=$(v2hash "$KVER" "$SYSTEMD_BASE" "$V2HOST_SYSTEMD_MASK" "$V2HOST_BOOT_MODULES" \
        --file="$V2HOST_GUEST/preinit" --file="$V2HOST_GUEST/v2host-run" --file="$V2HOST_GUEST/v2host-run.service" \
        --file="${BASH_SOURCE[0]}" --file="$V2HOST_HERE/lib/v2host-lib.sh")
    ROOTFS="$V2HOST_CACHE/systemd/rootfs-$key.ext4"
    PREINIT="$V2HOST_CACHE/systemd/preinit-$key.cpio"
    [ -s "$ROOTFS" ] && [ -s "$PREINIT" ] && return 0
    local start=$SECONDS t root
    [ "$(id -u)" -eq 0 ] || v2die "building the systemd guest's root image needs root (chroot, file ownership): use sudo"
    v2log "building the systemd root image"
    t=$(v2_tmpdir rootfs)
    root="$t/root"
    mkdir -p "$root"
    tar --numeric-owner --xattrs --xattrs-include='*' -C "$root" -xpf "$SYSTEMD_BASE"

    # The kernel's modules (subset), indexed by the guest's own depmod.
    mkdir -p "$root/usr/lib/modules"
    cp -a "$KMODS" "$root/usr/lib/modules/$KVER"
    chroot "$root" /sbin/depmod -a "$KVER" || v2die "depmod in the root image failed"

    echo v2host-systemd >"$root/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 v2host-systemd\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    : >"$root/etc/resolv.conf"
    cat >"$root/etc/fstab" <<'EOF'
/dev/vda  /                ext4  rw,noatime  0 0
/dev/vdb  /var/lib/docker  ext4  rw,noatime,x-systemd.device-timeout=30s  0 0
EOF
    mkdir -p "$root/var/lib/docker" "$root/etc/docker"
    cat >"$root/etc/docker/daemon.json" <<'EOF'
{
  "exec-opts": ["native.cgroupdriver=systemd"],
  "storage-driver": "overlay2",
  "iptables": false,
  "bridge": "none"
}
EOF
    # -cpu max advertises SVM/VMX: udev would try (and fail) to load kvm_amd; no hardware drivers are of use either.
    printf 'blacklist kvm\nblacklist kvm_amd\nblacklist kvm_intel\nblacklist pcspkr\n' >"$root/etc/modprobe.d/v2host.conf"
    # The journal in memory (the root image is a throwaway snapshot anyway), nothing forwarded to the console.
    mkdir -p "$root/etc/systemd/journald.conf.d"
    printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' >"$root/etc/systemd/journald.conf.d/v2host.conf"
    rm -rf "$root/var/log/journal"
    install -D -m 0755 "$V2HOST_GUEST/v2host-run" "$root/usr/local/sbin/v2host-run"
    install -D -m 0644 "$V2HOST_GUEST/v2host-run.service" "$root/etc/systemd/system/v2host-run.service"
    # shellcheck disable=SC2086
    systemctl --root="$root" mask $V2HOST_SYSTEMD_MASK >/dev/null 2>&1
    systemctl --root="$root" enable v2host-run.service docker.service containerd.service >/dev/null 2>&1 ||
        v2die "systemctl --root enable failed"
    systemctl --root="$root" set-default multi-user.target >/dev/null 2>&1
    passwd -R "$root" -d root >/dev/null 2>&1 || true
    # A machine id per image (systemd would make one on each boot of the read-only-for-us image otherwise).
    tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"

    mkdir -p "$V2HOST_CACHE/systemd"
    truncate -s 4G "$t/rootfs.ext4"
    mkfs.ext4 -q -F -m 0 -L v2host-root -E lazy_itable_init=1,lazy_journal_init=1 -d "$root" "$t/rootfs.ext4" ||
        v2die "mkfs.ext4 -d failed"
    mv "$t/rootfs.ext4" "$ROOTFS"

    local pre="$t/preinit"
    # shellcheck disable=SC2086
    v2_busybox_root "$pre" $V2HOST_BOOT_MODULES
    install -m 0755 "$V2HOST_GUEST/preinit" "$pre/init"
    v2_cpio "$pre" "$PREINIT"
    rm -rf "$t"
    v2prune "$ROOTFS" "$V2HOST_CACHE/systemd/rootfs-*.ext4"
    v2prune "$PREINIT" "$V2HOST_CACHE/systemd/preinit-*.cpio"
    v2log "systemd root image: $(du -h "$ROOTFS" | cut -f1) used of $(du -h --apparent-size "$ROOTFS" | cut -f1), preinit $(du -h "$PREINIT" | cut -f1), in $((SECONDS - start)) s"
}
