#!/usr/bin/env bash
# Benchmark berth against Podman on this machine, side by side in one run.
# Sets Podman up for a fair comparison (runc, rlimits, a busybox image
# imported offline), then runs benches/catalogue/, which prints a table and
# writes it at the top of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-tests.sh
. scripts/toolchain.sh
if ! command -v podman >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null
fi
mkdir -p /etc/containers
if [ ! -f /etc/containers/containers.conf ] || ! grep -q 'runtime = "runc"' /etc/containers/containers.conf; then
    printf '[containers]\ndefault_ulimits = ["nofile=1024:1024","nproc=1024:1024"]\n[engine]\nruntime = "runc"\n' \
        > /etc/containers/containers.conf
fi
if ! podman image exists localhost/busybox:latest; then
    tmp=$(mktemp -d /var/tmp/berth-bench-image.XXXXXX)
    mkdir -p "$tmp/R/bin" && cp /bin/busybox "$tmp/R/bin/"
    for c in sh true echo sleep; do ln -s busybox "$tmp/R/bin/$c"; done
    tar -C "$tmp/R" -cf "$tmp/busybox.tar" . && podman import -q "$tmp/busybox.tar" localhost/busybox:latest >/dev/null
    rm -rf "$tmp"
fi
cargo bench --locked --bench catalogue --no-run
# Both engines put containers on bridge networks (netavark's bridges and
# firewall rules): in a network namespace of the bench's own, never the
# machine's.
unshare --net -- sh -c 'ip link set lo up && exec cargo bench --locked --offline --bench catalogue'
