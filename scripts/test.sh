#!/usr/bin/env bash
# Run every test: unit tests, and integration tests that start real berthd
# daemons and drive them through varlink (berthctl and the Python client).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo test --locked
