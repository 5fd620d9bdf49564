# Shared by deploy/test-image.sh and deploy/rehearse.sh (sourced, not run). Bash.
#
# Nothing here can pull from a registry: the runtime base is made with debootstrap from the Debian mirror apt uses,
# the binary is built on this machine, and images are built with the classic builder.

# The Debian docker.io CLI matches the daemon's API (a newer CLI needs DOCKER_BUILDKIT=0 when buildx is not
# installed: set below, build_image chooses per build).
if [ -z "${DOCKER:-}" ]; then
    if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=$(command -v docker); fi
fi
export DOCKER_BUILDKIT=0
COMPOSE=${COMPOSE:-docker-compose}

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CACHE_DIR=${DOCKER_LIBRATO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docker-librato}
# The locally made stand-in for debian:bookworm-slim (not tagged as it, so nobody mistakes it for the real one).
BASE_IMAGE=${BASE_IMAGE:-docker-librato-test/bookworm-slim:2}
DIST_BINARY="$REPO_ROOT/deploy/dist/docker-librato"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# The Debian mirror apt uses on this machine (deb822 or one-line sources), for debootstrap.
debian_mirror() {
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
    [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '{print $2}' | grep -i debian | grep -v security | head -1)
    echo "${uri:-http://deb.debian.org/debian}"
}

# Slims a debootstrapped root the way debuerreotype does for the official -slim images, with their apt sources.
slim_rootfs() {
    local root=$1 mirror=$2
    # Deletes and overwrites system files under $root: refuse anything that is not a fresh rootfs directory.
    case "$root" in /tmp/docker-librato-rootfs.*) ;; *) die "slim_rootfs: refusing to touch '$root'" ;; esac
    [ -x "$root/usr/bin/apt-get" ] || die "slim_rootfs: $root is not a debootstrapped rootfs"
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/{man,info,groff,lintian,linda}/* "$root"/var/cache/apt/*.bin \
        "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    # debuerreotype's apt configuration of the official images: no package caches or translations kept.
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
    printf 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";\n' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    rm -f "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

# Makes BASE_IMAGE: `debootstrap --variant=minbase bookworm` (what debian:bookworm-slim is made from) slimmed the
# way the official image is (no docs but copyrights, man pages, locales, apt lists or caches), with the official
# image's apt sources. The tarball is cached (CACHE_DIR): debootstrap takes minutes, an import seconds.
ensure_base_image() {
    if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return 0; fi
    local tarball="$CACHE_DIR/bookworm-minbase-slim-2.tar" # -N: bump when slim_rootfs changes
    if [ ! -s "$tarball" ]; then
        command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
        local root mirror
        root=$(mktemp -d /tmp/docker-librato-rootfs.XXXXXX)
        mirror=$(debian_mirror)
        log "debootstrap --variant=minbase bookworm from $mirror (a few minutes, cached afterwards in $tarball)"
        if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1; then
            tail -20 "$root.log" >&2
            rm -rf "$root" "$root.log"
            die "debootstrap failed"
        fi
        rm -f "$root.log"
        slim_rootfs "$root" "$mirror"
        mkdir -p "$CACHE_DIR"
        tar --numeric-owner -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf "$root"
    fi
    log "importing $tarball as $BASE_IMAGE"
    "$DOCKER" import -c 'CMD ["bash"]' "$tarball" "$BASE_IMAGE" >/dev/null
}

# Builds the release binary with the Swift runtime linked statically, strips it into deploy/dist/, and checks that it
# needs no shared library beyond what bookworm-slim has plus libnanomsg5.
build_binary() {
    log "swift build -c release --static-swift-stdlib (incremental)"
    local buildlog="${TMPDIR:-/tmp}/docker-librato-swift-build.log"
    (cd "$REPO_ROOT" && swift build -c release --static-swift-stdlib --product docker-librato >"$buildlog" 2>&1) ||
        { tail -40 "$buildlog" >&2; die "swift build failed (log: $buildlog)"; }
    log "$(tail -1 "$buildlog")"
    local bin
    bin="$(cd "$REPO_ROOT" && swift build -c release --static-swift-stdlib --show-bin-path)/docker-librato"
    mkdir -p "$(dirname "$DIST_BINARY")"
    cp "$bin" "$DIST_BINARY.tmp" && strip "$DIST_BINARY.tmp" && mv "$DIST_BINARY.tmp" "$DIST_BINARY"
    check_libraries "$DIST_BINARY"
}

# Fails when the binary links a shared library that is not libc/libm/libstdc++/libgcc_s/libz/libnanomsg (or the
# loader and the vDSO).
check_libraries() {
    local unexpected
    unexpected=$(ldd "$1" | awk '{print $1}' |
        grep -Ev '^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux-aarch64\.so\.1|ld-linux.*|libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libz\.so\.1|libnanomsg\.so\.5)$' || true)
    [ -z "$unexpected" ] || die "$1 links unexpected libraries: $unexpected"
}

# Builds the runtime image from the prebuilt binary: the same runtime-base stage users build, --target
# runtime-prebuilt. `--network host`: RUN steps get no network on a dockerd without a bridge, and apt inside the
# build needs the Debian mirror. DOCKER_BUILDER=classic|buildkit|auto: BuildKit (built into dockerd, driven by a
# CLI older than 23; a newer CLI needs the buildx plugin) takes seconds; the classic builder, which creates a
# container per instruction, takes minutes on the vfs storage driver. Both build the same stages.
build_image() {
    local image=$1 builder=${DOCKER_BUILDER:-auto} buildlog="${TMPDIR:-/tmp}/docker-librato-build.log"
    if [ "$builder" = auto ]; then
        builder=classic
        case "$("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null)" in
        18.* | 19.* | 20.*) builder=buildkit ;;
        esac
    fi
    local buildkit=0
    [ "$builder" = buildkit ] && buildkit=1
    log "docker build --target runtime-prebuilt --build-arg BASE_IMAGE=$BASE_IMAGE -t $image ($builder builder)"
    (cd "$REPO_ROOT" && DOCKER_BUILDKIT=$buildkit "$DOCKER" build --network host -f deploy/Dockerfile \
        --target runtime-prebuilt \
        --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg BINARY=deploy/dist/docker-librato \
        --build-arg VERSION="$(git describe --always --dirty 2>/dev/null || echo dev)" \
        --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
        -t "$image" . >"$buildlog" 2>&1) || {
        tail -30 "$buildlog" >&2
        die "docker build failed (log: $buildlog)"
    }
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
    local timeout=$1
    shift
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 1
    done
}

# Starts the Python Librato stand-in; $1 = record file, $2 = port file, further arguments go before `python3`
# (e.g. `nsenter -t PID -n` to run it in a container's network namespace). Prints its pid.
start_fake_librato() {
    local record=$1 portfile=$2 listen=$3
    shift 3
    rm -f "$portfile"
    "$@" python3 "$REPO_ROOT/deploy/testing/fake_librato.py" serve --listen "$listen" --record "$record" \
        --port-file "$portfile" --email deploy-test@example.com --token deploy-test-token \
        >"$record.log" 2>&1 &
    echo $!
}
