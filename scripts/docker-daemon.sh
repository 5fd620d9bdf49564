# Sourced by setup.sh and test-env.sh: start dockerd on /var/run/docker.sock when none answers.
# vfs works on any filesystem; no bridge/iptables (containers use --network none or host) — flags that work in
# unprivileged VMs (see the reference notes); on a normal host an already running dockerd is simply used.
# DOCKER_LIBRATO_SOCK moves the socket (the setup tests point it at one that does not exist).
DOCKER=$(command -v docker || echo /usr/bin/docker)
SOCK=${DOCKER_LIBRATO_SOCK:-/var/run/docker.sock}

# An engine answers: asked with the docker client, or with curl when there is no client.
docker_answers() {
  if command -v "$DOCKER" >/dev/null 2>&1; then "$DOCKER" -H "unix://$SOCK" version >/dev/null 2>&1; return; fi
  command -v curl >/dev/null 2>&1 && curl -sf --unix-socket "$SOCK" http://docker/_ping >/dev/null 2>&1
}

ensure_dockerd() {
  if docker_answers; then return 0; fi
  echo "starting dockerd (log: /var/log/dockerd-docker-librato.log)"
  $SUDO mkdir -p /var/lib/docker
  $SUDO sh -c "nohup dockerd --host unix://$SOCK --storage-driver=vfs --iptables=false --bridge=none \
      >/var/log/dockerd-docker-librato.log 2>&1 &"
  for _ in $(seq 1 120); do docker_answers && return 0; sleep 0.5; done
  echo "dockerd did not come up:"; tail -50 /var/log/dockerd-docker-librato.log; return 1
}
