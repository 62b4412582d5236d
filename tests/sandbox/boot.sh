#!/bin/bash
# Boot a real systemd as PID 1 in a throw-away sandbox, for berth's end-to-end
# tests. Never on the host's root: the root systemd sees is a copy-on-write
# overlay of /, with private /tmp, /run and /var/tmp, and everything it
# changes lands in a tmpfs that dies with it (checked before the exec).
#
#   boot.sh STATE CGROUP MODE [bare]   (run under `script`, for a console pty)
#
# STATE (under /var/lib) holds x/ (what is exchanged with the host: dbus,
# run-berth, journal, lib-berth, bin, units) and root/ (the mount point);
# CGROUP is the sandbox's cgroup name, made by the caller in the unified
# hierarchy and the v1 devices hierarchy; MODE is unified or legacy; bare
# leaves berth's binaries and units out (a package's test installs them).
set -euo pipefail

stage=${STAGE:-outer}
STATE=$1 CGROUP=$2 MODE=$3 INSTALL=${4:-install}
X=$STATE/x
ROOT=$STATE/root

die() { echo "sandbox: $*" >&2; exit 1; }

case "$STATE" in
/var/lib/?*/?*) ;;
*) die "state must live under /var/lib, not $STATE" ;;
esac

if [ "$stage" = outer ]; then
    # A new PID namespace; its PID 1 runs the rest.
    exec env STAGE=pid1 unshare --pid --fork --kill-child=SIGKILL "$0" "$@"
fi

if [ "$stage" = pid1 ]; then
    # Only PID 1 joins the sandbox's cgroups (a process outside the
    # namespace would show up as pid 0 and confuse systemd).
    echo 0 >"/sys/fs/cgroup/unified/$CGROUP/cgroup.procs"
    echo 0 >"/sys/fs/cgroup/devices/$CGROUP/cgroup.procs"
    if [ "$MODE" = legacy ]; then
        for c in /sys/fs/cgroup/*/; do
            c=${c%/}
            case "${c##*/}" in unified | devices) continue ;; esac
            [ -e "$c/$CGROUP/cgroup.procs" ] && echo 0 >"$c/$CGROUP/cgroup.procs"
        done
    fi
    # The host's /proc still answers here: this is PID 1's host PID.
    read -r hostpid _ </proc/self/stat
    echo "$hostpid" >"$STATE/pid"
    exec env STAGE=mounts unshare --mount --propagation private --uts --ipc --cgroup --net "$0" "$@"
fi

# stage mounts: PID 1 in its own mount, UTS, IPC, cgroup and network namespaces.
mount --make-rprivate /
mkdir -p "$STATE/rw" "$ROOT"
mount -t tmpfs -o mode=0755 sandbox-rw "$STATE/rw"
mkdir -p "$STATE/rw/upper" "$STATE/rw/work"
mount -t overlay -o "lowerdir=/,upperdir=$STATE/rw/upper,workdir=$STATE/rw/work" sandbox-root "$ROOT"
[ "$(stat -f -c %T "$ROOT")" = overlayfs ] || die "the root is not an overlay"

# API file systems, fresh.
mount -t proc proc "$ROOT/proc"
for p in sys sysrq-trigger irq bus fs; do
    [ -e "$ROOT/proc/$p" ] || continue
    mount --bind "$ROOT/proc/$p" "$ROOT/proc/$p"
    mount -o remount,bind,ro "$ROOT/proc/$p"
done
# The sandbox's own network namespace is its to configure (netavark sets
# forwarding there); a bind of the read-only /proc/sys starts read-only.
mount --bind "$ROOT/proc/sys/net" "$ROOT/proc/sys/net"
mount -o remount,bind,rw "$ROOT/proc/sys/net"
mount -t sysfs -o ro sysfs "$ROOT/sys"
if [ "$MODE" = legacy ]; then
    mount -t tmpfs -o mode=0755 cgroup "$ROOT/sys/fs/cgroup"
    for c in /sys/fs/cgroup/*/; do
        c=${c%/}
        name=${c##*/}
        [ -e "$c/$CGROUP" ] || continue
        mkdir -p "$ROOT/sys/fs/cgroup/$name"
        mount --bind "$c/$CGROUP" "$ROOT/sys/fs/cgroup/$name"
    done
    # Read-only, or systemd mounts hierarchies of its own (host-global).
    mount -o remount,ro,bind "$ROOT/sys/fs/cgroup"
else
    mount -t cgroup2 cgroup2 "$ROOT/sys/fs/cgroup"
fi
mount -t tmpfs -o mode=0755,nosuid dev "$ROOT/dev"
mknod -m 666 "$ROOT/dev/null" c 1 3
mknod -m 666 "$ROOT/dev/zero" c 1 5
mknod -m 666 "$ROOT/dev/full" c 1 7
mknod -m 666 "$ROOT/dev/random" c 1 8
mknod -m 666 "$ROOT/dev/urandom" c 1 9
mknod -m 666 "$ROOT/dev/tty" c 5 0
mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm" "$ROOT/dev/mqueue" "$ROOT/dev/net"
mknod -m 666 "$ROOT/dev/net/tun" c 10 200
mknod -m 666 "$ROOT/dev/fuse" c 10 229
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$ROOT/dev/pts"
ln -s pts/ptmx "$ROOT/dev/ptmx"
mount -t tmpfs -o mode=1777 shm "$ROOT/dev/shm"
mount -t mqueue mqueue "$ROOT/dev/mqueue"
ln -s /proc/self/fd "$ROOT/dev/fd"
ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
ln -s /proc/self/fd/2 "$ROOT/dev/stderr"
touch "$ROOT/dev/console"
mount --bind "$(tty)" "$ROOT/dev/console"
for d in run tmp var/tmp; do
    mount -t tmpfs -o mode=1777 "sandbox-${d//\//-}" "$ROOT/$d"
done
chmod 0755 "$ROOT/run"

# Nothing of the host's repositories or of other sandboxes shows inside.
for hide in /work "${STATE%/*}"; do
    [ -d "$ROOT$hide" ] && mount -t tmpfs -o ro,mode=0755 hidden "$ROOT$hide"
done

# What the host exchanges with the sandbox.
mkdir -p "$ROOT/run/dbus" "$ROOT/run/berth" "$ROOT/var/log/journal" "$ROOT/var/lib/berth"
mount --bind "$X/dbus" "$ROOT/run/dbus"
mount --bind "$X/run-berth" "$ROOT/run/berth"
mount --bind "$X/journal" "$ROOT/var/log/journal"
mount --bind "$X/lib-berth" "$ROOT/var/lib/berth"
if [ "$INSTALL" = install ]; then
    for b in "$X"/bin/*; do
        touch "$ROOT/usr/bin/${b##*/}"
        mount --bind "$b" "$ROOT/usr/bin/${b##*/}"
        mount -o remount,bind,ro "$ROOT/usr/bin/${b##*/}"
    done
fi

# /etc, in the overlay's upper only.
etc=$ROOT/etc
: >"$etc/fstab"
tr -d '-' </proc/sys/kernel/random/uuid >"$etc/machine-id"
echo "berth-sandbox" >"$etc/hostname"
find "$etc/systemd/system" -name '*.wants' -type d -prune -exec rm -rf {} +
rm -f "$etc/systemd/system/default.target"
for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-udev-trigger.service systemd-udev-settle.service systemd-sysctl.service \
    systemd-modules-load.service kmod-static-nodes.service systemd-remount-fs.service \
    systemd-fsck-root.service systemd-fsck@.service systemd-binfmt.service proc-sys-fs-binfmt_misc.mount \
    proc-sys-fs-binfmt_misc.automount systemd-random-seed.service systemd-timesyncd.service \
    systemd-pstore.service systemd-repart.service systemd-pcrphase.service \
    systemd-pcrphase-sysinit.service systemd-pcrphase-initrd.service systemd-firstboot.service \
    systemd-machine-id-commit.service systemd-hwdb-update.service systemd-boot-update.service \
    systemd-journald-audit.socket dev-hugepages.mount sys-kernel-config.mount sys-kernel-debug.mount \
    sys-kernel-tracing.mount sys-fs-fuse-connections.mount getty@.service serial-getty@.service \
    console-getty.service getty.target e2scrub_all.timer fstrim.timer apt-daily.timer \
    apt-daily-upgrade.timer networking.service systemd-networkd.service systemd-resolved.service \
    systemd-hibernate-resume@.service docker-registry.service; do
    ln -sf /dev/null "$etc/systemd/system/$unit"
done
mkdir -p "$etc/systemd/system-generators"
for gen in systemd-fstab-generator systemd-getty-generator systemd-gpt-auto-generator \
    systemd-cryptsetup-generator systemd-integritysetup-generator systemd-veritysetup-generator \
    systemd-hibernate-resume-generator systemd-sysv-generator; do
    ln -sf /dev/null "$etc/systemd/system-generators/$gen"
done
wanted=
if [ "$INSTALL" = install ]; then
    # The project's files, where a package puts them (packaging/README.md).
    for f in "$X"/units/*; do
        case "${f##*/}" in
        berth.* | berth-*.service) cp "$f" "$etc/systemd/system/" ;;
        io.berth.Berth1.service) cp "$f" "$ROOT/usr/share/dbus-1/system-services/" ;;
        io.berth.Berth1.conf) cp "$f" "$ROOT/usr/share/dbus-1/system.d/" ;;
        *.policy) cp "$f" "$ROOT/usr/share/polkit-1/actions/" ;;
        esac
    done
    # A user's berth (systemctl --user) and its session-bus activation.
    mkdir -p "$ROOT/usr/lib/systemd/user" "$ROOT/usr/share/dbus-1/services"
    cp "$X"/units/user/berth.* "$ROOT/usr/lib/systemd/user/"
    cp "$X"/units/user/io.berth.Berth1.service "$ROOT/usr/share/dbus-1/services/"
    # Where the package puts the generator, for the system and for users
    # (the overlay's upper takes it).
    mkdir -p "$ROOT/usr/lib/systemd/system-generators" "$ROOT/usr/lib/systemd/user-generators"
    ln -sf /usr/bin/berth-generator "$ROOT/usr/lib/systemd/system-generators/berth-generator"
    ln -sf /usr/bin/berth-generator "$ROOT/usr/lib/systemd/user-generators/berth-generator"
    wanted=berth.socket
fi
cat >"$etc/systemd/system/berth-sandbox.target" <<EOF
[Unit]
Description=berth test sandbox
Wants=dbus.socket dbus.service systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service $wanted
After=dbus.socket systemd-journald.socket
EOF
ln -sf berth-sandbox.target "$etc/systemd/system/default.target"

cd "$ROOT"
mkdir -p oldroot
pivot_root . oldroot
cd /
umount -l /oldroot
rmdir /oldroot
[ "$(stat -f -c %T /)" = overlayfs ] || die "/ is not the overlay after pivot_root"
[ "$(stat -f -c %T /tmp)" = tmpfs ] || die "/tmp is not private"
[ "$(stat -f -c %T /run)" = tmpfs ] || die "/run is not private"

exec setpriv --bounding-set -sys_module,-sys_time,-sys_rawio,-wake_alarm,-block_suspend,-mac_admin,-mac_override,-syslog,-audit_control,-sys_pacct \
    env -i container=berth-sandbox /lib/systemd/systemd --unit=berth-sandbox.target
