#!/usr/bin/env bash
# Run every test: unit tests, integration tests that start real berthd
# daemons and drive them through varlink (berthctl and the Python client),
# end-to-end tests in a booted systemd, and the Debian package's test
# (the package is built first, into target/debian/).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-tests.sh
. scripts/toolchain.sh
# The Python varlink client from the tests' virtual environment.
export PATH=/var/lib/berth-tests/venv/bin:$PATH
mkdir -p target
./scripts/package.sh >target/package.log 2>&1 || { tail -40 target/package.log; exit 1; }
# A hung test must not hold CI: the whole run gets 25 minutes.
timeout --kill-after=30 1500 cargo test --locked
