#!/usr/bin/env bash
# Install what berth needs to build and run on a Debian 12 machine (as
# root): the OCI runtime, conmon, the bus, polkit, networking, machined,
# and the C toolchain and libsystemd headers the build uses. Quick when
# everything is already there. Rust itself is not a Debian package new
# enough (see the README): this checks for it and says how to get it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh

packages=(runc crun conmon catatonit dbus polkitd systemd-container netavark aardvark-dns iptables
    build-essential pkg-config libsystemd-dev)
missing=()
for p in "${packages[@]}" "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
