#!/usr/bin/env bash
# Offline test of the deployment: image, compose file, roles, healthchecks, metrics reaching a Librato stand-in.
#
#   deploy/test-image.sh --config  # only `docker-compose config` of the file and overrides (seconds; scripts/test.sh runs it)
#   deploy/test-image.sh --quick   # compose/stack config validation, static binary + ldd check, runtime image build,
#                                  # `--help` of every role in the image (cheap enough for CI)
#   deploy/test-image.sh           # + `docker-compose up` of the real file: hub + collector healthy, 3 containers'
#                                  # metrics at the stand-in under the cluster, then --scale collector=2 (second
#                                  # replica in its own state slot, a hot standby: no point posted twice)
#   deploy/test-image.sh --swarm   # + `docker stack deploy` of the same file on a one-node Swarm (deploy/testing/swarm-test.sh)
# Options: --binary PATH (skip the swift build), --classic (force the classic builder), --keep (leave the stack up).
#
# Nothing is pulled. The runtime base is debootstrap's bookworm minbase slimmed like debian:bookworm-slim (cached in
# ~/.cache/docker-librato), the binary is built here with --static-swift-stdlib, and the image is the Dockerfile's
# runtime-prebuilt target (the same runtime-base stage as the real build). apt inside the build reaches the Debian
# mirror with --network host. The Librato stand-in is deploy/testing/fake_librato.py, run in the hub container's
# network namespace; the strict fake of the test suite stays the Swift one.
# Needs root (or docker access and nsenter rights), docker, docker-compose, debootstrap, python3, swift.
set -euo pipefail
# shellcheck source=testing/lib.sh
source "$(dirname "$0")/testing/lib.sh"

QUICK=0 KEEP=0 CLASSIC=0 SWARM=0 CONFIG_ONLY=0 BINARY=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1 ;;
    --config) QUICK=1 CONFIG_ONLY=1 ;;
    --keep) KEEP=1 ;;
    --classic) CLASSIC=1 ;;
    --swarm) SWARM=1 ;;
    --binary) BINARY=$2; shift ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
    esac
    shift
done

IMAGE=${TEST_IMAGE:-docker-librato:deploy-test}
PROJECT=dldeploytest
CLUSTER=deploytest$$
WORK=$(mktemp -d /tmp/docker-librato-deploy-test.XXXXXX)
FAKE_PID=""
WORKLOAD_LABEL=docker-librato-deploy-test.run=$$ # for cleanup; the collector follows label docker-librato-deploy-test
COMPOSE_FILES=(-f "$REPO_ROOT/docker-compose.yml" -f "$REPO_ROOT/deploy/testing/compose.test.yml")
started=$SECONDS

compose() { (cd "$REPO_ROOT" && "$COMPOSE" -p "$PROJECT" "${COMPOSE_FILES[@]}" "$@"); }

cleanup() {
    local rc=$?
    set +e
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
    if [ $KEEP -eq 1 ] && [ $QUICK -eq 0 ]; then
        log "--keep: stack $PROJECT left up; remove with: $COMPOSE -p $PROJECT ${COMPOSE_FILES[*]} down -v"
    else
        if [ $QUICK -eq 0 ]; then
            if [ $rc -ne 0 ]; then
                log "logs of the failed run:"
                compose logs --no-color --tail 40 >&2 2>/dev/null
            fi
            compose down -v --remove-orphans >/dev/null 2>&1
            ids=$("$DOCKER" ps -aq --filter "label=$WORKLOAD_LABEL")
            [ -n "$ids" ] && "$DOCKER" rm -f $ids >/dev/null 2>&1
        fi
        rm -rf "$WORK"
    fi
    [ $rc -eq 0 ] && log "PASS ($((SECONDS - started)) s)" || log "FAILED ($((SECONDS - started)) s)"
}
trap cleanup EXIT

# The Debian packages these tests need beyond scripts/test-env.sh's (idempotent, like it).
missing=()
[ $CONFIG_ONLY -eq 1 ] || command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v "$COMPOSE" >/dev/null || missing+=(docker-compose)
command -v nsenter >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
tools=("$DOCKER" "$COMPOSE")
[ $CONFIG_ONLY -eq 1 ] || tools+=(python3 strip ldd debootstrap)
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
"$DOCKER" version >/dev/null 2>&1 || die "no Docker daemon answers (scripts/test-env.sh starts one)"

# --- 1. compose files -------------------------------------------------------------------------------------------------
log "validating docker-compose.yml and the overrides (docker-compose config)"
secrets_env=(CLUSTER_KEY_SECRET="$WORK/cluster.key" LIBRATO_TOKEN_SECRET="$WORK/librato_token")
(cd "$REPO_ROOT" &&
    env "${secrets_env[@]}" "$COMPOSE" -f docker-compose.yml config -q &&
    env "${secrets_env[@]}" "$COMPOSE" -f docker-compose.yml -f deploy/compose/hub-host.yml config -q &&
    env "${secrets_env[@]}" HUB_ADDRESS=tcp://192.0.2.1:5555 "$COMPOSE" -f docker-compose.yml -f deploy/compose/node-host.yml config -q &&
    env "${secrets_env[@]}" "$COMPOSE" "${COMPOSE_FILES[@]}" config -q &&
    env "${secrets_env[@]}" CLUSTER_NAME=eu HUB_PLACEMENT="node.labels.docker-librato-hub == eu" \
        COLLECTOR_PLACEMENT="node.labels.docker-librato-cluster == eu" "$COMPOSE" -f docker-compose.yml config |
        grep -q "node.labels.docker-librato-cluster == eu") || die "docker-compose config rejected a file (or a cluster's placement)"
(cd "$REPO_ROOT" && ! env HUB_ADDRESS= "$COMPOSE" -f docker-compose.yml -f deploy/compose/node-host.yml config -q 2>/dev/null) ||
    die "node-host.yml accepted an empty HUB_ADDRESS"
# `docker stack deploy` reads the file with the docker CLI's own loader (Compose file 3.x): check it too when the
# CLI has `docker stack config` (23+).
for cli in docker /usr/local/bin/docker "$DOCKER"; do
    if "$cli" stack config --help 2>/dev/null | grep -q compose-file; then
        log "validating docker-compose.yml for docker stack deploy ($cli stack config)"
        (cd "$REPO_ROOT" && "$cli" stack config -c docker-compose.yml >"$WORK/stack.yml" 2>"$WORK/stack.err") ||
            { cat "$WORK/stack.err" >&2; die "docker stack config rejected docker-compose.yml"; }
        grep -q 'mode: global' "$WORK/stack.yml" || die "the collector is not global in the stack"
        break
    fi
done

[ $CONFIG_ONLY -eq 1 ] && exit 0

# --- 2. binary --------------------------------------------------------------------------------------------------------
if [ -n "$BINARY" ]; then
    mkdir -p "$(dirname "$DIST_BINARY")"
    cp "$BINARY" "$DIST_BINARY" && strip "$DIST_BINARY"
    check_libraries "$DIST_BINARY"
else
    build_binary
fi
log "binary: $(du -h "$DIST_BINARY" | cut -f1) stripped; ldd:"
ldd "$DIST_BINARY" | sed 's/^/    /' >&2

# --- 3. image ---------------------------------------------------------------------------------------------------------
ensure_base_image
[ $CLASSIC -eq 1 ] && export DOCKER_BUILDER=classic
build_image "$IMAGE"
size=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
base_size=$("$DOCKER" image inspect -f '{{.Size}}' "$BASE_IMAGE")
log "image $IMAGE: $((size / 1000000)) MB ($size bytes; base $((base_size / 1000000)) MB, added $(((size - base_size) / 1000000)) MB)"

log "the image runs every role: --help"
for args in "--help" "hub --help" "collector --help" "standalone --help" "keygen" "status --help" "healthcheck --help" "validate collector --help"; do
    # shellcheck disable=SC2086
    out=$("$DOCKER" run --rm --network none "$IMAGE" $args 2>&1) || { echo "$out" | tail -5 >&2; die "docker run $IMAGE $args failed"; }
    case "$args" in
    keygen) [[ "$out" =~ ^[0-9a-f]{64}$ ]] || die "keygen printed '$out'" ;;
    --help) grep -q "USAGE: docker-librato <subcommand>" <<<"$out" || die "docker run $IMAGE --help printed no usage" ;;
    # ArgumentParser answers an unknown subcommand's --help with the top-level help: insist on the subcommand's.
    *) grep -q "USAGE: docker-librato ${args%% *}" <<<"$out" || die "the image has no '${args%% *}' role (docker run $IMAGE $args)" ;;
    esac
done
[ "$("$DOCKER" run --rm --network none --entrypoint id "$IMAGE" -un 10001)" = librato ] || die "the image has no user 10001"
"$DOCKER" image inspect -f '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q healthcheck || die "the image has no HEALTHCHECK"

if [ $QUICK -eq 1 ]; then exit 0; fi
"$DOCKER" image inspect local/busybox:latest >/dev/null 2>&1 || die "no local/busybox:latest image (scripts/test-env.sh makes it)"

# --- 4. compose up ----------------------------------------------------------------------------------------------------
log "secrets: cluster key from the image's keygen, a test token"
"$DOCKER" run --rm --network none "$IMAGE" keygen >"$WORK/cluster.key"
printf 'deploy-test-token\n' >"$WORK/librato_token"
chmod 644 "$WORK/cluster.key" "$WORK/librato_token"

export DOCKER_LIBRATO_IMAGE=$IMAGE CLUSTER_NAME=$CLUSTER HOST_NAME=deploy-test-host \
    CLUSTER_KEY_SECRET="$WORK/cluster.key" LIBRATO_TOKEN_SECRET="$WORK/librato_token" \
    LIBRATO_EMAIL=deploy-test@example.com LIBRATO_TOKEN_FILE=/run/secrets/librato_token \
    LIBRATO_API_URL=http://127.0.0.1:18181 LIBRATO_PERIOD=5000 STATS_INTERVAL=1 HEALTHCHECK_INTERVAL=2s \
    HUB_HTTP_PORT="$(free_port)" INCLUDE_LABELS="docker-librato-deploy-test"

compose down -v --remove-orphans >/dev/null 2>&1 || true
log "docker-compose up -d (project $PROJECT, cluster $CLUSTER, status page on 127.0.0.1:$HUB_HTTP_PORT)"
compose up -d --no-build >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; die "docker-compose up failed"; }

hub=$(compose ps -q hub)
collector1=$(compose ps -q collector)
hub_pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$hub")
[ "$hub_pid" -gt 0 ] || die "the hub is not running"
log "Librato stand-in in the hub's network namespace (pid $hub_pid), 127.0.0.1:18181"
FAKE_PID=$(start_fake_librato "$WORK/librato.jsonl" "$WORK/fake.port" 127.0.0.1:18181 nsenter -t "$hub_pid" -n)
wait_for 20 test -s "$WORK/fake.port" || die "the Librato stand-in did not start: $(cat "$WORK/librato.jsonl.log")"

log "3 workload containers (logs with l2met tokens)"
for i in 1 2 3; do
    "$DOCKER" run -d --name "dl-deploy-test-$$-web$i" --network none --label "$WORKLOAD_LABEL" \
        --label docker-librato-deploy-test=web local/busybox \
        sh -c "i=0; while true; do i=\$((i+1)); echo \"request \$i measure#latency=\${i}ms count#requests=1\"; sleep 0.5; done" >/dev/null
done

health() { [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]; }
log "waiting for the hub and the collector to turn healthy"
wait_for 90 health "$hub" || die "the hub did not turn healthy: $("$DOCKER" inspect -f '{{json .State.Health}}' "$hub" | tail -c 600)"
wait_for 90 health "$collector1" || die "the collector did not turn healthy: $("$DOCKER" inspect -f '{{json .State.Health}}' "$collector1" | tail -c 600)"
log "hub and collector healthy"
# Both run unprivileged: uid 10001; the collector with the Docker socket's group as its supplementary group.
sock_gid=$(stat -c %g /var/run/docker.sock)
for c in "$hub" "$collector1"; do
    uid=$("$DOCKER" exec "$c" awk '/^Uid:/ {print $2}' /proc/1/status)
    [ "$uid" = 10001 ] || die "$c runs as uid $uid, not 10001"
done
"$DOCKER" exec "$collector1" awk '/^Groups:/' /proc/1/status | grep -qw "$sock_gid" ||
    die "the collector is not in the Docker socket's group ($sock_gid)"

summary() { python3 "$REPO_ROOT/deploy/testing/fake_librato.py" summary --record "$WORK/librato.jsonl" --json; }
have_all_containers() {
    summary | python3 -c '
import json, sys
s = json.load(sys.stdin)
want = {f"dl-deploy-test-{sys.argv[1]}-web{i}" for i in (1, 2, 3)}
ok = want <= set(s["containers"]) and s["measurements_by_cluster"].get(sys.argv[2], 0) > 0 and "deploy-test-host" in s["hosts"]
sys.exit(0 if ok else 1)' "$$" "$CLUSTER"
}
log "waiting for the 3 containers' metrics at the stand-in under cluster $CLUSTER"
wait_for 120 have_all_containers || { summary >&2; die "the containers' metrics did not reach the Librato stand-in"; }
summary | python3 -c '
import json, sys
s = json.load(sys.stdin)
bad = {k: v for k, v in s["statuses"].items() if k not in ("200", "202", "201")}
problems = s["problems"]
if bad or problems:
    sys.exit(f"the stand-in refused requests: {bad} {problems}")' || die "the hub sent requests the stand-in refused"

# --- 5. a second collector on the same host: its own state slot, a hot standby ------------------------------------------
log "docker-compose up --scale collector=2"
compose up -d --no-build --no-recreate --scale collector=2 >"$WORK/scale.log" 2>&1 || { cat "$WORK/scale.log" >&2; die "scaling failed"; }
collectors=$(compose ps -q collector)
[ "$(wc -l <<<"$collectors")" -eq 2 ] || die "expected 2 collectors, got: $collectors"
for c in $collectors; do wait_for 90 health "$c" || die "collector $c did not turn healthy"; done
slots=$(for c in $collectors; do "$DOCKER" logs "$c" 2>&1 | grep -o 'state directory [^ ]*' | head -1; done | sort -u | wc -l)
[ "$slots" -eq 2 ] || die "the two collectors do not have distinct state slots"
status() { python3 -c 'import json, sys, urllib.request; print(json.dumps(json.load(urllib.request.urlopen(sys.argv[1]))))' "http://127.0.0.1:$HUB_HTTP_PORT/status.json"; }
two_collectors() { status | python3 -c 'import json, sys; sys.exit(0 if len(json.load(sys.stdin)["collectors"]) >= 2 else 1)'; }
wait_for 60 two_collectors || { status >&2; die "the hub does not list two collectors"; }
before=$(summary | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
more_requests() { [ "$(summary | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')" -ge $((before + 2)) ]; }
wait_for 60 more_requests || die "no more requests after scaling"
dups=$(summary | python3 -c 'import json, sys; print(json.load(sys.stdin)["duplicates"])')
[ "$dups" -eq 0 ] || die "$dups points were posted twice with two collectors on one engine"

# Hot standby: stop the collector that owns the stats; the other takes over within HUB_TAKEOVER_AFTER (6 s here),
# so CPU gauges for the workload keep arriving for periods after the stop.
cpu_until() { # latest measure_time of web1's CPU gauge at the stand-in
    python3 - "$WORK/librato.jsonl" "dl-deploy-test-$$-web1" <<'EOF'
import json, sys
latest = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    body = e.get("body") or {}
    if e.get("status") != 200 or not isinstance(body, dict):
        continue
    for g in body.get("gauges", []):
        src = g.get("source", body.get("source", ""))
        if g.get("name") == "docker.container.cpu.percent" and src.endswith(":" + sys.argv[2]):
            latest = max(latest, g.get("measure_time", body.get("measure_time", 0)))
print(latest)
EOF
}
first=$(head -1 <<<"$collectors")
stopped_at=$(date +%s)
log "stopping one collector (${first:0:12}); the standby must take over"
"$DOCKER" stop "$first" >/dev/null
taken_over() { [ "$(cpu_until)" -gt "$((stopped_at + 6))" ]; }
wait_for 90 taken_over || die "no CPU gauge for web1 after the collector stopped (latest $(cpu_until), stopped $stopped_at)"
dups=$(summary | python3 -c 'import json, sys; print(json.load(sys.stdin)["duplicates"])')
[ "$dups" -eq 0 ] || die "$dups points were posted twice across the takeover"
log "the standby took over: web1's CPU gauge continues (latest period $(cpu_until), collector stopped at $stopped_at)"

log "summary:"
python3 "$REPO_ROOT/deploy/testing/fake_librato.py" summary --record "$WORK/librato.jsonl" | sed 's/^/    /' >&2
status | python3 -c '
import json, sys
s = json.load(sys.stdin)
n, c, a, d = len(s["collectors"]), s["containers"], s["frames_applied"], s["frames_duplicate"]
print(f"    hub: {n} collectors, {c} containers, frames applied {a}, duplicate {d}")
for col in s["collectors"]:
    h, e, f = col["host"], col["engine"], col["frames"]
    print(f"    collector {h} engine {e[:14]} frames {f}")' >&2

# --- 6. the drop-in path: the image without a command is `standalone` with the original's variables --------------------
log "drop-in: docker run -v docker.sock … -e CLUSTER_NAME -e LIBRATO_NAMING=seed IMAGE (standalone, dry run)"
dropin="dl-deploy-test-$$-standalone"
"$DOCKER" run -d --name "$dropin" --label "$WORKLOAD_LABEL" --network none --health-interval 2s \
    -v /var/run/docker.sock:/var/run/docker.sock:ro -v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /proc:/host/proc:ro \
    -e PROC_ROOT=/host/proc -e CLUSTER_NAME="$CLUSTER-seed" -e LIBRATO_NAMING=seed -e LIBRATO_PERIOD=5000 \
    -e STATS_INTERVAL=1 -e INCLUDE_LABELS=docker-librato-deploy-test "$IMAGE" >/dev/null
seed_gauges() { "$DOCKER" logs "$dropin" 2>&1 | grep -o "\"name\":\"docker-container-[a-z_]*\",\"source\":\"$CLUSTER-seed:[^\"]*web1\"" | sort -u; }
five_gauges() { [ "$(seed_gauges | wc -l)" -ge 5 ]; }
wait_for 90 five_gauges || { "$DOCKER" logs --tail 20 "$dropin" >&2; die "standalone printed no seed-named gauges for web1"; }
wait_for 60 health "$dropin" || die "standalone did not turn healthy"
seed_gauges | sed 's/^/    /' >&2

if [ $SWARM -eq 1 ]; then
    # A clean environment: the compose run's variables (credential, filters, host name) must not reach the stack.
    env -i PATH="$PATH" HOME="$HOME" DOCKER="$DOCKER" bash "$REPO_ROOT/deploy/testing/swarm-test.sh" "$IMAGE" ||
        die "the Swarm test failed"
fi
