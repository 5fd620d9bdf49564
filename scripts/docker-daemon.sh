# Sourced by setup.sh and test-env.sh: start dockerd on /var/run/docker.sock when none answers.
# vfs works on any filesystem; no bridge/iptables (containers use --network none or host) — flags that work in
# unprivileged VMs (see the reference notes); on a normal host an already running dockerd is simply used.
# DOCKER_LIBRATO_SOCK moves the socket (the setup tests point it at one that does not exist);
# DOCKER_LIBRATO_DOCKERD_DIRS, the directories searched for dockerd besides PATH (the setup tests: none).
DOCKER=$(command -v docker || echo /usr/bin/docker)
SOCK=${DOCKER_LIBRATO_SOCK:-/var/run/docker.sock}
SUDO=${SUDO-}

# dockerd is in /usr/sbin, which is not on a non-root user's PATH on Debian: look there too.
dockerd_path() {
  local d
  if d=$(command -v dockerd 2>/dev/null); then echo "$d"; return 0; fi
  for d in ${DOCKER_LIBRATO_DOCKERD_DIRS-/usr/sbin /usr/bin /usr/local/sbin /usr/local/bin}; do
    if [ -x "$d/dockerd" ]; then echo "$d/dockerd"; return 0; fi
  done
  return 1
}

# An engine answers: asked with the docker client, or with curl when there is no client.
docker_answers() {
  if command -v "$DOCKER" >/dev/null 2>&1; then "$DOCKER" -H "unix://$SOCK" version >/dev/null 2>&1; return; fi
  command -v curl >/dev/null 2>&1 && curl -sf --unix-socket "$SOCK" http://docker/_ping >/dev/null 2>&1
}

# An engine answers, but only to root: the socket is root:docker 0660 and this user is not in the docker group (as
# right after `apt-get install docker.io` started docker.service, or after we started dockerd with sudo).
docker_answers_root() {
  [ -n "$SUDO" ] && [ -S "$SOCK" ] && $SUDO "$DOCKER" -H "unix://$SOCK" version >/dev/null 2>&1
}

# Lets this user use an engine that answers only to root: adds the user to the docker group. DOCKER_AS="$SUDO" then,
# for the rest of this script (a group membership takes effect at the next login).
DOCKER_AS=""
grant_docker_group() {
  local user; user=$(id -un)
  echo "the Docker engine at $SOCK answers to root but not to $user: adding $user to the docker group"
  $SUDO usermod -aG docker "$user"
  echo "  (takes effect at your next login, or in a shell started with: newgrp docker)"
  DOCKER_AS=$SUDO
}

ensure_dockerd() {
  if docker_answers; then return 0; fi
  if docker_answers_root; then grant_docker_group; return 0; fi
  local dockerd
  if ! dockerd=$(dockerd_path); then echo "no dockerd found (install docker.io)"; return 1; fi
  echo "starting $dockerd (log: /var/log/dockerd-docker-librato.log)"
  $SUDO mkdir -p /var/lib/docker
  $SUDO sh -c "nohup $dockerd --host unix://$SOCK --storage-driver=vfs --iptables=false --bridge=none \
      >/var/log/dockerd-docker-librato.log 2>&1 &"
  for _ in $(seq 1 120); do
    docker_answers && return 0
    if docker_answers_root; then grant_docker_group; return 0; fi
    sleep 0.5
  done
  echo "dockerd did not come up:"; $SUDO tail -50 /var/log/dockerd-docker-librato.log; return 1
}
