#!/usr/bin/env bash
# Build berth's Debian package from the tree (debian/, see
# packaging/README.md) into target/debian/, with its lintian report beside.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/toolchain.sh
out=target/debian
rm -rf "$out"
mkdir -p "$out"
# The package's files stay under target/: dh_builddeb writes the .deb
# there (debian/rules), dpkg-genbuildinfo and dpkg-genchanges their files.
dpkg-buildpackage -b -us -uc \
    --buildinfo-option=-u"$out" --buildinfo-option=-O"$out/berth.buildinfo" \
    --changes-option=-u"$out" --changes-option=-O"$out/berth.changes"
lintian --fail-on error "$out/berth.changes" | tee "$out/lintian.txt"
ls -l "$out"/*.deb
