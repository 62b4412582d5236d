#!/usr/bin/env bash
# What berth's tests need besides what it needs (scripts/setup.sh): a
# busybox for root file systems, a registry and TLS for pulls, iproute2
# and curl for networking tests, the Debian packaging tools for the
# package's test, man to render its pages, uidmap, passt, fuse-overlayfs
# and a user session bus for a user's (rootless) berth, and two outside varlink
# clients: the Python `varlink` package, in a virtual environment of the
# tests' own (Debian's Python is externally managed), and varlink-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh busybox-static tzdata docker-registry openssl iproute2 curl python3-venv \
    dpkg-dev debhelper lintian man-db uidmap passt dbus-user-session fuse-overlayfs
. scripts/toolchain.sh
venv=/var/lib/berth-tests/venv
if ! "$venv/bin/python3" -c 'import varlink' 2>/dev/null; then
    echo "setup: installing the Python varlink package into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check varlink
fi
if ! command -v varlink >/dev/null 2>&1; then
    echo "setup: installing varlink-cli"
    cargo install --quiet --locked varlink-cli --version 5.0.0
fi
