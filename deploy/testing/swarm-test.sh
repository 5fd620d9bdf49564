#!/usr/bin/env bash
# `docker stack deploy` of the real docker-compose.yml on a one-node Swarm, offline (run by deploy/test-image.sh
# --swarm, or alone with the image name as argument).
#
# Swarm needs what the shared test dockerd lacks (iptables, bridges, overlay networks), so this starts a private
# dockerd with its own socket, data and exec roots inside a network namespace it creates: its iptables rules,
# bridges and the swarm's traffic stay in that namespace. The image is copied in with docker save | load. The hub
# runs without a Librato credential (dry-run sink) and the test reads the requests it prints from its service log:
# hub 1/1, collector global 1/1, both healthy, a container's metrics in the hub's output.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

IMAGE=${1:-${TEST_IMAGE:-docker-librato:deploy-test}}
[ "$(id -u)" -eq 0 ] || die "run as root (it starts a dockerd in a network namespace)"
NETNS=dl-swarm-$$
W=$(mktemp -d /tmp/dl-swarm.XXXXXX)
D=("$DOCKER" -H "unix://$W/docker.sock")
STACK=dlswarmtest
CLUSTER=swarmtest$$

cleanup() {
    local rc=$?
    set +e
    if [ $rc -ne 0 ] && [ -S "$W/docker.sock" ]; then
        "${D[@]}" service ps --no-trunc "${STACK}_hub" "${STACK}_collector" 2>&1 | tail -6 >&2
        "${D[@]}" service logs --tail 20 "${STACK}_collector" 2>&1 | tail -20 >&2
        "${D[@]}" service logs --raw --tail 15 "${STACK}_hub" 2>&1 | cut -c1-600 >&2
        [ -n "${SWARM_DEBUG:-}" ] && sleep "$SWARM_DEBUG"
    fi
    if [ -S "$W/docker.sock" ]; then
        "${D[@]}" stack rm "$STACK" >/dev/null 2>&1
        "${D[@]}" swarm leave --force >/dev/null 2>&1
        ids=$("${D[@]}" ps -aq 2>/dev/null) && [ -n "$ids" ] && "${D[@]}" rm -f $ids >/dev/null 2>&1
    fi
    if [ -s "$W/docker.pid" ]; then
        pid=$(cat "$W/docker.pid")
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null
    fi
    awk -v w="$W" '$2 ~ "^"w {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$W"
    ip netns del "$NETNS" 2>/dev/null
    [ $rc -eq 0 ] && log "swarm test PASSED" || log "swarm test FAILED"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "private dockerd in network namespace $NETNS (iptables and bridges there only)"
ip netns add "$NETNS"
nsenter --net="/run/netns/$NETNS" sh -c \
    'ip link set lo up && ip link add dlswarm0 type bridge && ip addr add 10.99.0.1/24 dev dlswarm0 && ip link set dlswarm0 up'
# nsenter, not `ip netns exec`: the latter remounts /sys, which hides the cgroup hierarchy dockerd needs.
printf '{"deprecated-key-path": "%s/key.json"}\n' "$W" >"$W/daemon.json" # an engine ID of its own
nsenter --net="/run/netns/$NETNS" setsid dockerd --config-file "$W/daemon.json" --host "unix://$W/docker.sock" --data-root "$W/data" \
    --exec-root "$W/exec" --pidfile "$W/docker.pid" --storage-driver=vfs >"$W/dockerd.log" 2>&1 </dev/null &
wait_for 60 "${D[@]}" version || { tail -20 "$W/dockerd.log" >&2; die "the private dockerd did not start"; }
"${D[@]}" swarm init --advertise-addr 10.99.0.1 >/dev/null
log "copying $IMAGE into it"
"$DOCKER" save "$IMAGE" local/busybox:latest | "${D[@]}" load -q >/dev/null

"${D[@]}" run --rm --network none "$IMAGE" keygen >"$W/cluster.key"
echo unused >"$W/librato_token" # Swarm refuses empty secrets; LIBRATO_TOKEN_FILE stays unset (dry run)
log "docker stack deploy -c docker-compose.yml $STACK (dry run: no Librato credential)"
# DOCKER_SOCKET: the node's own daemon is this private one, not the machine's /var/run/docker.sock.
# HUB_ADDRESS tasks.hub: this kernel has no IPVS (ip_vs), so Swarm's virtual IP for `hub` accepts no connection;
# tasks.hub resolves to the hub task's own address on the overlay network.
(cd "$REPO_ROOT" && env DOCKER_SOCKET="$W/docker.sock" HUB_ADDRESS=tcp://tasks.hub:5555 DOCKER_LIBRATO_IMAGE="$IMAGE" CLUSTER_NAME="$CLUSTER" CLUSTER_KEY_SECRET="$W/cluster.key" \
    LIBRATO_TOKEN_SECRET="$W/librato_token" LIBRATO_PERIOD=5000 STATS_INTERVAL=1 HEALTHCHECK_INTERVAL=2s \
    "${D[@]}" stack deploy --resolve-image never -c docker-compose.yml "$STACK" >"$W/deploy.log" 2>&1) ||
    { cat "$W/deploy.log" >&2; die "docker stack deploy failed"; }

"${D[@]}" run -d --name swarm-web --network none --label docker-librato-test=swarm local/busybox \
    sh -c 'while true; do echo "hello measure#t=3ms"; sleep 1; done' >/dev/null

replicas() { "${D[@]}" service ls --format '{{.Name}} {{.Mode}} {{.Replicas}}' | sort; }
both_running() { [ "$(replicas | grep -c ' 1/1$')" -eq 2 ]; }
wait_for 120 both_running || { replicas >&2; die "the stack's services did not start"; }
replicas | sed 's/^/    /' >&2
replicas | grep -q "${STACK}_collector global 1/1" || die "the collector is not a global service"

healthy() {
    local id
    id=$("${D[@]}" ps -q --filter "label=com.docker.swarm.service.name=$1")
    [ -n "$id" ] && [ "$("${D[@]}" inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]
}
wait_for 90 healthy "${STACK}_hub" || die "the hub task did not turn healthy"
wait_for 90 healthy "${STACK}_collector" || die "the collector task did not turn healthy"
log "hub and collector tasks healthy"

in_dry_run() { "${D[@]}" service logs --raw "${STACK}_hub" 2>&1 | grep -q "swarm-web"; }
wait_for 120 in_dry_run || { "${D[@]}" service logs --tail 30 "${STACK}_hub" >&2; die "no request for swarm-web in the hub's dry run"; }
log "the hub's dry run shows swarm-web's metrics under cluster $CLUSTER:"
"${D[@]}" service logs --raw "${STACK}_hub" 2>&1 | grep -o "\"name\":\"[^\"]*\",\"source\":\"$CLUSTER:[^\"]*:swarm-web\"" |
    sort -u | head -5 | sed 's/^/    /' >&2 || true
