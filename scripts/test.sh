#!/usr/bin/env bash
# README's test command (`npm test`, which builds first): starts the real services the
# suite needs (Redis, a local Cassandra 5.0) and runs both jest projects, unit and
# integration, in band against them. A service that cannot start fails the run here, loudly;
# no test skips for a missing service. (`npm run test:unit` alone needs neither.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh start
export CASSANDRA_CONTACT_POINTS="${CASSANDRA_CONTACT_POINTS:-127.0.0.1:${CASSANDRA_PORT:-9042}}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}"
exec npx jest --runInBand "$@"
