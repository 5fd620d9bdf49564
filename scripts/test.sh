#!/usr/bin/env bash
# Runs the whole test suite: prepares the machine (idempotent; see scripts/test-env.sh), builds, runs swift test.
# Tests that need dockerd fail loudly when it is missing; they never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-env.sh
swift build --build-tests
swift test --skip-build "$@"
# The deployment files: docker-compose.yml and its overrides must be accepted (the image build and compose runs are
# longer: deploy/test-image.sh --quick / full / --swarm, and deploy/rehearse.sh).
bash deploy/test-image.sh --config
