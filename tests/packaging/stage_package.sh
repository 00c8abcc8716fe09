#!/usr/bin/env bash
# The package tests' fixture (CTest FIXTURES_SETUP checker_package): lays
# out the installed tree once per ctest run in OUT, a directory of the build
# tree that only the package tests use.
#
#   stage_package.sh deb BUILD OUT      cpack -G DEB: OUT/checker_VERSION_amd64.deb,
#                                       unpacked into OUT/root (dpkg-deb -x)
#   stage_package.sh install BUILD OUT  a sanitizer build, which is not packaged:
#                                       the same layout by DESTDIR=OUT/root cmake --install
#
# CPACK and CMAKE name the programs (CTest passes the build's own).
set -euo pipefail

mode=$1 build=$2 out=$3
cpack=${CPACK:-cpack} cmake=${CMAKE:-cmake}

rm -rf "$out"
mkdir -p "$out"
chmod 755 "$out"  # the tests' workers drop to an unprivileged user and load from here

case "$mode" in
  deb)
    for tool in dpkg-deb dpkg-shlibdeps file; do
      if ! command -v "$tool" >/dev/null; then
        echo "stage_package: $tool is missing (packages dpkg-dev, file): run packaging/install-deps --test" >&2
        exit 1
      fi
    done
    start=$(date +%s%N)
    if ! "$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$out/cpack" >"$out/cpack.log" 2>&1; then
      cat "$out/cpack.log" >&2
      exit 1
    fi
    echo "stage_package: cpack took $(( ($(date +%s%N) - start) / 1000000 )) ms"
    mv "$out"/cpack/checker_*.deb "$out/"
    rm -rf "$out/cpack"
    dpkg-deb -x "$out"/checker_*.deb "$out/root"
    ;;
  install)
    DESTDIR="$out/root" "$cmake" --install "$build" --prefix /usr >"$out/install.log"
    ;;
  *)
    echo "usage: $0 deb|install BUILD OUT" >&2
    exit 100
    ;;
esac
ls -l "$out"
