#!/usr/bin/env bash
# Run every test: unit tests, and integration tests that start real berthd
# daemons and drive them through varlink (berthctl and the Python client).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# A hung test must not hold CI: the whole run gets 25 minutes.
timeout --kill-after=30 1500 cargo test --locked
