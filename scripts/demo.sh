#!/usr/bin/env bash
# berth's main job, end to end: the service up, a container created, started
# (conmon + runc), its output shown, listed and removed through the public API.
#
# On a host where systemd is PID 1 it builds berth's Debian package,
# installs it (apt brings its dependencies) and goes through the installed
# units: berth.socket starts berthd on the first call. Elsewhere (a
# container or a VM without systemd) it builds the tree and runs berthd
# directly on its own socket: the same daemon, started by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh busybox-static
. scripts/toolchain.sh
state=/var/lib/berth-demo
# The demo's own state starts empty each time.
rm -rf "$state"
mkdir -p "$state"

if [ -d /run/systemd/system ]; then
    ./scripts/setup.sh dpkg-dev debhelper lintian
    ./scripts/package.sh
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$PWD"/target/debian/berth_*.deb >/dev/null
    bin=/usr/bin
    export BERTH_ADDRESS=unix:/run/berth/io.berth
    bus=(--system)
    echo "== berth's package is installed and berth.socket listening; the first call starts berth.service"
else
    cargo build --release --locked
    bin=$PWD/target/release
    export BERTH_ADDRESS=unix:$state/io.berth
    # No system bus here either: a bus of the demo's own for the D-Bus API.
    dbus-daemon --session --address="unix:path=$state/bus" --fork --print-pid >"$state/bus.pid"
    bus=(--address="unix:path=$state/bus")
    # In a network namespace of its own: a container's default network is a
    # bridge berthd sets up, and this machine's own network is not the demo's.
    unshare --net -- "$bin/berthd" --root "$state/root" --run-root "$state/run" --varlink "$BERTH_ADDRESS" \
        --idle-timeout 0 --dbus "unix:path=$state/bus" 2>"$state/berthd.log" &
    daemon=$!
    trap 'kill $daemon $(cat "$state/bus.pid") 2>/dev/null; wait $daemon 2>/dev/null' EXIT
    for _ in $(seq 100); do "$bin/berthctl" info >/dev/null 2>&1 && break; sleep 0.05; done
    echo "== PID 1 is not systemd here: berthd runs directly on $BERTH_ADDRESS, in a network namespace of its own (log: $state/berthd.log)"
fi
ctl() { echo "\$ berthctl $*"; "$bin/berthctl" "$@"; }

# A root file system holding busybox.
rootfs=$state/rootfs
mkdir -p "$rootfs/bin"
cp /bin/busybox "$rootfs/bin/busybox"
for c in $(/bin/busybox --list); do [ "$c" = busybox ] || ln -sf busybox "$rootfs/bin/$c"; done

"$bin/berthctl" rm -f demo >/dev/null 2>&1 || true
ctl info
ctl create --rootfs "$rootfs" --name demo --label app=demo -- /bin/sh -c 'echo "hello from berth, in $(hostname)"; sleep 1'
ctl start demo
ctl ps
echo "== the same container over D-Bus"
path=$(busctl "${bus[@]}" call io.berth.Berth1 /io/berth/Berth1 io.berth.Berth1.Manager GetContainer s demo | cut -d'"' -f2)
echo "\$ busctl get-property io.berth.Berth1 $path io.berth.Berth1.Container Name State"
busctl "${bus[@]}" get-property io.berth.Berth1 "$path" io.berth.Berth1.Container Name State
ctl wait demo
ctl logs demo
ctl ps -a
ctl rm demo
ctl ps -a
echo "== and in one step:"
ctl run --rm --rootfs "$rootfs" -- /bin/echo "run --rm: created, started, waited for, removed"
