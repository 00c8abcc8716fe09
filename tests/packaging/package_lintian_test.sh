#!/usr/bin/env bash
# lintian on the Debian package (fixture: stage_package.sh deb OUT): any
# error (E:) fails. The tags that are meant are overridden, each with its
# reason, in packaging/debian/lintian-overrides (shipped in the package, as
# lintian reads it there); the warnings left are printed.
#
#   package_lintian_test.sh OUT VERSION
set -euo pipefail

out=$1 version=$2
deb=$out/checker_${version}_amd64.deb
[ -f "$deb" ] || { echo "FAIL: no $deb (see the fixture's output)" >&2; exit 1; }
if ! command -v lintian >/dev/null; then
  echo "FAIL: lintian is missing: run packaging/install-deps --test" >&2
  exit 1
fi

# --fail-on error: exit 2 for an E: tag, whatever the rest. Its own working
# files in a directory of this test's own.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
TMPDIR=$work lintian --fail-on error --display-info --show-overrides "$deb" >"$work/tags" 2>&1 || status=$?
cat "$work/tags"
if [ "$status" -ne 0 ]; then
  echo "FAIL: lintian exit $status: errors (E:) above" >&2
  exit 1
fi
# Every program on the PATH has a manual page, and lintian has nothing to
# say about them; an override (O:) would hide a missing one: none is allowed.
if grep -E '^[EWIO]: checker: (no-manual-page|manpage-|groff-message)' "$work/tags"; then
  echo "FAIL: a manual page is missing or has problems (packaging/man/help_to_man.cmake)" >&2
  exit 1
fi
# An override that no longer matches would hide nothing and mislead.
if grep -E '^[EWI]: checker: (unused-override|mismatched-override)' "$work/tags"; then
  echo "FAIL: packaging/debian/lintian-overrides has an override that matches no tag" >&2
  exit 1
fi
echo "package_lintian_test: ok ($(grep -c '^W:' "$work/tags" || true) warning(s) left)"
