#!/usr/bin/env bash
# Install what berth and its tests need on a fresh Debian 12 machine (as root).
# Quick when everything is already there.
set -euo pipefail

packages=(runc crun conmon catatonit tzdata busybox-static dbus polkitd systemd-container docker-registry openssl
    netavark aardvark-dns iptables iproute2 curl
    pkg-config libsystemd-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# An outside varlink client for the conformance tests.
if ! python3 -c 'import varlink' 2>/dev/null; then
    echo "setup: installing the Python varlink package"
    python3 -m pip install --quiet --disable-pip-version-check varlink
fi
# A second outside varlink client (the `varlink` command of varlink-cli).
if ! command -v varlink >/dev/null 2>&1; then
    echo "setup: installing varlink-cli"
    cargo install --quiet --locked varlink-cli --version 5.0.0
fi
